// Alarm notifications beyond the WebSocket: a webhook (POST JSON) and e-mail over SMTP (nodemailer).
//
// The alarm engine calls notify() after an alarm event is stored and published. notify() never throws and never
// waits: each delivery runs on its own, with a timeout, and a failed one is retried with exponential backoff a
// bounded number of times, then given up and logged. `websocket` needs nothing here: the engine's bus event is the
// WebSocket notification.
//
// Throttling is per alarm AND per method (LabLink 1.x kept one counter per alarm, so the first method sent blocked
// the others): at most one notification of an alarm by a method every `throttle_minutes`, and at most
// `max_notifications_per_hour` in any hour. A `cleared` notice is always sent once after its `raised` notice was
// sent by that method, so nobody is left believing an alarm is still on. What throttling suppresses is recorded.
//
// Every attempt's outcome is stored (notification_deliveries) so a user whose mail does not arrive can see why.
// The settings live in SQLite (notification_settings); the API never returns a secret (LabLink 1.x returned the
// SMTP password and API secrets from GET /config).

import {
  type ConfigureNotificationsRequest,
  DELIVERY_METHODS,
  type DeliveryMethod,
  type DeliveryOutcome,
  NOTIFICATION_LIMITS,
  type NotificationConfig,
  type NotificationDelivery,
  type NotificationHistoryQuery,
  type TestNotificationResult,
} from '@lablink/protocol/rest';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { DomainError, invalidRequest } from '../errors.js';
import type { Db } from '../storage/database.js';
import { VERSION } from '../version.js';

// ------------------------------------------------------------------------------------------------ the interface

/** The stored alarm event a notice is about (the fields notifications use; the engine's event has more). */
export interface NoticeEvent {
  event_id: string;
  alarm_id: string;
  alarm_name: string;
  severity: string;
  state: string;
  message: string;
  equipment_id: string | null;
  parameter: string | null;
  value: number | null;
  threshold: number | null;
  triggered_at: string;
  cleared_at?: string | null;
}

/** The alarm definition a notice is about (the fields notifications use). */
export interface NoticeAlarm {
  alarm_id: string;
  name: string;
  description: string | null;
  /** Methods: websocket, webhook, email. Others are ignored. */
  notifications: readonly string[];
}

export interface AlarmNotice {
  kind: 'raised' | 'cleared';
  event: NoticeEvent;
  alarm: NoticeAlarm;
}

export interface NotificationDeps {
  db: Db;
  logger: Logger;
  /** The fetch used for webhooks (tests may pass their own). */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; throttling reads it (tests move it instead of waiting). */
  clock?: () => number;
  /** Pause before each retry of a failed delivery; its length + 1 is the number of attempts. */
  retryDelaysMs?: readonly number[];
  /** Webhook timeout (default 10 s). */
  webhookTimeoutMs?: number;
}

/** 5 attempts over about a minute: 4 s, 8 s, 16 s, 32 s between them. */
export const RETRY_DELAYS_MS: readonly number[] = [4_000, 8_000, 16_000, 32_000];
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Delivery records kept; older ones are pruned. */
export const HISTORY_KEPT = 10_000;
/** Deliveries running or waiting for a retry at once; beyond that a notification is given up at once. */
const MAX_PENDING = 1_000;

// ------------------------------------------------------------------------------------------------ settings

/** The stored settings, secrets included. Never leaves this module: config() redacts it. */
interface StoredSettings {
  email_enabled: boolean;
  smtp_server: string | null;
  smtp_port: number;
  smtp_username: string | null;
  smtp_password: string | null;
  smtp_use_tls: boolean;
  email_from: string | null;
  email_recipients: string[];
  webhook_enabled: boolean;
  webhook_url: string | null;
  webhook_auth_token: string | null;
  throttle_minutes: number;
  max_notifications_per_hour: number;
  updated_at: string | null;
}

