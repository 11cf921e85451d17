// The REST API's bodies (reference §2; served as OpenAPI at /docs): TypeBox schemas with their TypeScript types,
// defined once. The server's routes validate requests and document responses with these schemas; the client SDK
// (and through it the web app) uses their types. Import it as `@lablink/protocol/rest`, apart from the WebSocket
// protocol, so that a bundle needing only the types (`import type`) carries none of these schemas.
//
// Some response schemas document a field loosely (a plain string, a record of numbers, `unknown`) while the type
// names what the server really sends: `Type.Unsafe<T>(schema)` keeps the JSON Schema — and so /docs and the
// response serializer — exactly as it is, and the compiler checks each route handler against the precise type.

import { type Static, Type } from 'typebox';
import type { StreamType } from './const.js';
// Shapes the REST API shares with the WebSocket's payloads, defined once there.
import {
  type ConnectionType,
  EQUIPMENT_STATES,
  EQUIPMENT_TYPES,
  EquipmentInfo,
  type EquipmentState,
  type EquipmentType,
  LockMode,
  StopResult,
} from './payloads.js';

export {
  ElectronicLoadReadings,
  EQUIPMENT_STATES,
  EQUIPMENT_TYPES,
  EquipmentInfo,
  type LoadMode,
  LockMode,
  MultimeterReadings,
  PowerSupplyReadings,
  Readings,
  ScopeMeasurements,
  StopResult,
  Waveform,
} from './payloads.js';
export type { ConnectionType, EquipmentState, EquipmentType };

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

// ------------------------------------------------------------------------------------------------------- bounds
// Every number and string a request carries has a range; a value outside it is a 400 naming the field, and nothing
// happens ("Input limits" in docs/equipment.md and docs/locks-and-profiles.md). Numbers are finite: JSON's 1e309
// parses as Infinity, and the server refuses it wherever it is (src/validation.ts).

/** Lock and session timeouts, in seconds: at least one, at most a day. */
export const TIMEOUT_SECONDS = { min: 1, max: 86_400 } as const;
/** Ceiling of a voltage, current or power limit (V, A, W) in a request; the instrument's rating caps it further. */
export const MAX_LIMIT_VALUE = 1_000_000;
/** Ceiling of a slew rate (V/s, A/s); 0 means no ramp. */
export const MAX_SLEW_RATE = 1_000_000;
/** Length of a key of a free-form object (parameters, settings, metadata). */
export const MAX_KEY_LENGTH = 64;
/** Entries of a command's `parameters`. */
export const MAX_PARAMETERS = 32;
/** Entries of a profile's `settings`, and the length of a text setting. */
export const MAX_SETTINGS = 100;
export const MAX_SETTING_LENGTH = 256;
/** Entries of a session's `metadata`, and its size as JSON. */
export const MAX_METADATA_KEYS = 32;
export const MAX_METADATA_BYTES = 4096;
/** Sessions alive at once, and sessions queued for one instrument's lock. */
export const MAX_SESSIONS = 10_000;
export const MAX_LOCK_QUEUE = 100;

// ------------------------------------------------------------------------------------------------- vocabularies

// EQUIPMENT_TYPES, EquipmentType, ConnectionType, EQUIPMENT_STATES, EquipmentState: payloads.ts (re-exported above).

// ------------------------------------------------------------------------------------------------------- errors

/** The one error body, for every error status (the server's http-errors.ts). */
export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: 'What went wrong, in words' }),
    code: Type.String({ description: 'A stable machine-readable code' }),
    field: Type.Optional(Type.String({ description: 'The offending request field' })),
  },
  { additionalProperties: true },
);
export type ErrorBody = Static<typeof ErrorBody>;

// ------------------------------------------------------------------------------------------------------- system

/** GET /health */
export const Health = Type.Object({
  status: Type.Literal('healthy'),
  connected_devices: Type.Integer({ minimum: 0, description: 'Instruments connected right now' }),
});
export type Health = Static<typeof Health>;

