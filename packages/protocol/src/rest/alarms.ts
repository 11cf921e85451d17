// Alarm routes (/api/alarms/…): definitions (what to watch and when to raise), occurrences (events, with their
// ISA-18.2 lifecycle: acknowledge, shelve, clear), the history, statistics and alarm-load figures, and the reading
// fields an instrument offers to alarms. Notification settings are in alarm-notifications.ts.

import { type Static, type TOptional, type TSchema, Type } from 'typebox';
import { ALARM_SEVERITIES, ALARM_STATES, type AlarmSeverity, type AlarmState } from '../payloads.js';
import { Nullable, NullableNumber } from './helpers.js';

export { ALARM_SEVERITIES, ALARM_STATES, type AlarmSeverity, type AlarmState };

/** What an alarm watches and how it is raised. */
export const ALARM_TYPES = [
  /** A reading compared with thresholds. */
  'threshold',
  /** The distance of a reading from the instrument's own setpoint (voltage_set for voltage_actual) or a reference. */
  'deviation',
  /** How fast a reading changes, per second, over window_seconds. */
  'rate_of_change',
  /** Raised by LabLink: an instrument connected but its reads keep failing (stale data). */
  'equipment_error',
  /** Raised by LabLink: an instrument not responding, reconnecting, in error. One per instrument. */
  'communication',
  /** Raised by LabLink: the emergency stop, setpoints refused by the safety limits. */
  'safety',
  /** Raised through POST /api/alarms/raise (storage, jobs, scripts). */
  'system',
  /** Raised through POST /api/alarms/raise. */
  'custom',
] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

export const ALARM_CONDITIONS = [
  'greater_than',
  'less_than',
  'equal_to',
  'not_equal_to',
  'in_range',
  'out_of_range',
  'rising_edge',
  'falling_edge',
] as const;
export type AlarmCondition = (typeof ALARM_CONDITIONS)[number];

/** How a person hears of an alarm besides the panel (`websocket`: the alarm events every client receives). */
export const ALARM_NOTIFICATION_METHODS = ['websocket', 'webhook', 'email'] as const;
export type AlarmNotificationMethod = (typeof ALARM_NOTIFICATION_METHODS)[number];

/** The largest threshold, reference or deadband a definition may carry (in the parameter's unit). */
export const MAX_ALARM_VALUE = 1e12;
/** Longest on-delay, count window, rate window and shelving: a day. */
export const MAX_ALARM_SECONDS = 86_400;
export const ALARM_INTERVAL_MS = { min: 100, max: 60_000, default: 500 } as const;
export const MAX_ALARM_COUNT = 1000;
export const MAX_ALARM_TAGS = 20;

const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum<T>(values, description ? { description } : {});

const Value = (description: string) =>
  Type.Number({ minimum: -MAX_ALARM_VALUE, maximum: MAX_ALARM_VALUE, description });
const NullableValue = (description: string) => Type.Union([Value(description), Type.Null()]);
const Seconds = (min: number, description: string) =>
  Type.Number({ minimum: min, maximum: MAX_ALARM_SECONDS, description });
const User = Type.String({ minLength: 1, maxLength: 100 });
const Note = Type.String({ maxLength: 1000 });

export const AlarmId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'alarm_<8 hex>, made by the server',
});
export const AlarmEventId = Type.String({ minLength: 1, maxLength: 64, description: 'aev_<12 hex>' });
const Parameter = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description:
    'A reading field of the instrument (GET /api/alarms/parameters/{equipment_id}): voltage_actual, current_actual, power, voltage_set, value, vpp …; voltage, current and power name the measured values',
});

// ------------------------------------------------------------------------------------------------- definitions

