// Safety REST (reference §2.7): the emergency stop with the original's paths and responses (its clients POST
// activate with no body), safety status and history, and per-instrument limits (an addition).

import { Type } from '@fastify/type-provider-typebox';
import type { AppInstance } from '../app.js';
import { notFound } from '../http-errors.js';
import { ErrorResponses } from './schemas.js';

const StopResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  active: Type.Boolean(),
  stop_time: Type.Union([Type.String(), Type.Null()]),
  equipment_count: Type.Integer(),
  failed: Type.Optional(Type.Array(Type.Object({ equipment_id: Type.String(), error: Type.String() }))),
});

const Limit = (description: string) => Type.Optional(Type.Number({ minimum: 0, description }));

const LimitsBody = Type.Object(
  {
    channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1 })),
    max_voltage: Limit('V; never above the rating'),
    min_voltage: Limit('V'),
    max_current: Limit('A; never above the rating'),
    min_current: Limit('A'),
    max_power: Limit('W; never above the rating'),
    voltage_slew_rate: Limit('V/s; voltage changes are ramped at this rate'),
    current_slew_rate: Limit('A/s; current changes are ramped at this rate'),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ equipment_id: Type.String({ minLength: 1, maxLength: 64 }) });

export async function safetyRoutes(app: AppInstance): Promise<void> {
  const { safety, equipment } = app.services;
  const tags = ['safety'];

  app.post(
    '/api/safety/emergency-stop/activate',
    {
      schema: {
        tags,
        summary: 'Turn every output and load input off on every instrument, and block turning any on',
        response: { 200: StopResponse },
      },
    },
    async () => {
      const { state, failed } = await equipment.emergencyStop();
      return {
        success: true,
        message: `Emergency stop activated - ${state.equipment_count} equipment outputs disabled`,
        active: true,
        stop_time: state.stop_time,
        equipment_count: state.equipment_count,
        failed,
      };
    },
  );

  app.post(
    '/api/safety/emergency-stop/deactivate',
    {
      schema: {
        tags,
        summary: 'Clear the emergency stop; outputs stay off',
        response: { 200: StopResponse },
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
    { schema: { tags, summary: 'Is the emergency stop active?', response: { 200: StopResponse } } },
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
        response: {
          200: Type.Object({
            emergency_stop_active: Type.Boolean(),
            stopped_equipment: Type.Array(Type.String()),
            equipment_with_safety: Type.Array(Type.String()),
            total_equipment: Type.Integer(),
          }),
        },
      },
    },
    async () => {
      const all = equipment.list();
      return {
        emergency_stop_active: safety.emergencyStop.active,
        stopped_equipment: safety.emergencyStop.active ? safety.emergencyStop.stopped_equipment : [],
        equipment_with_safety: all
          .filter((v) => v.info.type === 'power_supply' || v.info.type === 'electronic_load')
          .map((v) => v.info.id),
        total_equipment: all.length,
      };
    },
  );

  const Events = Type.Object({
    events: Type.Array(
      Type.Object({
        at: Type.String(),
        kind: Type.String(),
        equipment_id: Type.Union([Type.String(), Type.Null()]),
        detail: Type.Unknown(),
      }),
    ),
  });
  const Limit1000 = Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  });

  app.get(
    '/api/safety/events',
    {
      schema: {
        tags,
        summary: 'Safety history, newest first',
        querystring: Limit1000,
        response: { 200: Events },
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
        params: IdParams,
        querystring: Limit1000,
        response: { 200: Events },
      },
    },
    async (request) => ({ events: safety.events(request.params.equipment_id, request.query.limit ?? 100) }),
  );

  const LimitsResponse = Type.Object({
    equipment_id: Type.String(),
    limits: Type.Array(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))),
  });

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
        params: IdParams,
        response: { 200: LimitsResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.equipment_id;
      return { equipment_id: id, limits: nullable(safety.limits(id, modelOf(id))) };
    },
  );

  app.put(
    '/api/safety/limits/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Lower the limits of one channel (a limit above the rating is refused with 422)',
        params: IdParams,
        body: LimitsBody,
        response: { 200: LimitsResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const id = request.params.equipment_id;
      const model = modelOf(id);
      const { channel = 1, ...limits } = request.body;
      safety.setLimits(id, model, channel, limits);
      return { equipment_id: id, limits: nullable(safety.limits(id, model)) };
    },
  );
}

/** Unset slew rates appear as null rather than missing, so clients see every field. */
function nullable(limits: object[]) {
  return limits.map(
    (l) => ({ voltage_slew_rate: null, current_slew_rate: null, ...l }) as Record<string, number | null>,
  );
}
