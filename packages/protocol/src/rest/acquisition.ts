// Acquisition routes (/api/acquisition/…, reference §3): sessions (create, start, pause, resume, stop, trigger,
// status, data, delete) and sync groups, on the original's paths and shapes, with `trigger_config` accepted.
// Export and statistics have their own modules.

import { type Static, Type } from 'typebox';
import { MAX_KEY_LENGTH, MAX_METADATA_KEYS, MAX_SETTING_LENGTH } from './common.js';
import { Nullable, NullableNumber } from './helpers.js';

export const ACQUISITION_MODES = ['continuous', 'single_shot', 'triggered'] as const;
export type AcquisitionMode = (typeof ACQUISITION_MODES)[number];
export const ACQUISITION_STATES = [
  'idle',
  'waiting_trigger',
  'acquiring',
  'paused',
  'stopped',
  'error',
] as const;
export type AcquisitionState = (typeof ACQUISITION_STATES)[number];
export const TRIGGER_TYPES = ['immediate', 'level', 'edge', 'time', 'external'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];
export const TRIGGER_EDGES = ['rising', 'falling', 'either'] as const;
export type TriggerEdge = (typeof TRIGGER_EDGES)[number];

/** Bounds of a session's settings. */
export const ACQUISITION_LIMITS = {
  /** Highest rate of polled sources, Hz. */
  maxPolledRate: 1000,
  /** Lowest rate: one sample a day (a slower period cannot be scheduled). */
  minRate: 1 / 86_400,
  /** Highest rate a block source may be asked for (captures per second are bounded by the pipeline). */
  maxRate: 1_000_000,
  maxSamples: 100_000_000,
  /** A week. */
  maxDurationSeconds: 604_800,
  maxSources: 64,
  maxBufferSize: 1_000_000,
  maxPreTrigger: 100_000,
  maxLevel: 1e12,
  maxNameLength: 200,
  maxDescriptionLength: 2000,
  maxDataSamples: 100_000,
} as const;

const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum<T>(values, description ? { description } : {});

const IdString = Type.String({ minLength: 1, maxLength: 200 });
const FieldName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' });

export const TriggerConfig = Type.Object(
  {
    trigger_type: literals(TRIGGER_TYPES),
    level: Type.Optional(
      Type.Number({ minimum: -ACQUISITION_LIMITS.maxLevel, maximum: ACQUISITION_LIMITS.maxLevel }),
    ),
    edge: Type.Optional(literals(TRIGGER_EDGES)),
    /** The channel the level or edge watches (default: the first). */
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    pre_trigger_samples: Type.Optional(
      Type.Integer({ minimum: 0, maximum: ACQUISITION_LIMITS.maxPreTrigger }),
    ),
    /** For `time`: when to start (ISO-8601). */
    start_time: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type TriggerConfig = Static<typeof TriggerConfig>;

export const AcquisitionSourceSpec = Type.Object(
  {
    equipment_id: IdString,
    /** A reading field (`voltage_actual`, `value`, `vpp` …); not for `kind: "waveform"`. */
    field: Type.Optional(FieldName),
    /** `waveform` for a scope's block captures; default: the instrument's polled reading kind. */
    kind: Type.Optional(literals(['readings', 'measurements', 'waveform'] as const)),
    channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  },
  { additionalProperties: false },
);
export type AcquisitionSourceSpec = Static<typeof AcquisitionSourceSpec>;

const Metadata = Type.Record(
  Type.String(),
  Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: MAX_SETTING_LENGTH }), Type.Null()]),
  { maxProperties: MAX_METADATA_KEYS, propertyNames: { maxLength: MAX_KEY_LENGTH } },
);

export const CreateAcquisitionRequest = Type.Object(
  {
    equipment_id: Type.Optional(IdString),
    name: Type.Optional(Type.String({ maxLength: ACQUISITION_LIMITS.maxNameLength })),
    description: Type.Optional(Type.String({ maxLength: ACQUISITION_LIMITS.maxDescriptionLength })),
    mode: Type.Optional(literals(ACQUISITION_MODES)),
    /** Hz; > 0, ≤ 1000 for polled sources. */
    sample_rate: Type.Number({ minimum: ACQUISITION_LIMITS.minRate, maximum: ACQUISITION_LIMITS.maxRate }),
    num_samples: Type.Optional(Type.Integer({ minimum: 1, maximum: ACQUISITION_LIMITS.maxSamples })),
    duration_seconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: ACQUISITION_LIMITS.maxDurationSeconds }),
    ),
    /** 1.x: channel names on equipment_id (`CH1`, `CH2` …). */
    channels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: ACQUISITION_LIMITS.maxSources }),
    ),
    sources: Type.Optional(Type.Array(AcquisitionSourceSpec, { maxItems: ACQUISITION_LIMITS.maxSources })),
    trigger_config: Type.Optional(TriggerConfig),
    buffer_size: Type.Optional(Type.Integer({ minimum: 1, maximum: ACQUISITION_LIMITS.maxBufferSize })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: true },
);
export type CreateAcquisitionRequest = Static<typeof CreateAcquisitionRequest>;

