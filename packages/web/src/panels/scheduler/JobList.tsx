// Every job: what it does, when it fires, its status and next run, what its latest run is doing now, and the
// actions. Rows change live as the server's job events arrive.

import { useCan } from '../../app/auth';
import { href } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInstruments } from '../alarms/useEquipmentNames';
import { ScheduleFigures } from './Figures';
import { JobActions, RunStatus, StatusBadge } from './JobControls';
import { dateTimeText, SCHEDULE_TYPE_TEXT, triggerSummary } from './model';
import { useJobs } from './useJobs';

export function JobList() {
  const { jobs, loaded, error, live } = useJobs();
  const instruments = useInstruments();
  const canCreate = useCan('operator');
  return (
    <section aria-label="Scheduled jobs" className="scheduler-jobs">
      <div className="toolbar">
        {canCreate && (
          <a className="button-link" href={href('scheduler', 'new')}>
            New job
          </a>
        )}
        <span className="muted small">
          {jobs.length} job{jobs.length === 1 ? '' : 's'}
        </span>
      </div>
      <ErrorAlert message={error} />
      {jobs.length > 0 && <ScheduleFigures />}
      {loaded && jobs.length === 0 && (
        <p className="muted">
          No jobs yet. A job runs a test sequence, a measurement, a command or another task on a schedule.
        </p>
      )}
      {jobs.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">When</th>
                <th scope="col">Status</th>
                <th scope="col">Next run</th>
                <th scope="col">Latest run</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr
                  key={job.job_id}
                  aria-label={job.name}
                  data-job-id={job.job_id}
                  data-status={job.status}
                  className={job.enabled ? undefined : 'disabled-row'}
                >
                  <th scope="row">
                    <a href={href('scheduler', 'job', job.job_id)}>{job.name}</a>
                    {job.description && <div className="muted small">{job.description}</div>}
                  </th>
                  <td>
                    {SCHEDULE_TYPE_TEXT[job.schedule_type] ?? job.schedule_type}
                    {job.equipment_id && (
                      <div className="muted small">{instruments.name(job.equipment_id)}</div>
                    )}
                  </td>
                  <td className="small">{triggerSummary(job)}</td>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td className="small" data-testid="next-run">
                    {job.next_runs[0] ? dateTimeText(job.next_runs[0]) : '—'}
                  </td>
                  <td className="small">
                    <RunStatus job={job} run={live[job.job_id]} />
                  </td>
                  <td>
                    <JobActions job={job} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
