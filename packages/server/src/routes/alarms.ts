// Alarm routes (/api/alarms/…) on the original LabLink's paths, with its shadowed routes working: Fastify's router
// matches fixed paths (/events, /statistics, /check …) before /{alarm_id}, whatever the order. The engine is
// src/alarms/engine.ts; docs/alarms.md is the user guide.

import {
  AcknowledgeRequest,
  ActiveAlarmEvents,
  AlarmCreated,
  AlarmEquipmentParams,
  AlarmEventPage,
  AlarmEventParams,
  AlarmEventResponse,
  AlarmEventsQuery,
  AlarmList,
  AlarmListQuery,
  AlarmParameters,
  AlarmParams,
  AlarmResponse,
  AlarmStatistics,
  CheckRequest,
  CheckResponse,
  ClearRequest,
  CreateAlarmRequest,
  RaiseRequest,
  ShelveRequest,
  UnshelveRequest,
  UpdateAlarmRequest,
} from '@lablink/protocol/rest';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../app.js';
import { ErrorResponses } from './schemas.js';

const tags = ['alarms'];

/** Routes whose body is all optional accept no body at all (as LabLink 1.x clients send them): it counts as {}. */
async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

export async function alarmRoutes(app: AppInstance): Promise<void> {
  const { alarms } = app.services;

  // ---- definitions --------------------------------------------------------------------------------------------------

  app.post(
    '/api/alarms/create',
    {
      schema: {
        tags,
        summary: 'Create an alarm definition',
        description:
          'Checked against the instrument: equipment_id must be known, parameter one of its reading fields (GET /api/alarms/parameters/{equipment_id}), the thresholds its condition needs present. A refused definition (400 malformed, 422 not fitting) stores nothing.',
        body: CreateAlarmRequest,
        response: { 200: AlarmCreated, ...ErrorResponses },
      },
    },
    async (request) => {
      const alarm = alarms.create(request.body);
      return {
        success: true,
        alarm_id: alarm.alarm_id,
        message: `Alarm '${alarm.name}' created`,
        alarm,
      };
    },
  );

  app.get(
    '/api/alarms',
    {
      schema: {
        tags,
        summary: 'Alarm definitions',
        querystring: AlarmListQuery,
        response: { 200: AlarmList, ...ErrorResponses },
      },
    },
    async (request) => {
      const list = alarms.list(request.query);
      return { success: true, count: list.length, alarms: list };
    },
  );

  // ---- occurrences (fixed paths before /api/alarms/:alarm_id) -------------------------------------------------------

  app.get(
    '/api/alarms/events/active',
    {
      schema: {
        tags,
        summary: 'Every alarm occurrence not cleared (active, acknowledged, returned, shelved, suppressed)',
        response: { 200: ActiveAlarmEvents, ...ErrorResponses },
      },
    },
    async () => {
      const events = alarms.activeEvents();
      return { success: true, count: events.length, events };
    },
  );

  app.get(
    '/api/alarms/events',
    {
      schema: {
        tags,
        summary: 'Alarm history, newest first, with filters and paging',
        querystring: AlarmEventsQuery,
        response: { 200: AlarmEventPage, ...ErrorResponses },
      },
    },
    async (request) => {
      const { total, events } = alarms.events(request.query);
      return { success: true, count: events.length, total, events };
    },
  );

  app.post(
    '/api/alarms/events/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an alarm occurrence',
        description:
          'active → acknowledged; returned (a latching alarm back to normal) → cleared. 409 when already acknowledged, shelved or cleared.',
        body: AcknowledgeRequest,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { event_id, acknowledged_by, note } = request.body;
      const event = alarms.acknowledge(event_id, acknowledged_by ?? null, note ?? null);
      return { success: true, message: `Alarm event ${event_id} acknowledged`, event };
    },
  );

  app.get(
    '/api/alarms/events/:event_id',
    {
      schema: {
        tags,
        summary: 'One alarm occurrence (cleared ones too)',
        params: AlarmEventParams,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, event: alarms.event(request.params.event_id) }),
  );

  app.post(
    '/api/alarms/events/:event_id/shelve',
    {
      schema: {
        tags,
        summary: 'Shelve an alarm occurrence for a while',
        description:
          'Hidden until duration_seconds have passed (at most a day), then active again if still in alarm, else cleared.',
        params: AlarmEventParams,
        body: ShelveRequest,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { duration_seconds, shelved_by, note } = request.body;
      const event = alarms.shelve(
        request.params.event_id,
        duration_seconds,
        shelved_by ?? null,
        note ?? null,
      );
      return { success: true, message: `Alarm event shelved until ${event.shelved_until}`, event };
    },
  );

  app.post(
    '/api/alarms/events/:event_id/unshelve',
    {
      schema: {
        tags,
        summary: 'End the shelving now',
        description: 'Acknowledged if still in alarm, else cleared.',
        params: AlarmEventParams,
        body: UnshelveRequest,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
      preValidation: noBodyIsEmpty,
    },
    async (request) => {
      const event = alarms.unshelve(request.params.event_id, request.body.unshelved_by ?? null);
      return { success: true, message: `Alarm event ${event.state}`, event };
    },
  );

  app.get(
    '/api/alarms/statistics',
    {
      schema: {
        tags,
        summary: 'Alarm statistics and alarm-load figures (ISA-18.2 / EEMUA 191, last 24 hours)',
        response: { 200: AlarmStatistics, ...ErrorResponses },
      },
    },
    async () => alarms.statistics(),
  );

  app.post(
    '/api/alarms/check',
    {
      schema: {
        tags,
        summary: 'Evaluate a value fed from outside, as a reading would be',
        body: CheckRequest,
        response: { 200: CheckResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, ...alarms.check(request.body.alarm_id, request.body.value) }),
  );

  app.post(
    '/api/alarms/raise',
    {
      schema: {
        tags,
        summary: 'Raise a custom or system alarm',
        description:
          'It stays in alarm until cleared (POST /api/alarms/{alarm_id}/clear). An open occurrence is returned as it is.',
        body: RaiseRequest,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { alarm_id, value, message } = request.body;
      const event = alarms.raiseByRequest(alarm_id, value ?? null, message ?? null);
      return { success: true, message: event.message, event };
    },
  );

  app.get(
    '/api/alarms/parameters/:equipment_id',
    {
      schema: {
        tags,
        summary: 'The reading fields an alarm on this instrument may watch, and its channels',
        params: AlarmEquipmentParams,
        response: { 200: AlarmParameters, ...ErrorResponses },
      },
    },
    async (request) => alarms.parameters(request.params.equipment_id),
  );

  // ---- one definition -------------------------------------------------------------------------------------------------

  app.get(
    '/api/alarms/:alarm_id',
    {
      schema: {
        tags,
        summary: 'One alarm definition',
        params: AlarmParams,
        response: { 200: AlarmResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, alarm: alarms.get(request.params.alarm_id) }),
  );

  app.put(
    '/api/alarms/:alarm_id',
    {
      schema: {
        tags,
        summary: 'Change an alarm definition (only the fields given)',
        params: AlarmParams,
        body: UpdateAlarmRequest,
        response: { 200: AlarmResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const alarm = alarms.update(request.params.alarm_id, request.body);
      return { success: true, message: `Alarm '${alarm.name}' updated`, alarm };
    },
  );

  app.delete(
    '/api/alarms/:alarm_id',
    {
      schema: {
        tags,
        summary: 'Delete an alarm definition (its open occurrence is cleared; its history stays)',
        params: AlarmParams,
        response: { 200: AlarmResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      alarms.delete(request.params.alarm_id);
      return { success: true, message: `Alarm ${request.params.alarm_id} deleted` };
    },
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/api/alarms/:alarm_id/${verb}`,
      {
        schema: {
          tags,
          summary: enabled ? 'Enable an alarm' : 'Disable an alarm (its open occurrence is cleared)',
          params: AlarmParams,
          response: { 200: AlarmResponse, ...ErrorResponses },
        },
      },
      async (request) => {
        const alarm = alarms.setEnabled(request.params.alarm_id, enabled);
        return { success: true, message: `Alarm '${alarm.name}' ${verb}d`, alarm };
      },
    );
  }

  app.post(
    '/api/alarms/:alarm_id/clear',
    {
      schema: {
        tags,
        summary: "Clear an alarm's open occurrence",
        description: '404 when it has none. If the condition still holds, the next reading raises it again.',
        params: AlarmParams,
        body: ClearRequest,
        response: { 200: AlarmEventResponse, ...ErrorResponses },
      },
      preValidation: noBodyIsEmpty,
    },
    async (request) => {
      const event = alarms.clearAlarm(request.params.alarm_id, request.body.cleared_by ?? null);
      return { success: true, message: `Alarm ${request.params.alarm_id} cleared`, event };
    },
  );
}
