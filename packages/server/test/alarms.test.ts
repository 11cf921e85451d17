// Alarms end to end (issue 11): a real server, simulated instruments over real sockets, REST and WebSocket as a
// client sees them. Values are driven on the simulators themselves (a supply's setpoints through LabLink, a
// multimeter's input directly), and every event received is validated against its schema (TestClient). No test
// asserts a wall-clock time; waits have generous deadlines.

import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let client: TestClient;
let psuSim: RunningSimulator;
let dmmSim: RunningSimulator<import('@lablink/instruments/sim').MultimeterSim>;
let psuId: string;
let dmmId: string;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);
const command = (id: string, action: string, parameters: Json) =>
  api(`/api/equipment/${id}/command`, { body: { action, parameters } });

async function connect(sim: RunningSimulator): Promise<string> {
  const res = await api('/api/equipment/connect', { body: { resource_string: sim.resource } });
  expect(res.status).toBe(200);
  return res.body.equipment_id;
}

async function createAlarm(body: Json): Promise<Json> {
  const res = await api('/api/alarms/create', { body: { interval_ms: 100, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.alarm;
}

/** The alarm events received for one alarm (or one event), of one type. */
const eventsOf = (c: TestClient, type: string, match: (d: Json) => boolean) =>
  c.messages.filter((m: Msg) => m.type === type && match(m.data));

const waitEvent = (c: TestClient, type: string, match: (d: Json) => boolean, timeoutMs = 15_000) =>
  c.waitFor((m: Msg) => m.type === type && match(m.data), { timeoutMs });

async function setSupply(channel: number, voltage: number, on = true): Promise<void> {
  expect((await command(psuId, 'set_voltage', { voltage, channel })).status).toBe(200);
  expect((await command(psuId, 'set_output', { enabled: on, channel })).status).toBe(200);
}

beforeAll(async () => {
  server = await startTestServer();
  [psuSim, dmmSim] = await Promise.all([startSimulator('DP832'), startSimulator('34461A')]);
  psuId = await connect(psuSim);
  dmmId = await connect(dmmSim);
  client = await TestClient.open(`${server.url}/ws`);
  await client.waitFor((m) => m.type === 'welcome');
});

afterEach(async () => {
  // Each test's definitions go (their open occurrences are cleared); outputs off, the multimeter back to 5 V.
  for (const alarm of (await api('/api/alarms')).body.alarms as Json[]) {
    if (!alarm.builtin) await api(`/api/alarms/${alarm.alarm_id}`, { method: 'DELETE' });
  }
  for (const channel of [1, 2, 3]) await command(psuId, 'set_output', { enabled: false, channel });
  dmmSim.instrument.setInput(5);
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
  await Promise.all([psuSim?.stop(), dmmSim?.stop()]);
  expect(client.problems).toEqual([]);
});

describe('threshold alarms on live readings', () => {
  it('a supply setpoint raised past the threshold: alarm_event at a client that subscribed to nothing, stored before it came', async () => {
    const alarm = await createAlarm({
      name: 'CH1 over voltage',
      equipment_id: psuId,
      parameter: 'voltage_actual',
      condition: 'greater_than',
      threshold: 5,
      severity: 'critical',
    });
    expect(alarm).toMatchObject({
      channel: 1,
      auto_clear: true,
      enabled: true,
      notifications: ['websocket'],
    });
    await setSupply(1, 3);
    await sleep(400);
    expect(eventsOf(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id)).toEqual([]);

    await setSupply(1, 6);
    const raised = await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
    // Persist, then publish: the occurrence is there over REST the moment its event has arrived.
    const active = (await api('/api/alarms/events/active')).body;
    expect(active.events.map((e: Json) => e.event_id)).toContain(raised.data.event_id);
    expect(raised.data).toMatchObject({
      alarm_name: 'CH1 over voltage',
      severity: 'critical',
      state: 'active',
      equipment_id: psuId,
      parameter: 'voltage_actual',
      threshold: 5,
    });
    expect(raised.data.value).toBeGreaterThan(5);
    expect(raised.data.message).toMatch(
      /^CH1 over voltage: voltage_actual = [56](\.\d+)? \(greater_than 5\)$/,
    );
    expect(typeof raised.seq).toBe('number');

    // Acknowledge (with a note) → alarm_updated; back to normal → alarm_cleared.
    const eventId = raised.data.event_id;
    const ack = await api('/api/alarms/events/acknowledge', {
      body: { event_id: eventId, acknowledged_by: 'ana', note: 'looking at it' },
    });
    expect(ack.status).toBe(200);
    expect(ack.body.event).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: 'ana',
      acknowledgment_note: 'looking at it',
    });
    const updated = await waitEvent(client, 'alarm_updated', (d) => d.event_id === eventId);
    expect(updated.data).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: 'ana',
      note: 'looking at it',
    });
    // Acknowledging twice is a conflict.
    expect((await api('/api/alarms/events/acknowledge', { body: { event_id: eventId } })).status).toBe(409);

    await setSupply(1, 3);
    const cleared = await waitEvent(client, 'alarm_cleared', (d) => d.event_id === eventId);
    expect(cleared.data).toMatchObject({ alarm_id: alarm.alarm_id, cleared_by: 'system' });
    const stored = (await api(`/api/alarms/events/${eventId}`)).body.event;
    expect(stored).toMatchObject({ state: 'cleared', in_alarm: false, acknowledged_by: 'ana' });
    expect(eventsOf(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id)).toHaveLength(1);
  });

  it('latching: back to normal unacknowledged is `returned`, and the acknowledgment clears it', async () => {
    const alarm = await createAlarm({
      name: 'CH2 latching',
      equipment_id: psuId,
      channel: 2,
      parameter: 'voltage',
      threshold: 5,
      auto_clear: false,
    });
    await setSupply(2, 6);
    const raised = await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
    await setSupply(2, 3);
    const returned = await waitEvent(client, 'alarm_updated', (d) => d.event_id === raised.data.event_id);
    expect(returned.data.state).toBe('returned');
    expect((await api(`/api/alarms/events/${raised.data.event_id}`)).body.event).toMatchObject({
      state: 'returned',
      in_alarm: false,
    });
    await api('/api/alarms/events/acknowledge', { body: { event_id: raised.data.event_id } });
    await waitEvent(client, 'alarm_cleared', (d) => d.event_id === raised.data.event_id);
  });

  it('deviation: a supply that leaves its own setpoint (current limited) raises it', async () => {
    const alarm = await createAlarm({
      name: 'CH3 out of regulation',
      equipment_id: psuId,
      channel: 3,
      parameter: 'voltage_actual',
      alarm_type: 'deviation',
      threshold: 0.5,
    });
    // 3 V into the simulator's 10 Ω: 0.3 A, regulating. A 0.1 A limit holds it at 1 V: 2 V from its setpoint.
    expect((await command(psuId, 'set_current', { current: 1, channel: 3 })).status).toBe(200);
    await setSupply(3, 3);
    await sleep(400);
    expect(eventsOf(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id)).toEqual([]);
    expect((await command(psuId, 'set_current', { current: 0.1, channel: 3 })).status).toBe(200);
    const raised = await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
    expect(raised.data.value).toBeCloseTo(2, 1);
    expect((await command(psuId, 'set_current', { current: 1, channel: 3 })).status).toBe(200);
    await waitEvent(client, 'alarm_cleared', (d) => d.event_id === raised.data.event_id);
  });
});

