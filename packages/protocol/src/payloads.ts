// The payloads the server publishes, defined once: the `data` of every event (one schema per event type), of every
// `stream_data` (one per reading kind: readings of a power supply, an electronic load, a multimeter or an SMU, scope
// measurements, waveforms) and of acquisition blocks. TypeBox schemas with their TypeScript types:
// - the server's bus takes exactly these types (`bus.publishEvent('equipment_state', payload)`,
//   `bus.publishReading(key, reading)`), so a publisher that drifts from them does not compile;
// - the WebSocket message schemas (schemas.ts) embed them, so `validateServerMessage` checks contents, not only
//   envelopes, and every test suite that receives messages validates each payload;
// - the REST API reuses the reading and equipment shapes (`@lablink/protocol/rest` re-exports them).
// Field names are those LabLink clients read (docs/protocol.md §4). The one encoder sends NaN and ±Infinity as null
// and Dates as ISO-8601 UTC strings: the schemas describe the wire form.

import { type Static, type TProperties, type TSchema, Type } from 'typebox';
import type { EventType, StreamType } from './const.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
/** An object with exactly these fields: the server sends no other (clients still ignore unknown ones). */
const exact = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const Timestamp = Type.String({ description: 'ISO-8601 UTC with Z', pattern: 'Z$' });
const Id = Type.String({ minLength: 1 });
const literals = <const T extends string[]>(values: readonly [...T]) => Type.Enum<T>(values);

// ------------------------------------------------------------------------------------------------- vocabularies

export const EQUIPMENT_TYPES = [
  'oscilloscope',
  'power_supply',
  'electronic_load',
  'multimeter',
  'smu',
  'generic',
] as const;
export type EquipmentType = (typeof EQUIPMENT_TYPES)[number];

export type ConnectionType = 'ethernet' | 'serial' | 'usb' | 'gpib';

/**
 * Lifecycle of a managed instrument as users see it. 'connected' only while the instrument answers;
 * 'not_responding': the link opens (a TCP connect succeeds) but the instrument does not answer; 'reconnecting':
 * the link cannot be opened. LabLink retries both by itself.
 */
export const EQUIPMENT_STATES = [
  'connecting',
  'connected',
  'reconnecting',
  'not_responding',
  'error',
  'disconnected',
] as const;
export type EquipmentState = (typeof EQUIPMENT_STATES)[number];

export const LOAD_MODES = ['CC', 'CV', 'CR', 'CP'] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

/** Why a lock ended, in `lock_released` / `lock_expired`. */
export const LOCK_END_REASONS = [
  /** Its session released it. */
  'released',
  /** Another session took it over (force). */
  'forced',
  /** Its time ran out (lock_expired). */
  'timeout',
  /** The instrument was disconnected. */
  'equipment_disconnected',
  /** An observer lock, dropped because a session took the exclusive lock. */
  'exclusive_acquired',
  /** Its session ended (DELETE of the session). */
  'session_ended',
  /** Its session expired without activity. */
  'session_expired',
] as const;
export type LockEndReason = (typeof LOCK_END_REASONS)[number];

/** Alarm severities, lowest first. */
export const ALARM_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

/**
 * States of an alarm occurrence (ISA-18.2 / IEC 62682): `active` (in alarm, unacknowledged), `acknowledged` (in
 * alarm, acknowledged), `returned` (a latching alarm back to normal, not yet acknowledged), `shelved` (hidden by a
 * person until its expiry), `suppressed` (its instrument is not communicating: one `communication` alarm stands for
 * it), `cleared` (over; kept in the history).
 */
export const ALARM_STATES = [
  'active',
  'acknowledged',
  'returned',
  'shelved',
  'suppressed',
  'cleared',
] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

// ---------------------------------------------------------------------------------------------- equipment shapes

/** An item of GET /api/equipment/list, and the `info` of `equipment_connected`. */
export const EquipmentInfo = Type.Object({
  id: Type.String(),
  type: Type.Unsafe<EquipmentType>(Type.String()),
  manufacturer: Type.String(),
  model: Type.String(),
  serial_number: Type.Union([Type.String(), Type.Null()]),
  connection_type: Type.Unsafe<ConnectionType>(Type.String()),
  resource_string: Type.String(),
  nickname: Type.Union([Type.String(), Type.Null()]),
});
export type EquipmentInfo = Static<typeof EquipmentInfo>;

