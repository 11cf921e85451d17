// Profiles REST (reference §2.9) on the original's paths and bodies. Applying a profile really sets the instrument,
// through the same locks, emergency stop and safety limits as any other command (src/profiles.ts).

import { Type } from '@fastify/type-provider-typebox';
import type { AppInstance } from '../app.js';
import { notFound } from '../http-errors.js';
import { PROFILE_EQUIPMENT_TYPES } from '../profiles.js';
import { ErrorResponses } from './schemas.js';

const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^/]+$',
  description: 'Unique profile name (no "/"), e.g. "Power Supply - 5V Logic"',
});
const EquipmentType = Type.Union(
  PROFILE_EQUIPMENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'The instrument type the profile is for' },
);
const Settings = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'power_supply: voltage, current_limit (or current), output_enabled. electronic_load: mode (CC/CV/CR/CP), current, voltage, resistance, power, load_enabled. oscilloscope: timebase_scale, timebase_offset, channel_N_scale, channel_N_offset, channel_N_coupling, channel_N_enabled, trigger_mode.',
});

const Profile = Type.Object({
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  equipment_type: Type.String(),
  model: Type.String({ description: 'The model it was written for, or "generic"' }),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
  modified_at: Type.String({ format: 'date-time' }),
  tags: Type.Array(Type.String()),
});

const ProfileFields = {
  name: Name,
  description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  equipment_type: EquipmentType,
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'generic' })),
  settings: Type.Optional({ ...Settings, default: {} }),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
};
const CreateBody = Type.Object(ProfileFields, { additionalProperties: false });
// PUT takes the create body (the original's) or any part of it; a different `name` renames the profile.
const UpdateBody = Type.Object(
  {
    ...ProfileFields,
    name: Type.Optional(Name),
    equipment_type: Type.Optional(EquipmentType),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false },
);

const ProfileResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  profile: Type.Optional(Profile),
});

const ApplyBody = Type.Object(
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

const Applied = Type.Object({
  setting: Type.String({ description: 'The profile setting(s)' }),
  action: Type.String({ description: 'The command it became' }),
  params: Type.Record(Type.String(), Type.Unknown()),
});

const ApplyResponse = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  applied: Type.Array(Applied, { description: 'In the order they were sent' }),
  skipped: Type.Array(Type.Object({ setting: Type.String(), reason: Type.String() }), {
    description: 'Settings this instrument has no command for',
  }),
});

const NameParams = Type.Object({ name: Name });
const tags = ['profiles'];

export async function profileRoutes(app: AppInstance): Promise<void> {
  const { profiles } = app.services;

  app.get(
    '/api/profiles/list',
    {
      schema: {
        tags,
        summary: 'Profiles, newest modified first',
        querystring: Type.Object({
          equipment_type: Type.Optional(Type.String({ description: 'Only this type' })),
        }),
        response: { 200: Type.Object({ profiles: Type.Array(Profile), count: Type.Integer() }) },
      },
    },
    async (request) => {
      const list = profiles.list(request.query.equipment_type);
      return { profiles: list, count: list.length };
    },
  );

  app.post(
    '/api/profiles/create',
    {
      schema: {
        tags,
        summary: 'Create a profile',
        body: CreateBody,
        response: { 201: ProfileResponse, ...ErrorResponses },
      },
    },
    async (request, reply) => {
      const profile = profiles.create(request.body);
      return reply
        .status(201)
        .send({ success: true, message: `Profile '${profile.name}' created successfully`, profile });
    },
  );

  app.get(
    '/api/profiles/:name',
    {
      schema: {
        tags,
        summary: 'One profile',
        params: NameParams,
        response: { 200: ProfileResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const profile = profiles.get(request.params.name);
      if (!profile) throw notFound(`Profile '${request.params.name}'`);
      return { success: true, message: 'Profile retrieved successfully', profile };
    },
  );

  app.put(
    '/api/profiles/:name',
    {
      schema: {
        tags,
        summary: 'Change a profile (only the fields given; a new name renames it)',
        params: NameParams,
        body: UpdateBody,
        response: { 200: ProfileResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const profile = profiles.update(request.params.name, request.body);
      return { success: true, message: 'Profile updated successfully', profile };
    },
  );

  app.delete(
    '/api/profiles/:name',
    {
      schema: {
        tags,
        summary: 'Delete a profile',
        params: NameParams,
        response: { 200: ProfileResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!profiles.delete(name)) throw notFound(`Profile '${name}'`);
      return { success: true, message: `Profile '${name}' deleted successfully` };
    },
  );

  app.post(
    '/api/profiles/:name/apply/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Set an instrument as the profile says',
        description:
          'Outputs being switched off go first, setpoints next, outputs being switched on last. Every setting passes the lock, emergency stop and safety limits; the first one refused stops the rest, and the error (409 lock or e-stop, 422 limit, 502 instrument) names it and lists the settings applied before it. Unknown settings are a 400 before anything is sent.',
        params: Type.Object({ name: Name, equipment_id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Optional(ApplyBody),
        response: {
          200: ApplyResponse,
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { name, equipment_id } = request.params;
      const { session_id, channel } = request.body ?? {};
      return profiles.apply(name, equipment_id, {
        ...(session_id ? { sessionId: session_id } : {}),
        ...(channel !== undefined ? { channel } : {}),
      });
    },
  );
}