/** GET /api */
export const ServerInfo = Type.Object({
  name: Type.String(),
  version: Type.String(),
  hostname: Type.String(),
  status: Type.Literal('running'),
  security_enabled: Type.Boolean(),
});
export type ServerInfo = Static<typeof ServerInfo>;

// ---------------------------------------------------------------------------------------------------- equipment

export const EquipmentIdParams = Type.Object({ equipment_id: Type.String({ minLength: 1, maxLength: 64 }) });

// EquipmentInfo (an item of GET /api/equipment/list): payloads.ts.

/** GET /api/equipment/list */
export const EquipmentList = Type.Array(EquipmentInfo);

/** Ratings of one output channel (PSU) or of the input (load): the ceiling any limit may lower. */
export const ChannelRating = Type.Object({
  channel: Type.Integer(),
  max_voltage: Type.Number(),
  max_current: Type.Number(),
  max_power: Type.Number(),
});
export type ChannelRating = Static<typeof ChannelRating>;

/** GET /api/equipment/{id}: the info plus live state. */
export const EquipmentDetail = Type.Object({
  ...EquipmentInfo.properties,
  state: Type.Unsafe<EquipmentState>(Type.String({ description: EQUIPMENT_STATES.join(' | ') })),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the instrument is in error, reconnecting or not responding',
  }),
  firmware_version: Type.Union([Type.String(), Type.Null()]),
  channels: Type.Integer(),
  ratings: Type.Unsafe<ChannelRating[]>(Type.Array(Type.Record(Type.String(), Type.Number()))),
  capabilities: Type.Record(Type.String(), Type.Unknown()),
  /** What `realtime.stream()` can ask of this instrument. */
  stream_types: Type.Unsafe<StreamType[]>(Type.Array(Type.String())),
  last_settings: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'The last value of each setting the instrument took (e.g. set_voltage@1), kept across restarts',
  }),
});
export type EquipmentDetail = Static<typeof EquipmentDetail>;

/** GET and PATCH /api/equipment/{id} */
export const EquipmentResponse = Type.Object({ equipment: EquipmentDetail });
export type EquipmentResponse = Static<typeof EquipmentResponse>;

/** POST /api/equipment/connect */
export const ConnectRequest = Type.Object(
  {
    resource_string: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'VISA resource, e.g. TCPIP0::192.168.1.50::5025::SOCKET or ASRL/dev/ttyUSB0::INSTR',
    }),
    equipment_type: Type.Optional(
      Type.Union([Type.Null(), Type.Unsafe<EquipmentType>(Type.String({ enum: [...EQUIPMENT_TYPES] }))]),
    ),
    model: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.String({ maxLength: 64, description: 'Needed for BK 1685B/1902B (no *IDN?)' }),
      ]),
    ),
    nickname: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
  },
  { additionalProperties: false },
);
export type ConnectRequest = Static<typeof ConnectRequest>;

export const ConnectResult = Type.Object({
  equipment_id: Type.String(),
  status: Type.String(),
  equipment: EquipmentDetail,
});
export type ConnectResult = Static<typeof ConnectResult>;

/** POST /api/equipment/disconnect/{id} */
export const DisconnectQuery = Type.Object({ session_id: Type.Optional(Type.String({ maxLength: 100 })) });
export const DisconnectResult = Type.Object({
  equipment_id: Type.String(),
  status: Type.Literal('disconnected'),
});
export type DisconnectResult = Static<typeof DisconnectResult>;

/** PATCH /api/equipment/{id} */
export const NicknameRequest = Type.Object(
  { nickname: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]) },
  { additionalProperties: false },
);
export type NicknameRequest = Static<typeof NicknameRequest>;

/** GET /api/equipment/{id}/status: connection state, firmware, capabilities and I/O statistics. */
export const EquipmentStatus = Type.Record(Type.String(), Type.Unknown());
export type EquipmentStatus = Static<typeof EquipmentStatus>;