/** The writable fields of a definition, each with its bounds. */
const DefinitionFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
  equipment_id: Type.Union([
    Type.String({ minLength: 1, maxLength: 64, description: 'The instrument watched; null for none' }),
    Type.Null(),
  ]),
  channel: Type.Union([
    Type.Integer({
      minimum: 1,
      maximum: 64,
      description: 'Default 1 when the instrument has channels',
    }),
    Type.Null(),
  ]),
  parameter: Parameter,
  alarm_type: literals(ALARM_TYPES, 'Default threshold'),
  condition: literals(ALARM_CONDITIONS, 'Default greater_than'),
  severity: literals(ALARM_SEVERITIES, 'Default warning'),
  threshold: NullableValue('greater_than, less_than, equal_to, not_equal_to, rising_edge, falling_edge'),
  threshold_high: NullableValue('in_range, out_of_range: the upper bound'),
  threshold_low: NullableValue('in_range, out_of_range: the lower bound'),
  reference: NullableValue("deviation: the value to measure from; null = the instrument's own setpoint"),
  window_seconds: Seconds(0.1, 'rate_of_change: the window the rate is taken over (default 1)'),
  deadband: Type.Number({
    minimum: 0,
    maximum: MAX_ALARM_VALUE,
    description:
      'Hysteresis: an alarm raised above a threshold returns to normal only below threshold − deadband (equal_to, not_equal_to: the tolerance)',
  }),
  delay_seconds: Seconds(0, 'On-delay: the condition must hold this long before the alarm is raised'),
  count: Type.Union([
    Type.Integer({
      minimum: 1,
      maximum: MAX_ALARM_COUNT,
      description:
        'Count filter: raise when the condition became true this many times within count_window_seconds',
    }),
    Type.Null(),
  ]),
  count_window_seconds: Type.Union([Seconds(0.1, 'The count filter window'), Type.Null()]),
  auto_clear: Type.Boolean({
    description: 'true: clears by itself when back to normal; false: latching, stays until acknowledged',
  }),
  enabled: Type.Boolean(),
  notifications: Type.Array(literals(ALARM_NOTIFICATION_METHODS), {
    maxItems: 3,
    uniqueItems: true,
    description: 'Default ["websocket"]',
  }),
  interval_ms: Type.Integer({
    minimum: ALARM_INTERVAL_MS.min,
    maximum: ALARM_INTERVAL_MS.max,
    description: 'How often the reading is evaluated (default 500 ms = 2 Hz)',
  }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: MAX_ALARM_TAGS }),
};

const optional = <T extends Record<string, TSchema>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };

/** POST /api/alarms/create: `name` and `parameter` are required, the rest has defaults. */
export const CreateAlarmRequest = Type.Object(
  {
    ...optional(DefinitionFields),
    name: DefinitionFields.name,
    parameter: DefinitionFields.parameter,
  },
  { additionalProperties: false },
);
export type CreateAlarmRequest = Static<typeof CreateAlarmRequest>;

/** PUT /api/alarms/{alarm_id}: any writable field; the others keep their values. */
export const UpdateAlarmRequest = Type.Object(optional(DefinitionFields), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateAlarmRequest = Static<typeof UpdateAlarmRequest>;

/** A stored definition (AlarmConfig). */
export const AlarmConfig = Type.Object({
  alarm_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  equipment_id: Nullable(Type.String()),
  channel: Nullable(Type.Integer()),
  parameter: Type.String(),
  alarm_type: literals(ALARM_TYPES),
  condition: literals(ALARM_CONDITIONS),
  severity: literals(ALARM_SEVERITIES),
  threshold: NullableNumber,
  threshold_high: NullableNumber,
  threshold_low: NullableNumber,
  reference: NullableNumber,
  window_seconds: Type.Number(),
  deadband: Type.Number(),
  delay_seconds: Type.Number(),
  count: Nullable(Type.Integer()),
  count_window_seconds: NullableNumber,
  auto_clear: Type.Boolean(),
  enabled: Type.Boolean(),
  notifications: Type.Array(literals(ALARM_NOTIFICATION_METHODS)),
  interval_ms: Type.Integer(),
  tags: Type.Array(Type.String()),
  /** True for the definitions LabLink makes itself (communication per instrument, safety). */
  builtin: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  created_by: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' }),
});
export type AlarmConfig = Static<typeof AlarmConfig>;

export const AlarmParams = Type.Object({ alarm_id: AlarmId });
export const AlarmEventParams = Type.Object({ event_id: AlarmEventId });
export const AlarmEquipmentParams = Type.Object({
  equipment_id: Type.String({ minLength: 1, maxLength: 64 }),
});

/** GET /api/alarms */
export const AlarmListQuery = Type.Object({
  equipment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean()),
  alarm_type: Type.Optional(literals(ALARM_TYPES)),
  severity: Type.Optional(literals(ALARM_SEVERITIES)),
});

