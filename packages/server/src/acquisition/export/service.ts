// Exports of recorded acquisition sessions: the server chooses each file's name inside <dataDir>/exports/ (a client
// never names a path), writes it in the background from storage chunk by chunk, and reports progress. Downloads are
// served by name only after the name is checked to be one of ours, inside that folder.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '../../errors.js';
import { writeNpz } from './npz.js';
import { writeCsv, writeJson } from './text.js';
import {
  CONTENT_TYPES,
  EXPORT_FORMATS,
  EXTENSIONS,
  type ExportFormat,
  type ExportJob,
  exportMetadata,
  type SessionReader,
} from './types.js';

export type ExportState = 'running' | 'done' | 'error';

export interface ExportStatus {
  export_id: string;
  acquisition_id: string;
  format: ExportFormat;
  state: ExportState;
  /** 0..1: samples written over the samples to write. */
  progress: number;
  samples: number;
  total_samples: number;
  /** Bytes of the finished file (0 while running). */
  bytes: number;
  filename: string;
  download_url: string;
  /** Companion files (scope captures in long format for CSV and Parquet). */
  files: { filename: string; download_url: string; bytes: number }[];
  created_at: string;
  finished_at: string | null;
  error: string | null;
}

const WRITERS: Record<ExportFormat, (job: ExportJob) => Promise<string[]>> = {
  csv: writeCsv,
  json: writeJson,
  npy: writeNpz,
  // Loaded on the first export in their format: h5wasm compiles its WebAssembly when imported, and neither is
  // needed to start (docs/performance.md).
  hdf5: async (job) => (await import('./hdf5.js')).writeHdf5(job),
  parquet: async (job) => (await import('./parquet.js')).writeParquet(job),
};

const TIMESTAMP_UNITS: Record<ExportFormat, string> = {
  csv: 'ISO-8601 UTC',
  json: 'ISO-8601 UTC',
  npy: 'ms since 1970-01-01T00:00:00Z (float64)',
  hdf5: 'ms since 1970-01-01T00:00:00Z (float64)',
  parquet: 'ms since 1970-01-01T00:00:00Z (DOUBLE timestamp_ms)',
};

/** A file name this service could have made: no separator, no dot segment, one of our extensions. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,160}(\.blocks)?\.(csv|json|npz|h5|parquet)$/;
/** Finished exports kept in memory for progress queries (the files themselves stay on disk). */
const MAX_JOBS = 200;

export const DOWNLOAD_PREFIX = '/api/acquisition/exports/files/';

export interface ExportServiceOptions {
  dataDir: string;
  /** The recorded session's reader; throws DomainError not_found for an unknown id. */
  readerFor(acquisitionId: string): SessionReader;
}

const safePart = (s: string) =>
  s
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48) || 'x';

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** A file name without `.blocks` and its extension: an export and its companions share it. */
const stem = (name: string) => name.replace(/(\.blocks)?\.[a-z0-9]+$/, '');

export class ExportService {
  readonly dir: string;
  private readonly jobs = new Map<string, { status: ExportStatus; done: Promise<void> }>();

  constructor(private readonly options: ExportServiceOptions) {
    this.dir = path.resolve(options.dataDir, 'exports');
  }

  /** Starts an export; resolves once it is running (its file name chosen), not when it is done. */
  start(acquisitionId: string, format: ExportFormat): { status: ExportStatus; done: Promise<void> } {
    if (!EXPORT_FORMATS.includes(format)) {
      throw new DomainError(
        'invalid_request',
        `format must be one of ${EXPORT_FORMATS.join(', ')}`,
        'format',
      );
    }
    let reader: SessionReader;
    try {
      reader = this.options.readerFor(acquisitionId);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') {
        throw new DomainError('not_found', `acquisition ${acquisitionId} not found`, 'acquisition_id');
      }
      throw err;
    }
    mkdirSync(this.dir, { recursive: true });
    const metadata = exportMetadata(reader, format, TIMESTAMP_UNITS[format]);
    const config = metadata.config as { equipment_id?: unknown } | null;
    const equipment = typeof config?.equipment_id === 'string' ? `${safePart(config.equipment_id)}_` : '';
    const exportId = randomUUID();
    const filename = `${equipment}${safePart(acquisitionId)}_${stamp(new Date())}_${exportId.slice(0, 8)}.${EXTENSIONS[format]}`;
    const file = path.join(this.dir, filename);
    const count = reader.count;
    const status: ExportStatus = {
      export_id: exportId,
      acquisition_id: reader.acquisition_id,
      format,
      state: 'running',
      progress: 0,
      samples: 0,
      total_samples: count,
      bytes: 0,
      filename,
      download_url: `${DOWNLOAD_PREFIX}${filename}`,
      files: [],
      created_at: new Date().toISOString(),
      finished_at: null,
      error: null,
    };
    const job: ExportJob = {
      reader,
      file,
      count,
      metadata,
      progress: (samples) => {
        status.samples = samples;
        status.progress = count > 0 ? Math.min(samples / count, 0.999) : 0;
      },
    };
    const done = (async () => {
      // Starts after the caller has its status: a refusal above is synchronous, failures below are the job's.
      await Promise.resolve();
      try {
        const companions = await WRITERS[format](job);
        status.files = companions.map((f) => {
          const name = path.basename(f);
          return { filename: name, download_url: `${DOWNLOAD_PREFIX}${name}`, bytes: statSync(f).size };
        });
        status.bytes = statSync(file).size;
        status.samples = count;
        status.progress = 1;
        status.state = 'done';
      } catch (err) {
        status.state = 'error';
        status.error = err instanceof Error ? err.message : String(err);
        await rm(file, { force: true });
        for (const ext of ['.blocks.csv', '.blocks.parquet']) {
          await rm(file.replace(/\.[a-z0-9]+$/, ext), { force: true });
        }
      } finally {
        status.finished_at = new Date().toISOString();
      }
    })();
    this.jobs.set(exportId, { status, done });
    this.prune();
    return { status, done };
  }

  status(exportId: string): ExportStatus {
    const job = this.jobs.get(exportId);
    if (!job) throw new DomainError('not_found', `export ${exportId} not found`, 'export_id');
    return job.status;
  }

  /**
   * The absolute path of a finished export file, for a download. The name must be one this service makes (no
   * separator, no dot segment), resolve inside the exports folder, and name a finished file.
   */
  file(filename: string): { file: string; contentType: string; bytes: number } {
    if (!FILE_NAME.test(filename)) {
      throw new DomainError('invalid_request', 'not an export file name', 'filename');
    }
    const file = path.resolve(this.dir, filename);
    if (path.dirname(file) !== this.dir) {
      throw new DomainError('invalid_request', 'not an export file name', 'filename');
    }
    for (const { status } of this.jobs.values()) {
      if (status.state === 'running' && stem(status.filename) === stem(filename)) {
        throw new DomainError('conflict', 'the export is still being written', 'filename', {
          export_id: status.export_id,
          progress: status.progress,
        });
      }
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new DomainError('not_found', `export file ${filename} not found`, 'filename');
    }
    const ext = filename.slice(filename.lastIndexOf('.') + 1);
    return {
      file,
      contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
      bytes: statSync(file).size,
    };
  }

  /** Waits for every export in progress (at shutdown, in tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  private prune(): void {
    if (this.jobs.size <= MAX_JOBS) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= MAX_JOBS) break;
      if (job.status.state !== 'running') this.jobs.delete(id);
    }
  }
}