/** POST /api/equipment/{id}/command (the original's Command). */
export const CommandRequest = Type.Object({
  command_id: Type.Optional(Type.String({ maxLength: 100 })),
  equipment_id: Type.Optional(
    Type.String({ maxLength: 64, description: 'Ignored: the path names the instrument' }),
  ),
  action: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'set_voltage, set_output, get_readings, get_waveform …',
  }),
  parameters: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      maxProperties: MAX_PARAMETERS,
      propertyNames: { maxLength: MAX_KEY_LENGTH },
      description: 'The command’s parameters (GET /api/equipment/{id}/commands lists them with their ranges)',
    }),
  ),
  session_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  timestamp: Type.Optional(Type.Unknown()),
});
export type CommandRequest = Static<typeof CommandRequest>;

export const CommandResponse = Type.Object({
  command_id: Type.String(),
  success: Type.Boolean(),
  data: Type.Unknown(),
  error: Type.Null(),
  /** Server time of the reply. */
  timestamp: Type.String(),
});
export type CommandResponse = Static<typeof CommandResponse>;

/** POST /api/equipment/{id}/scpi */
export const ScpiRequest = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: 512 }),
    session_id: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type ScpiRequest = Static<typeof ScpiRequest>;

export const ScpiResult = Type.Object({
  command: Type.String(),
  reply: Type.Union([Type.String(), Type.Null()]),
});
export type ScpiResult = Static<typeof ScpiResult>;

/** GET /api/equipment/{id}/commands */
export const EquipmentCommands = Type.Object({
  commands: Type.Array(Type.Unknown({ description: 'CommandInfo: name, description, params, control' })),
  limits: Type.Unsafe<ChannelLimits[]>(
    Type.Array(Type.Unknown(), { description: 'Safety limits in force per channel' }),
  ),
});

/** GET /api/equipment/{id}/readings */
export const ReadingsQuery = Type.Object({
  channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
});
export const ReadingsResponse = Type.Unknown({
  description: 'PowerSupplyData, ElectronicLoadData or MultimeterData (reference §2.2)',
});

/** An item of POST /api/equipment/discover. */
export const DiscoveredDevice = Type.Object({
  device_id: Type.String(),
  resource_name: Type.String(),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  serial_number: Nullable(Type.String()),
  firmware_version: Nullable(Type.String()),
  discovery_method: Type.Union([
    Type.Literal('simulated'),
    Type.Literal('config'),
    Type.Literal('mdns'),
    Type.Literal('serial'),
  ]),
  /** The name the instrument announced (mDNS), or null. */
  friendly_name: Nullable(Type.String()),
  discovered_at: Type.String(),
  is_connected: Type.Boolean(),
  /** The id it has when already connected. */
  equipment_id: Nullable(Type.String()),
  status: Type.Union([
    Type.Literal('available'),
    Type.Literal('connected'),
    Type.Literal('unreachable'),
    Type.Literal('unprobed'),
  ]),
  error: Nullable(Type.String()),
  response_time_ms: Nullable(Type.Number()),
});
export type DiscoveredDevice = Static<typeof DiscoveredDevice>;

export const DiscoverResult = Type.Object({
  devices: Type.Array(Type.Unsafe<DiscoveredDevice>(Type.Unknown({ description: 'DiscoveredDevice' }))),
});
export type DiscoverResult = Static<typeof DiscoverResult>;

// ------------------------------------------------------------- instrument data (readings, command results)
// The bodies of GET /api/equipment/{id}/readings and of command results (data of POST …/command) are the readings
// of stream_data: PowerSupplyReadings, ElectronicLoadReadings, MultimeterReadings (Readings), ScopeMeasurements and
// Waveform, defined in payloads.ts and re-exported above.

export const ParamSpec = Type.Union([
  Type.Object({
    type: Type.Literal('number'),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Number()),
    /** Words accepted instead of a number, e.g. AUTO for a multimeter range. */
    keywords: Type.Optional(Type.Array(Type.String())),
  }),
  Type.Object({
    type: Type.Literal('integer'),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Number()),
  }),
  Type.Object({
    type: Type.Literal('boolean'),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    type: Type.Literal('enum'),
    values: Type.Array(Type.String()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.String()),
  }),
]);
export type ParamSpec = Static<typeof ParamSpec>;

