// What an exporter reads and writes. Exporters read a recorded session only through the SessionReader of the
// acquisition engine (../reader.ts), chunk by chunk, and write one file in the exports folder the server chose
// (plus companion files beside it). They report how many samples they have written so far.

import type { SessionMetadata, SessionReader } from '../reader.js';

export type { BlockRecord, SampleChunk, SessionMetadata, SessionReader } from '../reader.js';

export const EXPORT_FORMATS = ['csv', 'json', 'npy', 'hdf5', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The file extension of each format (`npy` is a NumPy .npz archive: .npy arrays plus metadata.json). */
export const EXTENSIONS: Record<ExportFormat, string> = {
  csv: 'csv',
  json: 'json',
  npy: 'npz',
  hdf5: 'h5',
  parquet: 'parquet',
};

export const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  npz: 'application/zip',
  h5: 'application/x-hdf5',
  parquet: 'application/vnd.apache.parquet',
};

/** What every export carries besides the samples: the session and a snapshot of its instruments' settings. */
export interface ExportMetadata extends SessionMetadata {
  acquisition_id: string;
  channels: string[];
  count: number;
  exported_at: string;
  format: ExportFormat;
  /** How timestamps are written in this format. */
  timestamp_unit: string;
  producer: 'LabLink';
}

export interface ExportJob {
  reader: SessionReader;
  /** Absolute path of the file to write, inside the exports folder (companion files go beside it). */
  file: string;
  /** Samples to write: the session's count when the export started (a running session's later samples are not). */
  count: number;
  metadata: ExportMetadata;
  /** Called after each chunk with the number of samples written so far. */
  progress(samples: number): void;
}

/** Samples read from storage per chunk: bounded memory whatever the session's length. */
export const CHUNK_SIZE = 8192;

export function exportMetadata(reader: SessionReader, format: ExportFormat, timestampUnit: string) {
  return {
    ...reader.metadata(),
    acquisition_id: reader.acquisition_id,
    channels: [...reader.channels],
    count: reader.count,
    exported_at: new Date().toISOString(),
    format,
    timestamp_unit: timestampUnit,
    producer: 'LabLink',
  } satisfies ExportMetadata;
}

/** JSON text of any value with NaN/±Infinity as null (the house encoder's rule). */
export const jsonText = (value: unknown, space?: number) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), space);

export const iso = (ms: number) => new Date(ms).toISOString();