export const LockMode = Type.Union([Type.Literal('exclusive'), Type.Literal('observer')], {
  description:
    'exclusive: only this session may control the instrument; observer: watch, never blocks others',
});
export type LockMode = Static<typeof LockMode>;

/** What the emergency stop did to one instrument. */
export const StopResult = Type.Object({
  equipment_id: Type.String(),
  /** True once every output and input is confirmed off. */
  safe: Type.Boolean(),
  /** Why it could not be made safe: not connected, not answering, an instrument error. */
  error: Type.Optional(Type.String()),
});
export type StopResult = Static<typeof StopResult>;

// ------------------------------------------------------------------------------------------ readings (stream_data)
// What `stream_data.data` holds, by `stream_type`; also the bodies of GET /api/equipment/{id}/readings and of the
// results of the commands that read (get_readings, get_measurements, get_waveform).

/** A power supply channel: setpoints and measurements (V, A), output state, regulation mode. */
export const PowerSupplyReadings = exact({
  equipment_id: Type.String(),
  /** When the instrument was read. */
  timestamp: Timestamp,
  channel: Type.Integer({ minimum: 1 }),
  voltage_set: Type.Number(),
  current_set: Type.Number(),
  voltage_actual: Type.Number(),
  current_actual: Type.Number(),
  output_enabled: Type.Boolean(),
  in_cv_mode: Type.Boolean(),
  in_cc_mode: Type.Boolean(),
});
export type PowerSupplyReadings = Static<typeof PowerSupplyReadings>;

/** An electronic load: its mode and setpoint (A, V, Ω or W by mode), measured V, A, W, input state. */
export const ElectronicLoadReadings = exact({
  equipment_id: Type.String(),
  timestamp: Timestamp,
  mode: literals(LOAD_MODES),
  setpoint: Type.Number(),
  voltage: Type.Number(),
  current: Type.Number(),
  power: Type.Number(),
  load_enabled: Type.Boolean(),
});
export type ElectronicLoadReadings = Static<typeof ElectronicLoadReadings>;

/** A multimeter: one reading of its present function; `value` null when it overloads. */
export const MultimeterReadings = exact({
  equipment_id: Type.String(),
  timestamp: Timestamp,
  function: Type.String(),
  range: Type.Union([Type.Number(), Type.Literal('AUTO')]),
  value: NullableNumber,
  unit: Type.String(),
});
export type MultimeterReadings = Static<typeof MultimeterReadings>;

/** A source-measure unit: what it sources, its levels and compliances, measured V, A, Ω, output and compliance state. */
export const SmuReadings = exact({
  equipment_id: Type.String(),
  timestamp: Timestamp,
  source_function: literals(['VOLT', 'CURR'] as const),
  voltage_set: Type.Number(),
  current_set: Type.Number(),
  voltage_compliance: Type.Number(),
  current_compliance: Type.Number(),
  voltage: Type.Number(),
  current: Type.Number(),
  /** null when the instrument does not compute it. */
  resistance: NullableNumber,
  output_enabled: Type.Boolean(),
  /** The output is held at its compliance rather than its source level. */
  in_compliance: Type.Boolean(),
});
export type SmuReadings = Static<typeof SmuReadings>;

/** The `readings` kind: what a power supply, an electronic load, a multimeter or a source-measure unit reports. */
export const Readings = Type.Union([
  PowerSupplyReadings,
  ElectronicLoadReadings,
  MultimeterReadings,
  SmuReadings,
]);
export type Readings = Static<typeof Readings>;

/** Scope measurements in SI units; null where the instrument could not measure. Some models add more, all numbers. */
export const ScopeMeasurements = Type.Intersect([
  Type.Object({
    vpp: NullableNumber,
    vmax: NullableNumber,
    vmin: NullableNumber,
    vavg: NullableNumber,
    vrms: NullableNumber,
    freq: NullableNumber,
    period: NullableNumber,
  }),
  Type.Record(Type.String(), NullableNumber),
]);
export type ScopeMeasurements = Static<typeof ScopeMeasurements>;

