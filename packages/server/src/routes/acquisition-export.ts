// Export routes: POST /api/acquisition/export starts an export of a recorded session in one of five formats and
// answers with its download_url; GET /api/acquisition/exports/{export_id} reports its progress; GET
// /api/acquisition/exports/files/{filename} serves the file. The server chooses the file name inside
// <dataDir>/exports/ and ignores any path a client sends. The exporters are src/acquisition/export/.

import { createReadStream } from 'node:fs';
import {
  AcquisitionExportFileParams,
  AcquisitionExportParams,
  AcquisitionExportRequest,
  AcquisitionExportResponse,
  AcquisitionExportStatus,
} from '@lablink/protocol/rest';
import { Type } from 'typebox';
import { ExportService } from '../acquisition/export/service.js';
import type { SessionReader } from '../acquisition/export/types.js';
import type { AppInstance } from '../app.js';
import { DomainError } from '../errors.js';
import { ErrorResponses } from './schemas.js';

const tags = ['acquisition'];
/** How long POST waits for an export to finish before answering `running` (a short session is answered `done`). */
const WAIT_MS = 2000;
const IGNORED_PATHS = ['filepath', 'export_path'] as const;

export interface AcquisitionExportOptions {
  /** Where sessions are read from (tests); by default the acquisition service's reader. */
  readerFor?: (acquisitionId: string) => SessionReader;
  dataDir?: string;
  /** How long POST waits for the export to finish before answering `running` (default 2 s). */
  waitMs?: number;
}

const contentDisposition = (name: string) =>
  `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export async function acquisitionExportRoutes(app: AppInstance, options: AcquisitionExportOptions = {}) {
  const exports = new ExportService({
    dataDir: options.dataDir ?? app.services.config.dataDir,
    readerFor: options.readerFor ?? ((id) => app.services.acquisitions.reader(id)),
  });
  app.addHook('onClose', async () => exports.settle());

  app.post(
    '/api/acquisition/export',
    {
      schema: {
        tags,
        summary: 'Export a recorded session (csv, json, npy, hdf5, parquet)',
        description:
          'Writes the session from storage, chunk by chunk, into a file the server names inside its exports folder; any filepath or export_path in the body is ignored (listed in `ignored`). Answers `done` when the export finished within 2 s, else `running`: follow GET /api/acquisition/exports/{export_id}. GET download_url serves the file.',
        body: AcquisitionExportRequest,
        response: { 200: AcquisitionExportResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const ignored = IGNORED_PATHS.filter((k) => body[k] !== undefined);
      const { status, done } = exports.start(body.acquisition_id, body.format);
      await Promise.race([
        done,
        new Promise((resolve) => setTimeout(resolve, options.waitMs ?? WAIT_MS).unref()),
      ]);
      if (status.state === 'error') {
        throw new DomainError('internal', `export failed: ${status.error}`);
      }
      const note =
        ignored.length > 0 ? ` (${ignored.join(' and ')} ignored: LabLink chooses the file name)` : '';
      return {
        success: true,
        message:
          (status.state === 'done'
            ? `Exported ${status.samples} samples to ${status.filename}`
            : `Exporting ${status.total_samples} samples to ${status.filename}`) + note,
        ignored: [...ignored],
        ...status,
      };
    },
  );

  app.get(
    '/api/acquisition/exports/:export_id',
    {
      schema: {
        tags,
        summary: 'Progress of an export',
        params: AcquisitionExportParams,
        response: { 200: AcquisitionExportStatus, ...ErrorResponses },
      },
    },
    async (request) => exports.status(request.params.export_id),
  );

  app.get(
    '/api/acquisition/exports/files/:filename',
    {
      schema: {
        tags,
        summary: 'Download an export file',
        description:
          'Only names the server made, inside its exports folder; 409 while the export is still being written.',
        params: AcquisitionExportFileParams,
        response: { 200: Type.Unknown({ description: 'The file' }), ...ErrorResponses },
      },
    },
    async (request, reply) => {
      const { file, contentType, bytes } = exports.file(request.params.filename);
      return (
        reply
          .header('content-type', contentType)
          .header('content-length', bytes)
          .header('content-disposition', contentDisposition(request.params.filename))
          .header('x-content-type-options', 'nosniff')
          // A download is one request. A keep-alive socket that has just carried a streamed reply may not count as
          // idle yet when the server closes, and would then hold the close for the 72 s keep-alive timeout.
          .header('connection', 'close')
          .send(createReadStream(file))
      );
    },
  );
}
