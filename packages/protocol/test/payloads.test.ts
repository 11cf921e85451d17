// Payload schemas: one per event type and per reading kind, embedded in the WebSocket message schemas, with the
// type → topic table they rely on.

import { describe, expect, it } from 'vitest';
import {
  type AcquisitionBlock,
  decodeBinary,
  EVENT_TOPIC_OF,
  EVENT_TOPICS,
  EVENT_TYPES,
  type EventPayload,
  EventPayloads,
  type EventType,
  encodeBinary,
  isEventType,
  type ReadingOf,
  ReadingPayloads,
  STREAM_TYPES,
  type StreamType,
  validateEventPayload,
  validateReading,
  validateServerMessage,
} from '../src/index.js';

const T = '2025-11-13T10:30:00.000Z';

/** A payload of every event type, as the server publishes it (typed: the compiler checks them too). */
const EVENTS: { [K in EventType]: EventPayload<K> } = {
  equipment_connected: {
    equipment_id: 'ps_1',
    info: {
      id: 'ps_1',
      type: 'power_supply',
      manufacturer: 'Rigol',
      model: 'DP832',
      serial_number: null,
      connection_type: 'ethernet',
      resource_string: 'TCPIP0::127.0.0.1::5555::SOCKET',
      nickname: null,
    },
  },
  equipment_disconnected: { equipment_id: 'ps_1', reason: 'disconnected by user' },
  equipment_state: { equipment_id: 'ps_1', state: 'not_responding', error: 'no answer to *IDN?' },
  emergency_stop_activated: {
    active: true,
    stop_time: T,
    equipment_count: 1,
    stopped_equipment: ['ps_1'],
    failed: [{ equipment_id: 'load_1', error: 'not connected' }],
    results: [
      { equipment_id: 'ps_1', safe: true },
      { equipment_id: 'load_1', safe: false, error: 'not connected' },
    ],
  },
  emergency_stop_deactivated: {
    active: false,
    stop_time: T,
    equipment_count: 1,
    stopped_equipment: ['ps_1'],
  },
  lock_acquired: {
    equipment_id: 'ps_1',
    session_id: 's1',
    lock_mode: 'exclusive',
    lock_id: 'l1',
    via: 'queue',
  },
  lock_released: {
    equipment_id: 'ps_1',
    session_id: 's1',
    lock_mode: 'exclusive',
    lock_id: 'l1',
    reason: 'forced',
    released_by: 's2',
  },
  lock_expired: {
    equipment_id: 'ps_1',
    session_id: 's1',
    lock_mode: 'observer',
    lock_id: 'l2',
    reason: 'timeout',
  },
  alarm_event: {
    event_id: 'e1',
    alarm_id: 'a1',
    alarm_name: 'Over voltage',
    severity: 'critical',
    state: 'active',
    equipment_id: 'ps_1',
    parameter: 'voltage_actual',
    value: 12.4,
    threshold: 12,
    message: 'Alarm: Over voltage - voltage_actual = 12.4',
    timestamp: T,
  },
  alarm_updated: {
    event_id: 'e1',
    alarm_id: 'a1',
    state: 'acknowledged',
    severity: 'critical',
    acknowledged_at: T,
    acknowledged_by: 'ana',
    note: null,
    shelved_until: null,
    value: 12.4,
    timestamp: T,
  },
  alarm_cleared: { event_id: 'e1', alarm_id: 'a1', cleared_at: T, cleared_by: null },
  job_created: {
    job_id: 'j1',
    name: 'Nightly',
    schedule_type: 'measurement',
    trigger_type: 'cron',
    enabled: true,
  },
  job_updated: {
    job_id: 'j1',
    name: 'Nightly',
    schedule_type: 'measurement',
    trigger_type: 'cron',
    enabled: false,
  },
  job_deleted: { job_id: 'j1' },
  job_started: { job_id: 'j1', execution_id: 'x1', started_at: T },
  job_completed: { job_id: 'j1', execution_id: 'x1', completed_at: T, result: 'success' },
  job_failed: { job_id: 'j1', execution_id: 'x1', failed_at: T, error: 'Equipment not connected' },
  job_progress: { job_id: 'j1', execution_id: 'x1', done: 2, total: 5, label: 'steps[1] measure' },
  bench_status: { bench: 'bench-a', state: 'offline', reason: 'connection lost', since: null },
  bench_equipment: {
    bench: 'bench-a',
    equipment: [
      {
        info: {
          id: 'ps_1',
          type: 'power_supply',
          manufacturer: 'Rigol',
          model: 'DP832',
          serial_number: null,
          connection_type: 'ethernet',
          resource_string: 'TCPIP0::127.0.0.1::5555::SOCKET',
          nickname: null,
        },
        state: 'connected',
        error: null,
        channels: 3,
      },
    ],
  },
  bench_reading: {
    bench: 'bench-a',
    equipment_id: 'dmm_1',
    channel: 1,
    bench_seq: 7,
    data: { equipment_id: 'dmm_1', timestamp: T, function: 'VOLT', range: 'AUTO', value: 1.5, unit: 'V' },
  },
  bench_alarm: {
    bench: 'bench-b',
    id: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
    source: 'live',
    type: 'alarm_cleared',
    data: { event_id: 'ev1', alarm_id: 'a1', cleared_at: T, cleared_by: 'system' },
  },
  bench_job: {
    bench: 'bench-b',
    id: '0f6a7a2e-7f43-4a55-a7c6-0b1c2d3e4f50',
    source: 'live',
    type: 'job_deleted',
    data: { job_id: 'j1' },
  },
};

