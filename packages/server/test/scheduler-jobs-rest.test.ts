// Job types end to end: created over REST on a server with the simulated bench, run now, followed over WebSocket
// (job_started, job_progress, job_completed / job_failed, each validated against its schema), and read back from the
// stored execution: a passing test sequence, one that fails a check (the failing step named), a measurement, a
// command on an instrument another session has locked, and parameters refused at create with their field named.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

let server: TestServer;
let client: TestClient;
let ids: Record<string, string>;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  const { body } = await api('/api/equipment/list');
  ids = Object.fromEntries(body.map((e: Json) => [e.type, e.id]));
  client = await TestClient.open(`${server.url}/ws`);
  await client.waitFor((m) => m.type === 'welcome');
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
});

/** A job that fires only when run now (its one date is far ahead). */
async function createJob(body: Json): Promise<Json> {
  const res = await api('/api/scheduler/jobs/create', {
    body: { name: 'bench job', trigger_type: 'date', run_date: '2099-01-01T00:00:00Z', ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.job;
}

/** Runs a job now; waits for its end event; returns that event and the stored execution. */
async function runNow(jobId: string): Promise<{ end: Msg; execution: Json }> {
  const from = client.messages.length;
  const res = await api(`/api/scheduler/jobs/${jobId}/run`, { method: 'POST', body: {} });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const executionId = res.body.execution_id as string;
  const end = await client.waitFor(
    (m) => (m.type === 'job_completed' || m.type === 'job_failed') && m.data.execution_id === executionId,
    { from, timeoutMs: 15_000 },
  );
  const execution = (await api(`/api/scheduler/executions/${executionId}`)).body.execution;
  return { end, execution };
}

const sequence = (max: number) => ({
  steps: [
    { type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } },
    { type: 'set', action: 'set_current', parameters: { current: 1, channel: 1 } },
    { type: 'set', name: 'output on', action: 'set_output', parameters: { enabled: true, channel: 1 } },
    { type: 'wait', seconds: 0.2 },
    { type: 'measure', name: 'v_out', field: 'voltage', channel: 1 },
    { type: 'check', name: '5 V rail', measurement: 'v_out', min: 4.8, max },
    {
      type: 'repeat',
      count: 5,
      steps: [
        { type: 'measure', name: 'i', field: 'current_set', channel: 1 },
        { type: 'check', measurement: 'i', expect: 1, tolerance: 0.001 },
      ],
    },
  ],
  cleanup: [{ type: 'set', action: 'set_output', parameters: { enabled: false, channel: 1 } }],
});

describe('job types through REST', () => {
  it('a test sequence that passes: completed, a verdict per step, progress events', async () => {
    const job = await createJob({
      schedule_type: 'script',
      equipment_id: ids.power_supply,
      parameters: sequence(5.2),
    });
    const from = client.messages.length;
    const { end, execution } = await runNow(job.job_id);
    expect(end.type).toBe('job_completed');
    expect(end.data.verdict).toBe('pass');
    expect(execution).toMatchObject({ status: 'completed', verdict: 'pass', error: null });
    expect(execution.steps).toHaveLength(18);
    expect(execution.steps.every((s: Json) => s.verdict === 'pass')).toBe(true);
    expect(execution.result.measurements.v_out.unit).toBe('V');
    expect(execution.result.series.i).toEqual([1, 1, 1, 1, 1]);
    expect(execution.output).toContain('verdict: pass');
    const progress = client.messages
      .slice(from)
      .filter((m: Msg) => m.type === 'job_progress' && m.data.job_id === job.job_id);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.data).toMatchObject({ done: 16, total: 16 });
    const readings = (await api(`/api/equipment/${ids.power_supply}/readings?channel=1`)).body;
    expect(readings.output_enabled).toBe(false);
  });

  it('a test sequence that fails a check: failed, the failing step named', async () => {
    const job = await createJob({
      schedule_type: 'script',
      equipment_id: ids.power_supply,
      parameters: sequence(4.9),
    });
    const { end, execution } = await runNow(job.job_id);
    expect(end.type).toBe('job_failed');
    expect(end.data.verdict).toBe('fail');
    expect(end.data.error).toContain('steps[5] "5 V rail"');
    expect(execution).toMatchObject({ status: 'failed', verdict: 'fail' });
    expect(execution.steps.filter((s: Json) => s.verdict === 'fail').map((s: Json) => s.path)).toEqual([
      'steps[5]',
    ]);
    expect(execution.result.failed_steps[0]).toMatchObject({ path: 'steps[5]', label: '5 V rail' });
  });

  it('a measurement: its readings stored as JSON', async () => {
    const job = await createJob({
      schedule_type: 'measurement',
      equipment_id: ids.power_supply,
      parameters: { channel: 1, limits: { voltage_set: { min: 0, max: 40 } } },
    });
    const { execution } = await runNow(job.job_id);
    expect(execution).toMatchObject({ status: 'completed', verdict: 'pass' });
    expect(execution.result.measurement).toMatchObject({ channel: 1, voltage_set: expect.any(Number) });
    expect(execution.result.timestamp).toMatch(/Z$/);
  });

  it('a command on an instrument another session has locked fails, naming the holder', async () => {
    const session = (await api('/api/locks/sessions/create', { body: { client_name: 'bench user' } })).body;
    const sessionId = session.session_id ?? session.session?.session_id;
    expect(typeof sessionId).toBe('string');
    server.services.locks.acquire({ equipment_id: ids.electronic_load as string, session_id: sessionId });
    try {
      const job = await createJob({
        schedule_type: 'command',
        equipment_id: ids.electronic_load,
        parameters: { command: 'set_mode', parameters: { mode: 'CV' } },
      });
      const { end, execution } = await runNow(job.job_id);
      expect(end.type).toBe('job_failed');
      expect(execution.status).toBe('failed');
      expect(execution.error).toContain(`locked by session ${sessionId}`);
    } finally {
      server.services.locks.release({ equipment_id: ids.electronic_load as string, session_id: sessionId });
    }
  });

  it.each([
    [
      'a negative wait',
      { schedule_type: 'script', parameters: { steps: [{ type: 'wait', seconds: -1 }] } },
      'parameters.steps[0].seconds',
    ],
    [
      'an action the supply does not have',
      {
        schedule_type: 'script',
        parameters: {
          steps: [
            { type: 'wait', seconds: 1 },
            { type: 'set', action: 'explode' },
          ],
        },
      },
      'parameters.steps[1].action',
    ],
    [
      'a field the supply does not read',
      { schedule_type: 'measurement', parameters: { fields: ['temperature'] } },
      'parameters.fields[0]',
    ],
    [
      'a command parameter out of range',
      {
        schedule_type: 'command',
        parameters: { action: 'set_voltage', parameters: { voltage: -5, channel: 1 } },
      },
      'parameters.parameters.voltage',
    ],
  ])('refuses %s at create, naming the field, and stores nothing', async (_, body, field) => {
    const before = (await api('/api/scheduler/jobs')).body.count;
    const res = await api('/api/scheduler/jobs/create', {
      body: {
        name: 'bad job',
        trigger_type: 'interval',
        interval_seconds: 60,
        equipment_id: ids.power_supply,
        ...body,
      },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.field).toBe(field);
    expect((await api('/api/scheduler/jobs')).body.count).toBe(before);
  });
});
