// Commands a bench takes over the broker. Each one is signed by a LabLink API token in the MQTT 5 user property
// `authorization: Bearer ll_…` (or nothing, on a server in open mode), needs the role its REST route needs
// (auth/roles.ts), and runs through the same services as REST — equipment.execute goes through locks, the
// emergency-stop latch, limits and the slew ramp — so a refusal is the one REST gives: its code (a hub answers with
// the code's HTTP status), detail, field and facts.

import { type AuditLog, withoutSecrets } from '../auth/audit.js';
import { allows, ROUTE_ROLES } from '../auth/roles.js';
import { type AuthService, OPEN_PRINCIPAL, type Principal } from '../auth/service.js';
import { toDomainError } from '../equipment/service.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { COMMAND_OPS, type CommandReply, type CommandRequest } from './topics.js';

/** The REST route whose role each command needs. */
const ROUTE_OF = {
  equipment_command: 'POST /api/equipment/{equipment_id}/command',
  acknowledge_alarm: 'POST /api/alarms/events/acknowledge',
  emergency_stop: 'POST /api/safety/emergency-stop/activate',
} as const satisfies Record<CommandRequest['op'], keyof typeof ROUTE_ROLES>;

export type CommandServices = Pick<Services, 'auth' | 'audit' | 'equipment' | 'alarms' | 'logger'>;

/** Runs one request from the broker and says what to reply. Never throws. */
export async function runCommand(
  services: CommandServices,
  payload: Buffer,
  authorization: string | undefined,
): Promise<CommandReply> {
  let principal: Principal | null = null;
  let request: CommandRequest | null = null;
  let reply: CommandReply;
  try {
    request = parseRequest(payload);
    principal = identify(services.auth, authorization);
    const access = ROUTE_ROLES[ROUTE_OF[request.op]];
    if (!allows(principal.role, access)) {
      throw new DomainError(
        'forbidden',
        `${request.op} needs the ${access} role; this token has ${principal.role}`,
        undefined,
        {
          required_role: access,
          role: principal.role,
        },
      );
    }
    reply = { ok: true, data: (await execute(services, request, principal)) ?? null };
  } catch (err) {
    const error = err instanceof DomainError ? err : toDomainError(err);
    if (error.code === 'internal') services.logger.error({ err }, 'MQTT command failed');
    reply = {
      ...error.extra,
      ok: false,
      code: error.code,
      detail: error.detail,
      ...(error.field ? { field: error.field } : {}),
    };
  }
  if (principal && request) {
    try {
      audit(services.audit, principal, request, reply);
    } catch (err) {
      services.logger.error({ err }, 'MQTT command could not be audited');
    }
  }
  return reply;
}

function execute(services: CommandServices, request: CommandRequest, principal: Principal): Promise<unknown> {
  switch (request.op) {
    case 'equipment_command':
      return services.equipment.execute(request.equipment_id, request.action, request.parameters ?? {}, {
        source: 'mqtt',
        user: principal.username,
        ...(request.session_id ? { sessionId: request.session_id } : {}),
      });
    case 'acknowledge_alarm':
      return Promise.resolve(
        services.alarms.acknowledge(request.event_id, principal.username, request.note ?? null),
      );
    case 'emergency_stop':
      return services.equipment.emergencyStop();
  }
}

/** The principal of a request: its Bearer token, or open mode's `local` when it has none. */
function identify(auth: AuthService, authorization: string | undefined): Principal {
  if (authorization === undefined) {
    if (auth.open) return OPEN_PRINCIPAL;
    throw new DomainError(
      'unauthenticated',
      'send a LabLink API token in the MQTT 5 user property "authorization: Bearer <token>"',
    );
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  const principal = match?.[1] ? auth.verifyToken(match[1]) : null;
  if (!principal)
    throw new DomainError('unauthenticated', 'the API token is not valid (unknown, revoked or malformed)');
  return principal;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request, checked field by field: a bad one is refused naming the field, and nothing runs. */
export function parseRequest(payload: Buffer): CommandRequest {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new DomainError('invalid_request', 'the request is not JSON', 'body');
  }
  if (!isRecord(body)) throw new DomainError('invalid_request', 'the request must be a JSON object', 'body');
  const op = body.op;
  if (typeof op !== 'string' || !(COMMAND_OPS as readonly string[]).includes(op)) {
    throw new DomainError('invalid_request', `op must be one of ${COMMAND_OPS.join(', ')}`, 'op');
  }
  const text = (field: string, optional = false): string | undefined => {
    const v = body[field];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '')
      throw new DomainError('invalid_request', `${field} must be a non-empty string`, field);
    return v;
  };
  switch (op as CommandRequest['op']) {
    case 'equipment_command': {
      const parameters = body.parameters;
      if (parameters !== undefined && !isRecord(parameters)) {
        throw new DomainError('invalid_request', 'parameters must be an object', 'parameters');
      }
      const sessionId = text('session_id', true);
      return {
        op: 'equipment_command',
        equipment_id: text('equipment_id') as string,
        action: text('action') as string,
        ...(parameters ? { parameters } : {}),
        ...(sessionId ? { session_id: sessionId } : {}),
      };
    }
    case 'acknowledge_alarm': {
      const note = body.note;
      if (note !== undefined && note !== null && typeof note !== 'string') {
        throw new DomainError('invalid_request', 'note must be a string', 'note');
      }
      return {
        op: 'acknowledge_alarm',
        event_id: text('event_id') as string,
        note: (note as string | null) ?? null,
      };
    }
    case 'emergency_stop':
      return { op: 'emergency_stop' };
  }
}

function audit(log: AuditLog, principal: Principal, request: CommandRequest, reply: CommandReply): void {
  const target =
    request.op === 'equipment_command'
      ? request.equipment_id
      : request.op === 'acknowledge_alarm'
        ? request.event_id
        : null;
  log.write({
    principal: principal.username,
    kind: principal.kind,
    action: `MQTT ${request.op}`,
    target,
    detail: {
      ...(reply.ok ? { ok: true } : { ok: false, code: reply.code }),
      body: withoutSecrets(request) ?? null,
    },
    address: 'mqtt',
  });
}