/** An item of GET /api/equipment/{id}/commands. */
export const CommandInfo = Type.Object({
  name: Type.String(),
  description: Type.String(),
  params: Type.Record(Type.String(), ParamSpec),
  /** Changes the instrument: needs the lock, passes the safety limits, refused by the e-stop if it enables. */
  control: Type.Boolean(),
});
export type CommandInfo = Static<typeof CommandInfo>;

// ------------------------------------------------------------------------------------------------------- safety

/** POST /api/safety/emergency-stop/activate, …/deactivate, GET …/status */
// StopResult (what the emergency stop did to one instrument): payloads.ts.

export const EmergencyStopStatus = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  active: Type.Boolean(),
  stop_time: Type.Union([Type.String(), Type.Null()]),
  equipment_count: Type.Integer(),
  /** Instruments whose outputs could not be turned off (activate only). */
  failed: Type.Optional(Type.Array(Type.Object({ equipment_id: Type.String(), error: Type.String() }))),
  /** Activate only: each instrument, and whether its outputs and inputs are confirmed off. */
  results: Type.Optional(Type.Array(StopResult)),
});
export type EmergencyStopStatus = Static<typeof EmergencyStopStatus>;

/** GET /api/safety/status */
export const SafetyStatus = Type.Object({
  emergency_stop_active: Type.Boolean(),
  stopped_equipment: Type.Array(Type.String()),
  equipment_with_safety: Type.Array(Type.String()),
  total_equipment: Type.Integer(),
});
export type SafetyStatus = Static<typeof SafetyStatus>;

/** GET /api/safety/events and /api/safety/events/{id} */
export const SafetyEventsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
export const SafetyEvents = Type.Object({
  events: Type.Array(
    Type.Object({
      at: Type.String(),
      kind: Type.String(),
      equipment_id: Type.Union([Type.String(), Type.Null()]),
      detail: Type.Unknown(),
    }),
  ),
});
export type SafetyEvents = Static<typeof SafetyEvents>;

const Limit = (description: string) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: MAX_LIMIT_VALUE, description }));
const SlewRate = (description: string) =>
  Type.Optional(
    Type.Number({ minimum: 0, maximum: MAX_SLEW_RATE, description: `${description}; 0 = no ramp` }),
  );

/** PUT /api/safety/limits/{id}: lowers the limits of one channel (default 1). */
export const LimitsUpdate = Type.Object(
  {
    channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1 })),
    max_voltage: Limit('V; never above the rating'),
    min_voltage: Limit('V'),
    max_current: Limit('A; never above the rating'),
    min_current: Limit('A'),
    max_power: Limit('W; never above the rating'),
    voltage_slew_rate: SlewRate('V/s; voltage changes are ramped at this rate'),
    current_slew_rate: SlewRate('A/s; current changes are ramped at this rate'),
  },
  { additionalProperties: false },
);
export type LimitsUpdate = Static<typeof LimitsUpdate>;

/**
 * Limits in force on one channel: the user's, capped by the ratings. A slew rate never set is null.
 */
export const ChannelLimits = Type.Object({
  channel: Type.Integer(),
  max_voltage: Type.Number(),
  min_voltage: Type.Number(),
  max_current: Type.Number(),
  min_current: Type.Number(),
  max_power: Type.Number(),
  voltage_slew_rate: NullableNumber,
  current_slew_rate: NullableNumber,
});
export type ChannelLimits = Static<typeof ChannelLimits>;

/** GET and PUT /api/safety/limits/{id} */
export const EquipmentLimits = Type.Object({
  equipment_id: Type.String(),
  limits: Type.Unsafe<ChannelLimits[]>(
    Type.Array(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))),
  ),
  /** PUT only: setpoints that were above the new limits and were brought down to them at once. */
  adjusted: Type.Optional(
    Type.Array(
      Type.Object({
        channel: Type.Integer(),
        field: Type.Union([Type.Literal('voltage'), Type.Literal('current'), Type.Literal('power')]),
        from: Type.Number(),
        to: Type.Number(),
      }),
    ),
  ),
});
export type EquipmentLimits = Static<typeof EquipmentLimits>;

