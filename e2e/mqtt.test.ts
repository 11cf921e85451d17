// Many benches, one lab: two real `lablink serve --mqtt` processes with their simulated benches, one hub
// (`lablink hub` as the CLI builds it, in process), and Debian's Mosquitto between them. What a lab engineer checks:
// an alarm on bench B reaches a WebSocket client of the hub and is acknowledged from there; a setpoint from the hub
// reaches bench A's supply (read back from the instrument itself), one past its limit is refused by bench A with
// the reason; mosquitto_sub reads the documented topics; a broker restart loses no alarm event; a killed bench
// shows offline at the hub.

import type { ChildProcess } from 'node:child_process';
import { validateEventPayload, validateReading } from '@lablink/protocol';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../packages/server/src/config.js';
import { type RunningServer, startServer } from '../packages/server/src/serve.js';
import { http, type Json, spawnCli, tempDir, waitForListening } from '../packages/server/test/helpers.js';
import {
  type Broker,
  mosquittoAvailable,
  mosquittoSub,
  type Subscriber,
  startBroker,
} from '../packages/server/test/mqtt-broker.js';
import { invalidMessages, TestClient } from '../packages/server/test/realtime-client.js';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { queryInstrument } from './support/scpi.js';
import { ensureWebBuild } from './support/server.js';

interface BenchProcess {
  name: string;
  url: string;
  child: ChildProcess;
  data: { remove(): void };
}

/** A real `lablink serve` child on the broker: killing its process is a bench dying (the broker's last will). */
async function startBenchProcess(name: string, broker: Broker): Promise<BenchProcess> {
  const data = tempDir(`lablink-${name}-`);
  const child = spawnCli(
    ['serve', '--port', '0', '--no-mdns', '--data-dir', data.dir, '--mqtt', broker.url, '--bench', name],
    { LABLINK_MQTT_KEEPALIVE: '2', LABLINK_MQTT_READINGS_INTERVAL_MS: '200' },
  );
  const url = await waitForListening(child);
  return { name, url, child, data };
}

async function stopBenchProcess(bench: BenchProcess): Promise<void> {
  if (bench.child.exitCode === null && bench.child.signalCode === null) {
    const exited = new Promise((r) => bench.child.once('exit', r));
    bench.child.kill('SIGTERM');
    await exited;
  }
  bench.data.remove();
}

