// Beside "Scheduler" in the navigation, from every panel: how many jobs are running now. It is also what tells
// people that a job failed wherever they are in the app: a desktop notification (unless turned off in the panel;
// the browser's permission is asked from a click there).

import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { navigate } from '../../app/router';
import { notificationPermission, showDesktopNotification } from '../alarms/alerts';
import { failureNotice, loadJobAlerts } from './model';

const storage = () => (typeof localStorage === 'undefined' ? undefined : localStorage);

export function SchedulerBadge() {
  const { rest: api } = useClient();
  /** Running executions by id. */
  const [running, setRunning] = useState<ReadonlySet<string>>(new Set());
  const ended = useRef(new Set<string>());
  const announced = useRef(new Set<string>());

  /** Runs started while a read was under way (its answer may not have them yet). */
  const startedDuringRead = useRef<Set<string> | null>(null);

  const refresh = useCallback(() => {
    const started = new Set<string>();
    startedDuringRead.current = started;
    api
      .runningJobs()
      .then((list) => {
        if (startedDuringRead.current !== started) return; // a newer read is under way
        startedDuringRead.current = null;
        const ids = [...list.map((r) => r.execution_id), ...started];
        setRunning(new Set(ids.filter((id) => !ended.current.has(id))));
      })
      .catch(() => {
        // No scheduler answer: no count; the panel says why.
      });
  }, [api]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 10_000);

  useServerEvent('job_started', (data) => {
    const id = data.execution_id;
    if (typeof id !== 'string' || ended.current.has(id)) return;
    startedDuringRead.current?.add(id);
    setRunning((all) => new Set(all).add(id));
  });
  const end = (data: Record<string, unknown>) => {
    const id = data.execution_id;
    if (typeof id !== 'string') return;
    ended.current.add(id);
    setRunning((all) => {
      if (!all.has(id)) return all;
      const next = new Set(all);
      next.delete(id);
      return next;
    });
  };
  useServerEvent('job_completed', end);
  useServerEvent('job_failed', (data) => {
    end(data);
    const id = data.execution_id;
    const jobId = data.job_id;
    if (typeof id !== 'string' || typeof jobId !== 'string' || data.status === 'cancelled') return;
    if (announced.current.has(id)) return;
    announced.current.add(id);
    if (!loadJobAlerts(storage()).desktop || notificationPermission() !== 'granted') return;
    const error = typeof data.error === 'string' ? data.error : null;
    api
      .getJob(jobId)
      .then((job) => job.name)
      .catch(() => jobId)
      .then((name) => {
        const { title, body } = failureNotice(name, error);
        showDesktopNotification(title, body, id, () => navigate('scheduler', 'job', jobId));
      });
  });

  const count = running.size;
  if (count === 0) return null;
  return (
    <span
      className="nav-count"
      data-testid="scheduler-badge"
      data-count={count}
      title={`${count} job${count === 1 ? '' : 's'} running`}
    >
      <span aria-hidden="true">{count}</span>
      <span className="visually-hidden">
        {count} job{count === 1 ? '' : 's'} running
      </span>
    </span>
  );
}
