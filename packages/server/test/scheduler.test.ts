// The scheduler end to end (issue 13): a real server, real timers, REST and WebSocket as a client sees them. Jobs
// here are `script` jobs (a test sequence; a `wait` step makes a run last as long as a test needs, with no
// instrument), so firings, policies and validation are tested on the real job path. Every event received is
// validated against its schema (TestClient). No assertion on wall-clock accuracy (bench/scheduler-accuracy.ts
// measures it); waits have generous deadlines.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let client: TestClient;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);

/** A script job that waits `seconds` (0: finishes at once). */
const waiting = (seconds: number) => ({
  schedule_type: 'script',
  parameters: { steps: [{ type: 'wait', seconds }] },
});

async function createJob(body: Json): Promise<Json> {
  const res = await api('/api/scheduler/jobs/create', { body: { name: 'test job', ...waiting(0), ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.job;
}

const eventsOf = (type: string, jobId: string) =>
  client.messages.filter((m: Msg) => m.type === type && m.data.job_id === jobId);
const waitEvents = (type: string, jobId: string, count: number, timeoutMs = 15_000) =>
  client.waitForCount((m: Msg) => m.type === type && m.data.job_id === jobId, count, timeoutMs);
const executionsOf = async (jobId: string): Promise<Json[]> =>
  (await api(`/api/scheduler/executions?job_id=${jobId}`)).body.executions;
const jobCount = async () => (await api('/api/scheduler/jobs')).body.count as number;

beforeAll(async () => {
  server = await startTestServer();
  client = await TestClient.open(`${server.url}/ws`);
  await client.waitFor((m) => m.type === 'welcome');
});

afterEach(async () => {
  for (const job of (await api('/api/scheduler/jobs')).body.jobs as Json[])
    await api(`/api/scheduler/jobs/${job.job_id}`, { method: 'DELETE' });
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
});

describe('timed firings', () => {
  it('a seconds-resolution cron job fires every second; job_started and job_completed reach a WebSocket client', async () => {
    const job = await createJob({ trigger_type: 'cron', cron_expression: '*/1 * * * * *' });
    expect(job.job_id).toMatch(/^job_[0-9a-f]{8}$/);
    expect(job.status).toBe('scheduled');
    expect(job.next_runs).toHaveLength(5);
    // Whole seconds, one apart.
    const times = job.next_runs.map((t: string) => Date.parse(t));
    expect(times.every((t: number) => t % 1000 === 0)).toBe(true);
    expect(times[1] - times[0]).toBe(1000);
    const created = await client.waitFor((m) => m.type === 'job_created' && m.data.job_id === job.job_id);
    expect(created.topic).toBe('scheduler');

    const started = await waitEvents('job_started', job.job_id, 2);
    const completed = await waitEvents('job_completed', job.job_id, 2);
    expect(started[0].data.trigger).toBe('schedule');
    expect(Date.parse(started[0].data.scheduled_time) % 1000).toBe(0);
    expect(completed[0].data.execution_id).toBe(started[0].data.execution_id);
    expect(completed[0].data.verdict).toBe('pass');
    // Stored before announced: the execution is there, completed.
    const exec = (await api(`/api/scheduler/executions/${completed[0].data.execution_id}`)).body.execution;
    expect(exec).toMatchObject({ status: 'completed', job_id: job.job_id, verdict: 'pass', error: null });
    expect(exec.trigger_info.kind).toBe('schedule');
    expect(exec.execution_id).toMatch(/^exec_[0-9a-f]{12}$/);
    expect(exec.steps).toHaveLength(1);
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).body.job.execution_count).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('an interval job fires at its interval from its creation', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1 });
    const created = Date.parse(job.created_at);
    expect(Date.parse(job.next_runs[0]) - created).toBe(1000);
    const started = await waitEvents('job_started', job.job_id, 2);
    const first = Date.parse(started[0].data.scheduled_time);
    expect((first - created) % 1000).toBe(0);
    await waitEvents('job_completed', job.job_id, 2);
  });

  it('a date job fires once, then is finished', async () => {
    const runDate = new Date(Date.now() + 1500).toISOString();
    const job = await createJob({ trigger_type: 'date', run_date: runDate });
    expect(job.next_runs).toEqual([runDate]);
    const [started] = await waitEvents('job_started', job.job_id, 1);
    expect(started.data.scheduled_time).toBe(runDate);
    await waitEvents('job_completed', job.job_id, 1);
    const finished = await client.waitFor(
      (m) => m.type === 'job_updated' && m.data.job_id === job.job_id && m.data.status === 'finished',
    );
    expect(finished.data.next_run).toBeNull();
    await sleep(1200);
    expect(eventsOf('job_started', job.job_id)).toHaveLength(1);
    const after = (await api(`/api/scheduler/jobs/${job.job_id}`)).body.job;
    expect(after).toMatchObject({ status: 'finished', next_runs: [], execution_count: 1 });
  });

  it('a run further away than a timer can wait (2^31 ms, 24.8 days) waits, in hops', async () => {
    const runDate = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const job = await createJob({ trigger_type: 'date', run_date: runDate });
    expect(job).toMatchObject({ status: 'scheduled', next_runs: [runDate] });
    await sleep(1000);
    expect(eventsOf('job_started', job.job_id)).toEqual([]);
  });

  it('max_executions: the job stops after that many scheduled runs', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1, max_executions: 2 });
    expect(job.next_runs).toHaveLength(2);
    await waitEvents('job_completed', job.job_id, 2);
    await client.waitFor(
      (m) => m.type === 'job_updated' && m.data.job_id === job.job_id && m.data.status === 'finished',
    );
    await sleep(1500);
    expect(eventsOf('job_started', job.job_id)).toHaveLength(2);
    const after = (await api(`/api/scheduler/jobs/${job.job_id}`)).body.job;
    expect(after).toMatchObject({ status: 'finished', execution_count: 2, next_runs: [] });
    // Run-now still works, and is not counted.
    await api(`/api/scheduler/jobs/${job.job_id}/run`, { method: 'POST' });
    await waitEvents('job_completed', job.job_id, 3);
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).body.job.execution_count).toBe(2);
  });
});

