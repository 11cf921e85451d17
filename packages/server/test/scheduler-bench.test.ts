// Scheduled jobs on instruments (issue 13): a `command` job on a simulated supply (a real driver over TCP) sets its
// output through the one command path; a job whose instrument another session has locked fails naming the lock,
// and with on_failure_alarm raises its `system` alarm; profile_id applies the profile before the run. The job types
// themselves are tested in scheduler-jobs*.test.ts; this is the engine around them.

import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

let server: TestServer;
let client: TestClient;
let psuSim: RunningSimulator;
let psuId: string;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);

async function createJob(body: Json): Promise<Json> {
  const res = await api('/api/scheduler/jobs/create', {
    body: { name: 'supply job', trigger_type: 'interval', interval_hours: 1, ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.job;
}

async function runNow(jobId: string): Promise<Msg> {
  const res = await api(`/api/scheduler/jobs/${jobId}/run`, { method: 'POST' });
  expect(res.status).toBe(200);
  const id = res.body.execution_id;
  return client.waitFor(
    (m: Msg) => (m.type === 'job_completed' || m.type === 'job_failed') && m.data.execution_id === id,
    { timeoutMs: 15_000 },
  );
}

const setVoltage = (voltage: number) => ({
  schedule_type: 'command',
  equipment_id: psuId,
  parameters: { action: 'set_voltage', parameters: { voltage, channel: 1 } },
});

beforeAll(async () => {
  server = await startTestServer();
  psuSim = await startSimulator('DP832');
  const res = await api('/api/equipment/connect', { body: { resource_string: psuSim.resource } });
  expect(res.status).toBe(200);
  psuId = res.body.equipment_id;
  client = await TestClient.open(`${server.url}/ws`);
  await client.waitFor((m) => m.type === 'welcome');
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
  await psuSim?.stop();
});

describe('jobs on a simulated supply', () => {
  it('a command job sets the supply through the command path', async () => {
    const job = await createJob(setVoltage(4.2));
    const done = await runNow(job.job_id);
    expect(done.type, JSON.stringify(done.data)).toBe('job_completed');
    const info = await api(`/api/equipment/${psuId}/command`, {
      body: { action: 'get_readings', parameters: { channel: 1 } },
    });
    expect(info.status).toBe(200);
    expect(JSON.stringify(info.body)).toContain('4.2');
    const exec = (await api(`/api/scheduler/executions/${done.data.execution_id}`)).body.execution;
    expect(exec.output).toContain('set_voltage');
  });

  it('an instrument locked by another session: the run fails naming the lock, and raises the job alarm', async () => {
    const job = await createJob({ ...setVoltage(3.3), on_failure_alarm: true, name: 'locked out' });
    const lock = await api('/api/locks/acquire', {
      body: { equipment_id: psuId, session_id: 'someone-else' },
    });
    expect(lock.status, JSON.stringify(lock.body)).toBe(200);
    try {
      const failed = await runNow(job.job_id);
      expect(failed.type).toBe('job_failed');
      expect(failed.data.error).toMatch(/someone-else/);
      const exec = (await api(`/api/scheduler/executions/${failed.data.execution_id}`)).body.execution;
      expect(exec.status).toBe('failed');
      // The job's system alarm, raised once per failure while it stands.
      const raised = await client.waitFor(
        (m: Msg) => m.type === 'alarm_event' && /locked out/.test(m.data.message ?? m.data.alarm_name ?? ''),
      );
      expect(raised.data.alarm_type ?? 'system').toBe('system');
      const alarms = (await api('/api/alarms?alarm_type=system')).body.alarms as Json[];
      const alarm = alarms.find((a) => a.tags.includes(job.job_id));
      expect(alarm).toMatchObject({ parameter: 'job_failed', alarm_type: 'system' });
      const active = (await api('/api/alarms/events/active')).body.events as Json[];
      expect(active.some((e) => e.alarm_id === alarm.alarm_id)).toBe(true);
    } finally {
      await api('/api/locks/release', { body: { equipment_id: psuId, session_id: 'someone-else' } });
    }
    // Deleting the job removes its alarm.
    await api(`/api/scheduler/jobs/${job.job_id}`, { method: 'DELETE' });
    const left = (await api('/api/alarms?alarm_type=system')).body.alarms as Json[];
    expect(left.some((a) => a.tags.includes(job.job_id))).toBe(false);
  });

  it('profile_id: the profile is applied before the run', async () => {
    const profile = await api('/api/profiles/create', {
      body: {
        name: 'sched 2V',
        equipment_type: 'power_supply',
        settings: { voltage: 2, current_limit: 0.5 },
      },
    });
    expect([200, 201], JSON.stringify(profile.body)).toContain(profile.status);
    const job = await createJob({
      schedule_type: 'command',
      equipment_id: psuId,
      profile_id: 'sched 2V',
      parameters: { action: 'set_output', parameters: { enabled: false, channel: 1 } },
    });
    const done = await runNow(job.job_id);
    expect(done.type, JSON.stringify(done.data)).toBe('job_completed');
    const exec = (await api(`/api/scheduler/executions/${done.data.execution_id}`)).body.execution;
    expect(exec.output).toMatch(/profile 'sched 2V' applied/);
  });

  it('an interval command job fires on its own schedule', async () => {
    const job = await createJob({ ...setVoltage(1), interval_hours: null, interval_seconds: 1 });
    await client.waitFor((m: Msg) => m.type === 'job_completed' && m.data.job_id === job.job_id);
    await api(`/api/scheduler/jobs/${job.job_id}/pause`, { method: 'POST' });
    const exec = (await api(`/api/scheduler/executions?job_id=${job.job_id}`)).body.executions[0];
    expect(['completed', 'running']).toContain(exec.status);
  });
});