// ------------------------------------------------------------------------------------------ locks and sessions

/** Seconds without activity before a lock is released, unless the request says otherwise. */
export const DEFAULT_LOCK_TIMEOUT = 300;
/** Seconds without activity before a session ends, unless the request says otherwise. */
export const DEFAULT_SESSION_TIMEOUT = 600;

const LockEquipmentId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Equipment id, e.g. ps_250e6dfe',
});
const SessionId = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'The caller’s session: one from POST /api/locks/sessions/create, or any id the client chose',
});
const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
const TimeRemaining = Nullable(
  Type.Number({ description: 'Seconds until the lock expires without activity; null: no lock is held' }),
);
const TimeoutSeconds = (fallback: number, description: string) =>
  Type.Integer({
    minimum: TIMEOUT_SECONDS.min,
    maximum: TIMEOUT_SECONDS.max,
    default: fallback,
    description: `${description} (1 to 86400: a day at most)`,
  });

export const Lock = Type.Object({
  lock_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  acquired_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity (1 to 86400)',
  }),
  expires_at: Timestamp,
});
export type Lock = Static<typeof Lock>;

export const QueueEntry = Type.Object({
  queue_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  queued_at: Timestamp,
  position: Type.Integer({ description: '0 = next to get the lock' }),
});
export type QueueEntry = Static<typeof QueueEntry>;

export const LockEvent = Type.Object(
  {
    event: Type.String({
      description:
        'lock_acquired, lock_refreshed, observer_lock_acquired, lock_released, lock_force_released, lock_expired, queued, queue_processed, observer_lock_released',
    }),
    equipment_id: Type.String(),
    session_id: Type.String(),
    timestamp: Timestamp,
  },
  { additionalProperties: true, description: 'Plus details: lock_id, reason, duration_seconds, position …' },
);
export type LockEvent = Static<typeof LockEvent>;

export const Session = Type.Object({
  session_id: Type.String(),
  client_name: Nullable(Type.String()),
  client_ip: Nullable(Type.String()),
  created_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity (1 to 86400)',
  }),
  time_remaining: Type.Number({ description: 'Seconds until it expires without activity' }),
  duration_seconds: Type.Number({ description: 'Seconds since the session was created' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export type Session = Static<typeof Session>;

export const SessionEvent = Type.Object(
  { event: Type.String(), session_id: Type.String(), timestamp: Timestamp },
  { additionalProperties: true },
);
export type SessionEvent = Static<typeof SessionEvent>;

/** POST /api/locks/acquire */
export const AcquireLockRequest = Type.Object(
  {
    equipment_id: LockEquipmentId,
    session_id: SessionId,
    lock_mode: Type.Optional({ ...LockMode, default: 'exclusive' }),
    timeout_seconds: Type.Optional(
      TimeoutSeconds(
        DEFAULT_LOCK_TIMEOUT,
        'Release after this many seconds without activity (any control command counts)',
      ),
    ),
    queue_if_busy: Type.Optional(
      Type.Boolean({ default: false, description: 'Wait in the queue instead of getting 409 when locked' }),
    ),
    username: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'Accepted, not used' }))),
  },
  { additionalProperties: false },
);
export type AcquireLockRequest = Static<typeof AcquireLockRequest>;

export const AcquireLockResult = Type.Union([
  Type.Object({
    success: Type.Literal(true),
    status: Type.Union([Type.Literal('locked'), Type.Literal('refreshed')]),
    lock: Lock,
  }),
  Type.Object({
    success: Type.Literal(true),
    status: Type.Literal('observer'),
    observer_count: Type.Integer(),
  }),
  Type.Object({
    success: Type.Literal(false),
    status: Type.Literal('queued'),
    message: Type.String(),
    current_lock: Lock,
    queue_entry: QueueEntry,
  }),
]);
export type AcquireLockResult = Static<typeof AcquireLockResult>;

