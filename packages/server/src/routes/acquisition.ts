// Acquisition REST (reference §3.3), on the original's paths and shapes: sessions (create with trigger_config and
// sources, start, stop, pause, resume, an external trigger, status, data, list, delete) and sync groups. Export
// and statistics have their own route modules. Refusals are domain errors: 400/404/409 naming the field.

import { Type } from '@fastify/type-provider-typebox';
import {
  AcquisitionAck,
  AcquisitionData,
  AcquisitionDataQuery,
  AcquisitionList,
  AcquisitionParams,
  AcquisitionStatus,
  AddToSyncGroupRequest,
  CreateAcquisitionRequest,
  CreateSyncGroupRequest,
  SyncGroupAck,
  SyncGroupActionParams,
  SyncGroupData,
  SyncGroupList,
  SyncGroupParams,
  SyncGroupStatus,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { ErrorResponses } from './schemas.js';

const tags = ['acquisition'];
const P = '/api/acquisition';

export async function acquisitionRoutes(app: AppInstance): Promise<void> {
  const { acquisitions, syncGroups } = app.services;

  app.post(
    `${P}/session/create`,
    {
      schema: {
        tags,
        summary: 'Create an acquisition session (idle until started)',
        description:
          'Channels: `channels: ["CH1", …]` on `equipment_id` (LabLink 1.x), or `sources: [{equipment_id, field, channel?}]` (polled reading fields of any instruments, aligned on timestamps) and `{equipment_id, kind: "waveform", channel}` (a scope\'s waveform captures, whole). Triggers: immediate, level, edge, time, external, with pre_trigger_samples kept.',
        body: CreateAcquisitionRequest,
        response: { 200: AcquisitionAck, ...ErrorResponses },
      },
    },
    async (request) => {
      const session = acquisitions.create(request.body);
      return {
        success: true,
        message: 'Acquisition session created',
        acquisition_id: session.acquisition_id,
        state: session.state,
      };
    },
  );

  const actions = {
    start: (id: string) => acquisitions.start(id),
    stop: (id: string) => acquisitions.stop(id),
    pause: (id: string) => acquisitions.pause(id),
    resume: (id: string) => acquisitions.resume(id),
    trigger: (id: string) => acquisitions.trigger(id),
  } as const;
  for (const [action, run] of Object.entries(actions)) {
    app.post(
      `${P}/session/:acquisition_id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'trigger'
              ? 'Trigger a session waiting for its trigger (the external trigger)'
              : `${action.charAt(0).toUpperCase()}${action.slice(1)} an acquisition session`,
          params: AcquisitionParams,
          response: { 200: AcquisitionAck, ...ErrorResponses },
        },
      },
      async (request) => {
        const id = request.params.acquisition_id;
        const result = run(id);
        return { ...result, acquisition_id: id, state: acquisitions.get(id).state };
      },
    );
  }

  app.get(
    `${P}/session/:acquisition_id/status`,
    {
      schema: {
        tags,
        summary: 'A session: state, settings, statistics, why it stopped',
        params: AcquisitionParams,
        response: { 200: AcquisitionStatus, ...ErrorResponses },
      },
    },
    async (request) => acquisitions.status(request.params.acquisition_id),
  );

  app.get(
    `${P}/session/:acquisition_id/data`,
    {
      schema: {
        tags,
        summary: 'Recorded samples (the last num_samples, default 1000, or from start_index), from storage',
        params: AcquisitionParams,
        querystring: AcquisitionDataQuery,
        response: { 200: AcquisitionData, ...ErrorResponses },
      },
    },
    async (request) => acquisitions.data(request.params.acquisition_id, request.query),
  );

  app.get(
    `${P}/sessions`,
    {
      schema: {
        tags,
        summary: 'Every session, past and present',
        response: { 200: AcquisitionList, ...ErrorResponses },
      },
    },
    async () => {
      const sessions = acquisitions.list();
      return { sessions, count: sessions.length };
    },
  );

  app.delete(
    `${P}/session/:acquisition_id`,
    {
      schema: {
        tags,
        summary: 'Delete a session and its recorded data (a running one is stopped first)',
        params: AcquisitionParams,
        response: { 200: AcquisitionAck, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.acquisition_id;
      acquisitions.delete(id);
      return { success: true, message: 'Acquisition session deleted', acquisition_id: id };
    },
  );

  // ------------------------------------------------------------------------------------------------ sync groups

  app.post(
    `${P}/sync/group/create`,
    {
      schema: {
        tags,
        summary: 'Create a sync group (sessions started, paused, resumed, stopped together)',
        body: Type.Optional(CreateSyncGroupRequest),
        response: { 200: SyncGroupAck, ...ErrorResponses },
      },
    },
    async (request) => {
      const group = syncGroups.create(request.body ?? {});
      return { success: true, message: 'Sync group created', group_id: group.group_id };
    },
  );

  app.post(
    `${P}/sync/group/:group_id/add`,
    {
      schema: {
        tags,
        summary: 'Add a session to a sync group',
        params: SyncGroupParams,
        body: AddToSyncGroupRequest,
        response: { 200: SyncGroupAck, ...ErrorResponses },
      },
    },
    async (request) => {
      syncGroups.add(request.params.group_id, request.body);
      return { success: true, message: 'Added to sync group', group_id: request.params.group_id };
    },
  );

  app.post(
    `${P}/sync/group/:group_id/:action`,
    {
      schema: {
        tags,
        summary: 'Start, stop, pause or resume every member of a sync group together',
        params: SyncGroupActionParams,
        response: { 200: SyncGroupAck, ...ErrorResponses },
      },
    },
    async (request) => {
      const { group_id, action } = request.params;
      const results = syncGroups.action(group_id, action);
      const success = Object.values(results).every(Boolean);
      return {
        success,
        message: success ? `Sync group ${action}` : `Not every member could ${action}`,
        group_id,
        results,
      };
    },
  );

  app.get(
    `${P}/sync/group/:group_id/status`,
    {
      schema: {
        tags,
        summary: 'A sync group: members and their states, start time',
        params: SyncGroupParams,
        response: { 200: SyncGroupStatus, ...ErrorResponses },
      },
    },
    async (request) => syncGroups.status(request.params.group_id),
  );

  app.get(
    `${P}/sync/group/:group_id/data`,
    {
      schema: {
        tags,
        summary: "Each member's samples, with times relative to the group's start (relative_times, s)",
        params: SyncGroupParams,
        querystring: Type.Object({ num_samples: AcquisitionDataQuery.properties.num_samples }),
        response: { 200: SyncGroupData, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.group_id;
      const members = await syncGroups.data(id, request.query.num_samples);
      return { group_id: id, start_time: syncGroups.startTime(id), members };
    },
  );

  app.get(
    `${P}/sync/groups`,
    { schema: { tags, summary: 'Every sync group', response: { 200: SyncGroupList, ...ErrorResponses } } },
    async () => {
      const groups = syncGroups.list();
      return { groups, count: groups.length };
    },
  );

  app.delete(
    `${P}/sync/group/:group_id`,
    {
      schema: {
        tags,
        summary: 'Delete a sync group (its sessions stay)',
        params: SyncGroupParams,
        response: { 200: SyncGroupAck, ...ErrorResponses },
      },
    },
    async (request) => {
      syncGroups.delete(request.params.group_id);
      return { success: true, message: 'Sync group deleted', group_id: request.params.group_id };
    },
  );
}
