// Safety REST (reference §2.7): the emergency stop with the original's paths and responses (its clients POST
// activate with no body), safety status and history, and per-instrument limits (an addition).

import {
  EmergencyStopStatus,
  EquipmentIdParams,
  EquipmentLimits,
  LimitsUpdate,
  SafetyEvents,
  SafetyEventsQuery,
  SafetyStatus,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { notFound } from '../errors.js';
import { hasOutputs } from '../safety.js';
import { ErrorResponses } from './schemas.js';

export async function safetyRoutes(app: AppInstance): Promise<void> {
  const { safety, equipment } = app.services;
  const tags = ['safety'];

  app.post(
    '/api/safety/emergency-stop/activate',
    {
      schema: {
        tags,
        summary: 'Turn every output and load input off on every instrument, and block turning any on',
        response: { 200: EmergencyStopStatus },
      },
    },
    async () => {
      const { state, results } = await equipment.emergencyStop();
      const failed = results
        .filter((r) => !r.safe)
        .map((r) => ({ equipment_id: r.equipment_id, error: r.error ?? '' }));
      return {
        success: true,
        message:
          `Emergency stop activated - ${state.equipment_count} equipment outputs disabled` +
          (failed.length > 0
            ? `; ${failed.length} could not be confirmed safe: ${failed.map((f) => f.equipment_id).join(', ')}`
            : ''),
        active: true,
        stop_time: state.stop_time,
        equipment_count: state.equipment_count,
        failed,
        results,
      };
    },
  );

  app.post(
    '/api/safety/emergency-stop/deactivate',
    {
      schema: {
        tags,
        summary: 'Clear the emergency stop; outputs stay off',
        response: { 200: EmergencyStopStatus },
      },
    },
    async () => {
      const state = safety.deactivate();
      return {
        success: true,
        message: 'Emergency stop deactivated - outputs remain disabled',
        active: false,
        stop_time: state.stop_time,
        equipment_count: state.equipment_count,
      };
    },
  );

  app.get(
    '/api/safety/emergency-stop/status',
    { schema: { tags, summary: 'Is the emergency stop active?', response: { 200: EmergencyStopStatus } } },
    async () => {
      const state = safety.emergencyStop;
      return {
        success: true,
        message: state.active ? 'Emergency stop is active' : 'Emergency stop is not active',
        active: state.active,
        stop_time: state.stop_time,
        equipment_count: state.equipment_count,
      };
    },
  );

  app.get(
    '/api/safety/status',
    {
      schema: {
        tags,
        summary: 'Emergency stop and which instruments have safety limits',
        response: { 200: SafetyStatus },
      },
    },
    async () => {
      const all = equipment.list();
      return {
        emergency_stop_active: safety.emergencyStop.active,
        stopped_equipment: safety.emergencyStop.active ? safety.emergencyStop.stopped_equipment : [],
        equipment_with_safety: all.filter((v) => hasOutputs(v.info.type)).map((v) => v.info.id),
        total_equipment: all.length,
      };
    },
  );

  app.get(
    '/api/safety/events',
    {
      schema: {
        tags,
        summary: 'Safety history, newest first',
        querystring: SafetyEventsQuery,
        response: { 200: SafetyEvents },
      },
    },
    async (request) => ({ events: safety.events(null, request.query.limit ?? 100) }),
  );

  app.get(
    '/api/safety/events/:equipment_id',
    {
      schema: {
        tags,
        summary: "One instrument's safety history, newest first",
        params: EquipmentIdParams,
        querystring: SafetyEventsQuery,
        response: { 200: SafetyEvents },
      },
    },
    async (request) => ({ events: safety.events(request.params.equipment_id, request.query.limit ?? 100) }),
  );

  const modelOf = (id: string) => {
    const view = equipment.find(id);
    if (!view) throw notFound(`Equipment ${id}`);
    if (!view.model) throw notFound(`Limits of ${id} (not connected yet)`);
    return view.model;
  };

  app.get(
    '/api/safety/limits/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Limits in force per channel (yours, capped by the ratings)',
        params: EquipmentIdParams,
        response: { 200: EquipmentLimits, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.equipment_id;
      return { equipment_id: id, limits: safety.limits(id, modelOf(id)) };
    },
  );

  app.put(
    '/api/safety/limits/:equipment_id',
    {
      schema: {
        tags,
        summary:
          'Set the limits of one channel (above the rating: 422); setpoints above a lowered limit are brought down at once',
        params: EquipmentIdParams,
        body: LimitsUpdate,
        response: { 200: EquipmentLimits, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.equipment_id;
      modelOf(id);
      const { channel = 1, ...limits } = request.body;
      return { equipment_id: id, ...(await equipment.setLimits(id, channel, limits)) };
    },
  );
}