describe('run now', () => {
  it('answers at once with the execution id; the run continues and its events follow', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1, ...waiting(1.5) });
    const res = await api(`/api/scheduler/jobs/${job.job_id}/run`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: 'Job triggered' });
    const id = res.body.execution_id;
    // Still running when the answer came.
    const during = (await api(`/api/scheduler/executions/${id}`)).body.execution;
    expect(during.status).toBe('running');
    expect(during.trigger_info.kind).toBe('run_now');
    const running = (await api('/api/scheduler/running')).body;
    expect(running.running_jobs.map((r: Json) => r.execution_id)).toContain(id);
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).body.job.status).toBe('running');

    const started = await client.waitFor((m) => m.type === 'job_started' && m.data.execution_id === id);
    expect(started.data.trigger).toBe('run_now');
    const done = await client.waitFor((m) => m.type === 'job_completed' && m.data.execution_id === id);
    expect(done.data.duration_seconds).toBeGreaterThanOrEqual(1.4);
    const exec = (await api(`/api/scheduler/executions/${id}`)).body.execution;
    expect(exec.status).toBe('completed');
    expect(exec.duration_seconds).toBeGreaterThanOrEqual(1.4);
  });

  it('an unknown job is a 404', async () => {
    const res = await api('/api/scheduler/jobs/job_00000000/run', { method: 'POST' });
    expect(res.status).toBe(404);
  });
});