describe('nuisance filters', () => {
  it('a noisy reading around the threshold chatters without a deadband and not with one', async () => {
    const plain = await createAlarm({
      name: 'DMM plain',
      equipment_id: dmmId,
      parameter: 'value',
      threshold: 5,
    });
    const damped = await createAlarm({
      name: 'DMM deadband',
      equipment_id: dmmId,
      parameter: 'value',
      threshold: 5,
      deadband: 0.5,
    });
    for (let i = 0; i < 12; i++) {
      dmmSim.instrument.setInput(i % 2 === 0 ? 5.2 : 4.8);
      await sleep(250);
    }
    await until(
      () => eventsOf(client, 'alarm_event', (d) => d.alarm_id === plain.alarm_id).length >= 2,
      'chatter',
    );
    const dampedEvents = eventsOf(client, 'alarm_event', (d) => d.alarm_id === damped.alarm_id);
    expect(dampedEvents).toHaveLength(1);
    expect(eventsOf(client, 'alarm_cleared', (d) => d.alarm_id === damped.alarm_id)).toEqual([]);
    // Out of the deadband: back to normal.
    dmmSim.instrument.setInput(4.3);
    await waitEvent(client, 'alarm_cleared', (d) => d.alarm_id === damped.alarm_id);
  });

  it('on-delay: a blip shorter than the delay raises nothing; a value that stays raises it', async () => {
    const alarm = await createAlarm({
      name: 'DMM delayed',
      equipment_id: dmmId,
      parameter: 'value',
      threshold: 8,
      delay_seconds: 3,
    });
    dmmSim.instrument.setInput(9);
    await sleep(300);
    dmmSim.instrument.setInput(5);
    await sleep(3500);
    expect(eventsOf(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id)).toEqual([]);
    dmmSim.instrument.setInput(9);
    await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id, 20_000);
  });

  it('count filter: raised when the condition became true `count` times within the window', async () => {
    const alarm = await createAlarm({
      name: 'DMM counted',
      equipment_id: dmmId,
      parameter: 'value',
      threshold: 8,
      count: 3,
      count_window_seconds: 60,
    });
    for (let entry = 1; entry <= 3; entry++) {
      expect(eventsOf(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id)).toEqual([]);
      dmmSim.instrument.setInput(9);
      await sleep(500);
      dmmSim.instrument.setInput(5);
      await sleep(500);
    }
    await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
  });
});