export const DEFAULT_NOTIFICATION_SETTINGS: Readonly<StoredSettings> = Object.freeze({
  email_enabled: false,
  smtp_server: null,
  smtp_port: 587,
  smtp_username: null,
  smtp_password: null,
  smtp_use_tls: true,
  email_from: null,
  email_recipients: [],
  webhook_enabled: false,
  webhook_url: null,
  webhook_auth_token: null,
  throttle_minutes: 5,
  max_notifications_per_hour: 10,
  updated_at: null,
});

/** LabLink 1.x's SMS and Slack settings: accepted while off, never stored. */
const IGNORED_KEYS: Record<string, unknown> = { sms_enabled: false, slack_enabled: false };
const IGNORED_ANY = new Set([
  'sms_provider',
  'sms_api_key',
  'sms_api_secret',
  'sms_from_number',
  'sms_recipients',
  'slack_webhook_url',
]);

const SETTING_KEYS = Object.keys(DEFAULT_NOTIFICATION_SETTINGS).filter(
  (k) => k !== 'updated_at',
) as (keyof StoredSettings)[];

// ------------------------------------------------------------------------------------------------ messages

/** One notification, built once from the notice and sent (and retried) as is. */
interface Message {
  kind: 'raised' | 'cleared' | 'test';
  alarmId: string | null;
  eventId: string | null;
  /** The webhook's JSON body. */
  body: Record<string, unknown>;
  subject: string;
  text: string;
  html: string;
}

const SEVERITY_COLOURS: Record<string, string> = {
  info: '#2196F3',
  warning: '#FF9800',
  error: '#F44336',
  critical: '#9C27B0',
};