/** A scope trace in volts, with its time base (x_increment seconds apart, x_origin relative to the trigger). */
export const Waveform = exact({
  /** Present on streams and REST reads; absent from the raw result of the get_waveform command. */
  equipment_id: Type.Optional(Type.String()),
  timestamp: Timestamp,
  channel: Type.Integer({ minimum: 1 }),
  sample_rate: Type.Number(),
  time_scale: Type.Number(),
  voltage_scale: Type.Number(),
  voltage_offset: Type.Number(),
  num_samples: Type.Integer({ minimum: 0 }),
  x_increment: Type.Number(),
  x_origin: Type.Number(),
  samples: Type.Array(NullableNumber, { description: 'Volts; null where a sample was not a number' }),
});
export type Waveform = Static<typeof Waveform>;

/** The payload schema of each reading kind (`stream_type`). */
export const ReadingPayloads = {
  readings: Readings,
  measurements: ScopeMeasurements,
  waveform: Waveform,
} as const satisfies Record<StreamType, TSchema>;

/** The payload of one reading kind: `ReadingOf<'waveform'>` is `Waveform`. */
export type ReadingOf<K extends StreamType> = Static<(typeof ReadingPayloads)[K]>;
/** Any reading. */
export type Reading = ReadingOf<StreamType>;

// ---------------------------------------------------------------------------------------- acquisition blocks

/** The samples of one acquisition block: only those new since the previous block. */
export const AcquisitionSamples = exact({
  count: Type.Integer({ minimum: 0, description: 'Samples per channel in this block' }),
  /** The session index of the block's first sample: blocks follow each other without overlap. */
  start_index: Type.Optional(Type.Integer({ minimum: 0 })),
  /** By channel name, `count` values each; null where a read failed. */
  values: Type.Record(Type.String(), Type.Array(NullableNumber)),
  /** When each sample was taken, `count` of them. */
  timestamps: Type.Optional(Type.Array(Timestamp)),
  /**
   * A block source's capture (a scope's waveform, a fed source), whole, in a message of its own (`count` 0): its
   * samples are evenly spaced, sample i at x_origin + i·x_increment seconds after `timestamp`.
   */
  capture: Type.Optional(
    exact({
      channel: Type.String(),
      /** The capture's number in the session, from 0. */
      index: Type.Integer({ minimum: 0 }),
      timestamp: Timestamp,
      x_increment: Type.Number(),
      x_origin: Type.Number(),
      samples: Type.Array(NullableNumber),
    }),
  ),
});
export type AcquisitionSamples = Static<typeof AcquisitionSamples>;

/** What an acquisition publishes on `acquisition:<id>`: the `acquisition_stream` message's fields. */
export const AcquisitionBlock = exact({
  /** idle, waiting_trigger, acquiring, paused, stopped, error. */
  state: Type.String(),
  /** Running statistics of the session (total_samples, samples_per_channel, …). */
  stats: Type.Record(Type.String(), Type.Unknown()),
  /** null when the block carries no samples (a state change). */
  data: Nullable(AcquisitionSamples),
});
export type AcquisitionBlock = Static<typeof AcquisitionBlock>;

// -------------------------------------------------------------------------------------------------------- events

const EquipmentId = Id;

/** The emergency stop's state, as GET /api/safety/emergency-stop/status also shows it. */
const EmergencyStopFields = {
  active: Type.Boolean(),
  /** When the stop was activated; null if it never was. */
  stop_time: Nullable(Timestamp),
  /** Instruments made safe by the last stop. */
  equipment_count: Type.Integer({ minimum: 0 }),
  stopped_equipment: Type.Array(Type.String()),
};

const LockFields = {
  equipment_id: EquipmentId,
  session_id: Type.String(),
  lock_mode: LockMode,
  lock_id: Type.String(),
};

const LockEnded = exact({
  ...LockFields,
  reason: literals(LOCK_END_REASONS),
  /** The session that took the lock over (reason `forced`). */
  released_by: Type.Optional(Type.String()),
});