const PSU: ReadingOf<'readings'> = {
  equipment_id: 'ps_1',
  timestamp: T,
  channel: 2,
  voltage_set: 5,
  current_set: 1,
  voltage_actual: 4.998,
  current_actual: 0.51,
  output_enabled: true,
  in_cv_mode: true,
  in_cc_mode: false,
};
const LOAD: ReadingOf<'readings'> = {
  equipment_id: 'load_1',
  timestamp: T,
  mode: 'CC',
  setpoint: 0.5,
  voltage: 4.99,
  current: 0.5,
  power: 2.495,
  load_enabled: true,
};
const DMM: ReadingOf<'readings'> = {
  equipment_id: 'dmm_1',
  timestamp: T,
  function: 'VOLT',
  range: 'AUTO',
  value: null,
  unit: 'V',
};
const MEASUREMENTS: ReadingOf<'measurements'> = {
  vpp: 2,
  vmax: 1,
  vmin: -1,
  vavg: 0,
  vrms: 0.71,
  freq: 1000,
  period: null,
  rise_time: 1e-7,
};
const WAVEFORM: ReadingOf<'waveform'> = {
  equipment_id: 'scope_1',
  timestamp: T,
  channel: 1,
  sample_rate: 1e6,
  time_scale: 1e-4,
  voltage_scale: 0.5,
  voltage_offset: 0,
  num_samples: 32,
  x_increment: 1e-6,
  x_origin: -1.6e-5,
  samples: Array.from({ length: 32 }, (_, i) => Math.sin(i / 4)),
};
const READINGS: { [K in StreamType]: ReadingOf<K>[] } = {
  readings: [PSU, LOAD, DMM],
  measurements: [MEASUREMENTS],
  waveform: [WAVEFORM],
};

const eventMessage = (type: EventType, data: unknown, topic: string = EVENT_TOPIC_OF[type]) => ({
  type,
  topic,
  seq: 1,
  timestamp: T,
  data,
});

describe('the type → topic table', () => {
  it('gives every event type the topic EVENT_TYPES lists it under, and only one', () => {
    const listed = EVENT_TOPICS.flatMap((topic) => EVENT_TYPES[topic].map((type) => [type, topic]));
    expect(new Set(listed.map(([type]) => type)).size).toBe(listed.length);
    expect(Object.entries(EVENT_TOPIC_OF).sort()).toEqual(listed.sort());
    expect(EVENT_TOPIC_OF.emergency_stop_activated).toBe('equipment');
    expect(EVENT_TOPIC_OF.alarm_cleared).toBe('alarms');
    expect(EVENT_TOPIC_OF.job_failed).toBe('scheduler');
    expect(isEventType('lock_expired')).toBe(true);
    expect(isEventType('stream_data')).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });

  it('refuses an event message on another topic than its type’s', () => {
    expect(validateServerMessage(eventMessage('alarm_cleared', EVENTS.alarm_cleared))).toEqual([]);
    expect(
      validateServerMessage(eventMessage('alarm_cleared', EVENTS.alarm_cleared, 'equipment')),
    ).not.toEqual([]);
  });
});

