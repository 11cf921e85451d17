// The scheduler across server restarts (issue 13): the same data directory, a new server. Jobs come back armed;
// runs missed while the server was down are handled by the misfire policy (run once when coalesced, each in turn
// when not, recorded `skipped` with the reason beyond misfire_grace_time); a run cut by the restart is `failed`
// with the reason. Jobs are `script` jobs (a `wait` step sets how long a run lasts; no instrument needed).

import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerStore } from '../src/scheduler/store.js';
import { http, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waiting = (seconds: number) => ({
  schedule_type: 'script',
  parameters: { steps: [{ type: 'wait', seconds }] },
});

let data: ReturnType<typeof tempDir>;
let server: TestServer | undefined;
let client: TestClient | undefined;

const api = (path: string, init?: Parameters<typeof http>[1]) =>
  http(`${(server as TestServer).url}${path}`, init);

async function start(): Promise<TestClient> {
  server = await startTestServer({}, data.dir);
  const c = await TestClient.open(`${server.url}/ws`);
  await c.waitFor((m) => m.type === 'welcome');
  client = c;
  return c;
}

async function stop(): Promise<void> {
  await client?.close();
  client = undefined;
  await server?.stop();
  server = undefined;
}

async function createJob(body: Json): Promise<Json> {
  const res = await api('/api/scheduler/jobs/create', {
    body: { name: 'restart job', ...waiting(0), ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.job;
}

const executionsOf = async (jobId: string): Promise<Json[]> =>
  (await api(`/api/scheduler/executions?job_id=${jobId}`)).body.executions;

afterEach(async () => {
  await stop();
  data?.remove();
});

describe('restart', () => {
  it('resumes the jobs; missed runs within the grace time run once (coalesce)', async () => {
    data = tempDir();
    await start();
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1, misfire_grace_time: 300 });
    await (client as TestClient).waitFor((m) => m.type === 'job_completed' && m.data.job_id === job.job_id);
    await stop();
    await sleep(3200); // three or four runs missed

    const c = await start();
    const listed = (await api(`/api/scheduler/jobs/${job.job_id}`)).body.job;
    expect(listed).toMatchObject({ name: 'restart job', enabled: true });
    const execs = await executionsOf(job.job_id);
    const misfires = execs.filter((e) => e.trigger_info.kind === 'misfire');
    // One run stands for all the missed ones.
    expect(misfires).toHaveLength(1);
    expect(misfires[0].trigger_info.missed).toBeGreaterThanOrEqual(3);
    expect(['running', 'completed']).toContain(misfires[0].status);
    expect(execs.filter((e) => e.status === 'skipped')).toEqual([]);
    // And the schedule goes on.
    const next = await c.waitFor(
      (m: Msg) => m.type === 'job_started' && m.data.job_id === job.job_id && m.data.trigger === 'schedule',
      { timeoutMs: 5000 },
    );
    expect(Date.parse(next.data.scheduled_time) % 1000).toBe(Date.parse(job.next_runs[0]) % 1000);
  });

  it('coalesce off: each missed run within the grace time runs, in turn', async () => {
    data = tempDir();
    await start();
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1, coalesce: false });
    await (client as TestClient).waitFor((m) => m.type === 'job_started' && m.data.job_id === job.job_id);
    await stop();
    await sleep(2500);
    await start();
    // The missed runs were handled as the server started (before any client could connect): read them back.
    let misfires: Json[] = [];
    for (let i = 0; i < 50 && misfires.length < 2; i++) {
      misfires = (await executionsOf(job.job_id)).filter(
        (e) => e.trigger_info.kind === 'misfire' && e.status === 'completed',
      );
      await sleep(100);
    }
    expect(misfires.length).toBeGreaterThanOrEqual(2);
    const times = misfires.map((e) => Date.parse(e.scheduled_time)).sort((a, b) => a - b);
    expect((times[1] as number) - (times[0] as number)).toBe(1000);
    expect(misfires.every((e) => e.trigger_info.missed === 1)).toBe(true);
  });

  it('missed runs beyond misfire_grace_time are recorded skipped with the reason', async () => {
    data = tempDir();
    await start();
    const job = await createJob({ trigger_type: 'interval', interval_seconds: 1, misfire_grace_time: 0 });
    await (client as TestClient).waitFor((m) => m.type === 'job_started' && m.data.job_id === job.job_id);
    await stop();
    await sleep(2500);
    await start();
    const execs = await executionsOf(job.job_id);
    const skipped = execs.filter((e) => e.status === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0].trigger_info).toMatchObject({ kind: 'misfire' });
    expect(skipped[0].trigger_info.missed).toBeGreaterThanOrEqual(2);
    expect(skipped[0].error).toMatch(/missed while the server was down.*misfire_grace_time, 0 s/);
    expect(execs.filter((e) => e.trigger_info.kind === 'misfire' && e.status !== 'skipped')).toEqual([]);
  });

  it('a run cut by the restart is failed with the reason; a paused job stays paused', async () => {
    data = tempDir();
    let c = await start();
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1, ...waiting(30) });
    const paused = await createJob({
      name: 'paused',
      trigger_type: 'interval',
      interval_seconds: 1,
      enabled: false,
    });
    const { execution_id } = (await api(`/api/scheduler/jobs/${job.job_id}/run`, { method: 'POST' })).body;
    await c.waitFor((m) => m.type === 'job_started' && m.data.execution_id === execution_id);
    await stop();

    c = await start();
    const exec = (await api(`/api/scheduler/executions/${execution_id}`)).body.execution;
    expect(exec).toMatchObject({ status: 'failed', error: 'server restarted during the run' });
    expect(exec.completed_at).not.toBeNull();
    expect((await api('/api/scheduler/running')).body.count).toBe(0);
    // The job itself is armed again.
    const after = (await api(`/api/scheduler/jobs/${job.job_id}`)).body.job;
    expect(after.status).toBe('scheduled');
    expect(after.next_runs[0]).toBe(job.next_runs[0]);
    expect((await api(`/api/scheduler/jobs/${paused.job_id}`)).body.job).toMatchObject({
      status: 'paused',
      enabled: false,
    });
    await sleep(1500);
    expect(await executionsOf(paused.job_id)).toEqual([]);
  });
  it('runs older than 30 days are pruned (at start, then daily)', async () => {
    data = tempDir();
    await start();
    const job = await createJob({ trigger_type: 'interval', interval_hours: 1 });
    const store = new SchedulerStore((server as TestServer).services.db);
    const day = 86_400_000;
    for (const [id, age] of [
      ['exec_00000000old1', 31 * day],
      ['exec_00000000new1', 29 * day],
    ] as const) {
      const at = new Date(Date.now() - age).toISOString();
      store.saveExecution({
        execution_id: id,
        job_id: job.job_id,
        status: 'completed',
        scheduled_time: at,
        actual_time: at,
        started_at: at,
        completed_at: at,
        duration_seconds: 0,
        result: null,
        error: null,
        output: '',
        trigger_info: { kind: 'schedule' },
        verdict: null,
        steps: null,
      });
    }
    await stop();
    await start();
    expect((await api('/api/scheduler/executions/exec_00000000old1')).status).toBe(404);
    expect((await api('/api/scheduler/executions/exec_00000000new1')).body.execution.status).toBe(
      'completed',
    );
  });
});
