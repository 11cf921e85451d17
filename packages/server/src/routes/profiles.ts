// Profiles REST (reference §2.9) on the original's paths and bodies. Applying a profile really sets the instrument,
// through the same locks, emergency stop and safety limits as any other command (src/profiles.ts).

import { Type } from '@fastify/type-provider-typebox';
import {
  ApplyProfileParams,
  ApplyProfileRequest,
  ApplyProfileResult,
  CreateProfileRequest,
  ProfileList,
  ProfileListQuery,
  ProfileParams,
  ProfileResponse,
  UpdateProfileRequest,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { notFound } from '../errors.js';
import { ErrorResponses } from './schemas.js';

const tags = ['profiles'];

export async function profileRoutes(app: AppInstance): Promise<void> {
  const { profiles } = app.services;

  app.get(
    '/api/profiles/list',
    {
      schema: {
        tags,
        summary: 'Profiles, newest modified first',
        querystring: ProfileListQuery,
        response: { 200: ProfileList },
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
        body: CreateProfileRequest,
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
        params: ProfileParams,
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
        params: ProfileParams,
        body: UpdateProfileRequest,
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
        params: ProfileParams,
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
        params: ApplyProfileParams,
        body: Type.Optional(ApplyProfileRequest),
        response: { 200: ApplyProfileResult, ...ErrorResponses },
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