/** POST /api/locks/release */
export const ReleaseLockRequest = Type.Object(
  {
    equipment_id: LockEquipmentId,
    session_id: SessionId,
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Release a lock another session holds. Recorded as lock_force_released with who did it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReleaseLockRequest = Static<typeof ReleaseLockRequest>;

export const ReleaseLockResult = Type.Union([
  Type.Object({ success: Type.Literal(true), status: Type.Literal('released'), was_forced: Type.Boolean() }),
  Type.Object({ success: Type.Literal(true), status: Type.Literal('observer_released') }),
  Type.Object({ success: Type.Literal(false), status: Type.Literal('not_locked'), message: Type.String() }),
]);
export type ReleaseLockResult = Static<typeof ReleaseLockResult>;

/** GET /api/locks/status/{id} */
export const LockStatus = Type.Object({
  equipment_id: Type.String(),
  locked: Type.Boolean({ description: 'An exclusive lock is held' }),
  lock_mode: Nullable(LockMode),
  session_id: Nullable(Type.String({ description: 'Holder of the exclusive lock' })),
  lock_id: Nullable(Type.String()),
  acquired_at: Nullable(Timestamp),
  time_remaining: TimeRemaining,
  observer_count: Type.Integer(),
  observer_sessions: Type.Array(Type.String()),
  queue_length: Type.Integer(),
});
export type LockStatus = Static<typeof LockStatus>;

export const LockEquipmentParams = Type.Object({ equipment_id: LockEquipmentId });
export const SessionParams = Type.Object({ session_id: SessionId });
export const LockEventsQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Newest N events' }),
  ),
});
export const SessionRequest = Type.Object({ session_id: SessionId }, { additionalProperties: false });
export const Ack = Type.Object(
  { success: Type.Boolean(), message: Type.String() },
  { additionalProperties: true },
);

/** GET /api/locks/queue/{id} */
export const LockQueue = Type.Object({ equipment_id: Type.String(), queue: Type.Array(QueueEntry) });

/** GET /api/locks/all */
export const AllLocks = Type.Object({
  exclusive_locks: Type.Record(Type.String(), Lock),
  observer_locks: Type.Record(Type.String(), Type.Array(Type.String())),
  queues: Type.Record(Type.String(), Type.Array(QueueEntry)),
});

/** GET /api/locks/events/{id} */
export const LockEvents = Type.Object({
  equipment_id: Type.String(),
  events: Type.Array(LockEvent),
  count: Type.Integer(),
});

/** POST /api/locks/activity/{id} */
export const LockActivityResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  equipment_id: Type.String(),
  session_id: Type.String(),
});

/** POST /api/locks/sessions/create */
export const CreateSessionRequest = Type.Object(
  {
    client_name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    client_ip: Type.Optional(
      Nullable(Type.String({ maxLength: 64, description: 'Defaults to the address the request came from' })),
    ),
    timeout_seconds: Type.Optional(
      TimeoutSeconds(
        DEFAULT_SESSION_TIMEOUT,
        'End the session (and release its locks) after this many seconds without activity',
      ),
    ),
    metadata: Type.Optional(
      Nullable(
        Type.Record(Type.String(), Type.Unknown(), {
          maxProperties: MAX_METADATA_KEYS,
          propertyNames: { maxLength: MAX_KEY_LENGTH },
          description: 'Anything the client wants to keep with the session, up to 4096 bytes of JSON',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

/** GET /api/locks/sessions */
export const SessionList = Type.Object({ sessions: Type.Array(Session), count: Type.Integer() });

/** DELETE /api/locks/sessions/{id} */
export const EndSessionResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  session_id: Type.String(),
  locks_released: Type.Integer(),
});

/** GET /api/locks/sessions/{id}/locks */
export const SessionLocks = Type.Object({
  session_id: Type.String(),
  locked_equipment: Type.Array(Type.String()),
  count: Type.Integer(),
});

/** GET /api/locks/sessions/{id}/events */
export const SessionEvents = Type.Object({
  session_id: Type.String(),
  events: Type.Array(SessionEvent),
  count: Type.Integer(),
});

/** POST /api/locks/cleanup */
export const CleanupResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  expired_sessions: Type.Integer(),
  session_ids: Type.Array(Type.String()),
});

// ----------------------------------------------------------------------------------------------------- profiles

/** The instrument types a profile may be written for. */
export const PROFILE_EQUIPMENT_TYPES = [
  'oscilloscope',
  'power_supply',
  'electronic_load',
  'multimeter',
  'function_generator',
  'generic',
] as const;

const ProfileName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^/]+$',
  description: 'Unique profile name (no "/"), e.g. "Power Supply - 5V Logic"',
});
const ProfileEquipmentType = Type.Union(
  PROFILE_EQUIPMENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'The instrument type the profile is for' },
);
const Settings = Type.Record(
  Type.String(),
  Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: MAX_SETTING_LENGTH })]),
  {
    maxProperties: MAX_SETTINGS,
    propertyNames: { maxLength: MAX_KEY_LENGTH },
    description:
      'power_supply: voltage, current_limit (or current), output_enabled. electronic_load: mode (CC/CV/CR/CP), current, voltage, resistance, power, load_enabled. oscilloscope: timebase_scale, timebase_offset, channel_N_scale, channel_N_offset, channel_N_coupling, channel_N_enabled, trigger_mode.',
  },
);

