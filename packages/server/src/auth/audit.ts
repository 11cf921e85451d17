// The audit log: who did what, when, from where. Every state-changing API request a known principal makes is
// recorded by one hook (auth/hook.ts) with its route, target and outcome; logins are recorded by the login route.
// Request bodies are kept minus their secrets (passwords, tokens, lock session ids).

import type { AuditEntry, AuditPage } from '@lablink/protocol/rest';
import type { Db } from '../storage/database.js';

export interface AuditRecord {
  principal: string;
  kind: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown>;
  address?: string | null;
}

/** Body fields never stored: they prove identity or a lock. */
const SECRET_FIELDS = new Set(['password', 'token', 'session_id', 'smtp_password']);
/** A body is stored up to this many characters of JSON (a profile or job can be long). */
const MAX_DETAIL_CHARS = 4000;

export class AuditLog {
  constructor(private readonly db: Db) {}

  write(record: AuditRecord): void {
    let detail = JSON.stringify(record.detail ?? {});
    if (detail.length > MAX_DETAIL_CHARS)
      detail = JSON.stringify({ truncated: detail.slice(0, MAX_DETAIL_CHARS) });
    this.db
      .prepare(
        'INSERT INTO audit_log (at, principal, kind, action, target, detail, address) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        new Date().toISOString(),
        record.principal,
        record.kind,
        record.action,
        record.target ?? null,
        detail,
        record.address ?? null,
      );
  }

  /** Newest first; `before` is the previous page's next_before. */
  page(limit: number, before?: number): AuditPage {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(before ?? Number.MAX_SAFE_INTEGER, limit + 1) as (Omit<AuditEntry, 'detail'> & {
      detail: string;
    })[];
    const more = rows.length > limit;
    const entries = rows
      .slice(0, limit)
      .map((row) => ({ ...row, detail: JSON.parse(row.detail) as unknown }));
    return { entries, next_before: more ? (entries.at(-1)?.id ?? null) : null };
  }
}

/** How deep the log follows a body: beyond, a value is replaced by a marker (a hostile body nested 100 000 deep
 * would otherwise exhaust the stack, here and when the line is written). */
const LOGGED_DEPTH = 32;

/** A request body without its secrets, for the log. */
export function withoutSecrets(body: unknown, depth = 0): unknown {
  if (body === null || typeof body !== 'object') return body;
  if (depth >= LOGGED_DEPTH) return '(nested too deep to log)';
  if (Array.isArray(body)) return body.map((item) => withoutSecrets(item, depth + 1));
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>)
      .filter(([key]) => !SECRET_FIELDS.has(key))
      .map(([key, value]) => [key, withoutSecrets(value, depth + 1)]),
  );
}
