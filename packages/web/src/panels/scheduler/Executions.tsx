// Runs of jobs, newest first: when each was due and how it came about, its status and verdict, how long it took,
// its result or error, and — opened — each step's verdict of a test sequence, the result in full and the log.
// A failed run opens by itself so that the failing step shows. Lists re-read themselves on every run event.

import { useCallback, useEffect, useId, useState } from 'react';
import { useResync } from '../../app/client';
import { href } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { formatSi, siNumber } from '../../lib/format';
import { StatusBadge, VerdictBadge } from './JobControls';
import { dateTimeText, durationText, resultText, triggerKindText } from './model';
import type { ExecutionStatus, JobExecution, StepVerdict } from './types';
import { useJobs } from './useJobs';

const LIMIT = 100;

/** The executions of one job (or of all), re-read on each run event and after a reconnect. */
export function useExecutions(jobId: string | null, status: ExecutionStatus | '' = '') {
  const { api, runEvents } = useJobs();
  const [executions, setExecutions] = useState<JobExecution[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api
      .listExecutions({ ...(jobId ? { job_id: jobId } : {}), ...(status ? { status } : {}), limit: LIMIT })
      .then((list) => {
        setExecutions(list);
        setError(null);
      })
      .catch((err) => setError(`Could not load the runs: ${describeError(err)}`));
  }, [api, jobId, status]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runEvents is the signal to read again
  useEffect(load, [load, runEvents]);
  useResync(load, 10_000);
  return { executions, error };
}

export function AllRuns() {
  const [status, setStatus] = useState<ExecutionStatus | ''>('');
  const { executions, error } = useExecutions(null, status);
  const statusId = useId();
  return (
    <section aria-label="Run history" className="scheduler-history">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div className="form-field">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            value={status}
            onChange={(e) => setStatus(e.target.value as ExecutionStatus | '')}
          >
            <option value="">Any</option>
            {(['completed', 'failed', 'running', 'skipped', 'cancelled', 'pending'] as const).map((s) => (
              <option key={s} value={s}>
                {s.charAt(0).toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorAlert message={error} />
      {executions && <ExecutionTable executions={executions} showJob label="Runs of every job" />}
    </section>
  );
}

export function ExecutionTable({
  executions,
  showJob = false,
  label,
}: {
  executions: JobExecution[];
  showJob?: boolean;
  label: string;
}) {
  const { jobs } = useJobs();
  if (executions.length === 0) return <p className="muted">No runs yet.</p>;
  const jobName = (id: string) => jobs.find((j) => j.job_id === id)?.name ?? id;
  return (
    <div className="table-scroll">
      <table className="data-table executions" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Due</th>
            {showJob && <th scope="col">Job</th>}
            <th scope="col">How</th>
            <th scope="col">Status</th>
            <th scope="col">Verdict</th>
            <th scope="col">Took</th>
            <th scope="col">Result or error</th>
          </tr>
        </thead>
        <tbody>
          {executions.map((e) => (
            <ExecutionRow
              key={e.execution_id}
              execution={e}
              jobName={showJob ? jobName(e.job_id) : null}
              columns={showJob ? 7 : 6}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExecutionRow({
  execution: e,
  jobName,
  columns,
}: {
  execution: JobExecution;
  jobName: string | null;
  columns: number;
}) {
  const failed = e.status === 'failed';
  // Open by itself once failed (the row may first show the run still running), until someone chooses.
  const [chosen, setOpen] = useState<boolean | null>(null);
  const open = chosen ?? failed;
  const hasDetail = (e.steps?.length ?? 0) > 0 || !!e.output || e.result !== null;
  return (
    <>
      <tr data-execution={e.execution_id} data-status={e.status} aria-label={`Run ${e.execution_id}`}>
        <th scope="row" className="small">
          {dateTimeText(e.scheduled_time)}
          {e.actual_time && e.actual_time !== e.scheduled_time && (
            <div className="muted">started {dateTimeText(e.actual_time)}</div>
          )}
        </th>
        {jobName !== null && (
          <td>
            <a href={href('scheduler', 'job', e.job_id)}>{jobName}</a>
          </td>
        )}
        <td className="small">
          {triggerKindText(e.trigger_info)}
          {e.trigger_info?.reason && <div className="muted">{e.trigger_info.reason}</div>}
        </td>
        <td>
          <StatusBadge status={e.status} />
        </td>
        <td>
          <VerdictBadge verdict={e.verdict} />
        </td>
        <td className="num small">{durationText(e.duration_seconds)}</td>
        <td className="small result-cell">
          {e.error ? (
            <span className="field-error" data-testid="run-error">
              {e.error}
            </span>
          ) : (
            <span className="mono">{resultText(e.result, 120)}</span>
          )}
          {hasDetail && (
            <div>
              <button
                type="button"
                className="secondary small-button"
                aria-expanded={open}
                onClick={() => setOpen(!open)}
              >
                {open ? 'Hide details' : 'Details'}
              </button>
            </div>
          )}
        </td>
      </tr>
      {open && hasDetail && (
        <tr className="execution-detail">
          <td colSpan={columns}>
            {e.steps && e.steps.length > 0 && <StepVerdicts steps={e.steps} executionId={e.execution_id} />}
            {e.result !== null && e.result !== undefined && (
              <details>
                <summary>Result</summary>
                <pre className="run-output">{JSON.stringify(e.result, null, 2)}</pre>
              </details>
            )}
            {e.output && (
              <details open={failed}>
                <summary>Log</summary>
                <pre className="run-output">{e.output}</pre>
              </details>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function valueText(v: number | null | undefined, unit: string | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return unit ? formatSi(v, unit, 5) : siNumber(v, 5);
}

function limitsText(s: StepVerdict): string {
  const low = s.low ?? null;
  const high = s.high ?? null;
  if (low === null && high === null) return '';
  if (low !== null && high !== null) return `${valueText(low, s.unit)} … ${valueText(high, s.unit)}`;
  return low !== null ? `≥ ${valueText(low, s.unit)}` : `≤ ${valueText(high, s.unit)}`;
}

export function StepVerdicts({ steps, executionId }: { steps: StepVerdict[]; executionId: string }) {
  return (
    <table className="data-table compact step-verdicts" aria-label={`Steps of run ${executionId}`}>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Type</th>
          <th scope="col">Verdict</th>
          <th scope="col">Value</th>
          <th scope="col">Limits</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s, i) => (
          <tr
            // biome-ignore lint/suspicious/noArrayIndexKey: a run's steps never reorder
            key={i}
            aria-label={s.label ?? s.path}
            data-verdict={s.verdict ?? ''}
            className={s.verdict === 'fail' || s.verdict === 'error' ? 'step-failed' : undefined}
          >
            <th scope="row">
              {s.label ?? s.path}
              <div className="muted small mono">{s.path}</div>
            </th>
            <td>{s.type}</td>
            <td>
              <VerdictBadge verdict={s.verdict} />
            </td>
            <td className="num">{valueText(s.value, s.unit)}</td>
            <td className="small">{limitsText(s) || '—'}</td>
            <td className="small">{s.message ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