async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!mosquittoAvailable('mqtt'))('one broker, two benches, one hub', () => {
  let broker: Broker;
  let benchA: BenchProcess;
  let benchB: BenchProcess;
  let hub: RunningServer;
  const hubData = tempDir('lablink-hub-');
  let client: TestClient;
  let sub: Subscriber;
  let psu: Json;

  beforeAll(async () => {
    ensureWebBuild();
    broker = await startBroker();
    sub = mosquittoSub(broker.port, ['lablink/#']);
    [benchA, benchB] = await Promise.all([
      startBenchProcess('bench-a', broker),
      startBenchProcess('bench-b', broker),
    ]);
    hub = await startServer(
      loadConfig({
        env: {
          LABLINK_PORT: '0',
          LABLINK_MDNS: 'off',
          LABLINK_DATA_DIR: hubData.dir,
          LABLINK_MQTT_URL: broker.url,
        },
        flags: { hub: true, sim: false },
      }),
      pino({ level: 'silent' }),
    );
    client = await TestClient.open(`${hub.url}/ws`);
    await client.waitFor((m) => m.type === 'welcome');
    psu = await waitUntil(async () => {
      const { body } = await http(`${hub.url}/api/hub/benches/bench-a/equipment`);
      return body?.equipment?.find((e: Json) => e.info.model === 'DP832' && e.state === 'connected');
    }, 'bench A’s supply at the hub');
  }, 60_000);

  afterAll(async () => {
    client?.ws.close();
    sub?.stop();
    await hub?.stop();
    await Promise.all([benchA, benchB].filter(Boolean).map(stopBenchProcess));
    await broker?.stop();
    hubData.remove();
    expect(invalidMessages).toEqual([]);
  });

  it('lists both benches online, with their instruments and live readings', async () => {
    const { status, body } = await http(`${hub.url}/api/hub/benches`);
    expect(status).toBe(200);
    const names = body.benches.map((b: Json) => `${b.bench}:${b.state}`);
    expect(names).toEqual(expect.arrayContaining(['bench-a:online', 'bench-b:online']));
    const equipment = await http(`${hub.url}/api/hub/benches/bench-b/equipment`);
    expect(equipment.body.equipment.map((e: Json) => e.info.model).sort()).toEqual(
      ['34461A', 'DL3021A', 'DP832', 'DS1104Z'].sort(),
    );
    const reading = await client.waitFor(
      (m) => m.type === 'bench_reading' && m.data.bench === 'bench-b' && m.data.data.function !== undefined,
    );
    expect(reading.topic).toBe('hub');
  });

  it('ignores malformed bench messages on the broker: no 500, no phantom bench, no frozen hub', async () => {
    const rogue = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const equipment = (channels: number) => ({
        equipment: [
          {
            info: {
              id: 'x',
              type: 'power_supply',
              manufacturer: 'M',
              model: 'X',
              serial_number: null,
              firmware_version: null,
              resource_string: 'TCPIP0::127.0.0.1::1::SOCKET',
              channels: 1,
              ratings: [],
              capabilities: {},
            },
            state: 'connected',
            error: null,
            channels,
          },
        ],
      });
      const hostile: [string, string][] = [
        ['lablink/rogue/equipment', '{}'],
        ['lablink/rogue/status', '{"state":"online","since":42}'],
        ['lablink/rogue/alarms/active', '{"events":null}'],
        ['lablink/rogue/jobs', '[]'],
        ['lablink/rogue2/equipment', JSON.stringify(equipment(1e308))],
        ['lablink/bench-a/alarms/active', '{"events":[{"event_id":1}]}'],
        ['lablink/bench-a/equipment/x/readings/1', '{"seq":"one","data":null}'],
      ];
      const benchB = (m: Json) => m.type === 'bench_reading' && m.data.bench === 'bench-b';
      const before = client.messages.filter(benchB).length;
      // Retained for the rogue benches (as a bench's state is); live only on bench A's own topics.
      for (const [topic, payload] of hostile)
        await rogue.publishAsync(topic, payload, { qos: 1, retain: topic.startsWith('lablink/rogue') });
      // Once the hub has forwarded later messages (real readings), it has handled the ones before.
      await client.waitForCount(benchB, before + 2);
      const { status, body } = await http(`${hub.url}/api/hub/benches`);
      expect(status).toBe(200);
      expect(body.benches.map((b: Json) => b.bench).sort()).toEqual(['bench-a', 'bench-b']);
      expect((await http(`${hub.url}/api/hub/benches/bench-a/alarms`)).status).toBe(200);
      expect((await http(`${hub.url}/api/hub/benches/bench-a/equipment`)).status).toBe(200);
    } finally {
      // Retained messages outlive the test: clear them.
      for (const topic of ['equipment', 'status', 'alarms/active', 'jobs'])
        await rogue.publishAsync(`lablink/rogue/${topic}`, '', { qos: 1, retain: true });
      await rogue.publishAsync('lablink/rogue2/equipment', '', { qos: 1, retain: true });
      await rogue.endAsync();
    }
  });

  it('mosquitto_sub reads the documented topics and payloads', async () => {
    const find = (prefix: string) => sub.lines.find((l) => l.startsWith(`${prefix} `));
    await waitUntil(
      async () =>
        find('lablink/bench-a/status') && find(`lablink/bench-a/equipment/${psu.info.id}/readings/1`)
          ? true
          : undefined,
      'topics at mosquitto_sub',
    );
    const payload = (line: string | undefined) =>
      JSON.parse((line as string).slice((line as string).indexOf(' ') + 1));
    expect(payload(find('lablink/bench-a/status'))).toMatchObject({
      bench: 'bench-a',
      state: 'online',
      reason: null,
    });
    const equipment = payload(find('lablink/bench-a/equipment'));
    expect(equipment.equipment.map((e: Json) => e.info.id)).toContain(psu.info.id);
    const reading = payload(find(`lablink/bench-a/equipment/${psu.info.id}/readings/1`));
    expect(reading.seq).toBeGreaterThan(0);
    expect(validateReading('readings', reading.data)).toEqual([]);
    expect(reading.data).toMatchObject({ equipment_id: psu.info.id, channel: 1 });
    expect(payload(find('lablink/bench-a/alarms/active'))).toEqual({
      timestamp: expect.any(String),
      events: [],
    });
  });

  it('an alarm on bench B reaches the hub’s WebSocket client and is acknowledged from there', async () => {
    const created = await http(`${benchB.url}/api/alarms/create`, {
      body: { name: 'Fan noisy', alarm_type: 'custom', parameter: 'note', severity: 'warning' },
    });
    expect(created.status).toBe(200);
    const raised = await http(`${benchB.url}/api/alarms/raise`, {
      body: { alarm_id: created.body.alarm_id, message: 'fan noisy' },
    });
    const eventId = raised.body.event.event_id;
    const event = await client.waitFor(
      (m) => m.type === 'bench_alarm' && m.data.type === 'alarm_event' && m.data.data.event_id === eventId,
    );
    expect(event.data).toMatchObject({ bench: 'bench-b', source: 'live', data: { alarm_name: 'Fan noisy' } });
    // The same event at mosquitto_sub, with its id for dedupe (it may print after the hub has passed it on).
    const line = await waitUntil(
      async () =>
        sub.lines.find((l) => l.startsWith('lablink/bench-b/alarms/events ') && l.includes(eventId)),
      'the alarm event at mosquitto_sub',
    );
    const envelope = JSON.parse(line.slice('lablink/bench-b/alarms/events '.length));
    expect(envelope).toMatchObject({ id: event.data.id, type: 'alarm_event' });
    expect(validateEventPayload('alarm_event', envelope.data)).toEqual([]);

    const ack = await http(`${hub.url}/api/hub/benches/bench-b/alarms/acknowledge`, {
      body: { event_id: eventId, note: 'seen from the hub' },
    });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    const atBench = await http(`${benchB.url}/api/alarms/events/${eventId}`);
    expect(atBench.body.event).toMatchObject({
      state: 'acknowledged',
      acknowledgment_note: 'seen from the hub',
    });
    await client.waitFor(
      (m) =>
        m.type === 'bench_alarm' &&
        m.data.type === 'alarm_updated' &&
        m.data.data.event_id === eventId &&
        m.data.data.state === 'acknowledged',
    );
    const listed = await http(`${hub.url}/api/hub/benches/bench-b/alarms`);
    expect(listed.body.events.find((e: Json) => e.event_id === eventId)?.state).toBe('acknowledged');
    // Acknowledging again is refused by the bench, and the hub says why with the bench's status.
    const again = await http(`${hub.url}/api/hub/benches/bench-b/alarms/acknowledge`, {
      body: { event_id: eventId },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_transition');
  });

  it('a setpoint from the hub reaches bench A’s supply; one past its limit is refused there, with the reason', async () => {
    const url = `${hub.url}/api/hub/benches/bench-a/equipment/${psu.info.id}/command`;
    const ok = await http(url, {
      body: { action: 'set_voltage', parameters: { voltage: 12.5, channel: 1 } },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(Number(await queryInstrument(psu.info.resource_string, ':SOUR1:VOLT?'))).toBe(12.5);

    const refused = await http(url, {
      body: { action: 'set_voltage', parameters: { voltage: 40, channel: 1 } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('limit_exceeded');
    expect(refused.body.detail).toMatch(/40 V.*30 V/);
    expect(Number(await queryInstrument(psu.info.resource_string, ':SOUR1:VOLT?'))).toBe(12.5);

    // A malformed request is refused by the hub itself, naming the field.
    const bad = await http(url, { body: { parameters: { voltage: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('action');
  });

  it('bench B’s jobs and their runs reach the hub', async () => {
    const { body: equipment } = await http(`${benchB.url}/api/equipment/list`);
    const dmm = equipment.find((e: Json) => e.model === '34461A');
    const created = await http(`${benchB.url}/api/scheduler/jobs/create`, {
      body: {
        name: 'Read the meter',
        schedule_type: 'script',
        equipment_id: dmm.id,
        trigger_type: 'interval',
        interval_hours: 12,
        parameters: { steps: [{ type: 'wait', seconds: 0.1 }] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const jobId = created.body.job_id;
    await client.waitFor(
      (m) => m.type === 'bench_job' && m.data.type === 'job_created' && m.data.data.job_id === jobId,
    );
    await http(`${benchB.url}/api/scheduler/jobs/${jobId}/run`, { body: {} });
    const done = await client.waitFor(
      (m) => m.type === 'bench_job' && m.data.type === 'job_completed' && m.data.data.job_id === jobId,
    );
    expect(done.data.bench).toBe('bench-b');
    await waitUntil(async () => {
      const { body } = await http(`${hub.url}/api/hub/benches/bench-b/jobs`);
      return body.jobs.some((j: Json) => j.job_id === jobId && j.name === 'Read the meter')
        ? true
        : undefined;
    }, 'the job in the hub’s list');
  });

  it.skipIf(!chromiumAvailable('mqtt hub web app'))(
    'the hub’s Benches panel shows bench B’s alarm and acknowledges it, and sets bench A’s supply or shows the refusal',
    async () => {
      const created = await http(`${benchB.url}/api/alarms/create`, {
        body: { name: 'Smoke in rack', alarm_type: 'custom', parameter: 'note', severity: 'error' },
      });
      const raised = await http(`${benchB.url}/api/alarms/raise`, {
        body: { alarm_id: created.body.alarm_id, message: 'smoke seen' },
      });
      const eventId = raised.body.event.event_id;
      let browser: Browser | undefined;
      try {
        browser = await launchBrowser();
        const page = await browser.context.newPage();
        await page.goto(`${hub.url}/#/benches/bench-b`);
        const benches = page.getByRole('list', { name: 'Benches' });
        await benches.getByText('bench-a').waitFor();
        const alarms = page.getByRole('list', { name: 'Open alarms' });
        await alarms.getByText('Smoke in rack').waitFor();
        await page.getByRole('button', { name: 'Acknowledge Smoke in rack' }).click();
        await expect
          .poll(async () => (await http(`${benchB.url}/api/alarms/events/${eventId}`)).body.event.state, {
            timeout: 10_000,
          })
          .toBe('acknowledged');

        await page.goto(`${hub.url}/#/benches/bench-a`);
        const label = 'Voltage of DP832 CH2 (V)';
        await page.getByLabel(label).fill('7.5');
        await page.getByRole('form', { name: 'Set voltage of DP832 CH2' }).getByRole('button').click();
        await page.getByText('Set to 7.5 V').waitFor();
        expect(Number(await queryInstrument(psu.info.resource_string, ':SOUR2:VOLT?'))).toBe(7.5);
        await page.getByLabel(label).fill('45');
        await page.getByRole('form', { name: 'Set voltage of DP832 CH2' }).getByRole('button').click();
        const refusal = page.getByRole('form', { name: 'Set voltage of DP832 CH2' }).getByRole('alert');
        await expect.poll(() => refusal.textContent(), { timeout: 10_000 }).toMatch(/Refused: .*45 V/);
        expect(Number(await queryInstrument(psu.info.resource_string, ':SOUR2:VOLT?'))).toBe(7.5);
      } finally {
        await browser?.close();
      }
    },
    40_000,
  );

  it('survives a broker restart without losing an alarm event', async () => {
    const created = await http(`${benchB.url}/api/alarms/create`, {
      body: { name: 'Door open', alarm_type: 'custom', parameter: 'note', severity: 'critical' },
    });
    await broker.halt();
    // Raised while the broker is away: kept in bench B's outbox.
    const raised = await http(`${benchB.url}/api/alarms/raise`, {
      body: { alarm_id: created.body.alarm_id, message: 'door open during the outage' },
    });
    const eventId = raised.body.event.event_id;
    await new Promise((r) => setTimeout(r, 500));
    await broker.resume();
    await client.waitFor(
      (m) => m.type === 'bench_alarm' && m.data.type === 'alarm_event' && m.data.data.event_id === eventId,
      { timeoutMs: 20_000 },
    );
    // Once, whatever arrived first (the live event or the retained list).
    await new Promise((r) => setTimeout(r, 1000));
    const announced = client.messages.filter(
      (m: Json) =>
        m.type === 'bench_alarm' && m.data.type === 'alarm_event' && m.data.data.event_id === eventId,
    );
    expect(announced).toHaveLength(1);
    // And both benches are back online at the hub, taking commands.
    await waitUntil(async () => {
      const { body } = await http(`${hub.url}/api/hub/benches`);
      return body.benches.every((b: Json) => b.state === 'online') ? true : undefined;
    }, 'benches online again');
    const ok = await http(`${hub.url}/api/hub/benches/bench-a/equipment/${psu.info.id}/command`, {
      body: { action: 'set_voltage', parameters: { voltage: 3.3, channel: 1 } },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  }, 40_000);

  it('a bench that dies shows offline at the hub', async () => {
    const from = client.messages.length;
    benchA.child.kill('SIGKILL');
    const offline = await client.waitFor(
      (m) => m.type === 'bench_status' && m.data.bench === 'bench-a' && m.data.state === 'offline',
      { from, timeoutMs: 10_000 },
    );
    expect(offline.data.reason).toBe('connection lost');
    const { body } = await http(`${hub.url}/api/hub/benches/bench-a`);
    expect(body).toMatchObject({ state: 'offline', reason: 'connection lost' });
    const refused = await http(`${hub.url}/api/hub/benches/bench-a/equipment/${psu.info.id}/command`, {
      body: { action: 'set_voltage', parameters: { voltage: 1, channel: 1 } },
    });
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toContain('bench-a');
  });
});
