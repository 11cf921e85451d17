// Profile routes (/api/profiles/…): named sets of settings, stored and applied to an instrument in one step.

import { type Static, Type } from 'typebox';
import { MAX_KEY_LENGTH, MAX_SETTING_LENGTH, MAX_SETTINGS } from './common.js';

/** The instrument types a profile may be written for. */
export const PROFILE_EQUIPMENT_TYPES = [
  'oscilloscope',
  'power_supply',
  'electronic_load',
  'multimeter',
  'smu',
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
