// Equipment REST (reference §2.11), with the original's paths and bodies and its bugs fixed: an unknown id is
// 404 everywhere, an instrument or driver error is an HTTP error carrying the instrument's message (never 200
// with success:false), and GET /api/equipment/{id} exists.

import { randomUUID } from 'node:crypto';
import {
  assertSerialDevicePath,
  type ParsedResource,
  parseResource,
  ResourceNotAllowedError,
} from '@lablink/instruments';
import {
  CommandRequest,
  CommandResponse,
  ConnectRequest,
  ConnectResult,
  DisconnectQuery,
  DisconnectResult,
  DiscoverQuery,
  DiscoverResult,
  EquipmentCommands,
  type EquipmentDetail,
  EquipmentIdParams,
  EquipmentList,
  EquipmentResponse,
  EquipmentStatus,
  NicknameRequest,
  ReadingsQuery,
  ReadingsResponse,
  ScpiRequest,
  ScpiResult,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { discover } from '../equipment/discovery.js';
import {
  BroadcastTargetError,
  broadcastAddresses,
  parseBroadcastTargets,
} from '../equipment/vxi11-discovery.js';
import { DomainError, notFound } from '../errors.js';
import { ErrorResponses } from './schemas.js';

/**
 * A serial resource from the network must name a serial device path (ASRL/etc/passwd::INSTR would open a file);
 * decided from the string alone, so the answer never tells whether a file exists. Instruments in the config file
 * may name any path. A resource that does not parse is left to the equipment service's own 400.
 */
function assertSerialPathFromNetwork(resourceString: string): void {
  let resource: ParsedResource;
  try {
    resource = parseResource(resourceString);
  } catch {
    return;
  }
  try {
    assertSerialDevicePath(resource);
  } catch (err) {
    if (err instanceof ResourceNotAllowedError)
      throw new DomainError('invalid_resource', err.message, 'resource_string');
    throw err;
  }
}

type View = NonNullable<ReturnType<AppInstance['services']['equipment']['find']>>;

function detail(view: View, lastSettings: Record<string, unknown>): EquipmentDetail {
  return {
    ...view.info,
    state: view.state,
    error: view.error,
    firmware_version: view.firmware_version,
    channels: view.model?.channels ?? 0,
    ratings: view.model?.ratings ?? [],
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
          'Find instruments: the simulated bench, configured instruments, LXI instruments on mDNS, VXI-11 broadcast, USBTMC, serial ports',
        querystring: DiscoverQuery,
        response: { 200: DiscoverResult, ...ErrorResponses },
      },
    },
    async (request) => {
      const { config } = app.services;
      const vxi11 =
        request.query.broadcast === undefined
          ? config.vxi11Broadcast
          : broadcastQuery(request.query.broadcast);
      return { devices: await discover(app.services, { mdns: config.mdns, vxi11 }) };
    },
  );

  app.post(
    '/api/equipment/connect',
    {
      schema: {
        tags,
        summary: 'Connect an instrument by VISA resource string (type and model detected from *IDN?)',
        body: ConnectRequest,
        response: { 200: ConnectResult, ...ErrorResponses },
      },
    },
    async (request) => {
      const { resource_string, equipment_type, model, nickname } = request.body;
      assertSerialPathFromNetwork(resource_string);
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
        params: EquipmentIdParams,
        querystring: DisconnectQuery,
        response: { 200: DisconnectResult, ...ErrorResponses },
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
        summary: 'Every managed instrument (the LabLink 1.x EquipmentInfo shape)',
        response: { 200: EquipmentList },
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
        params: EquipmentIdParams,
        response: { 200: EquipmentResponse, ...ErrorResponses },
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
        params: EquipmentIdParams,
        body: NicknameRequest,
        response: { 200: EquipmentResponse, ...ErrorResponses },
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
        params: EquipmentIdParams,
        response: { 200: EquipmentStatus, ...ErrorResponses },
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
        params: EquipmentIdParams,
        response: { 200: EquipmentCommands, ...ErrorResponses },
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
        summary:
          'Current readings (PSU per channel, load, multimeter): the latest poll when one is under a second old; 501 for a scope',
        params: EquipmentIdParams,
        querystring: ReadingsQuery,
        response: { 200: ReadingsResponse, ...ErrorResponses },
      },
    },
    async (request) => app.services.readings.current(request.params.equipment_id, request.query.channel),
  );

  app.post(
    '/api/equipment/:equipment_id/command',
    {
      schema: {
        tags,
        summary: 'Run a named command (set_voltage, set_output, get_waveform …) through locks and safety',
        params: EquipmentIdParams,
        body: CommandRequest,
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
        params: EquipmentIdParams,
        body: ScpiRequest,
        response: { 200: ScpiResult, ...ErrorResponses },
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

/** The `broadcast` query parameter, checked now so a bad one is a 400 naming it rather than an empty result. */
function broadcastQuery(text: string): string[] {
  try {
    const targets = parseBroadcastTargets(text);
    broadcastAddresses(targets); // interface names must exist
    return targets;
  } catch (err) {
    if (err instanceof BroadcastTargetError)
      throw new DomainError('invalid_request', err.message, 'broadcast');
    throw err;
  }
}