describe('shelving', () => {
  it('a shelved alarm still in alarm comes back active when the shelving expires', async () => {
    const alarm = await createAlarm({ name: 'Bench note', alarm_type: 'custom', parameter: 'note' });
    const raised = await api('/api/alarms/raise', {
      body: { alarm_id: alarm.alarm_id, message: 'fan noisy' },
    });
    expect(raised.status).toBe(200);
    const eventId = raised.body.event.event_id;
    await waitEvent(client, 'alarm_event', (d) => d.event_id === eventId);
    const shelved = await api(`/api/alarms/events/${eventId}/shelve`, {
      body: { duration_seconds: 1, shelved_by: 'ana' },
    });
    expect(shelved.body.event).toMatchObject({ state: 'shelved', shelved_by: 'ana' });
    await waitEvent(client, 'alarm_updated', (d) => d.event_id === eventId && d.state === 'shelved');
    const back = await waitEvent(
      client,
      'alarm_updated',
      (d) => d.event_id === eventId && d.state === 'active',
    );
    expect(back.data.shelved_until).toBeNull();
    // Unshelving by hand: acknowledged while still in alarm.
    await api(`/api/alarms/events/${eventId}/shelve`, { body: { duration_seconds: 3600 } });
    const unshelved = await api(`/api/alarms/events/${eventId}/unshelve`, { method: 'POST' });
    expect(unshelved.status, JSON.stringify(unshelved.body)).toBe(200);
    expect(unshelved.body.event.state).toBe('acknowledged');
    const clear = await api(`/api/alarms/${alarm.alarm_id}/clear`, { body: { cleared_by: 'ana' } });
    expect(clear.body.event).toMatchObject({ state: 'cleared', cleared_by: 'ana' });
    expect((await api(`/api/alarms/${alarm.alarm_id}/clear`, { method: 'POST' })).status).toBe(404);
  });

  it('a shelved alarm back to normal is cleared when the shelving expires', async () => {
    const alarm = await createAlarm({
      name: 'DMM shelved',
      equipment_id: dmmId,
      parameter: 'value',
      threshold: 8,
    });
    dmmSim.instrument.setInput(9);
    const raised = await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
    await api(`/api/alarms/events/${raised.data.event_id}/shelve`, { body: { duration_seconds: 2 } });
    dmmSim.instrument.setInput(5);
    const cleared = await waitEvent(client, 'alarm_cleared', (d) => d.event_id === raised.data.event_id);
    expect(cleared.data.cleared_by).toMatch(/shelving expired/);
  });
});