export const AlarmList = Type.Object({
  success: Type.Boolean(),
  count: Type.Integer(),
  alarms: Type.Array(AlarmConfig),
});
export type AlarmList = Static<typeof AlarmList>;

/** POST /api/alarms/create */
export const AlarmCreated = Type.Object({
  success: Type.Boolean(),
  alarm_id: Type.String(),
  message: Type.String(),
  alarm: AlarmConfig,
});
export type AlarmCreated = Static<typeof AlarmCreated>;

/** GET, PUT /api/alarms/{alarm_id}, …/enable, …/disable; DELETE (no alarm). */
export const AlarmResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.Optional(Type.String()),
  alarm: Type.Optional(AlarmConfig),
});
export type AlarmResponse = Static<typeof AlarmResponse>;

// ------------------------------------------------------------------------------------------------------ events

/** One occurrence of an alarm, from raised to cleared (AlarmEvent). */
export const AlarmEvent = Type.Object({
  event_id: Type.String(),
  alarm_id: Type.String(),
  alarm_name: Type.String(),
  alarm_type: literals(ALARM_TYPES),
  severity: literals(ALARM_SEVERITIES),
  state: literals(ALARM_STATES),
  equipment_id: Nullable(Type.String()),
  channel: Nullable(Type.Integer()),
  parameter: Nullable(Type.String()),
  /** The latest value evaluated (deviation, rate_of_change: the deviation, the rate). */
  value: NullableNumber,
  threshold: NullableNumber,
  message: Type.String(),
  /** Whether the condition still holds (a shelved or suppressed alarm is still evaluated). */
  in_alarm: Type.Boolean(),
  triggered_at: Type.String({ format: 'date-time' }),
  /** When it returned to normal (null while in alarm). */
  returned_at: Nullable(Type.String({ format: 'date-time' })),
  acknowledged_at: Nullable(Type.String({ format: 'date-time' })),
  acknowledged_by: Nullable(Type.String()),
  acknowledgment_note: Nullable(Type.String()),
  shelved_until: Nullable(Type.String({ format: 'date-time' })),
  shelved_by: Nullable(Type.String()),
  cleared_at: Nullable(Type.String({ format: 'date-time' })),
  cleared_by: Nullable(Type.String()),
});
export type AlarmEvent = Static<typeof AlarmEvent>;

/** GET /api/alarms/events/active */
export const ActiveAlarmEvents = Type.Object({
  success: Type.Boolean(),
  count: Type.Integer(),
  events: Type.Array(AlarmEvent),
});
export type ActiveAlarmEvents = Static<typeof ActiveAlarmEvents>;

/** GET /api/alarms/events: the history, newest first. */
export const AlarmEventsQuery = Type.Object({
  state: Type.Optional(literals(ALARM_STATES)),
  severity: Type.Optional(literals(ALARM_SEVERITIES)),
  equipment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  alarm_id: Type.Optional(AlarmId),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Raised at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Raised before' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
});
export type AlarmEventsQuery = Static<typeof AlarmEventsQuery>;

export const AlarmEventPage = Type.Object({
  success: Type.Boolean(),
  /** Events in this page. */
  count: Type.Integer(),
  /** Events matching the filters. */
  total: Type.Integer(),
  events: Type.Array(AlarmEvent),
});
export type AlarmEventPage = Static<typeof AlarmEventPage>;

/** GET /api/alarms/events/{event_id}, and every lifecycle action. */
export const AlarmEventResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.Optional(Type.String()),
  event: AlarmEvent,
});
export type AlarmEventResponse = Static<typeof AlarmEventResponse>;

/** POST /api/alarms/events/acknowledge */
export const AcknowledgeRequest = Type.Object(
  {
    event_id: AlarmEventId,
    acknowledged_by: Type.Optional(User),
    note: Type.Optional(Note),
  },
  { additionalProperties: false },
);
export type AcknowledgeRequest = Static<typeof AcknowledgeRequest>;

/** POST /api/alarms/events/{event_id}/shelve */
export const ShelveRequest = Type.Object(
  {
    duration_seconds: Type.Number({ minimum: 1, maximum: MAX_ALARM_SECONDS }),
    shelved_by: Type.Optional(User),
    note: Type.Optional(Note),
  },
  { additionalProperties: false },
);
export type ShelveRequest = Static<typeof ShelveRequest>;

