// The bridge of one bench against a real Mosquitto: commands over MQTT 5 request/response are signed by a LabLink
// token and judged by the roles and the command path REST uses (limits, emergency stop); a refusal comes back with
// the error body REST gives (code, reason, field). Events raised while the broker is away wait in the outbox — even
// across a restart of the bench server — and are sent, once, when it is back.

import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstrument } from '../../../e2e/support/scpi.js';
import { http, type Json, startTestServer, type TestServer, tempDir, until } from './helpers.js';
import { type Broker, mosquittoAvailable, startBroker } from './mqtt-broker.js';

describe.skipIf(!mosquittoAvailable('mqtt bridge'))('MQTT bridge', () => {
  let broker: Broker;
  let server: TestServer;
  let peer: MqttClient;
  const data = tempDir();
  const replies = `test/${randomUUID()}/replies`;
  const received: { topic: string; body: Json; correlation?: string }[] = [];
  let psu: Json;
  let tokens: Record<'viewer' | 'operator', string>;

  const benchEnv = () => ({
    LABLINK_SIM: 'on',
    LABLINK_MQTT_URL: broker.url,
    LABLINK_BENCH: 'unit',
    LABLINK_MQTT_READINGS_INTERVAL_MS: '1000',
  });

  /** One request to the bench, as a hub or a Node-RED flow would send it; resolves with the reply. */
  async function request(body: unknown, token?: string): Promise<Json> {
    const correlation = randomUUID();
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    await peer.publishAsync('lablink/unit/command', raw, {
      qos: 1,
      properties: {
        responseTopic: replies,
        correlationData: Buffer.from(correlation),
        ...(token ? { userProperties: { authorization: `Bearer ${token}` } } : {}),
      },
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = received.find((m) => m.correlation === correlation);
      if (reply) return reply.body;
      if (Date.now() > deadline) throw new Error('no reply');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    broker = await startBroker();
    server = await startTestServer(benchEnv(), data.dir);
    peer = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    peer.on('message', (topic, payload, packet) => {
      received.push({
        topic,
        body: JSON.parse(payload.toString()),
        correlation: packet.properties?.correlationData?.toString(),
      });
    });
    await peer.subscribeAsync([replies, 'lablink/unit/alarms/events'], { qos: 1 });
    psu = server.services.equipment.list().find((e) => e.info.model === 'DP832')?.info;
    // Signed-in mode: a user exists, so the bench is no longer open and every command needs a token.
    const { auth } = server.services;
    await auth.addUser('root', 'password123', 'admin');
    const admin = { username: 'root', role: 'admin' as const };
    tokens = {
      viewer: auth.createToken('dashboard', 'viewer', admin).token,
      operator: auth.createToken('hub', 'operator', admin).token,
    };
  }, 30_000);

  afterAll(async () => {
    await peer?.endAsync();
    await server?.dispose();
    await broker?.stop();
    data.remove();
  });

  const setVoltage = (voltage: number) => ({
    op: 'equipment_command',
    equipment_id: psu.id,
    action: 'set_voltage',
    parameters: { voltage, channel: 1 },
  });

  it('needs a valid token once the bench has users, and the role its REST route needs', async () => {
    expect(await request(setVoltage(5))).toMatchObject({ ok: false, code: 'unauthenticated' });
    expect(await request(setVoltage(5), 'll_not-a-token')).toMatchObject({
      ok: false,
      code: 'unauthenticated',
    });
    expect(await request(setVoltage(5), tokens.viewer)).toMatchObject({
      ok: false,
      code: 'forbidden',
      required_role: 'operator',
    });
    expect(await request(setVoltage(5), tokens.operator)).toEqual({ ok: true, data: null });
    expect(Number(await queryInstrument(psu.resource_string, ':SOUR1:VOLT?'))).toBe(5);
  });

  it('refuses a setpoint past its limit with the REST status and reason, leaving the output as it was', async () => {
    const reply = await request(setVoltage(40), tokens.operator);
    expect(reply).toMatchObject({ ok: false, code: 'limit_exceeded', field: 'voltage' });
    expect(reply.detail).toMatch(/40 V.*30 V/);
    expect(Number(await queryInstrument(psu.resource_string, ':SOUR1:VOLT?'))).toBe(5);
  });

  it('refuses a malformed request, naming the field', async () => {
    expect(await request('not json', tokens.operator)).toMatchObject({
      code: 'invalid_request',
      field: 'body',
    });
    expect(await request({ op: 'reboot' }, tokens.operator)).toMatchObject({
      code: 'invalid_request',
      field: 'op',
    });
    expect(await request({ op: 'equipment_command', equipment_id: psu.id }, tokens.operator)).toMatchObject({
      code: 'invalid_request',
      field: 'action',
    });
  });

  it('survives a hostile request: parameters nested 100 000 deep, a response topic among its own', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const nested = `{"op":"equipment_command","equipment_id":"${psu.id}","action":"set_voltage","parameters":{"voltage":${deep}}}`;
    expect(await request(nested, tokens.operator)).toMatchObject({ ok: false, code: 'invalid_parameter' });

    await peer.subscribeAsync('lablink/unit/status', { qos: 1 });
    await peer.publishAsync('lablink/unit/command', JSON.stringify({ op: 'emergency_stop_typo' }), {
      qos: 1,
      properties: { responseTopic: 'lablink/unit/status', correlationData: Buffer.from('hostile') },
    });
    // Commands are answered in order: once the next is answered, the hostile one has been handled.
    expect(await request({ op: 'reboot' }, tokens.operator)).toMatchObject({ code: 'invalid_request' });
    const status = received.filter((m) => m.topic === 'lablink/unit/status');
    expect(status.length).toBeGreaterThan(0);
    expect(status.every((m) => m.body.state === 'online' && !('ok' in m.body))).toBe(true);
    await peer.unsubscribeAsync('lablink/unit/status');
  });

  it('an emergency stop over MQTT latches the same stop REST sees', async () => {
    const stop = await request({ op: 'emergency_stop' }, tokens.viewer);
    expect(stop.ok).toBe(true);
    const turnOn = await request(
      {
        op: 'equipment_command',
        equipment_id: psu.id,
        action: 'set_output',
        parameters: { enabled: true, channel: 1 },
      },
      tokens.operator,
    );
    expect(turnOn).toMatchObject({ ok: false, code: 'emergency_stop_active' });
    const status = await http(`${server.url}/api/safety/emergency-stop/status`, {
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(status.body.active).toBe(true);
    await http(`${server.url}/api/safety/emergency-stop/deactivate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.operator}` },
    });
  });

  it('keeps events raised while the broker is away, across a bench restart, and sends them once it is back', async () => {
    const alarm = server.services.alarms.create({
      name: 'Outage test',
      alarm_type: 'custom',
      parameter: 'note',
    } as never);
    await broker.halt();
    await until(
      () => server.services.mqtt?.status().connected === false,
      'the bridge to see the broker gone',
    );
    const event = server.services.alarms.raiseByRequest(alarm.alarm_id, null, 'raised during the outage');
    const away = server.services.mqtt?.status();
    expect(away).toMatchObject({ connected: false, dropped: 0 });
    expect(away?.buffered).toBeGreaterThanOrEqual(1);
    // The bench server stops and starts again (same data directory) while the broker is still away.
    await server.dispose().catch(() => undefined);
    server = await startTestServer(benchEnv(), data.dir);
    await broker.resume();
    const deadline = Date.now() + 15_000;
    const arrived = () =>
      received.filter(
        (m) =>
          m.topic === 'lablink/unit/alarms/events' &&
          m.body.type === 'alarm_event' &&
          m.body.data.event_id === event.event_id,
      );
    while (arrived().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(arrived()).toHaveLength(1);
    expect(arrived()[0]?.body).toMatchObject({
      id: expect.any(String),
      seq: expect.any(Number),
      data: { message: 'raised during the outage' },
    });
    expect(server.services.mqtt?.status()).toMatchObject({ connected: true, buffered: 0 });
  }, 40_000);
});
