// Figures at a glance: across jobs (GET /statistics: jobs, runs today, passed, failed, skipped, running now) and for
// one job (GET /jobs/{id}/history: runs, passed, failed, average duration). Re-read on every run event.

import type { JobHistory, ScheduleStatistics } from '@lablink/client';
import { useCallback, useEffect, useState } from 'react';
import { useResync } from '../../app/client';
import { durationText } from './model';
import { useJobs } from './useJobs';

function Figure({ label, value, warn }: { label: string; value: number | string; warn?: boolean }) {
  return (
    <div className={`figure${warn ? ' figure-warn' : ''}`}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function ScheduleFigures() {
  const { api, runEvents, jobs } = useJobs();
  const [stats, setStats] = useState<ScheduleStatistics | null>(null);
  const load = useCallback(() => {
    api
      .schedulerStatistics()
      .then(setStats)
      .catch(() => {
        // The figures are a summary: the lists below say what went wrong.
      });
  }, [api]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: run events and job changes are the signal to read again
  useEffect(load, [load, runEvents, jobs.length]);
  useResync(load, 10_000);
  if (!stats) return null;
  return (
    <dl className="figures" aria-label="Scheduler figures">
      <Figure label="Jobs (active)" value={`${stats.total_jobs} (${stats.active_jobs})`} />
      <Figure label="Running now" value={stats.running_executions} />
      <Figure label="Runs today (UTC)" value={stats.total_executions_today} />
      <Figure label="Completed today" value={stats.successful_today} />
      <Figure label="Failed today" value={stats.failed_today} warn={stats.failed_today > 0} />
      <Figure label="Skipped today" value={stats.skipped_today} />
    </dl>
  );
}

export function JobFigures({ jobId }: { jobId: string }) {
  const { api, runEvents } = useJobs();
  const [history, setHistory] = useState<JobHistory | null>(null);
  const load = useCallback(() => {
    api
      .jobHistory(jobId)
      .then(setHistory)
      .catch(() => {
        // The runs table below says what went wrong.
      });
  }, [api, jobId]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: run events are the signal to read again
  useEffect(load, [load, runEvents]);
  useResync(load, 10_000);
  if (!history) return null;
  return (
    <dl className="figures" aria-label={`Figures of ${history.job_name}`}>
      <Figure label="Runs (30 days)" value={history.total_executions} />
      <Figure label="Completed" value={history.successful} />
      <Figure label="Failed" value={history.failed} warn={history.failed > 0} />
      <Figure label="Skipped or cancelled" value={history.skipped + history.cancelled} />
      <Figure label="Average duration" value={durationText(history.average_duration)} />
    </dl>
  );
}