describe('event payloads', () => {
  it('has a schema for every event type and for nothing else', () => {
    expect(Object.keys(EventPayloads).sort()).toEqual(Object.keys(EVENT_TOPIC_OF).sort());
  });

  it.each(Object.keys(EVENTS) as EventType[])('%s: accepts what the server publishes, exactly', (type) => {
    const data = EVENTS[type] as Record<string, unknown>;
    expect(validateEventPayload(type, data)).toEqual([]);
    expect(validateServerMessage(eventMessage(type, data))).toEqual([]);
    // Exact: an unknown field or a missing one is a schema violation, named.
    expect(validateEventPayload(type, { ...data, surprise: 1 })).not.toEqual([]);
    const [first] = Object.keys(data);
    const { [first as string]: _, ...missing } = data;
    expect(validateServerMessage(eventMessage(type, missing)).join()).toContain(`${type}/data`);
  });

  it('names what is wrong', () => {
    expect(
      validateEventPayload('equipment_state', { equipment_id: 'x', state: 'asleep', error: null }),
    ).toEqual(['equipment_state.data/state: must be equal to one of the allowed values']);
    expect(validateEventPayload('lock_released', { ...EVENTS.lock_released, reason: 'bored' })).not.toEqual(
      [],
    );
    expect(
      validateEventPayload('job_started', { job_id: 'j', execution_id: 'x', started_at: '10:30' }),
    ).not.toEqual([]);
    expect(validateEventPayload('no_such_event', {})).toEqual(['unknown event type "no_such_event"']);
  });
});

describe('reading payloads', () => {
  it('has a schema for every reading kind', () => {
    expect(Object.keys(ReadingPayloads).sort()).toEqual([...STREAM_TYPES].sort());
  });

  it.each(STREAM_TYPES.flatMap((kind) => READINGS[kind].map((r, i) => [kind, i, r] as const)))(
    '%s #%i: validates on its own and as stream_data, and not as another kind',
    (kind, _i, reading) => {
      expect(validateReading(kind, reading)).toEqual([]);
      const message = {
        type: 'stream_data',
        topic: `stream:x:${kind}:1`,
        seq: 1,
        timestamp: T,
        equipment_id: 'x',
        stream_type: kind,
        channel: 1,
        data: reading,
      };
      expect(validateServerMessage(message)).toEqual([]);
      const other = STREAM_TYPES.find((k) => k !== kind && k !== 'measurements') as StreamType;
      expect(validateServerMessage({ ...message, stream_type: other })).not.toEqual([]);
    },
  );

  it('names the fields of the closest reading shape', () => {
    const { in_cc_mode: _, ...partial } = PSU;
    expect(validateReading('readings', partial)).toEqual([
      'readings: must have required properties in_cc_mode',
    ]);
    expect(validateReading('readings', { ...LOAD, mode: 'XX' })).toEqual([
      'readings/mode: must be equal to one of the allowed values',
    ]);
    expect(validateReading('measurements', { ...MEASUREMENTS, vpp: 'big' })).not.toEqual([]);
    expect(validateReading('measurements', { vpp: 1 })).not.toEqual([]);
    expect(validateReading('spectrum', {})).toEqual(['unknown reading kind "spectrum"']);
  });
});

describe('acquisition blocks', () => {
  const block: AcquisitionBlock = {
    state: 'acquiring',
    stats: { total_samples: 40 },
    data: {
      count: 20,
      timestamps: Array.from({ length: 20 }, () => T),
      values: { CH1: Array(20).fill(0.5), CH2: [null, ...Array(19).fill(1)] },
    },
  };
  const message = {
    type: 'acquisition_stream',
    topic: 'acquisition:a1',
    seq: 4,
    timestamp: T,
    acquisition_id: 'a1',
    ...block,
  };

  it('validates as JSON and as a binary frame’s header', () => {
    expect(validateServerMessage(message)).toEqual([]);
    expect(validateServerMessage({ ...message, data: null })).toEqual([]);
    expect(validateServerMessage({ ...message, data: { values: {} } })).not.toEqual([]);
    const { header } = decodeBinary(encodeBinary(message) as Uint8Array);
    expect(header.binary).toHaveLength(2);
    expect(validateServerMessage(header)).toEqual([]);
  });
});
