// Equipment REST (reference §2.11), with the original's paths and bodies and its bugs fixed: an unknown id is
// 404 everywhere, an instrument or driver error is an HTTP error carrying the instrument's message (never 200
// with success:false), and GET /api/equipment/{id} exists.

import { randomUUID } from 'node:crypto';
import { type Static, Type } from '@fastify/type-provider-typebox';
import type { AppInstance } from '../app.js';
import { discover } from '../equipment/discovery.js';
import { notFound } from '../http-errors.js';
import { ErrorResponses } from './schemas.js';

const EquipmentInfo = Type.Object({
  id: Type.String(),
  type: Type.String(),
  manufacturer: Type.String(),
  model: Type.String(),
  serial_number: Type.Union([Type.String(), Type.Null()]),
  connection_type: Type.String(),
  resource_string: Type.String(),
  nickname: Type.Union([Type.String(), Type.Null()]),
});

const EquipmentDetail = Type.Object({
  ...EquipmentInfo.properties,
  state: Type.String({ description: 'connecting | connected | reconnecting | error | disconnected' }),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the instrument is in error or reconnecting',
  }),
  firmware_version: Type.Union([Type.String(), Type.Null()]),
  channels: Type.Integer(),
  ratings: Type.Array(Type.Record(Type.String(), Type.Number())),
  capabilities: Type.Record(Type.String(), Type.Unknown()),
  stream_types: Type.Array(Type.String()),
  last_settings: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'The last value of each setting the instrument took (e.g. set_voltage@1), kept across restarts',
  }),
});

const IdParams = Type.Object({ equipment_id: Type.String({ minLength: 1, maxLength: 64 }) });

const ConnectBody = Type.Object(
  {
    resource_string: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'VISA resource, e.g. TCPIP0::192.168.1.50::5025::SOCKET or ASRL/dev/ttyUSB0::INSTR',
    }),
    equipment_type: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.String({ enum: ['oscilloscope', 'power_supply', 'electronic_load', 'multimeter', 'generic'] }),
      ]),
    ),
    model: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.String({ maxLength: 64, description: 'Needed for BK 1685B/1902B (no *IDN?)' }),
      ]),
    ),
    nickname: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
  },
  { additionalProperties: false },
);

const CommandBody = Type.Object({
  command_id: Type.Optional(Type.String({ maxLength: 100 })),
  equipment_id: Type.Optional(Type.String()),
  action: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'set_voltage, set_output, get_readings, get_waveform …',
  }),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { default: {} })),
  session_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  timestamp: Type.Optional(Type.Unknown()),
});

const CommandResponse = Type.Object({
  command_id: Type.String(),
  success: Type.Boolean(),
  data: Type.Unknown(),
  error: Type.Null(),
  timestamp: Type.String(),
});

type View = NonNullable<ReturnType<AppInstance['services']['equipment']['find']>>;

function detail(view: View, lastSettings: Record<string, unknown>): Static<typeof EquipmentDetail> {
  return {
    ...view.info,
    state: view.state,
    error: view.error,
    firmware_version: view.firmware_version,
    channels: view.model?.channels ?? 0,
    ratings: (view.model?.ratings ?? []) as unknown as Record<string, number>[],
    capabilities: view.model?.capabilities ?? {},
    stream_types: view.stream_types,
    last_settings: lastSettings,
  };
}

