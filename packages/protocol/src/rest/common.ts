// What every REST feature shares: the bounds of request values, the one error body, and the shapes REST shares
// with the WebSocket's payloads (readings, equipment info, lock modes, e-stop results), defined once in
// payloads.ts and re-exported here.

import { type Static, Type } from 'typebox';

export {
  type ConnectionType,
  ElectronicLoadReadings,
  EQUIPMENT_STATES,
  EQUIPMENT_TYPES,
  EquipmentInfo,
  type EquipmentState,
  type EquipmentType,
  type LoadMode,
  LockMode,
  MultimeterReadings,
  PowerSupplyReadings,
  Readings,
  ScopeMeasurements,
  SmuReadings,
  StopResult,
  Waveform,
} from '../payloads.js';

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
/** Some errors add details (a `locked` error names the holder in `locked_by`). */
export type ErrorBody = Static<typeof ErrorBody> & { [extra: string]: unknown };
