// The client SDK's REST side against a real server with the simulated bench: typed results, and errors as
// LabLinkError carrying the server's status, code, detail and field.

import { type EquipmentInfo, LabLinkClient, LabLinkError } from '@lablink/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
let client: LabLinkClient;
let psu: EquipmentInfo;
let scope: EquipmentInfo;

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  client = new LabLinkClient({ baseUrl: server.url });
  const list = await client.rest.listEquipment();
  psu = list.find((e) => e.type === 'power_supply') as EquipmentInfo;
  scope = list.find((e) => e.type === 'oscilloscope') as EquipmentInfo;
});

afterAll(async () => {
  client.close();
  await server.dispose();
});

/** The LabLinkError a call rejects with (fails the test if it resolves). */
async function errorOf(call: Promise<unknown>): Promise<LabLinkError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a LabLinkError, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(LabLinkError);
  return outcome.error as LabLinkError;
}

describe('client REST', () => {
  it('answers health, info and the equipment list', async () => {
    expect(await client.rest.health()).toEqual({ status: 'healthy', connected_devices: 4 });
    expect(await client.rest.info()).toMatchObject({ name: 'LabLink Server', status: 'running' });
    const list = await client.rest.listEquipment();
    expect(list.map((e) => e.type).sort()).toEqual([
      'electronic_load',
      'multimeter',
      'oscilloscope',
      'power_supply',
    ]);
  });

  it('gets one instrument with its state and stream types', async () => {
    const detail = await client.rest.getEquipment(psu.id);
    expect(detail).toMatchObject({ id: psu.id, state: 'connected', stream_types: ['readings'] });
    expect(detail.ratings.length).toBeGreaterThan(0);
    expect((await client.rest.getEquipment(scope.id)).stream_types).toEqual(['measurements', 'waveform']);
  });

  it('reads, commands and lists commands', async () => {
    await client.rest.command(psu.id, 'set_voltage', { voltage: 2.5, channel: 1 });
    const readings = await client.rest.readings(psu.id, 1);
    expect(readings).toMatchObject({ equipment_id: psu.id, channel: 1, voltage_set: 2.5 });
    const measurements = await client.rest.command<Record<string, unknown>>(scope.id, 'get_measurements', {
      channel: 1,
    });
    expect(measurements).toHaveProperty('vpp');
    const { commands, limits } = await client.rest.commands(psu.id);
    expect(commands.map((c) => c.name)).toContain('set_voltage');
    expect(limits[0]).toMatchObject({ channel: 1 });
    expect(await client.rest.scpi(psu.id, '*IDN?')).toMatch(/RIGOL/i);
  });

  it('renames an instrument', async () => {
    expect((await client.rest.setNickname(psu.id, 'bench supply')).nickname).toBe('bench supply');
    expect((await client.rest.setNickname(psu.id, null)).nickname).toBeNull();
  });

  it('throws LabLinkError 404 not_found for an unknown instrument', async () => {
    const error = await errorOf(client.rest.getEquipment('ps_00000000'));
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
    expect(error.detail).toContain('ps_00000000');
  });

  it('throws LabLinkError 422 naming the field and the limit', async () => {
    const above = await errorOf(client.rest.setLimits(psu.id, { channel: 1, max_voltage: 1000 }));
    expect(above).toMatchObject({ status: 422, code: 'limit_exceeded', field: 'max_voltage' });
    expect(above.detail).toContain('1000');

    await client.rest.setLimits(psu.id, { channel: 1, max_voltage: 5 });
    const refused = await errorOf(client.rest.command(psu.id, 'set_voltage', { voltage: 6, channel: 1 }));
    expect(refused).toMatchObject({ status: 422, code: 'limit_exceeded', field: 'voltage' });
    expect(refused.body).toMatchObject({ limit_value: 5, attempted: 6 });
    expect((await client.rest.limits(psu.id)).limits[0]).toMatchObject({ channel: 1, max_voltage: 5 });
  });

  it('throws LabLinkError 400 with the field for a bad body', async () => {
    const error = await errorOf(client.rest.connect({ resource_string: 'not a resource' }));
    expect(error).toMatchObject({ status: 400, field: 'resource_string' });
  });

  it('locks with its session, and another session is refused', async () => {
    const acquired = await client.rest.acquireLock(psu.id);
    expect(acquired).toMatchObject({
      success: true,
      status: 'locked',
      lock: { session_id: client.sessionId },
    });
    expect(await client.rest.lockStatus(psu.id)).toMatchObject({
      locked: true,
      session_id: client.sessionId,
    });
    await client.rest.command(psu.id, 'set_voltage', { voltage: 1, channel: 1 });

    const other = new LabLinkClient({ baseUrl: server.url, sessionId: 'someone-else' });
    const refused = await errorOf(other.rest.command(psu.id, 'set_voltage', { voltage: 2, channel: 1 }));
    expect(refused.status).toBe(409);

    expect(await client.rest.releaseLock(psu.id)).toMatchObject({ success: true, status: 'released' });
    expect((await client.rest.lockStatus(psu.id)).locked).toBe(false);
  });

  it('lists and applies profiles', async () => {
    const profiles = await client.rest.listProfiles('power_supply');
    expect(profiles.map((p) => p.name)).toContain('Power Supply - 3.3V MCU');
    const applied = await client.rest.applyProfile('Power Supply - 3.3V MCU', psu.id);
    expect(applied.success).toBe(true);
    expect(applied.applied.map((a) => a.action)).toContain('set_voltage');
  });

  it('activates, reports and clears the emergency stop', async () => {
    expect(await client.rest.emergencyStop()).toMatchObject({ active: true, equipment_count: 4 });
    expect((await client.rest.emergencyStopStatus()).active).toBe(true);
    expect((await client.rest.safetyStatus()).emergency_stop_active).toBe(true);
    expect((await client.rest.clearEmergencyStop()).active).toBe(false);
  });

  it('discovers the simulated bench', async () => {
    const { devices } = await client.rest.discover();
    expect(devices.filter((d) => d.is_connected)).toHaveLength(4);
  });

  it('throws LabLinkError status 0 "unreachable" when nothing listens', async () => {
    const port = await closedPort();
    const dead = new LabLinkClient({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await errorOf(dead.rest.health());
    expect(error).toMatchObject({ status: 0, code: 'unreachable' });
    expect(error.detail).toContain('ECONNREFUSED');
  });
});