export const AcquisitionAck = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  acquisition_id: Type.String(),
  state: Type.Optional(Type.String()),
});
export type AcquisitionAck = Static<typeof AcquisitionAck>;

export const AcquisitionParams = Type.Object({ acquisition_id: IdString });
export type AcquisitionParams = Static<typeof AcquisitionParams>;

export const AcquisitionStatus = Type.Object({
  acquisition_id: Type.String(),
  equipment_id: Nullable(Type.String()),
  name: Nullable(Type.String()),
  state: Type.String(),
  mode: Type.String(),
  channels: Type.Array(Type.String()),
  config: Type.Record(Type.String(), Type.Unknown()),
  stats: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
  started_at: Nullable(Type.String()),
  stopped_at: Nullable(Type.String()),
  stop_reason: Nullable(Type.String()),
  sync_group_id: Nullable(Type.String()),
});
export type AcquisitionStatus = Static<typeof AcquisitionStatus>;

export const AcquisitionDataQuery = Type.Object({
  num_samples: Type.Optional(Type.Integer({ minimum: 1, maximum: ACQUISITION_LIMITS.maxDataSamples })),
  channel: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  /** First sample index; default: the last num_samples. */
  start_index: Type.Optional(Type.Integer({ minimum: 0, maximum: ACQUISITION_LIMITS.maxSamples })),
});
export type AcquisitionDataQuery = Static<typeof AcquisitionDataQuery>;

export const AcquisitionData = Type.Object({
  acquisition_id: Type.String(),
  channels: Type.Array(Type.String()),
  data: Type.Object({
    timestamps: Type.Array(Type.String()),
    /** Seconds since the sync group's start (members of a sync group only). */
    relative_times: Type.Optional(Type.Array(Type.Number())),
    values: Type.Record(Type.String(), Type.Array(NullableNumber)),
  }),
  count: Type.Integer(),
  start_index: Type.Integer(),
  total_samples: Type.Integer(),
});
export type AcquisitionData = Static<typeof AcquisitionData>;

export const AcquisitionSummary = Type.Object({
  acquisition_id: Type.String(),
  equipment_id: Nullable(Type.String()),
  name: Nullable(Type.String()),
  state: Type.String(),
  mode: Type.String(),
  created_at: Type.String(),
  total_samples: Type.Integer(),
});
export type AcquisitionSummary = Static<typeof AcquisitionSummary>;

export const AcquisitionList = Type.Object({
  sessions: Type.Array(AcquisitionSummary),
  count: Type.Integer(),
});
export type AcquisitionList = Static<typeof AcquisitionList>;

// ------------------------------------------------------------------------------------------------ sync groups

export const CreateSyncGroupRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: ACQUISITION_LIMITS.maxNameLength })),
    group_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' })),
  },
  { additionalProperties: true },
);
export type CreateSyncGroupRequest = Static<typeof CreateSyncGroupRequest>;

export const SyncGroupParams = Type.Object({ group_id: IdString });
export type SyncGroupParams = Static<typeof SyncGroupParams>;

export const SyncGroupActionParams = Type.Object({
  group_id: IdString,
  action: literals(['start', 'stop', 'pause', 'resume'] as const),
});
export type SyncGroupActionParams = Static<typeof SyncGroupActionParams>;

export const AddToSyncGroupRequest = Type.Object(
  { equipment_id: Type.Optional(IdString), acquisition_id: IdString },
  { additionalProperties: false },
);
export type AddToSyncGroupRequest = Static<typeof AddToSyncGroupRequest>;

export const SyncGroupStatus = Type.Object({
  group_id: Type.String(),
  name: Nullable(Type.String()),
  state: Type.String(),
  members: Type.Array(
    Type.Object({
      acquisition_id: Type.String(),
      equipment_id: Nullable(Type.String()),
      state: Type.String(),
    }),
  ),
  /** When the members started together (ISO-8601); null before. */
  start_time: Nullable(Type.String()),
  created_at: Type.String(),
});
export type SyncGroupStatus = Static<typeof SyncGroupStatus>;

export const SyncGroupAck = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  group_id: Type.String(),
  results: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
});
export type SyncGroupAck = Static<typeof SyncGroupAck>;

export const SyncGroupList = Type.Object({ groups: Type.Array(SyncGroupStatus), count: Type.Integer() });
export type SyncGroupList = Static<typeof SyncGroupList>;

export const SyncGroupData = Type.Object({
  group_id: Type.String(),
  start_time: Nullable(Type.String()),
  members: Type.Record(Type.String(), AcquisitionData),
});
export type SyncGroupData = Static<typeof SyncGroupData>;
