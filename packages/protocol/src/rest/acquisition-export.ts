// Exports of recorded acquisition sessions (/api/acquisition/export, /api/acquisition/exports/…): the server writes
// the file in its own exports folder under a name it chooses (any client path is ignored), reports progress, and
// serves the file for download.

import { type Static, Type } from 'typebox';
import { Nullable } from './helpers.js';

export const ACQUISITION_EXPORT_FORMATS = ['csv', 'json', 'npy', 'hdf5', 'parquet'] as const;
export type AcquisitionExportFormat = (typeof ACQUISITION_EXPORT_FORMATS)[number];
export const ACQUISITION_EXPORT_STATES = ['running', 'done', 'error'] as const;

export const AcquisitionExportRequest = Type.Object({
  acquisition_id: Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'The recorded session to export',
  }),
  format: Type.Enum([...ACQUISITION_EXPORT_FORMATS], {
    description:
      'csv, json, npy (a NumPy .npz archive: .npy arrays and metadata.json), hdf5 (.h5) or parquet. Every file carries the session config and a settings snapshot of its instruments.',
  }),
  filepath: Type.Optional(
    Type.Unknown({
      description: 'Accepted from LabLink 1.x clients and ignored: the server chooses the file name',
    }),
  ),
  export_path: Type.Optional(Type.Unknown({ description: 'Ignored, as filepath' })),
});
export type AcquisitionExportRequest = Static<typeof AcquisitionExportRequest>;

const ExportFile = Type.Object({
  filename: Type.String(),
  download_url: Type.String(),
  bytes: Type.Integer({ minimum: 0 }),
});

export const AcquisitionExportStatus = Type.Object({
  export_id: Type.String(),
  acquisition_id: Type.String(),
  format: Type.Enum([...ACQUISITION_EXPORT_FORMATS]),
  state: Type.Enum([...ACQUISITION_EXPORT_STATES], {
    description: 'running while the file is written, then done (or error, with the error in words)',
  }),
  progress: Type.Number({ minimum: 0, maximum: 1, description: 'Samples written over the samples to write' }),
  samples: Type.Integer({ minimum: 0 }),
  total_samples: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0, description: 'Size of the finished file (0 while running)' }),
  filename: Type.String(),
  download_url: Type.String({ description: 'GET it for the file (409 while the export is running)' }),
  files: Type.Array(ExportFile, {
    description: 'Companion files: scope captures in long format beside a CSV or Parquet export',
  }),
  created_at: Type.String(),
  finished_at: Nullable(Type.String()),
  error: Nullable(Type.String()),
});
export type AcquisitionExportStatus = Static<typeof AcquisitionExportStatus>;

export const AcquisitionExportResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  ignored: Type.Array(Type.String(), {
    description: 'Request fields the server ignored (a client file path)',
  }),
  ...AcquisitionExportStatus.properties,
});
export type AcquisitionExportResponse = Static<typeof AcquisitionExportResponse>;

export const AcquisitionExportParams = Type.Object({
  export_id: Type.String({ minLength: 1, maxLength: 100 }),
});
export type AcquisitionExportParams = Static<typeof AcquisitionExportParams>;

export const AcquisitionExportFileParams = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 200 }),
});
export type AcquisitionExportFileParams = Static<typeof AcquisitionExportFileParams>;
