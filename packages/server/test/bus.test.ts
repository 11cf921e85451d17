// The bus: typed publishing (the topic comes from the event type, the payload type from its schema), the replay
// ring (LIMITS.replayDepth), and retirement of topics that end for good.

import { LIMITS, type ReadingOf } from '@lablink/protocol';
import { describe, expect, it } from 'vitest';
import { Bus, type Published } from '../src/bus.js';
import { payloadProblems, watchPayloads } from './bus-payloads.js';

const T = '2025-11-13T10:30:00.000Z';
const dmm = (value: number | null): ReadingOf<'readings'> => ({
  equipment_id: 'dmm',
  timestamp: T,
  function: 'VOLT',
  range: 'AUTO',
  value,
  unit: 'V',
});
const key = { equipment_id: 'dmm', kind: 'readings', channel: 1 } as const;
const block = { state: 'acquiring', stats: {}, data: { count: 1, values: { CH1: [1] } } };

describe('publishing', () => {
  it('puts an event on its type’s topic, numbered per topic', () => {
    const bus = new Bus();
    const seen: Published[] = [];
    bus.subscribe('*', (m) => seen.push(m));
    bus.publishEvent('equipment_state', { equipment_id: 'psu', state: 'reconnecting', error: 'refused' });
    bus.publishEvent('alarm_cleared', { event_id: 'e1', alarm_id: 'a1', cleared_at: T, cleared_by: null });
    bus.publishEvent('job_deleted', { job_id: 'j1' });
    bus.publishEvent('lock_acquired', {
      equipment_id: 'psu',
      session_id: 's',
      lock_mode: 'observer',
      lock_id: 'l',
    });
    expect(seen.map((m) => [m.type, m.topic, m.seq])).toEqual([
      ['equipment_state', 'equipment', 1],
      ['alarm_cleared', 'alarms', 1],
      ['job_deleted', 'scheduler', 1],
      ['lock_acquired', 'equipment', 2],
    ]);
    expect(seen.every((m) => m.timestamp.endsWith('Z'))).toBe(true);
  });

  it('puts a reading on its key’s stream topic and an acquisition block on the acquisition’s', () => {
    const bus = new Bus();
    const reading = bus.publishReading(key, dmm(1.5));
    expect(reading).toMatchObject({ type: 'stream_data', topic: 'stream:dmm:readings:1', seq: 1 });
    const acq = bus.publishAcquisitionBlock('a1', block);
    expect(acq).toMatchObject({ type: 'acquisition_stream', topic: 'acquisition:a1', seq: 1 });
    expect(bus.latest('stream:dmm:readings:1')?.data).toEqual(dmm(1.5));
  });

  it('checks payloads at compile time', () => {
    const bus = new Bus();
    // @ts-expect-error: an equipment_state needs its error (null when there is none)
    bus.publishEvent('equipment_state', { equipment_id: 'psu', state: 'connected' });
    // @ts-expect-error: not a state
    bus.publishEvent('equipment_state', { equipment_id: 'psu', state: 'sleepy', error: null });
    // @ts-expect-error: a waveform is not a reading of the `readings` kind
    bus.publishReading(key, { channel: 1, samples: [] });
    // @ts-expect-error: no such event type
    bus.publishEvent('equipment_exploded', {});
    // What the compiler was told to let through, the payload check of every suite's server catches.
    const published = bus.publishEvent('alarm_cleared', {} as never);
    expect(payloadProblems(published)).toEqual([
      'alarm_cleared on alarms: alarm_cleared.data: must have required properties event_id, alarm_id, cleared_at, cleared_by',
    ]);
  });
});

describe('replay ring', () => {
  it('keeps LIMITS.replayDepth messages per topic by default', () => {
    const bus = new Bus();
    for (let i = 0; i < LIMITS.replayDepth + 10; i++) bus.publishReading(key, dmm(i));
    const topic = 'stream:dmm:readings:1';
    expect(bus.seq(topic)).toBe(LIMITS.replayDepth + 10);
    expect(bus.since(topic, 10)).toHaveLength(LIMITS.replayDepth);
    expect(bus.since(topic, 9)).toBeNull(); // the 10th is no longer kept
    expect(bus.since(topic, bus.seq(topic))).toEqual([]);
  });
});

describe('retire', () => {
  it('drops a topic’s ring and seq; a later publish starts it afresh at seq 1', () => {
    const bus = new Bus();
    for (let i = 0; i < 5; i++) bus.publishAcquisitionBlock('a1', block);
    bus.publishEvent('job_deleted', { job_id: 'j' });
    expect(bus.size).toBe(2);
    expect(bus.retire('acquisition:a1')).toBe(true);
    expect(bus.size).toBe(1);
    expect(bus.seq('acquisition:a1')).toBe(0);
    expect(bus.latest('acquisition:a1')).toBeUndefined();
    // Resume from a seq of its earlier life: nothing to replay, and the seq is ahead of the topic's (the gateway
    // answers resync_required, seq_ahead).
    expect(bus.since('acquisition:a1', 3)).toEqual([]);
    expect(bus.retire('acquisition:a1')).toBe(false);
    expect(bus.publishAcquisitionBlock('a1', block).seq).toBe(1);
  });

  it('keeps subscriptions: their owners end them', () => {
    const bus = new Bus();
    const seen: number[] = [];
    bus.subscribe('stream:dmm:readings:1', (m) => seen.push(m.seq));
    bus.publishReading(key, dmm(1));
    bus.retire('stream:dmm:readings:1');
    bus.publishReading(key, dmm(2));
    expect(seen).toEqual([1, 1]);
  });

  it('refuses to retire an event topic: clients resume those', () => {
    const bus = new Bus();
    expect(() => bus.retire('alarms')).toThrow(/cannot be retired/);
  });
});

describe('payload watch (startTestServer)', () => {
  it('reports what was kept before it started and what is published after, in wire form', () => {
    const bus = new Bus();
    bus.publishEvent('equipment_state', { equipment_id: 'psu', state: 'weird' as never, error: null });
    const watch = watchPayloads(bus);
    // Wire form: NaN becomes null, which a multimeter's value may be.
    bus.publishReading(key, dmm(Number.NaN));
    bus.publishReading(key, { ...dmm(1), extra: true } as never);
    watch.stop();
    expect(watch.problems).toHaveLength(2);
    expect(watch.problems[0]).toMatch(/^equipment_state on equipment: equipment_state\.data\/state/);
    expect(watch.problems[1]).toMatch(/^stream_data on stream:dmm:readings:1: readings/);
  });
});