const JobSummary = exact({
  job_id: Id,
  name: Type.String(),
  schedule_type: Type.String(),
  trigger_type: Type.String(),
  enabled: Type.Boolean(),
  /** scheduled | paused | running | finished */
  status: Type.Optional(Type.String()),
  /** The next run time (null when none). */
  next_run: Type.Optional(Nullable(Timestamp)),
});

/** What job_started, job_completed and job_failed also say of the run. */
const RunFields = {
  /** When the trigger said it should run. */
  scheduled_time: Type.Optional(Timestamp),
  /** schedule | run_now | misfire */
  trigger: Type.Optional(Type.String()),
};
const Verdict = Type.Optional(Nullable(literals(['pass', 'fail', 'error', 'inconclusive'])));

/** The `data` of each event a LabLink server publishes about its own bench (topics: see EVENT_TYPES). */
const BenchEventPayloads = {
  // equipment
  equipment_connected: exact({ equipment_id: EquipmentId, info: exact(EquipmentInfo.properties) }),
  equipment_disconnected: exact({
    equipment_id: EquipmentId,
    /** Why, in words ("disconnected by user"). */
    reason: Type.String(),
  }),
  equipment_state: exact({
    equipment_id: EquipmentId,
    state: literals(EQUIPMENT_STATES),
    /** Why it is in error, reconnecting or not responding; null otherwise. */
    error: Nullable(Type.String()),
  }),
  emergency_stop_activated: exact({
    ...EmergencyStopFields,
    /** Instruments whose outputs could not be turned off, and why. */
    failed: Type.Array(exact({ equipment_id: Type.String(), error: Type.String() })),
    /** Each instrument, and whether its outputs and inputs are confirmed off. */
    results: Type.Array(exact(StopResult.properties)),
  }),
  emergency_stop_deactivated: exact(EmergencyStopFields),
  lock_acquired: exact({
    ...LockFields,
    /** `queue`: granted to the head of the queue when the previous holder let go. */
    via: Type.Optional(Type.Literal('queue')),
  }),
  lock_released: LockEnded,
  lock_expired: LockEnded,
  // alarms
  alarm_event: exact({
    event_id: Id,
    alarm_id: Id,
    alarm_name: Type.String(),
    severity: literals(ALARM_SEVERITIES),
    state: literals(ALARM_STATES),
    /** The instrument it watches; null for an alarm of no instrument. */
    equipment_id: Nullable(Type.String()),
    /** The reading field it watches (e.g. voltage_actual). */
    parameter: Nullable(Type.String()),
    /** The value that raised it (for deviation and rate_of_change alarms: the deviation, the rate). */
    value: NullableNumber,
    threshold: NullableNumber,
    message: Type.String(),
    /** When it was raised. */
    timestamp: Timestamp,
  }),
  /** A change of an open alarm: acknowledged, returned to normal (latching), shelved, unshelved, suppressed … */
  alarm_updated: exact({
    event_id: Id,
    alarm_id: Id,
    state: literals(ALARM_STATES),
    severity: literals(ALARM_SEVERITIES),
    acknowledged_at: Nullable(Timestamp),
    acknowledged_by: Nullable(Type.String()),
    /** The acknowledgment's note. */
    note: Nullable(Type.String()),
    /** While shelved: when the shelving expires. */
    shelved_until: Nullable(Timestamp),
    /** The latest value evaluated. */
    value: NullableNumber,
    /** When the change happened. */
    timestamp: Timestamp,
  }),
  alarm_cleared: exact({
    event_id: Id,
    alarm_id: Id,
    cleared_at: Timestamp,
    /** Who cleared it: a user, or `system` (returned to normal, alarm deleted or disabled). */
    cleared_by: Nullable(Type.String()),
  }),
  // scheduler
  job_created: JobSummary,
  job_updated: JobSummary,
  job_deleted: exact({ job_id: Id }),
  job_started: exact({ job_id: Id, execution_id: Id, started_at: Timestamp, ...RunFields }),
  job_completed: exact({
    job_id: Id,
    execution_id: Id,
    completed_at: Timestamp,
    result: Type.Unknown(),
    ...RunFields,
    verdict: Verdict,
    duration_seconds: Type.Optional(Type.Number()),
  }),
  job_failed: exact({
    job_id: Id,
    execution_id: Id,
    failed_at: Timestamp,
    error: Type.String(),
    ...RunFields,
    verdict: Verdict,
    duration_seconds: Type.Optional(Type.Number()),
    /** `failed`, or `cancelled` (replaced by a newer run, job deleted, server stopped). */
    status: Type.Optional(Type.String()),
  }),
  /** A running sequence's progress (script jobs), at most a few times a second. */
  job_progress: exact({
    job_id: Id,
    execution_id: Id,
    done: Type.Integer({ minimum: 0 }),
    total: Type.Integer({ minimum: 0 }),
    label: Nullable(Type.String()),
  }),
} as const;