describe('conflict policies (a run lasts 2.5 s, the job fires every second)', () => {
  it('skip: the overlapping runs are recorded skipped with the reason', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1, ...waiting(2.5) });
    await waitEvents('job_started', job.job_id, 1);
    await sleep(2000);
    await api(`/api/scheduler/jobs/${job.job_id}/pause`, { method: 'POST' });
    const execs = await executionsOf(job.job_id);
    const skipped = execs.filter((e) => e.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped[0].error).toBe('Job already running (conflict_policy=skip)');
    expect(skipped[0].started_at).toBeNull();
    // Never two at once.
    expect(execs.filter((e) => e.status === 'running').length).toBeLessThanOrEqual(1);
  });

  it('queue: overlapping runs wait and run one after the other', async () => {
    const job = await createJob({
      trigger_type: 'interval',
      interval_seconds: 1,
      conflict_policy: 'queue',
      ...waiting(2),
    });
    await waitEvents('job_started', job.job_id, 1);
    await sleep(1500);
    await api(`/api/scheduler/jobs/${job.job_id}/pause`, { method: 'POST' });
    const pending = (await executionsOf(job.job_id)).filter((e) => e.status === 'pending');
    expect(pending.length).toBeGreaterThanOrEqual(1);
    // Each queued run starts when the one before ends.
    await client.waitFor((m) => m.type === 'job_started' && m.data.execution_id === pending[0].execution_id);
    const completed = await waitEvents('job_completed', job.job_id, 2, 20_000);
    const starts = eventsOf('job_started', job.job_id).map((m: Msg) => Date.parse(m.data.started_at));
    const ends = completed.map((m: Msg) => Date.parse(m.data.completed_at));
    expect(starts[1]).toBeGreaterThanOrEqual(ends[0] as number);
    expect((await executionsOf(job.job_id)).some((e) => e.status === 'skipped')).toBe(false);
  });

  it('replace: the running run is cancelled and the new one runs', async () => {
    const job = await createJob({
      trigger_type: 'interval',
      interval_seconds: 1,
      conflict_policy: 'replace',
      ...waiting(5),
    });
    const [first] = await waitEvents('job_started', job.job_id, 2);
    const failed = await client.waitFor(
      (m) => m.type === 'job_failed' && m.data.execution_id === first.data.execution_id,
    );
    expect(failed.data.status).toBe('cancelled');
    expect(failed.data.error).toMatch(/replaced by a newer run/);
    await api(`/api/scheduler/jobs/${job.job_id}/pause`, { method: 'POST' });
    const exec = (await api(`/api/scheduler/executions/${first.data.execution_id}`)).body.execution;
    expect(exec.status).toBe('cancelled');
    expect((await api('/api/scheduler/running')).body.count).toBeLessThanOrEqual(1);
  });
});