describe('alarms LabLink raises itself', () => {
  it('the emergency stop raises a safety alarm, back to normal (latching) when deactivated', async () => {
    const from = client.messages.length;
    expect((await api('/api/safety/emergency-stop/activate', { method: 'POST' })).status).toBe(200);
    const raised = await client.waitFor(
      (m) => m.type === 'alarm_event' && /Emergency stop/.test(m.data.message),
      {
        from,
        timeoutMs: 15_000,
      },
    );
    expect(raised.data.severity).toBe('critical');
    const event = (await api(`/api/alarms/events/${raised.data.event_id}`)).body.event;
    expect(event).toMatchObject({ alarm_type: 'safety', state: 'active', parameter: 'emergency_stop' });
    expect((await api(`/api/alarms/${event.alarm_id}`)).body.alarm).toMatchObject({
      builtin: true,
      auto_clear: false,
    });
    await api('/api/safety/emergency-stop/deactivate', { method: 'POST' });
    const returned = await waitEvent(client, 'alarm_updated', (d) => d.event_id === event.event_id);
    expect(returned.data.state).toBe('returned');
    await api('/api/alarms/events/acknowledge', { body: { event_id: event.event_id } });
    await waitEvent(client, 'alarm_cleared', (d) => d.event_id === event.event_id);
  });

  it('a setpoint refused by the safety limits raises a safety alarm', async () => {
    await api(`/api/safety/limits/${psuId}`, { method: 'PUT', body: { channel: 1, max_voltage: 10 } });
    const from = client.messages.length;
    expect((await command(psuId, 'set_voltage', { voltage: 20, channel: 1 })).status).toBe(422);
    const raised = await client.waitFor((m) => m.type === 'alarm_event' && /refused/.test(m.data.message), {
      from,
      timeoutMs: 15_000,
    });
    expect(raised.data.message).toContain(psuId);
    const event = (await api(`/api/alarms/events/${raised.data.event_id}`)).body.event;
    expect(event).toMatchObject({ alarm_type: 'safety', state: 'returned' });
    await api('/api/alarms/events/acknowledge', { body: { event_id: event.event_id } });
    await api(`/api/safety/limits/${psuId}`, { method: 'PUT', body: { channel: 1, max_voltage: 30 } });
  });

  it('a dropped instrument raises one communication alarm and suppresses its other alarms', async () => {
    const sim = await startSimulator('DP832');
    try {
      const id = await connect(sim);
      const alarm = await createAlarm({
        name: 'Spare supply off',
        equipment_id: id,
        parameter: 'output_enabled',
        condition: 'less_than',
        threshold: 0.5,
      });
      const raised = await waitEvent(client, 'alarm_event', (d) => d.alarm_id === alarm.alarm_id);
      const from = client.messages.length;
      await sim.faults.dropConnections({ refuseNew: true });
      const comm = await client.waitFor(
        (m) => m.type === 'alarm_event' && m.data.equipment_id === id && m.data.parameter === 'connection',
        {
          from,
          timeoutMs: 20_000,
        },
      );
      const suppressed = await waitEvent(
        client,
        'alarm_updated',
        (d) => d.event_id === raised.data.event_id && d.state === 'suppressed',
      );
      expect(suppressed.data.alarm_id).toBe(alarm.alarm_id);
      const commEvent = (await api(`/api/alarms/events/${comm.data.event_id}`)).body.event;
      expect(commEvent).toMatchObject({ alarm_type: 'communication', state: 'active', equipment_id: id });
      // Reconnect attempts go on: still one communication alarm, and nothing else raised for the instrument.
      await sleep(2500);
      const raisedSince = client.messages
        .slice(from)
        .filter((m: Msg) => m.type === 'alarm_event' && m.data.equipment_id === id);
      expect(raisedSince).toHaveLength(1);

      await sim.faults.clear();
      await waitEvent(client, 'alarm_cleared', (d) => d.event_id === comm.data.event_id, 30_000);
      const back = await waitEvent(
        client,
        'alarm_updated',
        (d) => d.event_id === raised.data.event_id && d.state === 'active',
      );
      expect(back.data.alarm_id).toBe(alarm.alarm_id);
      expect((await api(`/api/equipment/disconnect/${id}`, { method: 'POST' })).status).toBe(200);
      // Its alarms can still be changed once it is gone.
      expect((await api(`/api/alarms/${alarm.alarm_id}/disable`, { method: 'POST' })).status).toBe(200);
    } finally {
      await sim.stop();
    }
  });
});

