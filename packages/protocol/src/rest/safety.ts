// Safety routes (/api/safety/…): the emergency stop, the safety status and event log, and per-channel limits.

import { type Static, Type } from 'typebox';
import { StopResult } from '../payloads.js';
import { MAX_LIMIT_VALUE, MAX_SLEW_RATE } from './common.js';
import { NullableNumber } from './helpers.js';

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
