// A source-measure unit (a simulated Keithley 2400 with a 1 kΩ device under test) through a real server over real
// sockets: its readings over REST and the WebSocket, its limits on source levels and compliances alike, the
// emergency stop, the raw-write refusal and an alarm on its compliance flag. What the instrument really did is
// checked on the simulator itself.

import { type RunningSimulator, type SmuSim, startSimulator } from '@lablink/instruments/sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

let server: TestServer;
let sim: RunningSimulator<SmuSim>;
let id: string;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);
const command = (action: string, parameters: Json) =>
  api(`/api/equipment/${id}/command`, { body: { action, parameters } });
async function setLimits(body: Json) {
  const res = await api(`/api/safety/limits/${id}`, { method: 'PUT', body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

beforeAll(async () => {
  server = await startTestServer();
  sim = await startSimulator('2400');
  const res = await api('/api/equipment/connect', { body: { resource_string: sim.resource } });
  expect(res.status).toBe(200);
  id = res.body.equipment_id;
});

afterEach(async () => {
  if ((await api('/api/safety/emergency-stop/status')).body.active)
    await api('/api/safety/emergency-stop/deactivate', { method: 'POST' });
  await command('set_output', { enabled: false });
});

afterAll(async () => {
  await server?.dispose();
  await sim?.stop();
});

describe('a Keithley 2400 on the server', () => {
  it('is an smu with its rating, and its readings follow the physics over REST', async () => {
    const { body } = await api(`/api/equipment/${id}`);
    // The model as *IDN? gives it.
    expect(body.equipment).toMatchObject({
      type: 'smu',
      model: 'MODEL 2400',
      state: 'connected',
      channels: 1,
    });

    expect((await command('set_source_function', { function: 'VOLT' })).status).toBe(200);
    expect((await command('set_voltage', { voltage: 5 })).status).toBe(200);
    expect((await command('set_current_compliance', { current_compliance: 0.01 })).status).toBe(200);
    expect((await command('set_output', { enabled: true })).status).toBe(200);
    const free = await api(`/api/equipment/${id}/readings`);
    expect(free.status).toBe(200);
    expect(free.body).toMatchObject({ source_function: 'VOLT', voltage_set: 5, output_enabled: true });
    expect(free.body.current).toBeCloseTo(0.005, 4);
    expect(free.body.in_compliance).toBe(false);

    expect((await command('set_current_compliance', { current_compliance: 0.002 })).status).toBe(200);
    const clamped = (await api(`/api/equipment/${id}/readings`)).body;
    expect(clamped.in_compliance).toBe(true);
    expect(clamped.voltage).toBeCloseTo(2, 2);
  });

  it('streams its readings to a WebSocket subscriber', async () => {
    const client = await TestClient.open(`${server.url}/ws`);
    try {
      await client.waitFor((m) => m.type === 'welcome');
      await command('set_voltage', { voltage: 3 });
      await command('set_current_compliance', { current_compliance: 0.01 });
      await command('set_output', { enabled: true });
      await client.request({
        type: 'start_stream',
        equipment_id: id,
        stream_type: 'readings',
        interval_ms: 100,
      });
      const data = await client.waitFor(
        (m: Msg) => m.type === 'stream_data' && m.equipment_id === id && m.data?.output_enabled === true,
        { timeoutMs: 10_000 },
      );
      expect(data.data.voltage).toBeCloseTo(3, 2);
      expect(data.data.current).toBeCloseTo(0.003, 4);
      expect(client.problems).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('holds source levels and compliances to the same limits, and refuses bad numbers naming the field', async () => {
    expect((await setLimits({ max_voltage: 10, max_current: 0.05 })).status).toBe(200);
    const before = { v: sim.instrument.voltageLevel, i: sim.instrument.currentCompliance };
    for (const [action, field, value, status] of [
      ['set_voltage', 'voltage', 10.5, 422],
      ['set_voltage_compliance', 'voltage_compliance', 11, 422],
      ['set_current', 'current', 0.06, 422],
      ['set_current_compliance', 'current_compliance', 0.1, 422],
      ['set_voltage', 'voltage', 1e308, 422],
      ['set_current_compliance', 'current_compliance', 1e-20, 422],
      ['set_voltage', 'voltage', 'NaN', 400],
      ['set_voltage', 'voltage', -1e-20, 422],
    ] as const) {
      const res = await command(action, { [field]: value });
      expect([action, value, res.status, res.body.field]).toEqual([action, value, status, field]);
    }
    expect(sim.instrument.voltageLevel).toBe(before.v);
    expect(sim.instrument.currentCompliance).toBe(before.i);
    expect((await command('set_voltage_compliance', { voltage_compliance: 9.5 })).status).toBe(200);
    expect(sim.instrument.voltageCompliance).toBe(9.5);
  });

  it('refuses limits it could not keep: a power limit, a current limit below the smallest compliance', async () => {
    await setLimits({ max_voltage: 10, max_current: 0.05 });
    for (const [body, field] of [
      [{ max_power: 0.1 }, 'max_power'],
      [{ max_current: 1e-12 }, 'max_current'],
      [{ max_current: 0 }, 'max_current'],
    ] as const) {
      const res = await api(`/api/safety/limits/${id}`, { method: 'PUT', body });
      expect([res.status, res.body.code, res.body.field]).toEqual([422, 'invalid_limits', field]);
    }
    const { body } = await api(`/api/safety/limits/${id}`);
    expect(JSON.stringify(body)).toContain('"max_current":0.05');
  });

  it('lowers a compliance above a limit lowered under it', async () => {
    expect((await setLimits({ max_voltage: 10, max_current: 0.05 })).status).toBe(200);
    expect((await command('set_current_compliance', { current_compliance: 0.04 })).status).toBe(200);
    expect((await command('set_current', { current: 0.03 })).status).toBe(200);
    const lowered = await setLimits({ max_current: 0.02 });
    expect(lowered.status).toBe(200);
    expect(lowered.body.adjusted).toEqual(
      expect.arrayContaining([
        { channel: 1, field: 'current', from: 0.03, to: 0.02 },
        { channel: 1, field: 'current', from: 0.04, to: 0.02 },
      ]),
    );
    expect(sim.instrument.currentCompliance).toBe(0.02);
    expect(sim.instrument.currentLevel).toBe(0.02);
    // Each lowered value is remembered as the setting it is: the compliance as a compliance, the level as a level.
    const { body } = await api(`/api/equipment/${id}`);
    expect(body.equipment.last_settings.set_current_compliance.params).toEqual({ current_compliance: 0.02 });
    expect(body.equipment.last_settings.set_current.params).toEqual({ current: 0.02 });
    await setLimits({ max_voltage: 210, max_current: 1.05 });
  });

  it('is turned off by the emergency stop, which confirms it, and stays off until it is released', async () => {
    await command('set_output', { enabled: true });
    expect(sim.instrument.output).toBe(true);
    const stop = await api('/api/safety/emergency-stop/activate', { method: 'POST' });
    expect(stop.status).toBe(200);
    expect(sim.instrument.output).toBe(false);
    // Safe only once the instrument confirmed it (*OPC? after :OUTP OFF).
    expect(stop.body.results).toContainEqual({ equipment_id: id, safe: true });
    expect((await api('/api/safety/status')).body.stopped_equipment).toContain(id);
    const blocked = await command('set_output', { enabled: true });
    expect([blocked.status, blocked.body.code]).toEqual([409, 'emergency_stop_active']);
    const raised = await command('set_voltage', { voltage: 9 });
    expect([raised.status, raised.body.code, raised.body.field]).toEqual([
      409,
      'emergency_stop_active',
      'voltage',
    ]);
    expect(sim.instrument.output).toBe(false);
    const safety = (await api('/api/safety/status')).body;
    expect(safety.equipment_with_safety).toContain(id);
  });

  it('refuses raw SCPI writes (they would bypass the limits) but answers plain queries', async () => {
    // :MEAS? and :READ? can turn the output on for their measurement (auto output-off): they count as writes.
    for (const cmd of [
      ':OUTP ON',
      ':SOUR:VOLT:LEV 200',
      ':SOUR:VOLT?;:OUTP ON',
      '*TST?',
      ':MEAS:VOLT?',
      ':READ?',
    ]) {
      const res = await api(`/api/equipment/${id}/scpi`, { body: { command: cmd } });
      expect([cmd, res.status, res.body.code]).toEqual([cmd, 403, 'raw_write_refused']);
    }
    expect(sim.instrument.output).toBe(false);
    const idn = await api(`/api/equipment/${id}/scpi`, { body: { command: '*IDN?' } });
    expect(idn.body.reply).toMatch(/^KEITHLEY INSTRUMENTS INC\.,MODEL 2400,/);
  });

  it('raises an alarm when the output goes into compliance', async () => {
    const client = await TestClient.open(`${server.url}/ws`);
    try {
      await client.waitFor((m) => m.type === 'welcome');
      const created = await api('/api/alarms/create', {
        body: {
          name: 'SMU in compliance',
          equipment_id: id,
          parameter: 'in_compliance',
          condition: 'greater_than',
          threshold: 0.5,
          severity: 'warning',
          interval_ms: 100,
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const alarmId = created.body.alarm.alarm_id;
      await command('set_source_function', { function: 'VOLT' });
      await command('set_voltage', { voltage: 5 });
      await command('set_current_compliance', { current_compliance: 0.001 });
      await command('set_output', { enabled: true });
      const raised = await client.waitFor(
        (m: Msg) => m.type === 'alarm_event' && m.data.alarm_id === alarmId,
        {
          timeoutMs: 15_000,
        },
      );
      expect(raised.data).toMatchObject({ equipment_id: id, parameter: 'in_compliance', value: 1 });
      await api(`/api/alarms/${alarmId}`, { method: 'DELETE' });
    } finally {
      await client.close();
    }
  });

  it('applies a profile written for SMUs, compliance before level, within the limits', async () => {
    const made = await api('/api/profiles/create', {
      body: {
        name: 'SMU - 2 V, 5 mA',
        equipment_type: 'smu',
        settings: { output_enabled: false, voltage: 2, current_compliance: 0.005, source_function: 'volt' },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const res = await api(`/api/profiles/${encodeURIComponent('SMU - 2 V, 5 mA')}/apply/${id}`, {
      method: 'POST',
      body: {},
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.applied.map((s: Json) => s.action)).toEqual([
      'set_output',
      'set_source_function',
      'set_current_compliance',
      'set_voltage',
    ]);
    expect(sim.instrument).toMatchObject({
      sourceFunction: 'VOLT',
      voltageLevel: 2,
      currentCompliance: 0.005,
    });

    await setLimits({ max_current: 0.004 });
    const refused = await api(`/api/profiles/${encodeURIComponent('SMU - 2 V, 5 mA')}/apply/${id}`, {
      method: 'POST',
      body: {},
    });
    expect(refused.status).toBe(422);
    expect(refused.body.field).toMatch(/current_compliance/);
    expect(sim.instrument.currentCompliance).toBeLessThanOrEqual(0.004);
    await setLimits({ max_current: 1.05 });
  });
});