describe('definitions over REST', () => {
  it('refuses bad definitions naming the field, and stores nothing', async () => {
    const before = (await api('/api/alarms')).body.count;
    const cases: [Json, number, string][] = [
      [
        { name: 'x', equipment_id: 'ps_nope', parameter: 'voltage_actual', threshold: 1 },
        422,
        'equipment_id',
      ],
      [{ name: 'x', equipment_id: psuId, parameter: 'frequency', threshold: 1 }, 422, 'parameter'],
      [{ name: 'x', equipment_id: psuId, parameter: 'voltage_actual' }, 422, 'threshold'],
      [
        {
          name: 'x',
          equipment_id: psuId,
          parameter: 'voltage_actual',
          condition: 'in_range',
          threshold_low: 1,
        },
        422,
        'threshold_high',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, severity: 'huge' },
        400,
        'severity',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, condition: 'above' },
        400,
        'condition',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, alarm_type: 'magic' },
        400,
        'alarm_type',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, deadband: -1 },
        400,
        'deadband',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, interval_ms: 5 },
        400,
        'interval_ms',
      ],
      [
        { name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1, channel: 9 },
        422,
        'channel',
      ],
      [{ name: 'x', equipment_id: psuId, parameter: 'voltage_actual', threshold: 1e300 }, 400, 'threshold'],
      [{ equipment_id: psuId, parameter: 'voltage_actual', threshold: 1 }, 400, 'name'],
      [
        { name: 'x', equipment_id: dmmId, parameter: 'value', alarm_type: 'deviation', threshold: 1 },
        422,
        'reference',
      ],
      [
        { name: 'x', equipment_id: dmmId, parameter: 'value', threshold: 1, count: 3 },
        422,
        'count_window_seconds',
      ],
    ];
    for (const [body, status, field] of cases) {
      const res = await api('/api/alarms/create', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.field, JSON.stringify(res.body)).toBe(field);
    }
    expect((await api('/api/alarms')).body.count).toBe(before);
    // An update that does not fit changes nothing either.
    const alarm = await createAlarm({
      name: 'ok',
      equipment_id: psuId,
      parameter: 'voltage_actual',
      threshold: 25,
    });
    const bad = await api(`/api/alarms/${alarm.alarm_id}`, { method: 'PUT', body: { parameter: 'nope' } });
    expect(bad.status).toBe(422);
    expect((await api(`/api/alarms/${alarm.alarm_id}`)).body.alarm).toEqual(alarm);
  });

  it('lists, filters, updates, disables and deletes; the parameters an instrument offers', async () => {
    const alarm = await createAlarm({
      name: 'Power',
      equipment_id: psuId,
      parameter: 'power',
      threshold: 50,
      tags: ['bench'],
    });
    const list = (await api(`/api/alarms?equipment_id=${psuId}&enabled=true`)).body;
    expect(list.alarms.map((a: Json) => a.alarm_id)).toContain(alarm.alarm_id);
    expect(
      (await api('/api/alarms?severity=critical')).body.alarms.map((a: Json) => a.alarm_id),
    ).not.toContain(alarm.alarm_id);
    const updated = await api(`/api/alarms/${alarm.alarm_id}`, {
      method: 'PUT',
      body: { threshold: 40, severity: 'error' },
    });
    expect(updated.body.alarm).toMatchObject({ threshold: 40, severity: 'error', name: 'Power' });
    expect((await api(`/api/alarms/${alarm.alarm_id}/disable`, { method: 'POST' })).body.alarm.enabled).toBe(
      false,
    );
    expect((await api(`/api/alarms/${alarm.alarm_id}/enable`, { method: 'POST' })).body.alarm.enabled).toBe(
      true,
    );
    expect((await api(`/api/alarms/${alarm.alarm_id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/api/alarms/${alarm.alarm_id}`)).status).toBe(404);

    const params = (await api(`/api/alarms/parameters/${psuId}`)).body;
    expect(params).toMatchObject({ equipment_id: psuId, equipment_type: 'power_supply', channels: 3 });
    expect(params.parameters.map((p: Json) => p.name)).toEqual(
      expect.arrayContaining(['voltage_actual', 'current_actual', 'voltage_set', 'power', 'output_enabled']),
    );
    expect(params.parameters.find((p: Json) => p.name === 'voltage_actual')).toMatchObject({
      unit: 'V',
      setpoint: 'voltage_set',
    });
    expect((await api(`/api/alarms/parameters/${dmmId}`)).body.parameters.map((p: Json) => p.name)).toEqual([
      'value',
    ]);
  });

  it('answers the routes a path parameter used to shadow: history, statistics, check', async () => {
    const alarm = await createAlarm({ name: 'Fed', parameter: 'pressure', threshold: 3 });
    const high = await api('/api/alarms/check', { body: { alarm_id: alarm.alarm_id, value: 4 } });
    expect(high.body).toMatchObject({ success: true, triggered: true, event: { state: 'active', value: 4 } });
    const low = await api('/api/alarms/check', { body: { alarm_id: alarm.alarm_id, value: 1 } });
    expect(low.body).toMatchObject({ triggered: false, event: { state: 'cleared' } });

    const history = await api(`/api/alarms/events?alarm_id=${alarm.alarm_id}&limit=5`);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ success: true, count: 1, total: 1 });
    const page = await api('/api/alarms/events?limit=1&offset=0');
    expect(page.body.count).toBe(1);
    expect(page.body.total).toBeGreaterThan(1);
    expect((await api('/api/alarms/events?state=bogus')).body.field).toBe('state');

    const stats = await api('/api/alarms/statistics');
    expect(stats.status).toBe(200);
    expect(stats.body.load.alarms_per_10_min).toHaveLength(144);
    expect(stats.body.total_cleared).toBeGreaterThan(0);
    expect(stats.body.load.bad_actors.length).toBeGreaterThan(0);
    expect(stats.body.load).toMatchObject({ flood_time_percent: expect.any(Number), stale: [] });
    // The deadband test's alarm without a deadband raised at least twice within a minute.
    expect(stats.body.load.chattering.map((c: Json) => c.alarm_name)).toContain('DMM plain');
  });
});

