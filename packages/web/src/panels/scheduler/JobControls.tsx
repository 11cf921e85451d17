// What the list and a job's page share: the job's status badge, its latest run as the events tell it (with a
// progress bar while a sequence runs), and the actions (run now, pause or resume, edit, delete with a confirm).

import { useState } from 'react';
import { useNotify } from '../../app/notifications';
import { href, navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { clockTime } from '../../lib/format';
import { type LiveRun, progressFraction, statusText } from './model';
import type { ScheduledJob } from './types';
import { useJobs } from './useJobs';

const STATUS_CLASS: Record<string, string> = {
  scheduled: 'badge-normal',
  running: 'badge-warn',
  paused: 'badge-muted',
  finished: 'badge-muted',
  completed: 'badge-normal',
  failed: 'badge-bad',
  cancelled: 'badge-muted',
  skipped: 'badge-muted',
  pending: 'badge-muted',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${STATUS_CLASS[status] ?? 'badge-muted'}`}>{statusText(status)}</span>;
}

const VERDICT_CLASS: Record<string, string> = {
  pass: 'badge-normal',
  fail: 'badge-bad',
  error: 'badge-bad',
  inconclusive: 'badge-warn',
};

export function VerdictBadge({ verdict }: { verdict: string | null | undefined }) {
  if (!verdict) return <span className="muted">—</span>;
  return (
    <span className={`badge ${VERDICT_CLASS[verdict] ?? 'badge-muted'}`}>
      {verdict.charAt(0).toUpperCase() + verdict.slice(1)}
    </span>
  );
}

/** The latest run the page has heard of: running (with progress), completed or failed (with the error). */
export function RunStatus({ job, run }: { job: ScheduledJob; run: LiveRun | undefined }) {
  if (!run) return <span className="muted small">No runs yet</span>;
  const fraction = progressFraction(run);
  return (
    <div
      className={`run-status run-${run.state}`}
      data-testid="run-status"
      data-state={run.state}
      data-execution={run.execution_id}
      role="status"
      aria-label={`${job.name} latest run`}
    >
      <StatusBadge status={run.state} />{' '}
      <span className="small">
        {run.state === 'running'
          ? `since ${clockTime(run.started_at)}`
          : run.finished_at
            ? `at ${clockTime(run.finished_at)}`
            : ''}
      </span>
      {run.state === 'running' && (
        <div className="run-progress">
          <progress
            aria-label={`${job.name} progress`}
            max={1}
            {...(fraction === null ? {} : { value: fraction })}
          />
          {run.total !== null && (
            <span className="small">
              {run.done ?? 0} of {run.total} steps{run.label ? ` — ${run.label}` : ''}
            </span>
          )}
        </div>
      )}
      {run.state === 'failed' && run.error && <div className="field-error small">{run.error}</div>}
    </div>
  );
}

export function JobActions({ job, afterDelete }: { job: ScheduledJob; afterDelete?: () => void }) {
  const { api, upsert, remove } = useJobs();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (what: string, call: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
    } catch (err) {
      const reason = describeError(err);
      setError(reason);
      notify('error', `${job.name} not ${what}: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  const runNow = () =>
    act('started', async () => {
      await api.runJob(job.job_id);
      notify('info', `${job.name}: run started`);
    });
  const pauseOrResume = () =>
    act(job.enabled ? 'paused' : 'resumed', async () => {
      const next = job.enabled ? await api.pauseJob(job.job_id) : await api.resumeJob(job.job_id);
      upsert(next);
      notify('success', `${job.name} ${next.enabled ? 'resumed' : 'paused'}`);
    });
  const del = () =>
    act('deleted', async () => {
      await api.deleteJob(job.job_id);
      remove(job.job_id);
      notify('success', `${job.name} deleted`);
      afterDelete?.();
    });

  return (
    <div className="row-actions">
      <button type="button" onClick={runNow} disabled={busy} aria-label={`Run ${job.name} now`}>
        Run now
      </button>
      <button
        type="button"
        className="secondary"
        onClick={pauseOrResume}
        disabled={busy}
        aria-label={`${job.enabled ? 'Pause' : 'Resume'} ${job.name}`}
      >
        {job.enabled ? 'Pause' : 'Resume'}
      </button>
      <a
        className="button-link secondary"
        href={href('scheduler', 'edit', job.job_id)}
        aria-label={`Edit ${job.name}`}
      >
        Edit
      </a>
      {confirming ? (
        <span className="confirm">
          <button type="button" className="danger" onClick={del} disabled={busy}>
            Delete {job.name}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          className="secondary"
          onClick={() => setConfirming(true)}
          disabled={busy}
          aria-label={`Delete ${job.name}…`}
        >
          Delete…
        </button>
      )}
      <ErrorAlert message={error} />
    </div>
  );
}

export function openJob(jobId: string): void {
  navigate('scheduler', 'job', jobId);
}
