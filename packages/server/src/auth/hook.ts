// Enforcement at the HTTP edge, one hook for every request (the /ws upgrade included): who the request is (a
// Bearer token, the session cookie, or open mode's `local`), whether its role may use the route (auth/roles.ts),
// and afterwards one audit line for every state change. Also the security headers of every response.

import { SESSION_COOKIE } from '@lablink/protocol/rest';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import type { LockService } from '../locks.js';
import { type AuditLog, withoutSecrets } from './audit.js';
import { allows, routeAccess, routeKey } from './roles.js';
import { type AuthService, OPEN_PRINCIPAL, type Principal, principalKey } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; null when nobody signed it and the server is not in open mode. */
    principal: Principal | null;
  }
}

/** Query parameters that would carry a token in the URL, where logs and browser history keep it. */
const TOKEN_QUERY_KEYS = new Set(['token', 'access_token', 'api_key', 'apikey']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** State changes not worth a line: keep-alives and pure computations. Logins are written by the login route. */
const NOT_AUDITED = new Set([
  'POST /api/auth/login',
  'POST /api/locks/activity/{equipment_id}',
  'POST /api/locks/sessions/{session_id}/activity',
  'POST /api/scheduler/triggers/preview',
]);

export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
} as const;
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

export function installAuth(
  app: FastifyInstance,
  auth: AuthService,
  audit: AuditLog,
  locks: Pick<LockService, 'holderOf'>,
): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    for (const key of new URLSearchParams(request.url.split('?')[1] ?? '').keys()) {
      if (TOKEN_QUERY_KEYS.has(key.toLowerCase())) {
        throw new DomainError(
          'token_in_url',
          'a token in the URL is refused (logs and browser history keep URLs): send "Authorization: Bearer <token>", or the token in the WebSocket hello',
          key,
        );
      }
    }
    request.principal = identify(request, auth);
    const url = request.routeOptions.url;
    // No route (a 404), or outside the API (the web app, /docs).
    if (url === undefined) return;
    const access = routeAccess(request.method, url);
    if (access === null || access === 'public') return;
    const principal = request.principal;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      throw new DomainError(
        'unauthenticated',
        'sign in (POST /api/auth/login) or send an API token: "Authorization: Bearer <token>"',
      );
    }
    if (!allows(principal.role, access)) throw forbidden(principal, access);
  });

  // A lock belongs to whoever took it: a lock session id sent by anyone else is refused before the route runs, so a
  // leaked or guessed id controls nothing. (Admins may end another's session; they force-release with their own.)
  app.addHook('preHandler', async (request) => {
    const principal = request.principal;
    if (!principal || principal.kind === 'open') return;
    const url = request.routeOptions.url;
    if (url === undefined) return;
    const me = principalKey(principal);
    const adminEnds = principal.role === 'admin' && routeKey(request.method, url) === ADMIN_MAY_END;
    for (const id of lockSessionIds(request)) {
      const holder = locks.holderOf(id);
      if (holder === undefined || holder === null || holder === me || adminEnds) continue;
      throw new DomainError(
        'forbidden',
        `this lock session belongs to ${holder.replace(':', ' ')}; take a lock session of your own (POST /api/locks/sessions/create)`,
        'session_id',
      );
    }
  });

  // A lock session id proves the lock: answers show it to its holder only (in open mode everyone is the same
  // `local`); others see who holds it. Errors (409 locked) included. Client addresses are for admins.
  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const principal = request.principal;
    if (!principal || principal.kind === 'open' || payload === null || typeof payload !== 'object')
      return payload;
    const hidden = hideLockSessions(payload, locks, principalKey(principal));
    return principal.role === 'admin' ? hidden : hideAddresses(hidden);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    // /docs (Swagger UI) runs inline scripts of its own; the policy is for the web app and the API.
    if (!request.url.startsWith('/docs')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });

  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    const url = request.routeOptions.url;
    if (!principal || url === undefined || SAFE_METHODS.has(request.method)) return;
    if (routeAccess(request.method, url) === null) return;
    const action = routeKey(request.method, url);
    if (NOT_AUDITED.has(action)) return;
    const params = Object.values((request.params ?? {}) as Record<string, string>);
    audit.write({
      principal: principal.username,
      kind: principal.kind,
      action,
      target: params.length > 0 ? params.join('/') : null,
      detail: { status: reply.statusCode, body: withoutSecrets(request.body) ?? null },
      address: request.ip,
    });
  });
}

