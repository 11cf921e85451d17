// The client SDK's alarm methods against a real server with the simulated bench: every alarm route through its
// typed method (definitions, lifecycle, history, statistics, parameters), refusals as LabLinkError naming the
// field, and alarm_event / alarm_updated / alarm_cleared delivered to `realtime.on` listeners.

import {
  type AlarmEvent,
  type EquipmentInfo,
  LabLinkClient,
  LabLinkError,
  type ServerEvent,
} from '@lablink/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, until } from './helpers.js';
import { ValidatingWebSocket as WebSocket } from './realtime-client.js';

let server: TestServer;
let client: LabLinkClient;
let psu: EquipmentInfo;
const received: ServerEvent[] = [];

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  client = new LabLinkClient({ baseUrl: server.url, WebSocket });
  for (const type of ['alarm_event', 'alarm_updated', 'alarm_cleared'])
    client.realtime.on(type, (message) => received.push(message));
  client.realtime.start();
  await until(() => client.realtime.mode === 'live', 'the SDK live');
  psu = (await client.rest.listEquipment()).find((e) => e.type === 'power_supply') as EquipmentInfo;
  await client.rest.command(psu.id, 'set_voltage', { voltage: 2, channel: 1 });
  await client.rest.command(psu.id, 'set_output', { enabled: true, channel: 1 });
});

afterAll(async () => {
  client.close();
  await server.dispose();
});

async function errorOf(call: Promise<unknown>): Promise<LabLinkError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a LabLinkError, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(LabLinkError);
  return outcome.error as LabLinkError;
}

const eventsOf = (type: string, eventId: string) =>
  received.filter((m) => m.type === type && (m.data as { event_id?: string }).event_id === eventId);

describe('client alarms', () => {
  it('lists the readings an instrument offers', async () => {
    const params = await client.rest.alarmParameters(psu.id);
    expect(params.equipment_id).toBe(psu.id);
    expect(params.channels).toBeGreaterThan(1);
    expect(params.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['voltage_actual', 'current_actual', 'power']),
    );
  });

  it('creates, reads, updates, disables, enables and deletes a definition', async () => {
    const alarm = await client.rest.createAlarm({
      name: 'SDK definition',
      equipment_id: psu.id,
      parameter: 'voltage_actual',
      threshold: 25,
    });
    expect(alarm).toMatchObject({
      name: 'SDK definition',
      threshold: 25,
      enabled: true,
      severity: 'warning',
    });
    expect(await client.rest.getAlarm(alarm.alarm_id)).toEqual(alarm);
    expect((await client.rest.listAlarms({ equipment_id: psu.id })).map((a) => a.alarm_id)).toContain(
      alarm.alarm_id,
    );
    expect(await client.rest.updateAlarm(alarm.alarm_id, { threshold: 26, severity: 'error' })).toMatchObject(
      {
        threshold: 26,
        severity: 'error',
      },
    );
    expect((await client.rest.disableAlarm(alarm.alarm_id)).enabled).toBe(false);
    expect((await client.rest.enableAlarm(alarm.alarm_id)).enabled).toBe(true);
    await client.rest.deleteAlarm(alarm.alarm_id);
    expect((await errorOf(client.rest.getAlarm(alarm.alarm_id))).status).toBe(404);
  });

  it('rejects a bad definition with a LabLinkError naming the field', async () => {
    const error = await errorOf(
      client.rest.createAlarm({
        name: 'Bad',
        equipment_id: psu.id,
        parameter: 'no_such_reading',
        threshold: 1,
      }),
    );
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(error.field).toMatch(/parameter/);
  });

  it('follows an alarm through its lifecycle, with its events at realtime listeners', async () => {
    const alarm = await client.rest.createAlarm({
      name: 'SDK lifecycle',
      equipment_id: psu.id,
      parameter: 'voltage_actual',
      threshold: 4,
      severity: 'critical',
    });
    await client.rest.command(psu.id, 'set_voltage', { voltage: 6, channel: 1 });
    await until(() => received.some((m) => m.type === 'alarm_event'), 'alarm_event at the SDK');
    const active = await client.rest.activeAlarmEvents();
    const raised = active.find((e) => e.alarm_id === alarm.alarm_id);
    expect(raised).toMatchObject({ state: 'active', severity: 'critical', parameter: 'voltage_actual' });
    const eventId = (raised as AlarmEvent).event_id;
    expect(await client.rest.getAlarmEvent(eventId)).toMatchObject({ event_id: eventId, state: 'active' });

    const shelved = await client.rest.shelveAlarm(eventId, 900, { shelved_by: 'sdk', note: 'later' });
    expect(shelved).toMatchObject({ state: 'shelved', shelved_by: 'sdk' });
    expect(Date.parse(shelved.shelved_until as string)).toBeGreaterThan(Date.now() + 800_000);
    expect((await client.rest.unshelveAlarm(eventId)).state).toBe('acknowledged');

    const cleared = await client.rest.clearAlarm(alarm.alarm_id, 'sdk');
    expect(cleared).toMatchObject({ state: 'cleared', cleared_by: 'sdk' });
    await until(() => eventsOf('alarm_cleared', eventId).length > 0, 'alarm_cleared at the SDK');
    expect(eventsOf('alarm_updated', eventId).length).toBeGreaterThanOrEqual(2);

    // Still above the threshold: raised again, then acknowledged with a note.
    await until(
      () =>
        received.some(
          (m) => m.type === 'alarm_event' && (m.data as { event_id: string }).event_id !== eventId,
        ),
      'the alarm raised again',
    );
    const again = (await client.rest.activeAlarmEvents()).find(
      (e) => e.alarm_id === alarm.alarm_id,
    ) as AlarmEvent;
    const acked = await client.rest.acknowledgeAlarm(again.event_id, {
      acknowledged_by: 'sdk',
      note: 'seen',
    });
    expect(acked).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: 'sdk',
      acknowledgment_note: 'seen',
    });

    const page = await client.rest.alarmHistory({ alarm_id: alarm.alarm_id, limit: 1 });
    expect(page.total).toBe(2);
    expect(page.events).toHaveLength(1);
    expect((await client.rest.alarmHistory({ alarm_id: alarm.alarm_id, state: 'cleared' })).total).toBe(1);

    const stats = await client.rest.alarmStatistics();
    expect(stats.total_acknowledged).toBeGreaterThanOrEqual(1);
    expect(stats.load.alarms_per_10_min.length).toBeGreaterThan(0);
    expect(stats.load.bad_actors.map((a) => a.alarm_id)).toContain(alarm.alarm_id);

    await client.rest.command(psu.id, 'set_voltage', { voltage: 2, channel: 1 });
    await until(() => eventsOf('alarm_cleared', again.event_id).length > 0, 'cleared when back to normal');
  });

  it('feeds a value from outside and raises a custom alarm', async () => {
    const fed = await client.rest.createAlarm({ name: 'SDK fed', parameter: 'value', threshold: 10 });
    expect((await client.rest.checkAlarm(fed.alarm_id, 11)).triggered).toBe(true);
    expect((await client.rest.checkAlarm(fed.alarm_id, 9)).triggered).toBe(false);
    const custom = await client.rest.createAlarm({
      name: 'SDK custom',
      parameter: 'value',
      alarm_type: 'custom',
    });
    const event = await client.rest.raiseAlarm(custom.alarm_id, { message: 'raised by the SDK test' });
    expect(event).toMatchObject({ alarm_id: custom.alarm_id, state: 'active' });
  });
});