export async function equipmentRoutes(app: AppInstance): Promise<void> {
  const { equipment } = app.services;
  const tags = ['equipment'];
  const describe = (view: View) => detail(view, equipment.lastSettings(view.info.id));

  app.post(
    '/api/equipment/discover',
    {
      schema: {
        tags,
        summary:
          'Find instruments: the simulated bench, configured instruments, LXI instruments on mDNS, serial ports',
        response: {
          200: Type.Object({ devices: Type.Array(Type.Unknown({ description: 'DiscoveredDevice' })) }),
        },
      },
    },
    async () => ({ devices: await discover(app.services, { mdns: app.services.config.mdns }) }),
  );

  app.post(
    '/api/equipment/connect',
    {
      schema: {
        tags,
        summary: 'Connect an instrument by VISA resource string (type and model detected from *IDN?)',
        body: ConnectBody,
        response: {
          200: Type.Object({
            equipment_id: Type.String(),
            status: Type.String(),
            equipment: EquipmentDetail,
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { resource_string, equipment_type, model, nickname } = request.body;
      const view = await equipment.connect({
        resource_string,
        ...(equipment_type ? { equipment_type } : {}),
        ...(model ? { model } : {}),
        ...(nickname ? { nickname } : {}),
      });
      return { equipment_id: view.info.id, status: view.state, equipment: describe(view) };
    },
  );

  app.post(
    '/api/equipment/disconnect/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Put outputs in a safe state, then disconnect',
        params: IdParams,
        querystring: Type.Object({ session_id: Type.Optional(Type.String()) }),
        response: {
          200: Type.Object({ equipment_id: Type.String(), status: Type.Literal('disconnected') }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const id = request.params.equipment_id;
      await equipment.disconnect(id, {
        source: 'rest',
        ...(request.query.session_id ? { sessionId: request.query.session_id } : {}),
      });
      return { equipment_id: id, status: 'disconnected' as const };
    },
  );

  app.get(
    '/api/equipment/list',
    {
      schema: {
        tags,
        summary: 'Every managed instrument (the original EquipmentInfo shape)',
        response: { 200: Type.Array(EquipmentInfo) },
      },
    },
    async () => equipment.list().map((v) => v.info),
  );

  app.get(
    '/api/equipment/:equipment_id',
    {
      schema: {
        tags,
        summary: 'One instrument with its live state',
        params: IdParams,
        response: { 200: Type.Object({ equipment: EquipmentDetail }), ...ErrorResponses },
      },
    },
    async (request) => ({ equipment: describe(requireView(app, request.params.equipment_id)) }),
  );

  app.patch(
    '/api/equipment/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Rename an instrument (nickname)',
        params: IdParams,
        body: Type.Object(
          { nickname: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ equipment: EquipmentDetail }), ...ErrorResponses },
      },
    },
    async (request) => ({
      equipment: describe(
        equipment.setNickname(request.params.equipment_id, request.body.nickname?.trim() || null),
      ),
    }),
  );

  app.get(
    '/api/equipment/:equipment_id/status',
    {
      schema: {
        tags,
        summary: 'Connection state, firmware, capabilities and I/O statistics',
        params: IdParams,
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...ErrorResponses },
      },
    },
    async (request) => equipment.status(request.params.equipment_id),
  );

  app.get(
    '/api/equipment/:equipment_id/commands',
    {
      schema: {
        tags,
        summary: 'The commands this instrument accepts, with their parameters, and its limits',
        params: IdParams,
        response: {
          200: Type.Object({
            commands: Type.Array(
              Type.Unknown({ description: 'CommandInfo: name, description, params, control' }),
            ),
            limits: Type.Array(Type.Unknown(), { description: 'Safety limits in force per channel' }),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const view = requireView(app, request.params.equipment_id);
      const limits = view.model ? app.services.safety.limits(view.info.id, view.model) : [];
      return { commands: [...equipment.commands(view.info.id)], limits };
    },
  );

  app.get(
    '/api/equipment/:equipment_id/readings',
    {
      schema: {
        tags,
        summary: 'Current readings (PSU per channel, load, multimeter); 501 for a scope',
        params: IdParams,
        querystring: Type.Object({ channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })) }),
        response: {
          200: Type.Unknown({
            description: 'PowerSupplyData, ElectronicLoadData or MultimeterData (reference §2.2)',
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => equipment.readings(request.params.equipment_id, request.query.channel),
  );

  app.post(
    '/api/equipment/:equipment_id/command',
    {
      schema: {
        tags,
        summary: 'Run a named command (set_voltage, set_output, get_waveform …) through locks and safety',
        params: IdParams,
        body: CommandBody,
        response: { 200: CommandResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { action, parameters, session_id, command_id } = request.body;
      const data = await equipment.execute(request.params.equipment_id, action, parameters ?? {}, {
        source: 'rest',
        ...(session_id ? { sessionId: session_id } : {}),
      });
      return {
        command_id: command_id ?? randomUUID(),
        success: true,
        data: data ?? null,
        error: null,
        timestamp: new Date().toISOString(),
      };
    },
  );

  app.post(
    '/api/equipment/:equipment_id/scpi',
    {
      schema: {
        tags,
        summary:
          'Raw SCPI passthrough: queries on any instrument, writes only where no output could be bypassed',
        params: IdParams,
        body: Type.Object(
          {
            command: Type.String({ minLength: 1, maxLength: 512 }),
            session_id: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ command: Type.String(), reply: Type.Union([Type.String(), Type.Null()]) }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { command, session_id } = request.body;
      const reply = await equipment.raw(request.params.equipment_id, command, {
        source: 'rest',
        ...(session_id ? { sessionId: session_id } : {}),
      });
      return { command, reply: reply ?? null };
    },
  );
}

function requireView(app: AppInstance, id: string) {
  const view = app.services.equipment.find(id);
  if (!view) throw notFound(`Equipment ${id}`);
  return view;
}
