// The alarm engine's lifecycle on its own (src/alarms/engine.ts): a real database and bus, a stand-in instrument
// and readings pipeline whose readings the test hands over, and a clock the test moves. What the end-to-end suite
// (alarms.test.ts) cannot reach quickly: suppression and its end, shelving timers re-armed by a new engine on the
// same database, the alarm-load figures over a day.

import type { AlarmConfig } from '@lablink/protocol/rest';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlarmNotice, AlarmService } from '../src/alarms/engine.js';
import { Bus, type Published } from '../src/bus.js';
import type { ClaimRequest } from '../src/readings/pipeline.js';
import { type Db, openDatabase } from '../src/storage/database.js';
import { payloadProblems } from './bus-payloads.js';
import { tempDir } from './helpers.js';

const PSU = {
  info: {
    id: 'ps_1',
    type: 'power_supply' as const,
    manufacturer: 'RIGOL',
    model: 'DP832',
    serial_number: null,
    connection_type: 'ethernet' as const,
    resource_string: 'TCPIP0::127.0.0.1::1::SOCKET',
    nickname: null,
  },
  model: null,
  state: 'connected' as const,
};

interface Rig {
  db: Db;
  bus: Bus;
  engine: AlarmService;
  claims: ClaimRequest[];
  seen: Published[];
  notices: AlarmNotice[];
  clock: { now: number } | undefined;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A rig on a data directory; with a clock, time stands still until the test moves it (else the real time). */
function rig(dir = tempDir().dir, clock?: { now: number }): Rig {
  const db = openDatabase(dir);
  const bus = new Bus();
  const seen: Published[] = [];
  const problems: string[] = [];
  bus.subscribe('*', (m) => {
    seen.push(m);
    problems.push(...payloadProblems(m));
  });
  const claims: ClaimRequest[] = [];
  const notices: AlarmNotice[] = [];
  const engine = new AlarmService({
    db,
    bus,
    logger: pino({ level: 'silent' }),
    equipment: { find: (id) => (id === 'ps_1' ? PSU : undefined) },
    readings: {
      claim: (request) => {
        claims.push(request);
        return {
          topic: 't',
          interval_ms: request.interval_ms,
          shared: false,
          effectiveInterval: () => request.interval_ms,
          freshness: () => 'live',
          reason: () => '',
          release: () => {
            claims.splice(claims.indexOf(request), 1);
          },
        };
      },
    },
    notifier: { notify: (n) => notices.push(n) },
    now: () => clock?.now ?? Date.now(),
  });
  engine.start();
  cleanups.push(() => {
    engine.close();
    db.close();
    expect(problems).toEqual([]);
  });
  return { db, bus, engine, claims, seen, notices, clock };
}

const reading = (voltage: number, on = true) =>
  ({
    topic: 'stream:ps_1:readings:1',
    type: 'stream_data',
    seq: 1,
    timestamp: new Date().toISOString(),
    data: {
      equipment_id: 'ps_1',
      timestamp: new Date().toISOString(),
      channel: 1,
      voltage_set: voltage,
      current_set: 1,
      voltage_actual: voltage,
      current_actual: 0.1,
      output_enabled: on,
      in_cv_mode: true,
      in_cc_mode: false,
    },
  }) as Published;

const alarmTypes = (r: Rig, from = 0) => types(r, from).filter((t) => t.startsWith('alarm_'));
const types = (r: Rig, from = 0) =>
  r.seen.slice(from).map((m) => `${m.type}:${(m.data as AlarmConfig & { state?: string }).state ?? ''}`);

describe('the lifecycle', () => {
  it('raises on a reading, notifies after publishing, and clears back to normal', () => {
    const r = rig();
    const alarm = r.engine.create({ name: 'OV', equipment_id: 'ps_1', parameter: 'voltage', threshold: 5 });
    expect(r.claims).toHaveLength(1);
    expect(r.claims[0]).toMatchObject({
      equipment_id: 'ps_1',
      kind: 'readings',
      channel: 1,
      interval_ms: 500,
    });
    r.claims[0]?.onReading?.(reading(6));
    expect(types(r)).toEqual(['alarm_event:active']);
    expect(r.notices.map((n) => n.kind)).toEqual(['raised']);
    expect(r.notices[0]?.alarm.alarm_id).toBe(alarm.alarm_id);
    r.claims[0]?.onReading?.(reading(3));
    expect(types(r)).toEqual(['alarm_event:active', 'alarm_cleared:']);
    expect(r.notices.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    // The audit trail has each transition.
    const trail = r.db.prepare('SELECT from_state, to_state FROM alarm_transitions ORDER BY id').all();
    expect(trail).toEqual([
      { from_state: null, to_state: 'active' },
      { from_state: 'active', to_state: 'cleared' },
    ]);
  });

  it("a communication alarm suppresses the instrument's other alarms, and they come back as they were", () => {
    const r = rig();
    const alarm = r.engine.create({
      name: 'Off',
      equipment_id: 'ps_1',
      parameter: 'output_enabled',
      condition: 'less_than',
      threshold: 0.5,
    });
    r.claims[0]?.onReading?.(reading(0, false));
    const [event] = r.engine.activeEvents();
    r.engine.acknowledge(event?.event_id as string, 'ana', null);
    const from = r.seen.length;
    r.bus.publishEvent('equipment_state', { equipment_id: 'ps_1', state: 'reconnecting', error: 'refused' });
    r.bus.publishEvent('equipment_state', { equipment_id: 'ps_1', state: 'error', error: 'refused' });
    // One communication alarm, however many state changes; the other alarm suppressed after it.
    expect(alarmTypes(r, from)).toEqual(['alarm_event:active', 'alarm_updated:suppressed']);
    const comm = r.engine.activeEvents().find((e) => e.alarm_type === 'communication');
    expect(comm).toMatchObject({ equipment_id: 'ps_1', state: 'active', parameter: 'connection' });
    expect(r.engine.list({ alarm_type: 'communication' })[0]).toMatchObject({
      builtin: true,
      equipment_id: 'ps_1',
    });
    // Acknowledging a suppressed alarm is allowed; the shelving of one is not.
    expect(() => r.engine.shelve(event?.event_id as string, 60, null, null)).toThrow(/suppressed/);

    const back = r.seen.length;
    r.bus.publishEvent('equipment_state', { equipment_id: 'ps_1', state: 'connected', error: null });
    expect(alarmTypes(r, back)).toEqual(['alarm_cleared:', 'alarm_updated:acknowledged']);
    expect(r.engine.event(event?.event_id as string).state).toBe('acknowledged');
    expect(alarm.alarm_type).toBe('threshold');
  });

  it('a shelving outlives the engine: a new one on the same database re-arms its expiry', async () => {
    const { dir } = tempDir();
    const first = rig(dir);
    const alarm = first.engine.create({ name: 'Note', alarm_type: 'custom', parameter: 'note' });
    const event = first.engine.raiseByRequest(alarm.alarm_id, null, 'remember');
    first.engine.shelve(event.event_id, 1, 'ana', null);
    first.engine.close();

    const second = rig(dir);
    expect(second.engine.event(event.event_id)).toMatchObject({ state: 'shelved', shelved_by: 'ana' });
    const deadline = Date.now() + 10_000;
    while (second.engine.event(event.event_id).state === 'shelved' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(second.engine.event(event.event_id)).toMatchObject({ state: 'active', shelved_until: null });
    expect(types(second)).toEqual(['alarm_updated:active']);
  });

  it('a communication alarm left open by the last run ends at start when its instrument answers now', () => {
    const { dir } = tempDir();
    const first = rig(dir);
    first.bus.publishEvent('equipment_state', {
      equipment_id: 'ps_1',
      state: 'not_responding',
      error: 'no reply',
    });
    const [comm] = first.engine.activeEvents();
    expect(comm).toMatchObject({ alarm_type: 'communication', state: 'active' });
    first.engine.close();

    const second = rig(dir);
    expect(second.engine.activeEvents()).toEqual([]);
    expect(second.engine.event(comm?.event_id as string)).toMatchObject({
      state: 'cleared',
      cleared_by: 'system',
    });
  });

  it('refuses what a state does not allow, naming the event', () => {
    const r = rig();
    const alarm = r.engine.create({ name: 'Note', alarm_type: 'custom', parameter: 'note' });
    const event = r.engine.raiseByRequest(alarm.alarm_id, 1, null);
    expect(r.engine.raiseByRequest(alarm.alarm_id, 2, null).event_id).toBe(event.event_id);
    r.engine.clearAlarm(alarm.alarm_id, 'ana');
    expect(() => r.engine.acknowledge(event.event_id, null, null)).toThrow(/cleared/);
    expect(() => r.engine.unshelve(event.event_id, null)).toThrow(/not shelved/);
    expect(() => r.engine.check(alarm.alarm_id, 1)).toThrow(/raise it/);
  });
});

describe('alarm-load figures', () => {
  it('counts alarms per 10 minutes, time in flood, bad actors and chattering over the last day', () => {
    const clock = { now: Date.parse('2026-01-15T12:00:00.000Z') };
    const r = rig(undefined, clock);
    const noisy = r.engine.create({ name: 'Noisy', parameter: 'p', threshold: 1 });
    const calm = r.engine.create({ name: 'Calm', parameter: 'q', threshold: 1 });
    // An hour ago: Noisy raised 12 times within 6 minutes (a flood of 12 > 10 in 10 min), Calm once.
    clock.now -= 3_600_000;
    for (let i = 0; i < 12; i++) {
      r.engine.check(noisy.alarm_id, 2);
      clock.now += 15_000;
      r.engine.check(noisy.alarm_id, 0);
      clock.now += 15_000;
    }
    r.engine.check(calm.alarm_id, 2);
    clock.now = Date.parse('2026-01-15T12:00:00.000Z');

    const stats = r.engine.statistics();
    expect(stats.total_cleared).toBe(12);
    expect(stats.total_active).toBe(1);
    expect(stats.load.alarms_per_10_min).toHaveLength(144);
    expect(stats.load.alarms_per_10_min.reduce((n, s) => n + s.count, 0)).toBe(13);
    expect(stats.load.average_per_10_min).toBeCloseTo(13 / 144);
    // In flood from the 11th raise (+5 min) until the 3rd leaves the window (+11 min; Calm's raise at +6 min is
    // the 13th): 6 min of 24 h.
    expect(stats.load.flood_time_percent).toBeCloseTo((6 / 1440) * 100);
    expect(stats.load.bad_actors[0]).toEqual({ alarm_id: noisy.alarm_id, alarm_name: 'Noisy', count: 12 });
    expect(stats.load.chattering).toEqual([{ alarm_id: noisy.alarm_id, alarm_name: 'Noisy', count: 12 }]);
    expect(stats.most_frequent.map((m) => m.alarm_id)).toEqual([noisy.alarm_id, calm.alarm_id]);
    expect(stats.load.stale).toEqual([]);

    // A day later, Calm's occurrence is stale and nothing counts in the load any more.
    clock.now += 25 * 3_600_000;
    const later = r.engine.statistics();
    expect(later.load.stale.map((s) => s.alarm_name)).toEqual(['Calm']);
    expect(later.load.flood_time_percent).toBe(0);
  });
});