export const Profile = Type.Object({
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  equipment_type: Type.String(),
  model: Type.String({ description: 'The model it was written for, or "generic"' }),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
  modified_at: Type.String({ format: 'date-time' }),
  tags: Type.Array(Type.String()),
});
export type Profile = Static<typeof Profile>;

const ProfileFields = {
  name: ProfileName,
  description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  equipment_type: ProfileEquipmentType,
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'generic' })),
  settings: Type.Optional({ ...Settings, default: {} }),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
};

/** POST /api/profiles/create */
export const CreateProfileRequest = Type.Object(ProfileFields, { additionalProperties: false });
export type CreateProfileRequest = Static<typeof CreateProfileRequest>;

/** PUT /api/profiles/{name}: the create body (the original's) or any part of it; a different `name` renames. */
export const UpdateProfileRequest = Type.Object(
  {
    ...ProfileFields,
    name: Type.Optional(ProfileName),
    equipment_type: Type.Optional(ProfileEquipmentType),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false },
);
export type UpdateProfileRequest = Static<typeof UpdateProfileRequest>;

/** GET /api/profiles/list */
export const ProfileListQuery = Type.Object({
  equipment_type: Type.Optional(Type.String({ maxLength: 64, description: 'Only this type' })),
});
export const ProfileList = Type.Object({ profiles: Type.Array(Profile), count: Type.Integer() });
export type ProfileList = Static<typeof ProfileList>;

/** The single-profile routes (create, get, update, delete). */
export const ProfileResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  profile: Type.Optional(Profile),
});
export type ProfileResponse = Static<typeof ProfileResponse>;

export const ProfileParams = Type.Object({ name: ProfileName });

/** POST /api/profiles/{name}/apply/{equipment_id} */
export const ApplyProfileParams = Type.Object({
  name: ProfileName,
  equipment_id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const ApplyProfileRequest = Type.Object(
  {
    session_id: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 100, description: 'Needed when the instrument is locked' }),
        Type.Null(),
      ]),
    ),
    channel: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16,
        description: 'Power supplies: the output channel to set (default 1)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ApplyProfileRequest = Static<typeof ApplyProfileRequest>;

const Applied = Type.Object({
  setting: Type.String({ description: 'The profile setting(s)' }),
  action: Type.String({ description: 'The command it became' }),
  params: Type.Record(Type.String(), Type.Unknown()),
});

export const ApplyProfileResult = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  /** The commands sent, in order. */
  applied: Type.Array(Applied, { description: 'In the order they were sent' }),
  skipped: Type.Array(Type.Object({ setting: Type.String(), reason: Type.String() }), {
    description: 'Settings this instrument has no command for',
  }),
});
export type ApplyProfileResult = Static<typeof ApplyProfileResult>;
