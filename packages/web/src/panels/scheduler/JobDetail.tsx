// One job: what it does and when, its next five runs, what its latest run is doing now (live, with the
// sequence's progress), the actions, and the history of its runs with their verdicts, results and errors.

import { href, navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInstruments } from '../alarms/useEquipmentNames';
import { ExecutionTable, useExecutions } from './Executions';
import { JobFigures } from './Figures';
import { JobActions, RunStatus, StatusBadge } from './JobControls';
import {
  CONFLICT_POLICY_OPTIONS,
  dateTimeText,
  SCHEDULE_TYPE_TEXT,
  stepSummary,
  triggerSummary,
} from './model';
import { useJobs } from './useJobs';

export function JobDetail({ jobId }: { jobId: string }) {
  const { jobs, loaded, live } = useJobs();
  const instruments = useInstruments();
  const job = jobs.find((j) => j.job_id === jobId);
  const { executions, error } = useExecutions(jobId);
  if (!job) {
    return loaded ? (
      <p className="notice">
        There is no job {jobId} (any more). <a href={href('scheduler')}>Back to the jobs</a>
      </p>
    ) : (
      <p className="muted">Loading…</p>
    );
  }
  const steps =
    job.schedule_type === 'script' && Array.isArray(job.parameters.steps) ? job.parameters.steps : null;
  const cleanup =
    job.schedule_type === 'script' && Array.isArray(job.parameters.cleanup) ? job.parameters.cleanup : null;
  return (
    <section aria-label={`Job ${job.name}`} className="job-detail">
      <p>
        <a href={href('scheduler')}>← All jobs</a>
      </p>
      <div className="card">
        <div className="card-header">
          <h3>{job.name}</h3>
          <StatusBadge status={job.status} />
        </div>
        {job.description && <p>{job.description}</p>}
        <dl className="facts">
          <dt>Does</dt>
          <dd>
            {SCHEDULE_TYPE_TEXT[job.schedule_type] ?? job.schedule_type}
            {steps ? ` (${steps.length} step${steps.length === 1 ? '' : 's'})` : ''}
          </dd>
          <dt>Instrument</dt>
          <dd>{instruments.name(job.equipment_id)}</dd>
          <dt>When</dt>
          <dd>
            {triggerSummary(job)} <span className="muted small">({job.timezone})</span>
          </dd>
          {(job.start_date || job.end_date) && (
            <>
              <dt>Between</dt>
              <dd>
                {dateTimeText(job.start_date)} and {dateTimeText(job.end_date)}
              </dd>
            </>
          )}
          <dt>Scheduled runs so far</dt>
          <dd>
            {job.execution_count}
            {job.max_executions !== null ? ` of at most ${job.max_executions}` : ''}
          </dd>
          <dt>If still running</dt>
          <dd>
            {CONFLICT_POLICY_OPTIONS.find((o) => o.value === job.conflict_policy)?.label ??
              job.conflict_policy}
          </dd>
          {job.on_failure_alarm && (
            <>
              <dt>On failure</dt>
              <dd>raises an alarm</dd>
            </>
          )}
          {job.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>{job.tags.join(', ')}</dd>
            </>
          )}
        </dl>
        {steps && steps.length > 0 && (
          <details className="job-steps">
            <summary>The steps</summary>
            <StepOutline steps={steps} label={`Steps of ${job.name}`} />
            {cleanup && cleanup.length > 0 && (
              <>
                <p className="small">Clean-up, whatever happened:</p>
                <StepOutline steps={cleanup} label={`Clean-up steps of ${job.name}`} />
              </>
            )}
          </details>
        )}
        <h4>Next runs</h4>
        {job.next_runs.length === 0 ? (
          <p className="muted small">None{job.enabled ? '' : ' (paused)'}</p>
        ) : (
          <ol aria-label={`Next runs of ${job.name}`} className="next-runs">
            {job.next_runs.map((t) => (
              <li key={t}>
                <time dateTime={t}>{dateTimeText(t)}</time>
              </li>
            ))}
          </ol>
        )}
        <h4>Latest run</h4>
        <RunStatus job={job} run={live[job.job_id]} />
        <JobActions job={job} afterDelete={() => navigate('scheduler')} />
      </div>
      <h3>Runs</h3>
      <JobFigures jobId={job.job_id} />
      <ErrorAlert message={error} />
      {executions && <ExecutionTable executions={executions} label={`Runs of ${job.name}`} />}
    </section>
  );
}

/** A sequence's steps in words, nested as repeats nest them. */
function StepOutline({ steps, label }: { steps: unknown[]; label?: string }) {
  return (
    <ol className="step-outline" aria-label={label}>
      {steps.map((step, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a stored sequence's steps do not move here
        <li key={i}>
          <span className="mono small">{stepSummary(step)}</span>
          {typeof step === 'object' &&
            step !== null &&
            Array.isArray((step as { steps?: unknown }).steps) && (
              <StepOutline steps={(step as { steps: unknown[] }).steps} />
            )}
        </li>
      ))}
    </ol>
  );
}