describe('after a server restart', () => {
  it('active and acknowledged alarms are as they were, and evaluation resumes', async () => {
    const data = tempDir();
    const sim = await startSimulator('DP832');
    let second: TestServer | undefined;
    try {
      let first: TestServer | undefined = await startTestServer({}, data.dir);
      const base = first.url;
      const connected = await http(`${base}/api/equipment/connect`, {
        body: { resource_string: sim.resource },
      });
      const id = connected.body.equipment_id;
      // In alarm while the output is off (as a shutdown leaves it): still in alarm after the restart.
      const off = await http(`${base}/api/alarms/create`, {
        body: {
          name: 'Output off',
          equipment_id: id,
          parameter: 'output_enabled',
          condition: 'less_than',
          threshold: 0.5,
          interval_ms: 100,
        },
      });
      const custom = await http(`${base}/api/alarms/create`, {
        body: { name: 'Door open', alarm_type: 'custom', parameter: 'door' },
      });
      const raisedCustom = await http(`${base}/api/alarms/raise`, {
        body: { alarm_id: custom.body.alarm_id },
      });
      let offEvent: Json;
      for (let i = 0; i < 200 && !offEvent; i++) {
        offEvent = (await http(`${base}/api/alarms/events/active`)).body.events.find(
          (e: Json) => e.alarm_id === off.body.alarm_id,
        );
        if (!offEvent) await sleep(50);
      }
      expect(offEvent).toBeTruthy();
      await http(`${base}/api/alarms/events/acknowledge`, {
        body: { event_id: offEvent.event_id, acknowledged_by: 'bo', note: 'known' },
      });
      const before = (await http(`${base}/api/alarms/events/active`)).body.events;
      await first.stop();
      first = undefined;

      second = await startTestServer({}, data.dir);
      const watcher = await TestClient.open(`${second.url}/ws`);
      const after = (await http(`${second.url}/api/alarms/events/active`)).body.events;
      expect(after).toEqual(before);
      expect(after.find((e: Json) => e.event_id === offEvent.event_id)).toMatchObject({
        state: 'acknowledged',
        acknowledged_by: 'bo',
        acknowledgment_note: 'known',
      });
      expect(after.find((e: Json) => e.event_id === raisedCustom.body.event.event_id)).toMatchObject({
        state: 'active',
      });
      expect((await http(`${second.url}/api/alarms`)).body.count).toBe(2);

      // Evaluation resumes once the instrument is back: turning the output on returns the alarm to normal.
      for (let i = 0; i < 200; i++) {
        if ((await http(`${second.url}/api/equipment/${id}`)).body.equipment.state === 'connected') break;
        await sleep(100);
      }
      await http(`${second.url}/api/equipment/${id}/command`, {
        body: { action: 'set_output', parameters: { enabled: true, channel: 1 } },
      });
      await waitEvent(watcher, 'alarm_cleared', (d) => d.event_id === offEvent.event_id, 20_000);
      await watcher.close();
    } finally {
      await second?.stop();
      await sim.stop();
      data.remove();
    }
  });
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
