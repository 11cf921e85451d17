// The jobs the panel shows and what their runs are doing now: the list loaded over REST, kept current by the
// server's job_* events without a reload (a job's summary event re-reads that job for its next runs), the runs in
// progress from GET /running and then from job_started / job_progress / job_completed / job_failed, and a re-read
// after a reconnect (events may have been missed).

import type { RestApi } from '@lablink/client';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { describeError } from '../../lib/errors';
import { applyRunEvent, JOB_RUN_EVENTS, type LiveRuns, seedLiveRuns, sortJobs } from './model';

/** Runs read to show each job's latest (newest first, across jobs). */
const RECENT_RUNS = 200;

import type { ScheduledJob } from './types';

export interface Jobs {
  /** The SDK's REST calls (the scheduler's among them). */
  api: RestApi;
  jobs: ScheduledJob[];
  loaded: boolean;
  error: string | null;
  /** The latest run of each job the page has heard of, by job id. */
  live: LiveRuns;
  refresh(): void;
  /** Puts the server's copy of a job (after create, edit, pause …) in the list at once. */
  upsert(job: ScheduledJob): void;
  remove(jobId: string): void;
  /** Bumped on every run event, so that histories re-read themselves. */
  runEvents: number;
}

const JobsContext = createContext<Jobs | null>(null);

export function useJobs(): Jobs {
  const value = useContext(JobsContext);
  if (!value) throw new Error('useJobs outside <JobsProvider>');
  return value;
}

export function JobsProvider({ children }: { children: ReactNode }) {
  const { rest } = useClient();
  const api = rest;
  const [jobs, setJobsState] = useState<ScheduledJob[]>([]);
  const current = useRef<ScheduledJob[]>([]);
  const setJobs = useCallback((next: ScheduledJob[]) => {
    current.current = sortJobs(next);
    setJobsState(current.current);
  }, []);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [live, setLiveState] = useState<LiveRuns>({});
  const liveRef = useRef<LiveRuns>({});
  const setLive = useCallback((next: LiveRuns) => {
    liveRef.current = next;
    setLiveState(next);
  }, []);
  const [runEvents, setRunEvents] = useState(0);
  const generation = useRef(0);
  /** A read is under way: an event meanwhile may be missing from its answer, which is then read again. */
  const reading = useRef(false);

  const refresh = useCallback(() => {
    const mine = ++generation.current;
    reading.current = true;
    Promise.all([
      api.listJobs(),
      api.runningJobs().catch(() => []),
      api.listExecutions({ limit: RECENT_RUNS }).catch(() => []),
    ])
      .then(([list, running, recent]) => {
        if (mine !== generation.current) return; // a newer read is under way
        reading.current = false;
        setJobs(list);
        // Each job's latest run from the history, then the progress of those running now.
        let next = seedLiveRuns(liveRef.current, recent);
        for (const run of running) {
          next = applyRunEvent(next, 'job_started', {
            job_id: run.job_id,
            execution_id: run.execution_id,
            started_at: run.started_at,
          });
          if (run.progress) next = applyRunEvent(next, 'job_progress', { ...run });
        }
        setLive(next);
        setLoaded(true);
        setError(null);
      })
      .catch((err) => {
        if (mine !== generation.current) return;
        reading.current = false;
        setError(`Could not load the jobs: ${describeError(err)}`);
      });
  }, [api, setJobs, setLive]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 5000);

  const upsert = useCallback(
    (job: ScheduledJob) => {
      const all = current.current;
      setJobs(
        all.some((j) => j.job_id === job.job_id)
          ? all.map((j) => (j.job_id === job.job_id ? job : j))
          : [...all, job],
      );
    },
    [setJobs],
  );
  const remove = useCallback(
    (jobId: string) => {
      setJobs(current.current.filter((j) => j.job_id !== jobId));
      setLive(applyRunEvent(liveRef.current, 'job_deleted', { job_id: jobId }));
    },
    [setJobs, setLive],
  );

  /** Re-reads one job (its status, next runs and count change with each event). */
  const reread = (jobId: string) => {
    api
      .getJob(jobId)
      .then(upsert)
      .catch(() => {
        // Deleted meanwhile: its job_deleted takes it off the list.
      });
  };

  const onSummary = (data: Record<string, unknown>) => {
    if (typeof data.job_id === 'string') reread(data.job_id);
    if (reading.current) refresh();
  };
  useServerEvent('job_created', onSummary);
  useServerEvent('job_updated', onSummary);
  useServerEvent('job_deleted', (data) => {
    if (typeof data.job_id === 'string') remove(data.job_id);
    if (reading.current) refresh();
  });
  const onRun = (type: string) => (data: Record<string, unknown>) => {
    setLive(applyRunEvent(liveRef.current, type, data));
    if (type !== 'job_progress') {
      setRunEvents((n) => n + 1);
      if (typeof data.job_id === 'string') reread(data.job_id);
      if (reading.current) refresh();
    }
  };
  useServerEvent(JOB_RUN_EVENTS[0], onRun(JOB_RUN_EVENTS[0]));
  useServerEvent(JOB_RUN_EVENTS[1], onRun(JOB_RUN_EVENTS[1]));
  useServerEvent(JOB_RUN_EVENTS[2], onRun(JOB_RUN_EVENTS[2]));
  useServerEvent(JOB_RUN_EVENTS[3], onRun(JOB_RUN_EVENTS[3]));

  const value = useMemo<Jobs>(
    () => ({ api, jobs, loaded, error, live, refresh, upsert, remove, runEvents }),
    [api, jobs, loaded, error, live, refresh, upsert, remove, runEvents],
  );
  return <JobsContext.Provider value={value}>{children}</JobsContext.Provider>;
}