/** The principal of a request: a Bearer token wins over the cookie; open mode when neither signs it. */
export function identify(request: FastifyRequest, auth: AuthService): Principal | null {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const principal = match?.[1] ? auth.verifyToken(match[1]) : null;
    if (!principal) {
      throw new DomainError('unauthenticated', 'the API token is not valid (unknown, revoked or malformed)');
    }
    return principal;
  }
  const cookie = sessionCookie(request.headers.cookie);
  const fromCookie = cookie ? auth.verifySession(cookie) : null;
  if (fromCookie) return fromCookie;
  return auth.open ? OPEN_PRINCIPAL : null;
}

/** The value of the lablink_session cookie in a Cookie header. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function forbidden(principal: Principal, needed: string): DomainError {
  return new DomainError(
    'forbidden',
    `this needs the role ${needed}; ${principal.username} is ${principal.role}`,
    undefined,
    { required_role: needed, role: principal.role },
  );
}

/** The one route where an admin may name another's lock session: ending it. */
const ADMIN_MAY_END = 'DELETE /api/locks/sessions/{session_id}';

/** The lock session ids a request acts with: `session_id` in its body, its path or its query string. */
function lockSessionIds(request: FastifyRequest): string[] {
  const ids: string[] = [];
  for (const source of [request.body, request.params, request.query]) {
    const id = (source as { session_id?: unknown } | null | undefined)?.session_id;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

/** Keys whose values are a client's network address (in lock sessions and the audit log; realtime stats, with
 * each connection's `remote`, are for admins altogether). */
const ADDRESS_KEYS = new Set(['client_ip', 'address']);

/** `value` with every client address replaced by null (what non-admins see of sessions and connections). */
export function hideAddresses(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.length === 0 || typeof value[0] !== 'object' ? value : value.map(hideAddresses);
  }
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, ADDRESS_KEYS.has(k) ? null : hideAddresses(v)]),
  );
}

/**
 * The view of a published event for one WebSocket client: lock events name the session id that proves a lock, so a
 * signed-in client sees its own and, for others', who holds them (as REST answers do). Other events pass unchanged.
 */
export function lockEventView(locks: Pick<LockService, 'holderOf'>) {
  return <M extends { type: string; data?: unknown }>(message: M, viewer: Principal): M => {
    if (viewer.kind === 'open' || !message.type.startsWith('lock_')) return message;
    return { ...message, data: hideLockSessions(message.data, locks, principalKey(viewer)) };
  };
}

/** Keys whose values may be lock session ids. */
const LOCK_SESSION_KEYS = new Set(['session_id', 'session_ids', 'locked_by', 'by']);

/** `value` with every lock session id not held by `me` replaced by who holds it: `(held by user alice)`. */
export function hideLockSessions(value: unknown, locks: Pick<LockService, 'holderOf'>, me: string): unknown {
  const hide = (id: unknown): unknown => {
    if (typeof id !== 'string') return id;
    const holder = locks.holderOf(id);
    if (holder === undefined || holder === me) return id;
    return holder === null ? '(hidden)' : `(held by ${holder.replace(':', ' ')})`;
  };
  const walk = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) {
      // Samples and other number arrays: nothing to hide, nothing to copy.
      if (node.length === 0 || typeof node[0] !== 'object' || node[0] === null) {
        return key !== undefined && LOCK_SESSION_KEYS.has(key) ? node.map(hide) : node;
      }
      return node.map((item) => walk(item));
    }
    if (node === null || typeof node !== 'object') {
      if (key === undefined) return node;
      if (LOCK_SESSION_KEYS.has(key)) return hide(node);
      // The original's wording names the session in words: "… is locked by session <id>".
      if ((key === 'detail' || key === 'message') && typeof node === 'string') {
        return node.replace(
          /session ([^\s;,]+?)(\.?)(?=[\s;,]|$)/g,
          (_, id: string, dot: string) => `session ${hide(id)}${dot}`,
        );
      }
      return node;
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
  };
  return walk(value);
}