// ------------------------------------------------------------------------------------------------ hub events
// What a hub (`lablink hub`, docs/mqtt.md) tells its clients about the benches it reads from an MQTT broker. Each
// carries the bench's name; readings and the bench's own events keep their payloads, wrapped.

export const BENCH_STATES = ['online', 'offline'] as const;
export type BenchState = (typeof BENCH_STATES)[number];

/** An instrument of a remote bench, as its bench announces it. */
export const BenchEquipment = exact({
  info: exact(EquipmentInfo.properties),
  state: literals(EQUIPMENT_STATES),
  error: Nullable(Type.String()),
  /** Output channels (1 for a single-output instrument). */
  channels: Type.Integer({ minimum: 1, maximum: 256 }),
});
export type BenchEquipment = Static<typeof BenchEquipment>;

const BenchName = Type.String({
  minLength: 1,
  description: 'The bench name of its topics (lablink/<bench>/…)',
});
/** `live`: the bench's event as it published it; `retained`: rebuilt from the bench's retained list (the live event was missed: the hub started or reconnected after it). */
const EventSource = literals(['live', 'retained']);
/** The bench's event, wrapped: `type` is the event's type on the bench, `data` its payload there. */
const wrapped = <T extends keyof typeof BenchEventPayloads>(type: T) =>
  exact({
    bench: BenchName,
    /** The event's id on the broker (a receiver drops one it has seen). */
    id: Type.String(),
    source: EventSource,
    type: Type.Literal(type),
    data: BenchEventPayloads[type],
  });

const HubEventPayloads = {
  /** A bench came online (its birth message) or went offline (its last will, or a clean stop). */
  bench_status: exact({
    bench: BenchName,
    state: literals(BENCH_STATES),
    /** Why it went offline ("connection lost", "stopped"); null when online. */
    reason: Nullable(Type.String()),
    /** When the bench said so; null for a last will (the broker sends it, long after it was written). */
    since: Nullable(Timestamp),
  }),
  /** A bench's instruments changed (connected, disconnected, a state change). */
  bench_equipment: exact({ bench: BenchName, equipment: Type.Array(BenchEquipment) }),
  /** One reading of a remote instrument. */
  bench_reading: exact({
    bench: BenchName,
    equipment_id: Type.String(),
    channel: Type.Integer({ minimum: 1 }),
    /** The reading's seq on its bench's stream. */
    bench_seq: Type.Integer({ minimum: 1 }),
    data: Readings,
  }),
  bench_alarm: Type.Union([wrapped('alarm_event'), wrapped('alarm_updated'), wrapped('alarm_cleared')]),
  bench_job: Type.Union([
    wrapped('job_created'),
    wrapped('job_updated'),
    wrapped('job_deleted'),
    wrapped('job_started'),
    wrapped('job_completed'),
    wrapped('job_failed'),
    wrapped('job_progress'),
  ]),
} as const;

/** The `data` of each event type (topics: see EVENT_TYPES). */
export const EventPayloads = {
  ...BenchEventPayloads,
  ...HubEventPayloads,
} as const satisfies Record<EventType, TSchema>;

/** The payload of one event type: `EventPayload<'equipment_state'>` is `{equipment_id, state, error}`. */
export type EventPayload<T extends EventType> = Static<(typeof EventPayloads)[T]>;
