// Who is using the page and what they may do, in pure functions: the order of the roles, whether a role may do
// an action, whether the page must ask for a sign-in, and a refused sign-in in words. The rules are the server's
// (it checks every request); the page only follows them so that a viewer is not offered what would be refused.

import { LabLinkError } from '@lablink/client';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Who the page acts as: a signed-in user, a token, or the implicit admin of open mode. */
export interface Principal {
  username: string;
  role: Role;
  kind: 'user' | 'token' | 'open';
}

/** `GET /api/auth/status`: `open` when the server runs without sign-in (loopback, no user yet). */
export interface AuthStatus {
  mode: string;
  [key: string]: unknown;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` is at least `needed` (viewer < operator < admin); no role may do nothing. */
export function roleAtLeast(role: Role | null | undefined, needed: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Why controls that need `needed` are disabled for `role`; null when the role allows them. */
export function roleBlocked(role: Role | null | undefined, needed: Role = 'operator'): string | null {
  if (roleAtLeast(role, needed)) return null;
  if (!role) return 'Sign in to control';
  return needed === 'admin'
    ? `Your role (${role}) cannot change the configuration`
    : `Your role (${role}) can watch but not control`;
}

/** Whether the server runs in open mode (no sign-in at all). */
export function isOpenMode(status: AuthStatus | null | undefined): boolean {
  return status?.mode === 'open';
}

/** The principal of open mode: every request acts as the implicit admin `local`. */
export const OPEN_PRINCIPAL: Principal = { username: 'local', role: 'admin', kind: 'open' };

/** A `/api/auth/me` body as a Principal, or null when it is not one. */
export function toPrincipal(body: unknown): Principal | null {
  const b = (body ?? {}) as Record<string, unknown>;
  const inner = (typeof b.user === 'object' && b.user !== null ? b.user : b) as Record<string, unknown>;
  if (typeof inner.username !== 'string' || !isRole(inner.role)) return null;
  const kind = inner.kind === 'token' || inner.kind === 'open' ? inner.kind : 'user';
  return { username: inner.username, role: inner.role, kind };
}

/** "try again in 40 s" / "in 3 min" from seconds. */
function waitText(seconds: number): string {
  if (seconds < 120) return `${Math.max(1, Math.ceil(seconds))} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

/** A refused sign-in in words: wrong credentials, too many attempts (with when to try again), or anything else. */
export function loginErrorText(err: unknown): string {
  if (err instanceof LabLinkError) {
    if (err.status === 429) {
      const body = err.body ?? {};
      const after = Number(body.retry_after ?? body.retry_after_s ?? body.retryAfter);
      return Number.isFinite(after) && after > 0
        ? `Too many failed sign-ins: try again in ${waitText(after)}.`
        : 'Too many failed sign-ins: wait a few minutes and try again.';
    }
    if (err.status === 401 || err.status === 403) return 'Wrong username or password.';
    if (err.status === 0) return 'The server cannot be reached: try again when it answers.';
    if (err.status === 400) return err.detail ? `Sign-in refused: ${err.detail}` : 'Sign-in refused.';
    return `Sign-in failed: ${err.detail || `HTTP ${err.status}`}`;
  }
  return `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** The notice shown in open mode. */
export const OPEN_MODE_NOTICE = 'Open mode — no sign-in (this server listens on this computer only)';

// ---- the Admin panel's data -------------------------------------------------------------------------------------

export interface UserRow {
  username: string;
  role: Role;
  created_at?: string | null;
  last_login_at?: string | null;
}

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at?: string | null;
  created_by?: string | null;
  last_used_at?: string | null;
  revoked_at?: string | null;
}

export interface AuditRow {
  id: number | string;
  at: string;
  principal: string;
  kind?: string | null;
  action: string;
  target?: string | null;
  detail?: unknown;
  address?: string | null;
}

/** The array under the first of `keys` in a REST body (or the body itself when it is an array). */
export function listIn<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  const b = (body ?? {}) as Record<string, unknown>;
  for (const key of keys) if (Array.isArray(b[key])) return b[key] as T[];
  return [];
}

/** The secret of a token just created (`ll_…`), wherever the body carries it; null when none. */
export function tokenSecretIn(body: unknown): string | null {
  const b = (body ?? {}) as Record<string, unknown>;
  for (const key of ['secret', 'token', 'value', 'plaintext']) {
    if (typeof b[key] === 'string') return b[key] as string;
  }
  const inner = b.token;
  if (inner && typeof inner === 'object') return tokenSecretIn({ ...(inner as object), token: undefined });
  return null;
}

/**
 * The `before` cursor for the next (older) page of the audit log: the server's `next_before` when it gives one,
 * else the id of the page's oldest row; null at the end.
 */
export function nextAuditCursor(body: unknown, rows: readonly AuditRow[], limit: number): string | null {
  const given = (body as { next_before?: unknown } | null)?.next_before;
  if (given === null) return null;
  if (typeof given === 'number' || typeof given === 'string') return String(given);
  if (rows.length < limit) return null;
  const last = rows[rows.length - 1];
  return last === undefined ? null : String(last.id);
}

/** An audit row's detail in one line: `key=value` pairs, or the text itself. */
export function auditDetailText(detail: unknown): string {
  if (detail === null || detail === undefined || detail === '') return '';
  if (typeof detail === 'string') return detail;
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** The roles an admin may give a token or user: at most their own. */
export function assignableRoles(own: Role | null): Role[] {
  return ROLES.filter((r) => roleAtLeast(own, r));
}