/** POST /api/alarms/events/{event_id}/unshelve */
export const UnshelveRequest = Type.Object(
  { unshelved_by: Type.Optional(User) },
  { additionalProperties: false },
);
export type UnshelveRequest = Static<typeof UnshelveRequest>;

/** POST /api/alarms/{alarm_id}/clear */
export const ClearRequest = Type.Object({ cleared_by: Type.Optional(User) }, { additionalProperties: false });
export type ClearRequest = Static<typeof ClearRequest>;

/** POST /api/alarms/check: a value fed from outside, evaluated as a reading would be. */
export const CheckRequest = Type.Object(
  { alarm_id: AlarmId, value: Value('The value, in the parameter unit') },
  { additionalProperties: false },
);
export type CheckRequest = Static<typeof CheckRequest>;

export const CheckResponse = Type.Object({
  success: Type.Boolean(),
  /** True while the alarm is in alarm after this value (an open event). */
  triggered: Type.Boolean(),
  /** Its open event, or the one this value just cleared; null when none. */
  event: Nullable(AlarmEvent),
});
export type CheckResponse = Static<typeof CheckResponse>;

/** POST /api/alarms/raise: raises a custom or system alarm (in alarm until cleared). */
export const RaiseRequest = Type.Object(
  {
    alarm_id: AlarmId,
    value: Type.Optional(NullableValue('A value to show with it')),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type RaiseRequest = Static<typeof RaiseRequest>;

// -------------------------------------------------------------------------------------------------- statistics

const AlarmCount = Type.Object({ alarm_id: Type.String(), alarm_name: Type.String(), count: Type.Integer() });

/** Alarm-load figures after ISA-18.2 / EEMUA 191 (last 24 hours). */
export const AlarmLoad = Type.Object({
  /** Alarms raised in each 10-minute slot of the last 24 hours, oldest first (144 slots). */
  alarms_per_10_min: Type.Array(Type.Object({ start: Type.String(), count: Type.Integer() })),
  /** Average alarms per 10 minutes over the last 24 hours (EEMUA 191: about 1 is acceptable). */
  average_per_10_min: Type.Number(),
  /** Share of the last 24 hours in flood (more than 10 alarms within 10 minutes), in percent. */
  flood_time_percent: Type.Number(),
  /** The ten alarms raised most often in the last 24 hours. */
  bad_actors: Type.Array(AlarmCount),
  /** Alarms raised 3 times or more within one minute (last 24 hours). */
  chattering: Type.Array(AlarmCount),
  /** Occurrences active for more than 24 hours. */
  stale: Type.Array(
    Type.Object({ event_id: Type.String(), alarm_name: Type.String(), since: Type.String() }),
  ),
});
export type AlarmLoad = Static<typeof AlarmLoad>;

export const AlarmStatistics = Type.Object({
  success: Type.Boolean(),
  /** Open occurrences by state. */
  total_active: Type.Integer(),
  total_acknowledged: Type.Integer(),
  total_returned: Type.Integer(),
  total_shelved: Type.Integer(),
  total_suppressed: Type.Integer(),
  total_cleared: Type.Integer(),
  /** Open occurrences by severity and by instrument. */
  by_severity: Type.Record(Type.String(), Type.Integer()),
  by_equipment: Type.Record(Type.String(), Type.Integer()),
  /** Top ten alarms of the whole history. */
  most_frequent: Type.Array(AlarmCount),
  load: AlarmLoad,
});
export type AlarmStatistics = Static<typeof AlarmStatistics>;

/** GET /api/alarms/parameters/{equipment_id}: the reading fields an alarm on this instrument may watch. */
export const AlarmParameters = Type.Object({
  equipment_id: Type.String(),
  equipment_type: Type.String(),
  /** Channels to choose from (1 when the instrument has one or none). */
  channels: Type.Integer(),
  parameters: Type.Array(
    Type.Object({
      name: Type.String(),
      unit: Type.String(),
      description: Type.String(),
      /** deviation alarms: the field holding its setpoint (voltage_set for voltage_actual), if any. */
      setpoint: Nullable(Type.String()),
    }),
  ),
});
export type AlarmParameters = Static<typeof AlarmParameters>;