describe('edit, pause, resume, delete', () => {
  it('PUT emits job_updated and re-arms the job on its new trigger', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1 });
    const res = await api(`/api/scheduler/jobs/${job.job_id}`, {
      method: 'PUT',
      body: { interval_hours: null, interval_seconds: 1, name: 'every second' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.job.name).toBe('every second');
    expect(Date.parse(res.body.job.next_runs[0]) - Date.now()).toBeLessThanOrEqual(1000);
    const updated = await client.waitFor((m) => m.type === 'job_updated' && m.data.job_id === job.job_id);
    expect(updated.data).toMatchObject({ name: 'every second', enabled: true, status: 'scheduled' });
    await waitEvents('job_started', job.job_id, 1, 5000);
    // A refused edit changes nothing.
    const bad = await api(`/api/scheduler/jobs/${job.job_id}`, {
      method: 'PUT',
      body: { trigger_type: 'cron', cron_expression: 'not cron' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('cron_expression');
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).body.job.trigger_type).toBe('interval');
  });

  it('pause: no fire and job_updated; resume: fires again and job_updated', async () => {
    const job = await createJob({ trigger_type: 'cron', cron_expression: '* * * * * *' });
    await waitEvents('job_started', job.job_id, 1);
    const paused = await api(`/api/scheduler/jobs/${job.job_id}/pause`, { method: 'POST' });
    expect(paused.body.job).toMatchObject({ enabled: false, next_runs: [] });
    await client.waitFor(
      (m) => m.type === 'job_updated' && m.data.job_id === job.job_id && m.data.enabled === false,
    );
    await sleep(300); // a run started just before the pause is not a fire after it
    const before = eventsOf('job_started', job.job_id).length;
    await sleep(2200);
    expect(eventsOf('job_started', job.job_id)).toHaveLength(before);
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).body.job.status).toBe('paused');

    const resumed = await api(`/api/scheduler/jobs/${job.job_id}/resume`, { method: 'POST' });
    expect(resumed.body.job.enabled).toBe(true);
    await client.waitFor(
      (m) => m.type === 'job_updated' && m.data.job_id === job.job_id && m.data.enabled === true,
    );
    await waitEvents('job_started', job.job_id, before + 1, 5000);
    // Runs it would have had while paused were not made up.
    const execs = await executionsOf(job.job_id);
    expect(execs.filter((e) => e.trigger_info.kind === 'misfire')).toEqual([]);
  });

  it('delete cancels a running run, removes the job and its history, and emits job_deleted', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1, ...waiting(10) });
    const { execution_id } = (await api(`/api/scheduler/jobs/${job.job_id}/run`, { method: 'POST' })).body;
    await client.waitFor((m) => m.type === 'job_started' && m.data.execution_id === execution_id);
    const res = await api(`/api/scheduler/jobs/${job.job_id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    await client.waitFor((m) => m.type === 'job_deleted' && m.data.job_id === job.job_id);
    expect((await api(`/api/scheduler/jobs/${job.job_id}`)).status).toBe(404);
    expect((await api(`/api/scheduler/executions/${execution_id}`)).status).toBe(404);
    expect((await api('/api/scheduler/running')).body.count).toBe(0);
  });
});

describe('refused jobs store nothing', () => {
  const cases: [string, Json, string, number[]][] = [
    ['bad cron', { trigger_type: 'cron', cron_expression: '61 * * * *' }, 'cron_expression', [400, 422]],
    [
      'cron with 4 fields',
      { trigger_type: 'cron', cron_expression: '* * * *' },
      'cron_expression',
      [400, 422],
    ],
    [
      'cron that never fires',
      { trigger_type: 'cron', cron_expression: '0 0 30 2 *' },
      'cron_expression',
      [400, 422],
    ],
    ['cron without expression', { trigger_type: 'cron' }, 'cron_expression', [400, 422]],
    ['bad date', { trigger_type: 'date', run_date: '2026-13-45T10:00:00Z' }, 'run_date', [400, 422]],
    [
      'date without offset',
      { trigger_type: 'date', run_date: '2030-01-01T10:00:00' },
      'run_date',
      [400, 422],
    ],
    ['date in the past', { trigger_type: 'date', run_date: '2020-01-01T10:00:00Z' }, 'run_date', [400, 422]],
    ['date missing', { trigger_type: 'date' }, 'run_date', [400, 422]],
    ['daily without time_of_day', { trigger_type: 'daily' }, 'time_of_day', [400, 422]],
    ['daily at 25:00', { trigger_type: 'daily', time_of_day: '25:00' }, 'time_of_day', [400, 422]],
    ['weekly without day', { trigger_type: 'weekly', time_of_day: '08:30' }, 'day_of_week', [400, 422]],
    ['monthly without day', { trigger_type: 'monthly', time_of_day: '08:30' }, 'day_of_month', [400, 422]],
    ['interval without interval', { trigger_type: 'interval' }, 'interval_seconds', [400, 422]],
    [
      'interval under a second',
      { trigger_type: 'interval', interval_seconds: 0.5 },
      'interval_seconds',
      [400, 422],
    ],
    [
      'unknown time zone',
      { trigger_type: 'daily', time_of_day: '08:00', timezone: 'Mars/Olympus' },
      'timezone',
      [400, 422],
    ],
    [
      'end before start',
      {
        trigger_type: 'interval',
        interval_seconds: 5,
        start_date: '2031-01-02T00:00:00Z',
        end_date: '2031-01-01T00:00:00Z',
      },
      'end_date',
      [400, 422],
    ],
    [
      'unknown equipment',
      {
        trigger_type: 'interval',
        interval_seconds: 5,
        schedule_type: 'command',
        equipment_id: 'ps_nope',
        parameters: { command: 'get_readings' },
      },
      'equipment_id',
      [404, 422],
    ],
    [
      'command without equipment',
      {
        trigger_type: 'interval',
        interval_seconds: 5,
        schedule_type: 'command',
        parameters: { command: 'get_readings' },
      },
      'equipment_id',
      [400, 422],
    ],
    [
      'unknown profile',
      { trigger_type: 'interval', interval_seconds: 5, profile_id: 'no such profile' },
      'profile_id',
      [404, 422],
    ],
    [
      'bad step',
      {
        trigger_type: 'interval',
        interval_seconds: 5,
        parameters: { steps: [{ type: 'wait', seconds: -1 }] },
      },
      'parameters.steps[0].seconds',
      [400, 422],
    ],
    ['bad enum', { trigger_type: 'hourly' }, 'trigger_type', [400]],
  ];
  for (const [what, body, field, statuses] of cases) {
    it(`${what} → ${statuses.join('/')} naming ${field}`, async () => {
      const before = await jobCount();
      const res = await api('/api/scheduler/jobs/create', {
        body: { name: 'refused', ...waiting(0), ...body },
      });
      expect(statuses, JSON.stringify(res.body)).toContain(res.status);
      expect(res.body.field).toBe(field);
      expect(await jobCount()).toBe(before);
    });
  }
});

describe('trigger preview, history, statistics', () => {
  it('describes a trigger in words with its next five runs', async () => {
    const cases: [Json, string][] = [
      [{ trigger_type: 'cron', cron_expression: '*/5 * * * * *' }, 'every 5 seconds'],
      [{ trigger_type: 'cron', cron_expression: '30 8 * * 1' }, 'at 08:30 on Monday'],
      [{ trigger_type: 'daily', time_of_day: '07:15' }, 'at 07:15 every day'],
      [{ trigger_type: 'weekly', time_of_day: '08:30', day_of_week: 0 }, 'at 08:30 on Monday'],
      [{ trigger_type: 'monthly', time_of_day: '00:00', day_of_month: 1 }, 'at 00:00 on day 1 of the month'],
      [{ trigger_type: 'interval', interval_minutes: 90 }, 'every 1 hour 30 minutes'],
    ];
    for (const [body, words] of cases) {
      const res = await api('/api/scheduler/triggers/preview', { body: { timezone: 'UTC', ...body } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.description).toBe(words);
      expect(res.body.next_runs).toHaveLength(5);
    }
    const weekly = await api('/api/scheduler/triggers/preview', {
      body: { trigger_type: 'weekly', time_of_day: '08:30', day_of_week: 0, timezone: 'Europe/Berlin' },
    });
    for (const t of weekly.body.next_runs) {
      const d = new Date(t);
      expect(d.getUTCDay()).toBe(1);
      expect([6, 7]).toContain(d.getUTCHours()); // 08:30 Berlin is 07:30 UTC in winter, 06:30 in summer
    }
    const bad = await api('/api/scheduler/triggers/preview', { body: { trigger_type: 'daily' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('time_of_day');
  });

  it('history and statistics count the runs', async () => {
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1 });
    for (let i = 0; i < 2; i++) {
      const { execution_id } = (await api(`/api/scheduler/jobs/${job.job_id}/run`, { method: 'POST' })).body;
      await client.waitFor((m) => m.type === 'job_completed' && m.data.execution_id === execution_id);
    }
    const history = (await api(`/api/scheduler/jobs/${job.job_id}/history`)).body.history;
    expect(history).toMatchObject({
      job_id: job.job_id,
      job_name: 'test job',
      total_executions: 2,
      successful: 2,
      failed: 0,
      last_status: 'completed',
      last_verdict: 'pass',
    });
    expect(history.recent).toHaveLength(2);
    expect(history.next_run).toBe(job.next_runs[0]);
    const stats = (await api('/api/scheduler/statistics')).body.statistics;
    expect(stats.total_jobs).toBeGreaterThanOrEqual(1);
    expect(stats.successful_today).toBeGreaterThanOrEqual(2);
    expect(stats.by_type.script).toBeGreaterThanOrEqual(1);
    expect(stats.upcoming_jobs.map((u: Json) => u.job_id)).toContain(job.job_id);
    const list = (await api('/api/scheduler/executions?limit=1')).body;
    expect(list.count).toBe(1);
  });
});
