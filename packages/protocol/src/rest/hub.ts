// Hub mode's REST API (`lablink hub`, docs/mqtt.md): the benches a hub reads from an MQTT broker, their instruments
// with the latest readings, open alarms and jobs, and the commands it forwards to a bench through the broker.

import { type Static, Type } from 'typebox';
import { BenchEquipment, Readings } from '../payloads.js';
import { AlarmEvent } from './alarms.js';
import { MAX_KEY_LENGTH, MAX_PARAMETERS } from './common.js';
import { Nullable } from './helpers.js';
import { ScheduledJob } from './scheduler.js';

const BenchName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The bench name (lablink/<bench>/…)',
});

export const BenchParams = Type.Object({ bench: BenchName });
export type BenchParams = Static<typeof BenchParams>;
export const BenchEquipmentParams = Type.Object({
  bench: BenchName,
  equipment_id: Type.String({ maxLength: 64 }),
});
export type BenchEquipmentParams = Static<typeof BenchEquipmentParams>;

/** One bench as a hub sees it. */
export const BenchSummary = Type.Object({
  bench: Type.String(),
  /** `unknown`: the hub has seen the bench's other topics but not its status yet. */
  state: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
  /** Why it is offline (`stopped`, `connection lost`); null when online. */
  reason: Nullable(Type.String()),
  /** When the bench last said it came online or stopped; null for a last will. */
  since: Nullable(Type.String()),
  /** The bench's LabLink version. */
  version: Nullable(Type.String()),
  equipment_count: Type.Integer({ minimum: 0 }),
  active_alarms: Type.Integer({ minimum: 0 }),
  /** When the hub last heard from the bench (hub time). */
  last_seen: Type.String(),
});
export type BenchSummary = Static<typeof BenchSummary>;

export const BenchList = Type.Object({ benches: Type.Array(BenchSummary) });
export type BenchList = Static<typeof BenchList>;

/** The latest reading of one channel, with its seq on the bench. */
export const BenchReading = Type.Object({ seq: Type.Integer(), timestamp: Type.String(), data: Readings });
export type BenchReading = Static<typeof BenchReading>;

export const BenchEquipmentItem = Type.Intersect([
  BenchEquipment,
  Type.Object({ readings: Type.Record(Type.String(), BenchReading, { description: 'By channel number' }) }),
]);
export type BenchEquipmentItem = Static<typeof BenchEquipmentItem>;

export const BenchEquipmentList = Type.Object({
  bench: Type.String(),
  equipment: Type.Array(BenchEquipmentItem),
});
export type BenchEquipmentList = Static<typeof BenchEquipmentList>;

export const BenchAlarms = Type.Object({ bench: Type.String(), events: Type.Array(AlarmEvent) });
export type BenchAlarms = Static<typeof BenchAlarms>;

export const BenchJobs = Type.Object({ bench: Type.String(), jobs: Type.Array(ScheduledJob) });
export type BenchJobs = Static<typeof BenchJobs>;

/** POST /api/hub/benches/{bench}/equipment/{equipment_id}/command */
export const BenchCommandRequest = Type.Object(
  {
    action: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'set_voltage, set_output, get_readings …',
    }),
    parameters: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        maxProperties: MAX_PARAMETERS,
        propertyNames: { maxLength: MAX_KEY_LENGTH },
      }),
    ),
  },
  { additionalProperties: false },
);
export type BenchCommandRequest = Static<typeof BenchCommandRequest>;

/** The bench's answer, forwarded. */
export const BenchCommandResponse = Type.Object({
  bench: Type.String(),
  success: Type.Boolean(),
  data: Type.Unknown(),
});
export type BenchCommandResponse = Static<typeof BenchCommandResponse>;

/** POST /api/hub/benches/{bench}/alarms/acknowledge */
export const BenchAcknowledgeRequest = Type.Object(
  {
    event_id: Type.String({ minLength: 1, maxLength: 100 }),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type BenchAcknowledgeRequest = Static<typeof BenchAcknowledgeRequest>;