function buildMessage(kind: Message['kind'], event: NoticeEvent, description: string | null): Message {
  const body: Record<string, unknown> = {
    event_type: kind === 'test' ? 'test' : 'alarm',
    kind,
    event_id: event.event_id,
    alarm_id: event.alarm_id,
    alarm_name: event.alarm_name,
    severity: event.severity,
    state: event.state,
    message: event.message,
    equipment_id: event.equipment_id,
    parameter: event.parameter,
    value: finiteOrNull(event.value),
    threshold: finiteOrNull(event.threshold),
    triggered_at: event.triggered_at,
    description,
  };
  if (kind === 'cleared') body.cleared_at = event.cleared_at ?? null;

  const severity = String(event.severity).toUpperCase();
  const name = oneLine(event.alarm_name);
  const subject =
    kind === 'test'
      ? `[LabLink Alarm] ${severity}: ${name} (test)`
      : `[LabLink Alarm] ${severity}: ${name}${kind === 'cleared' ? ' (cleared)' : ''}`;
  const heading =
    kind === 'test'
      ? 'LabLink test notification'
      : kind === 'cleared'
        ? 'LabLink alarm cleared'
        : 'LabLink alarm raised';
  const rows: [string, string][] = [
    ['Alarm', event.alarm_name],
    ['Severity', severity],
    ['State', event.state],
    ['Message', event.message],
    ['Equipment', event.equipment_id ?? '—'],
    ['Parameter', event.parameter ?? '—'],
    ['Value', show(event.value)],
    ['Threshold', show(event.threshold)],
    ['Triggered', event.triggered_at],
  ];
  if (kind === 'cleared') rows.push(['Cleared', event.cleared_at ?? '—']);
  if (description) rows.push(['Description', description]);
  rows.push(['Event', event.event_id]);

  const text = `${heading}\n\n${rows.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
  const colour = kind === 'cleared' ? '#4CAF50' : (SEVERITY_COLOURS[event.severity] ?? '#607D8B');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<div style="background:${colour};color:#fff;padding:8px 12px;font-weight:bold">${escapeHtml(heading)}: ${escapeHtml(event.alarm_name)}</div>`,
    '<table style="border-collapse:collapse;margin-top:8px">',
    ...rows.map(
      ([k, v]) =>
        `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(k)}</th><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
    ),
    '</table></body></html>',
  ].join('\n');

  return {
    kind,
    alarmId: kind === 'test' ? null : event.alarm_id,
    eventId: event.event_id,
    body,
    subject,
    text,
    html,
  };
}

const finiteOrNull = (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const show = (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? String(v) : '—';
const oneLine = (s: string) =>
  String(s)
    .replace(/\p{Cc}+/gu, ' ')
    .slice(0, 200);

function escapeHtml(s: string): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail =
      cause instanceof Error && cause.message && !err.message.includes(cause.message)
        ? `: ${cause.message}`
        : '';
    return `${err.message}${detail}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

// ------------------------------------------------------------------------------------------------ the service

interface ThrottleState {
  /** When raised notices were sent in the last hour. */
  sent: number[];
  /** The event whose raised notice was sent and whose cleared notice has not been. */
  openEvent: string | null;
}

interface DeliveryRow {
  id: number;
  at: string;
  method: string;
  kind: string;
  alarm_id: string | null;
  event_id: string | null;
  outcome: string;
  ok: number;
  attempt: number;
  error: string | null;
}

export class NotificationService {
  private readonly db: Db;
  private readonly logger: Logger;
  private readonly fetch: typeof fetch;
  private readonly clock: () => number;
  private readonly retryDelays: readonly number[];
  private readonly webhookTimeoutMs: number;
  private settings: StoredSettings;
  private readonly throttles = new Map<string, ThrottleState>();
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborter = new AbortController();
  private transport: { key: string; transporter: Transporter } | null = null;
  private inserts = 0;
  private closed = false;

  constructor(deps: NotificationDeps) {
    this.db = deps.db;
    this.logger = deps.logger;
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.clock = deps.clock ?? Date.now;
    this.retryDelays = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.webhookTimeoutMs = deps.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.settings = this.load();
  }

  /** Sends the notice by each method its alarm lists and the settings enable. Never throws, never waits. */
  notify(notice: AlarmNotice): void {
    try {
      this.dispatch(notice);
    } catch (err) {
      this.logger.error({ err, alarm_id: notice?.alarm?.alarm_id }, 'alarm notification not sent');
    }
  }

  /** The settings as the API shows them: no secret, only whether one is stored. */
  config(): NotificationConfig {
    const s = this.settings;
    return {
      websocket_enabled: true,
      email_enabled: s.email_enabled,
      smtp_server: s.smtp_server,
      smtp_port: s.smtp_port,
      smtp_username: s.smtp_username,
      smtp_password: null,
      smtp_password_set: s.smtp_password !== null,
      smtp_use_tls: s.smtp_use_tls,
      email_from: s.email_from,
      email_recipients: [...s.email_recipients],
      webhook_enabled: s.webhook_enabled,
      webhook_url: s.webhook_url,
      webhook_auth_token: null,
      webhook_auth_token_set: s.webhook_auth_token !== null,
      throttle_minutes: s.throttle_minutes,
      max_notifications_per_hour: s.max_notifications_per_hour,
      updated_at: s.updated_at,
    };
  }

  /**
   * Changes the settings given; a field left out keeps its value (a secret too), null clears it. Checked as a
   * whole before anything is stored: a refusal (DomainError invalid_request naming the field) changes nothing.
   */
  configure(update: ConfigureNotificationsRequest): NotificationConfig {
    if (!update || typeof update !== 'object' || Array.isArray(update)) {
      throw invalidRequest('body', 'the notification settings must be an object');
    }
    const next: StoredSettings = { ...this.settings, email_recipients: [...this.settings.email_recipients] };
    const given = update as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (key === 'websocket_enabled') {
        if (given[key] !== true && given[key] !== undefined) {
          throw invalidRequest(
            key,
            'alarm events always reach WebSocket clients; a client chooses what it subscribes to',
          );
        }
        continue;
      }
      if (key in IGNORED_KEYS) {
        if (given[key] !== IGNORED_KEYS[key] && given[key] !== undefined) {
          throw invalidRequest(
            key,
            `${key.replace('_enabled', '')} notifications are not available: use the webhook or e-mail`,
          );
        }
        continue;
      }
      if (IGNORED_ANY.has(key)) continue;
      if (!(SETTING_KEYS as string[]).includes(key)) throw invalidRequest(key, `unknown setting ${key}`);
      if (given[key] === undefined) continue;
      (next as unknown as Record<string, unknown>)[key] = given[key];
    }
    checkSettings(next);
    next.updated_at = new Date(this.clock()).toISOString();
    this.db
      .prepare(
        `INSERT INTO notification_settings (id, config, updated_at) VALUES (1, ?, ?)
         ON CONFLICT(id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      )
      .run(JSON.stringify(next), next.updated_at);
    this.settings = next;
    this.dropTransport();
    this.logger.info(
      { email_enabled: next.email_enabled, webhook_enabled: next.webhook_enabled },
      'notification settings changed',
    );
    return this.config();
  }

  /** Sends one test notification now by `method` (unthrottled, one attempt) and says whether it arrived. */
  async test(method: DeliveryMethod): Promise<TestNotificationResult> {
    if (!(DELIVERY_METHODS as readonly string[]).includes(method)) {
      throw invalidRequest('method', `method must be one of ${DELIVERY_METHODS.join(', ')}`);
    }
    const missing = this.missingFor(method);
    if (missing) {
      throw new DomainError(
        'conflict',
        `${method} notifications are not configured: set ${missing} first`,
        missing,
      );
    }
    const now = new Date(this.clock()).toISOString();
    const event: NoticeEvent = {
      event_id: `test_${Date.now().toString(16)}`,
      alarm_id: 'test',
      alarm_name: 'Test notification',
      severity: 'info',
      state: 'active',
      message: 'Test notification from LabLink: if you read this, alarm notifications by this method work.',
      equipment_id: null,
      parameter: null,
      value: null,
      threshold: null,
      triggered_at: now,
    };
    const message = buildMessage('test', event, 'Sent from the notification settings.');
    const started = performance.now();
    let error: string | null = null;
    try {
      await this.send(method, message);
    } catch (err) {
      error = describeError(err);
    }
    const duration_ms = Math.round(performance.now() - started);
    this.record(method, message, error ? 'failed' : 'delivered', 1, error);
    return { success: error === null, method, delivered: error === null, error, duration_ms };
  }

  /** Delivery records, newest first. */
  history(query: NotificationHistoryQuery = {}): NotificationDelivery[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.method) {
      where.push('method = ?');
      args.push(query.method);
    }
    if (query.alarm_id) {
      where.push('alarm_id = ?');
      args.push(query.alarm_id);
    }
    if (query.outcome) {
      where.push('outcome = ?');
      args.push(query.outcome);
    }
    const limit = Math.min(
      Math.max(Math.trunc(query.limit ?? NOTIFICATION_LIMITS.historyLimit.default), 1),
      NOTIFICATION_LIMITS.historyLimit.max,
    );
    const rows = this.db
      .prepare(
        `SELECT id, at, method, kind, alarm_id, event_id, outcome, ok, attempt, error FROM notification_deliveries
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, limit) as DeliveryRow[];
    return rows.map((r) => ({ ...r, ok: r.ok === 1 }));
  }

  /** Stored outcomes: notifications delivered, given up, and suppressed by throttling. */
  totals(): { delivered: number; failed: number; throttled: number } {
    const rows = this.db
      .prepare(
        `SELECT outcome, COUNT(*) AS n FROM notification_deliveries
         WHERE outcome IN ('delivered', 'failed', 'throttled') GROUP BY outcome`,
      )
      .all() as { outcome: string; n: number }[];
    const out = { delivered: 0, failed: 0, throttled: 0 };
    for (const r of rows) out[r.outcome as keyof typeof out] = r.n;
    return out;
  }

  /** Resolves when every delivery started so far has finished (retries included). For tests and shutdown. */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.timers.size > 0) {
      await Promise.allSettled([...this.pending]);
      if (this.timers.size > 0 && this.pending.size === 0) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops: retries are cancelled, webhooks in flight aborted, the SMTP connection closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.aborter.abort(new Error('LabLink is shutting down'));
    this.dropTransport();
    // A mail in flight cannot be aborted; it is not waited for longer than a moment.
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
  }

  // ---------------------------------------------------------------------------------------------- dispatching

  private dispatch(notice: AlarmNotice): void {
    if (this.closed) return;
    const { event, alarm, kind } = notice;
    if (kind !== 'raised' && kind !== 'cleared') return;
    const wanted = new Set(alarm.notifications ?? []);
    let message: Message | null = null;
    for (const method of DELIVERY_METHODS) {
      if (!wanted.has(method) || !this.enabled(method)) continue;
      message ??= buildMessage(kind, event, alarm.description ?? null);
      if (!this.admit(kind, event, method)) {
        this.record(method, message, 'throttled', 0, null);
        continue;
      }
      if (this.pending.size + this.timers.size >= MAX_PENDING) {
        this.record(method, message, 'failed', 0, 'too many notifications waiting');
        this.logger.warn(
          { method, alarm_id: event.alarm_id },
          'alarm notification dropped: too many waiting',
        );
        continue;
      }
      this.attempt(method, message, 1);
    }
  }

  private enabled(method: DeliveryMethod): boolean {
    return method === 'webhook' ? this.settings.webhook_enabled : this.settings.email_enabled;
  }

  /** What `method` lacks to send, as the setting's name, or null. */
  private missingFor(method: DeliveryMethod): string | null {
    const s = this.settings;
    if (method === 'webhook') return s.webhook_url ? null : 'webhook_url';
    if (!s.smtp_server) return 'smtp_server';
    if (!s.email_from) return 'email_from';
    if (s.email_recipients.length === 0) return 'email_recipients';
    return null;
  }

  /** Throttling, per alarm and per method. Counts a raised notice it lets through. */
  private admit(kind: 'raised' | 'cleared', event: NoticeEvent, method: DeliveryMethod): boolean {
    const key = `${event.alarm_id}\u0000${method}`;
    let state = this.throttles.get(key);
    if (!state) {
      state = { sent: [], openEvent: null };
      this.throttles.set(key, state);
    }
    if (kind === 'cleared') {
      // Once after the raised notice this method sent; a clear of an event nobody was told of stays quiet.
      if (state.openEvent !== event.event_id) return false;
      state.openEvent = null;
      return true;
    }
    const now = this.clock();
    state.sent = state.sent.filter((t) => t > now - 3_600_000);
    const last = state.sent.at(-1);
    if (last !== undefined && now - last < this.settings.throttle_minutes * 60_000) return false;
    if (state.sent.length >= this.settings.max_notifications_per_hour) return false;
    state.sent.push(now);
    state.openEvent = event.event_id;
    return true;
  }

  private attempt(method: DeliveryMethod, message: Message, attempt: number): void {
    const run = (async () => {
      // The caller (the alarm engine) gets control back before any of the sending starts.
      await null;
      let error: string | null = null;
      try {
        await this.send(method, message);
      } catch (err) {
        error = describeError(err);
      }
      if (this.closed) return;
      if (error === null) {
        this.record(method, message, 'delivered', attempt, null);
        return;
      }
      const delay = this.retryDelays[attempt - 1];
      if (delay === undefined) {
        this.record(method, message, 'failed', attempt, error);
        this.logger.warn(
          { method, alarm_id: message.alarmId, event_id: message.eventId, attempts: attempt, error },
          'alarm notification failed; given up',
        );
        return;
      }
      this.record(method, message, 'retrying', attempt, error);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) this.attempt(method, message, attempt + 1);
      }, delay);
      timer.unref();
      this.timers.add(timer);
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async send(method: DeliveryMethod, message: Message): Promise<void> {
    const missing = this.missingFor(method);
    if (missing) throw new Error(`${method} is not configured (${missing})`);
    if (method === 'webhook') await this.sendWebhook(message);
    else await this.sendEmail(message);
  }

  private async sendWebhook(message: Message): Promise<void> {
    const { webhook_url: url, webhook_auth_token: token } = this.settings;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `LabLink/${VERSION}`,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.webhookTimeoutMs)]);
    let res: Response;
    try {
      res = await this.fetch(url as string, {
        method: 'POST',
        headers,
        body: JSON.stringify(message.body),
        signal,
        // A redirect is a failure, not a reason to send the token elsewhere.
        redirect: 'manual',
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') {
        throw new Error(`no answer within ${this.webhookTimeoutMs / 1000} s`);
      }
      throw err;
    }
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }

  private async sendEmail(message: Message): Promise<void> {
    const s = this.settings;
    const info = await (await this.transporter()).sendMail({
      from: s.email_from as string,
      to: s.email_recipients,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
    if (Array.isArray(info.rejected) && info.rejected.length > 0 && (info.accepted?.length ?? 0) === 0) {
      throw new Error(`every recipient refused: ${info.rejected.join(', ')}`);
    }
  }

  private async transporter(): Promise<Transporter> {
    const s = this.settings;
    const key = JSON.stringify([
      s.smtp_server,
      s.smtp_port,
      s.smtp_use_tls,
      s.smtp_username,
      s.smtp_password,
    ]);
    if (this.transport?.key === key) return this.transport.transporter;
    // nodemailer is loaded with the first e-mail, not at start (docs/performance.md).
    const { default: nodemailer } = await import('nodemailer');
    this.dropTransport();
    const implicitTls = s.smtp_use_tls && s.smtp_port === 465;
    const transporter = nodemailer.createTransport({
      host: s.smtp_server as string,
      port: s.smtp_port,
      secure: implicitTls,
      requireTLS: s.smtp_use_tls && !implicitTls,
      ...(s.smtp_username ? { auth: { user: s.smtp_username, pass: s.smtp_password ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    this.transport = { key, transporter };
    return transporter;
  }

  private dropTransport(): void {
    this.transport?.transporter.close();
    this.transport = null;
  }

  // ---------------------------------------------------------------------------------------------- storage

  private load(): StoredSettings {
    const row = this.db.prepare('SELECT config FROM notification_settings WHERE id = 1').get() as
      | { config: string }
      | undefined;
    const defaults = { ...DEFAULT_NOTIFICATION_SETTINGS, email_recipients: [] };
    if (!row) return defaults;
    try {
      const stored = JSON.parse(row.config) as Partial<StoredSettings>;
      const merged = { ...defaults, ...stored };
      checkSettings(merged);
      return merged;
    } catch (err) {
      this.logger.error(
        { err },
        'stored notification settings unreadable; notifications are off until configured',
      );
      return defaults;
    }
  }

  private record(
    method: DeliveryMethod,
    message: Message,
    outcome: DeliveryOutcome,
    attempt: number,
    error: string | null,
  ): void {
    if (this.closed) return;
    try {
      this.db
        .prepare(
          `INSERT INTO notification_deliveries (at, method, kind, alarm_id, event_id, outcome, ok, attempt, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          new Date(this.clock()).toISOString(),
          method,
          message.kind,
          message.alarmId,
          message.eventId,
          outcome,
          outcome === 'delivered' ? 1 : 0,
          attempt,
          error,
        );
      if (++this.inserts % 100 === 0) {
        this.db
          .prepare(
            'DELETE FROM notification_deliveries WHERE id <= (SELECT MAX(id) FROM notification_deliveries) - ?',
          )
          .run(HISTORY_KEPT);
      }
    } catch (err) {
      // The database closed under a late delivery, or storage failing: the log still says what happened.
      this.logger.warn(
        { err: (err as Error).message, method, outcome },
        'notification delivery not recorded',
      );
    }
  }
}

// ------------------------------------------------------------------------------------------------ checks

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+$/;
const HOST = /^[A-Za-z0-9._:[\]-]+$/;

/** The checks the REST schema makes, repeated for callers inside the server, plus those across fields. */
function checkSettings(s: StoredSettings): void {
  const L = NOTIFICATION_LIMITS;
  const bool = (k: keyof StoredSettings) => {
    if (typeof s[k] !== 'boolean') throw invalidRequest(k, `${k} must be true or false`);
  };
  const text = (k: keyof StoredSettings, max: number, pattern?: RegExp, what = 'text') => {
    const v = s[k];
    if (v === null) return;
    if (typeof v !== 'string' || v.length === 0 || v.length > max || (pattern && !pattern.test(v))) {
      throw invalidRequest(k, `${k} must be ${what} of 1 to ${max} characters, or null`);
    }
  };
  bool('email_enabled');
  bool('webhook_enabled');
  bool('smtp_use_tls');
  text('smtp_server', L.maxHostLength, HOST, 'a host name or IP address');
  text('smtp_username', 256);
  text('smtp_password', L.maxSecretLength);
  text('email_from', L.maxEmailLength, EMAIL, 'an e-mail address');
  text('webhook_auth_token', L.maxSecretLength);
  text('webhook_url', L.maxUrlLength, undefined, 'an http:// or https:// URL');
  if (s.webhook_url !== null) {
    let url: URL | null = null;
    try {
      url = new URL(s.webhook_url);
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw invalidRequest('webhook_url', 'webhook_url must be an http:// or https:// URL');
    }
    if (url.username || url.password) {
      // It would be shown by GET /config, and fetch refuses such URLs anyway.
      throw invalidRequest(
        'webhook_url',
        'webhook_url must not hold a user or password: use webhook_auth_token',
      );
    }
  }
  if (!Number.isInteger(s.smtp_port) || s.smtp_port < 1 || s.smtp_port > 65_535) {
    throw invalidRequest('smtp_port', 'smtp_port must be an integer from 1 to 65535');
  }
  if (
    !Array.isArray(s.email_recipients) ||
    s.email_recipients.length > L.maxRecipients ||
    s.email_recipients.some((r) => typeof r !== 'string' || r.length > L.maxEmailLength || !EMAIL.test(r))
  ) {
    throw invalidRequest(
      'email_recipients',
      `email_recipients must be a list of at most ${L.maxRecipients} e-mail addresses`,
    );
  }
  const t = s.throttle_minutes;
  if (
    typeof t !== 'number' ||
    !Number.isFinite(t) ||
    t < L.throttleMinutes.min ||
    t > L.throttleMinutes.max
  ) {
    throw invalidRequest(
      'throttle_minutes',
      `throttle_minutes must be from ${L.throttleMinutes.min} to ${L.throttleMinutes.max}`,
    );
  }
  const m = s.max_notifications_per_hour;
  if (!Number.isInteger(m) || m < L.maxPerHour.min || m > L.maxPerHour.max) {
    throw invalidRequest(
      'max_notifications_per_hour',
      `max_notifications_per_hour must be an integer from ${L.maxPerHour.min} to ${L.maxPerHour.max}`,
    );
  }
  if (s.email_enabled) {
    if (!s.smtp_server) throw invalidRequest('smtp_server', 'e-mail notifications need smtp_server');
    if (!s.email_from) throw invalidRequest('email_from', 'e-mail notifications need email_from');
    if (s.email_recipients.length === 0) {
      throw invalidRequest('email_recipients', 'e-mail notifications need at least one recipient');
    }
  }
  if (s.webhook_enabled && !s.webhook_url) {
    throw invalidRequest('webhook_url', 'webhook notifications need webhook_url');
  }
}
