// Export of a session to CSV, JSON, NumPy, HDF5 or Parquet. The server names the file in its data folder; a long
// session's export streams from storage while a progress bar follows it; then a link downloads the file.

import type { AcquisitionExport, AcquisitionExportProgress, ExportFormat } from '@lablink/client';
import { useEffect, useId, useState } from 'react';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { EXPORT_FORMATS, exportFraction } from './model';

const POLL_MS = 500;

export function ExportBox({ acquisitionId }: { acquisitionId: string }) {
  const { rest } = useClient();
  const notify = useNotify();
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [started, setStarted] = useState<AcquisitionExport | null>(null);
  const [progress, setProgress] = useState<AcquisitionExportProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formatId = useId();

  // A running export: follow its progress until it is done or has failed.
  useEffect(() => {
    if (started?.state !== 'running') return;
    let current = true;
    const timer = window.setInterval(() => {
      rest
        .exportProgress(started.export_id)
        .then((p) => {
          if (!current) return;
          setProgress(p);
          if (p.state !== 'running') window.clearInterval(timer);
          if (p.state === 'error') setError(`Export failed: ${p.error ?? 'unknown error'}`);
        })
        .catch((err) => {
          if (current) setError(describeError(err));
        });
    }, POLL_MS);
    return () => {
      current = false;
      window.clearInterval(timer);
    };
  }, [rest, started]);

  const run = async () => {
    setBusy(true);
    setError(null);
    setProgress(null);
    setStarted(null);
    try {
      const result = await rest.exportAcquisition(acquisitionId, format);
      setStarted(result);
      if (result.state === 'done') setProgress(result);
      notify('success', result.message || `Export to ${result.filename} started`);
    } catch (err) {
      setError(describeError(err));
      notify('error', `Export refused: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const fraction = exportFraction(progress ?? started);
  const done = progress?.state === 'done';
  const url = done && started ? rest.downloadUrl(progress?.download_url ?? started.download_url) : null;
  const filename = progress?.filename ?? started?.filename;

  return (
    <section className="acq-export" aria-label="Export">
      <h4>Export</h4>
      <div className="inline-form">
        <label htmlFor={formatId}>Format</label>
        <select id={formatId} value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
          {EXPORT_FORMATS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={run} disabled={busy || (started !== null && !done && !error)}>
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {started && (
        <div className="progress-row">
          <progress
            aria-label="Export progress"
            max={1}
            {...(fraction === null ? {} : { value: fraction })}
          />
          <span className="muted small">
            {done ? 'Done' : fraction === null ? 'Exporting…' : `${Math.round(fraction * 100)} %`}
          </span>
        </div>
      )}
      {url && (
        <p>
          <a href={url} download={filename}>
            Download {filename}
          </a>
          {typeof (progress?.bytes ?? started?.bytes) === 'number' && (
            <span className="muted small">
              {' '}
              ({Math.round(((progress?.bytes ?? started?.bytes) as number) / 1024)} kB)
            </span>
          )}
        </p>
      )}
      <ErrorAlert message={error} />
    </section>
  );
}
