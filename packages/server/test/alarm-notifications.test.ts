// Alarm notifications (issue 11): webhook and e-mail deliveries to real receivers the tests start (node:http and
// smtp-server on 127.0.0.1, free ports), retries with backoff, throttling per alarm and per method (an injected
// clock instead of waiting), the delivery history, and the settings over REST against a real server: secrets never
// come back, and a bad setting is a 400 naming the field that stores nothing.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AlarmNotice,
  type NoticeEvent,
  type NotificationDeps,
  NotificationService,
} from '../src/alarms/notify.js';
import { type Db, openDatabase } from '../src/storage/database.js';
import { http, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';

// ---- receivers -----------------------------------------------------------------------------------------------------

interface Received {
  headers: IncomingHttpHeaders;
  body: Json;
}

/** An HTTP receiver on a free port: records each POST, answers with the next status of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body: text ? JSON.parse(text) : null });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/lablink`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
}

/** An SMTP sink on a free port (plain SMTP, any login accepted): records each message. */
async function startSmtpSink() {
  const mails: Mail[] = [];
  const logins: { username: unknown; password: unknown }[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username, password: auth.password });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => {
        raw += d.toString('utf8');
      });
      stream.on('end', () => {
        const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
        const subject =
          /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, logins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- notices -------------------------------------------------------------------------------------------------------

let eventCounter = 0;

function notice(
  kind: 'raised' | 'cleared',
  opts: { alarmId?: string; eventId?: string; methods?: string[]; severity?: string } = {},
): AlarmNotice {
  const alarmId = opts.alarmId ?? 'alarm_0000000a';
  const event: NoticeEvent = {
    event_id: opts.eventId ?? `aev_${(++eventCounter).toString(16).padStart(12, '0')}`,
    alarm_id: alarmId,
    alarm_name: 'PSU overvoltage',
    severity: opts.severity ?? 'critical',
    state: kind === 'raised' ? 'active' : 'cleared',
    message: 'PSU overvoltage: voltage_actual = 12.5 (greater_than 12)',
    equipment_id: 'psu_1',
    parameter: 'voltage_actual',
    value: 12.5,
    threshold: 12,
    triggered_at: '2026-11-29T10:00:00.000Z',
    cleared_at: kind === 'cleared' ? '2026-11-29T10:01:00.000Z' : null,
  };
  return {
    kind,
    event,
    alarm: {
      alarm_id: alarmId,
      name: 'PSU overvoltage',
      description: 'Bench 3 supply above 12 V',
      notifications: opts.methods ?? ['websocket', 'webhook'],
    },
  };
}

// ---- the service on a real database --------------------------------------------------------------------------------

describe('NotificationService', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  let service: NotificationService | null = null;
  let now = Date.parse('2026-11-29T10:00:00Z');
  const clock = () => now;
  const make = (deps: Partial<NotificationDeps> = {}) => {
    service = new NotificationService({
      db,
      logger: pino({ level: 'silent' }),
      clock,
      retryDelaysMs: [20, 40, 80, 160],
      ...deps,
    });
    return service;
  };

  beforeEach(() => {
    dir = tempDir();
    db = openDatabase(dir.dir);
    now = Date.parse('2026-11-29T10:00:00Z');
  });
  afterEach(async () => {
    await service?.close();
    service = null;
    db.close();
    dir.remove();
  });

  it('posts the alarm to the webhook with the bearer token, and records the delivery', async () => {
    const receiver = await startReceiver();
    try {
      const s = make();
      s.configure({ webhook_enabled: true, webhook_url: receiver.url, webhook_auth_token: 's3cret-token' });
      const n = notice('raised');
      s.notify(n);
      await s.idle();
      expect(receiver.received).toHaveLength(1);
      const got = receiver.received[0] as Received;
      expect(got.headers.authorization).toBe('Bearer s3cret-token');
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.body).toEqual({
        event_type: 'alarm',
        kind: 'raised',
        event_id: n.event.event_id,
        alarm_id: 'alarm_0000000a',
        alarm_name: 'PSU overvoltage',
        severity: 'critical',
        state: 'active',
        message: n.event.message,
        equipment_id: 'psu_1',
        parameter: 'voltage_actual',
        value: 12.5,
        threshold: 12,
        triggered_at: '2026-11-29T10:00:00.000Z',
        description: 'Bench 3 supply above 12 V',
      });
      const [row] = s.history();
      expect(row).toMatchObject({
        method: 'webhook',
        kind: 'raised',
        alarm_id: 'alarm_0000000a',
        event_id: n.event.event_id,
        outcome: 'delivered',
        ok: true,
        attempt: 1,
        error: null,
      });
    } finally {
      await receiver.close();
    }
  });

  it('returns from notify() at once: delivery is asynchronous, and nothing a notice holds makes it throw', async () => {
    const receiver = await startReceiver();
    try {
      const s = make();
      s.configure({ webhook_enabled: true, webhook_url: receiver.url });
      s.notify(notice('raised'));
      expect(receiver.received).toHaveLength(0);
      expect(() => s.notify(null as unknown as AlarmNotice)).not.toThrow();
      expect(() => s.notify({ kind: 'raised' } as unknown as AlarmNotice)).not.toThrow();
      await s.idle();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('retries a webhook that answered 500 with backoff, then records the delivery', async () => {
    const receiver = await startReceiver([500, 500]);
    try {
      const s = make();
      s.configure({ webhook_enabled: true, webhook_url: receiver.url });
      s.notify(notice('raised'));
      await s.idle();
      expect(receiver.received).toHaveLength(3);
      const rows = s.history().reverse();
      expect(rows.map((r) => [r.outcome, r.attempt, r.ok])).toEqual([
        ['retrying', 1, false],
        ['retrying', 2, false],
        ['delivered', 3, true],
      ]);
      expect(rows[0]?.error).toMatch(/HTTP 500/);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after a bounded number of attempts and records the failure', async () => {
    const receiver = await startReceiver([503, 503, 503, 503, 503, 503]);
    try {
      const s = make({ retryDelaysMs: [5, 10] });
      s.configure({ webhook_enabled: true, webhook_url: receiver.url });
      s.notify(notice('raised'));
      await s.idle();
      expect(receiver.received).toHaveLength(3);
      expect(s.history()[0]).toMatchObject({ outcome: 'failed', attempt: 3, ok: false });
      expect(s.totals()).toEqual({ delivered: 0, failed: 1, throttled: 0 });
    } finally {
      await receiver.close();
    }
  });

  it('counts a webhook that does not answer in time as a failed attempt', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const s = make({ retryDelaysMs: [], webhookTimeoutMs: 100 });
      const { port } = server.address() as AddressInfo;
      s.configure({ webhook_enabled: true, webhook_url: `http://127.0.0.1:${port}/` });
      s.notify(notice('raised'));
      await s.idle();
      expect(s.history()[0]).toMatchObject({ outcome: 'failed', error: 'no answer within 0.1 s' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('mails the alarm over SMTP with its subject, a plain-text and an HTML body', async () => {
    const sink = await startSmtpSink();
    try {
      const s = make();
      s.configure({
        email_enabled: true,
        smtp_server: '127.0.0.1',
        smtp_port: sink.port,
        smtp_use_tls: false,
        smtp_username: 'lab',
        smtp_password: 'mail-pass',
        email_from: 'lablink@lab.example',
        email_recipients: ['alice@lab.example', 'bob@lab.example'],
      });
      s.notify(notice('raised', { methods: ['email'] }));
      await s.idle();
      expect(s.history()[0]).toMatchObject({ method: 'email', outcome: 'delivered', ok: true });
      expect(sink.mails).toHaveLength(1);
      const mail = sink.mails[0] as Mail;
      expect(mail.subject).toBe('[LabLink Alarm] CRITICAL: PSU overvoltage');
      expect(mail.from).toBe('lablink@lab.example');
      expect(mail.to).toEqual(['alice@lab.example', 'bob@lab.example']);
      expect(mail.raw).toMatch(/Content-Type: text\/plain/i);
      expect(mail.raw).toMatch(/Content-Type: text\/html/i);
      expect(mail.raw).toContain('voltage_actual');
      expect(sink.logins).toEqual([{ username: 'lab', password: 'mail-pass' }]);
    } finally {
      await sink.close();
    }
  });

  it('throttles per alarm and per method: a throttled webhook never blocks the e-mail of the same alarm', async () => {
    const receiver = await startReceiver();
    const sink = await startSmtpSink();
    try {
      const s = make();
      s.configure({
        webhook_enabled: true,
        webhook_url: receiver.url,
        email_enabled: true,
        smtp_server: '127.0.0.1',
        smtp_port: sink.port,
        smtp_use_tls: false,
        email_from: 'lablink@lab.example',
        email_recipients: ['alice@lab.example'],
        throttle_minutes: 5,
        max_notifications_per_hour: 10,
      });
      const first = notice('raised', { methods: ['webhook'] });
      s.notify(first);
      await s.idle();
      expect(receiver.received).toHaveLength(1);

      // One minute later the same alarm again, now by webhook and e-mail: the webhook is throttled, the e-mail
      // (never sent for this alarm) goes.
      now += 60_000;
      s.notify(notice('raised', { methods: ['webhook', 'email'] }));
      // Another alarm is not held back by the first one's throttle.
      s.notify(notice('raised', { alarmId: 'alarm_0000000b', methods: ['webhook'] }));
      await s.idle();
      expect(receiver.received.map((r) => r.body.alarm_id)).toEqual(['alarm_0000000a', 'alarm_0000000b']);
      expect(sink.mails).toHaveLength(1);
      const throttled = s.history({ outcome: 'throttled' });
      expect(throttled).toHaveLength(1);
      expect(throttled[0]).toMatchObject({
        method: 'webhook',
        alarm_id: 'alarm_0000000a',
        ok: false,
        attempt: 0,
      });

      // The clear of the event the webhook announced goes out at once, throttle or not, and only once.
      s.notify(notice('cleared', { eventId: first.event.event_id, methods: ['webhook'] }));
      s.notify(notice('cleared', { eventId: first.event.event_id, methods: ['webhook'] }));
      await s.idle();
      expect(receiver.received).toHaveLength(3);
      expect(receiver.received[2]?.body).toMatchObject({ kind: 'cleared', event_id: first.event.event_id });
      expect(receiver.received[2]?.body.cleared_at).toBe('2026-11-29T10:01:00.000Z');

      // Five minutes after the first one, the alarm is notified again.
      now += 4 * 60_000;
      s.notify(notice('raised', { methods: ['webhook'] }));
      await s.idle();
      expect(receiver.received).toHaveLength(4);
      expect(s.totals()).toEqual({ delivered: 5, failed: 0, throttled: 2 });
    } finally {
      await receiver.close();
      await sink.close();
    }
  });

  it('sends at most max_notifications_per_hour of an alarm by a method in any hour', async () => {
    const receiver = await startReceiver();
    try {
      const s = make();
      s.configure({
        webhook_enabled: true,
        webhook_url: receiver.url,
        throttle_minutes: 0,
        max_notifications_per_hour: 3,
      });
      for (let i = 0; i < 5; i++) {
        s.notify(notice('raised'));
        now += 60_000;
      }
      await s.idle();
      expect(receiver.received).toHaveLength(3);
      expect(s.totals().throttled).toBe(2);
      // An hour after the first, one slot is free again.
      now = Date.parse('2026-11-29T11:00:00.001Z');
      s.notify(notice('raised'));
      await s.idle();
      expect(receiver.received).toHaveLength(4);
    } finally {
      await receiver.close();
    }
  });

  it('does not announce the clear of an event whose raise it did not send', async () => {
    const receiver = await startReceiver();
    try {
      const s = make();
      s.configure({ webhook_enabled: true, webhook_url: receiver.url });
      s.notify(notice('raised', { eventId: 'aev_000000000001' }));
      s.notify(notice('raised', { eventId: 'aev_000000000002' })); // throttled
      s.notify(notice('cleared', { eventId: 'aev_000000000002' }));
      await s.idle();
      expect(receiver.received.map((r) => [r.body.kind, r.body.event_id])).toEqual([
        ['raised', 'aev_000000000001'],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing by a method the alarm does not list or the settings do not enable', async () => {
    const receiver = await startReceiver();
    try {
      const s = make();
      s.configure({ webhook_url: receiver.url });
      s.notify(notice('raised', { methods: ['webhook'] }));
      s.configure({ webhook_enabled: true });
      s.notify(notice('raised', { methods: ['websocket', 'email'] }));
      await s.idle();
      expect(receiver.received).toHaveLength(0);
      expect(s.history()).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('keeps the settings across a restart, and never shows a secret', () => {
    const s = make();
    s.configure({
      webhook_url: 'https://hooks.example.org/lab',
      webhook_auth_token: 'tok-1',
      smtp_password: 'pw-1',
    });
    const again = new NotificationService({ db, logger: pino({ level: 'silent' }) });
    const config = again.config();
    expect(config).toMatchObject({
      webhook_url: 'https://hooks.example.org/lab',
      webhook_auth_token: null,
      webhook_auth_token_set: true,
      smtp_password: null,
      smtp_password_set: true,
      throttle_minutes: 5,
      max_notifications_per_hour: 10,
    });
    expect(JSON.stringify(config)).not.toMatch(/tok-1|pw-1/);
  });
});

// ---- REST against a real server ------------------------------------------------------------------------------------

describe('notification settings over REST', () => {
  let server: TestServer;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer();
    base = `${server.url}/api/alarms/notifications`;
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('stores settings, never returns a secret, keeps an omitted one and clears a null one', async () => {
    const initial = await http(`${base}/config`);
    expect(initial.status).toBe(200);
    expect(initial.body.config).toMatchObject({
      websocket_enabled: true,
      email_enabled: false,
      webhook_enabled: false,
      smtp_port: 587,
      smtp_use_tls: true,
      smtp_password: null,
      smtp_password_set: false,
      webhook_auth_token: null,
      webhook_auth_token_set: false,
      throttle_minutes: 5,
      max_notifications_per_hour: 10,
    });

    const set = await http(`${base}/configure`, {
      body: {
        email_enabled: true,
        smtp_server: 'smtp.lab.example',
        smtp_port: 465,
        smtp_username: 'lablink',
        smtp_password: 'Sm7p-P4ssword',
        email_from: 'lablink@lab.example',
        email_recipients: ['alice@lab.example'],
        webhook_url: 'https://hooks.lab.example/alarms',
        webhook_auth_token: 'Bearer-T0ken',
        throttle_minutes: 1,
        max_notifications_per_hour: 30,
      },
    });
    expect(set.status).toBe(200);
    expect(set.body.config).toMatchObject({
      email_enabled: true,
      smtp_server: 'smtp.lab.example',
      smtp_port: 465,
      smtp_password: null,
      smtp_password_set: true,
      webhook_auth_token: null,
      webhook_auth_token_set: true,
      throttle_minutes: 1,
      max_notifications_per_hour: 30,
    });
    const got = await http(`${base}/config`);
    const text = JSON.stringify(got.body);
    expect(text).not.toContain('Sm7p-P4ssword');
    expect(text).not.toContain('Bearer-T0ken');
    expect(got.body.config.smtp_password_set).toBe(true);

    // Omitted: kept. Null: cleared.
    const keep = await http(`${base}/configure`, { body: { throttle_minutes: 2 } });
    expect(keep.body.config).toMatchObject({ smtp_password_set: true, webhook_auth_token_set: true });
    const clear = await http(`${base}/configure`, { body: { webhook_auth_token: null } });
    expect(clear.body.config).toMatchObject({ smtp_password_set: true, webhook_auth_token_set: false });
    expect(JSON.stringify(clear.body)).not.toContain('Sm7p-P4ssword');
  });

  it('accepts the whole configuration a LabLink 1.x client sends, SMS and Slack off', async () => {
    const legacy = {
      email_enabled: false,
      smtp_server: 'smtp.lab.example',
      smtp_port: 587,
      smtp_username: null,
      smtp_password: null,
      smtp_use_tls: true,
      email_from: 'lablink@lab.example',
      email_recipients: ['alice@lab.example'],
      sms_enabled: false,
      sms_provider: 'twilio',
      sms_api_key: null,
      sms_api_secret: 'twilio-secret',
      sms_from_number: null,
      sms_recipients: [],
      websocket_enabled: true,
      slack_enabled: false,
      slack_webhook_url: null,
      webhook_enabled: false,
      webhook_url: null,
      webhook_auth_token: null,
      throttle_minutes: 5,
      max_notifications_per_hour: 10,
    };
    const res = await http(`${base}/configure`, { body: legacy });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.config).toMatchObject({ smtp_server: 'smtp.lab.example', smtp_password_set: false });
    expect(JSON.stringify(res.body)).not.toContain('twilio-secret');
    expect(res.body.config).not.toHaveProperty('sms_api_secret');
  });

  it('refuses a bad setting with a 400 naming the field, and stores nothing', async () => {
    const before = (await http(`${base}/config`)).body.config;
    const bad: [Json, string | RegExp][] = [
      [{ webhook_url: 'ftp://files.lab.example/x' }, 'webhook_url'],
      [{ webhook_url: 'javascript:alert(1)' }, 'webhook_url'],
      [{ webhook_url: 'http://' }, 'webhook_url'],
      [{ webhook_url: 'https://user:pw@hooks.lab.example/x' }, 'webhook_url'],
      [{ webhook_url: `https://a.example/${'x'.repeat(3000)}` }, 'webhook_url'],
      [{ smtp_port: 0 }, 'smtp_port'],
      [{ smtp_port: 65_536 }, 'smtp_port'],
      [{ smtp_port: 25.5 }, 'smtp_port'],
      [{ smtp_port: '25' }, 'smtp_port'],
      [{ smtp_server: 'smtp.lab.example; rm -rf' }, 'smtp_server'],
      [{ email_from: 'not-an-address' }, 'email_from'],
      [{ email_recipients: ['alice@lab.example', 'bob'] }, /^email_recipients/],
      [{ email_recipients: Array.from({ length: 21 }, (_, i) => `u${i}@lab.example`) }, 'email_recipients'],
      [{ smtp_password: 'x'.repeat(1025) }, 'smtp_password'],
      [{ throttle_minutes: -1 }, 'throttle_minutes'],
      [{ throttle_minutes: 1441 }, 'throttle_minutes'],
      [{ max_notifications_per_hour: 0 }, 'max_notifications_per_hour'],
      [{ max_notifications_per_hour: 1.5 }, 'max_notifications_per_hour'],
      [{ websocket_enabled: false }, 'websocket_enabled'],
      [{ sms_enabled: true }, 'sms_enabled'],
      [{ slack_enabled: true }, 'slack_enabled'],
      [{ slack_webhook_url: 'x'.repeat(3000) }, 'slack_webhook_url'],
      [{ nonsense: 1 }, 'nonsense'],
      [{ webhook_enabled: true, webhook_url: null }, 'webhook_url'],
      [{ email_enabled: true, email_recipients: [], throttle_minutes: 3 }, 'email_recipients'],
      [{ email_enabled: true, smtp_server: null }, 'smtp_server'],
    ];
    for (const [body, field] of bad) {
      const res = await http(`${base}/configure`, { body });
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.body.code).toBe('invalid_request');
      if (typeof field === 'string') expect(res.body.field).toBe(field);
      else expect(res.body.field).toMatch(field);
    }
    expect((await http(`${base}/config`)).body.config).toEqual(before);
  });

  it('sends a test notification and reports whether it arrived; the history shows it', async () => {
    const receiver = await startReceiver([200, 500]);
    try {
      await http(`${base}/configure`, {
        body: {
          email_enabled: false,
          smtp_server: null,
          webhook_url: receiver.url,
          webhook_auth_token: 'tt',
        },
      });
      const ok = await http(`${base}/test`, { body: { method: 'webhook' } });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ success: true, method: 'webhook', delivered: true, error: null });
      expect(receiver.received[0]?.headers.authorization).toBe('Bearer tt');
      expect(receiver.received[0]?.body).toMatchObject({ event_type: 'test', kind: 'test' });

      const failed = await http(`${base}/test`, { body: { method: 'webhook' } });
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({
        success: false,
        delivered: false,
        error: expect.stringMatching(/500/),
      });

      const unconfigured = await http(`${base}/test`, { body: { method: 'email' } });
      expect(unconfigured.status).toBe(409);
      expect(unconfigured.body.field).toBe('smtp_server');
      expect((await http(`${base}/test`, { body: { method: 'sms' } })).body.field).toBe('method');

      const history = await http(`${base}/history?limit=2&method=webhook`);
      expect(history.status).toBe(200);
      expect(history.body.count).toBe(2);
      expect(history.body.deliveries.map((d: Json) => [d.kind, d.outcome, d.ok])).toEqual([
        ['test', 'failed', false],
        ['test', 'delivered', true],
      ]);
      expect(history.body.deliveries[0].error).toMatch(/HTTP 500/);
      expect((await http(`${base}/history?limit=0`)).body.field).toBe('limit');
    } finally {
      await receiver.close();
    }
  });
});

// ---- end to end: an alarm raised through the engine reaches the receivers --------------------------------------------

describe('alarms raised by the engine are notified', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;

  beforeAll(async () => {
    [server, receiver, sink] = await Promise.all([startTestServer(), startReceiver(), startSmtpSink()]);
    const configured = await http(`${server.url}/api/alarms/notifications/configure`, {
      body: {
        webhook_enabled: true,
        webhook_url: receiver.url,
        webhook_auth_token: 'e2e-token',
        email_enabled: true,
        smtp_server: '127.0.0.1',
        smtp_port: sink.port,
        smtp_use_tls: false,
        email_from: 'lablink@lab.example',
        email_recipients: ['oncall@lab.example'],
      },
    });
    expect(configured.status).toBe(200);
  });
  afterAll(async () => {
    await server?.dispose();
    await receiver?.close();
    await sink?.close();
  });

  it('a raised and a cleared alarm reach the webhook and the mailbox', async () => {
    const created = await http(`${server.url}/api/alarms/create`, {
      body: {
        name: 'Chiller fault',
        alarm_type: 'custom',
        parameter: 'chiller',
        severity: 'error',
        description: 'Reported by the chiller script',
        notifications: ['websocket', 'webhook', 'email'],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const alarmId = created.body.alarm_id;
    const raised = await http(`${server.url}/api/alarms/raise`, {
      body: { alarm_id: alarmId, value: 1, message: 'Chiller fault: compressor stopped' },
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    const eventId = raised.body.event.event_id;

    await until(() => receiver.received.length >= 1 && sink.mails.length >= 1, 'the raised notifications');
    const hook = receiver.received[0] as Received;
    expect(hook.headers.authorization).toBe('Bearer e2e-token');
    expect(hook.body).toMatchObject({
      event_type: 'alarm',
      kind: 'raised',
      event_id: eventId,
      alarm_id: alarmId,
      alarm_name: 'Chiller fault',
      severity: 'error',
      state: 'active',
      message: 'Chiller fault: compressor stopped',
      description: 'Reported by the chiller script',
    });
    expect(sink.mails[0]?.subject).toBe('[LabLink Alarm] ERROR: Chiller fault');
    expect(sink.mails[0]?.to).toEqual(['oncall@lab.example']);

    const cleared = await http(`${server.url}/api/alarms/${alarmId}/clear`, { body: { cleared_by: 'ana' } });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    await until(() => receiver.received.length >= 2 && sink.mails.length >= 2, 'the cleared notifications');
    expect(receiver.received[1]?.body).toMatchObject({
      kind: 'cleared',
      event_id: eventId,
      state: 'cleared',
    });
    expect(sink.mails[1]?.subject).toBe('[LabLink Alarm] ERROR: Chiller fault (cleared)');

    const history = await http(`${server.url}/api/alarms/notifications/history?alarm_id=${alarmId}`);
    expect(history.body.deliveries.map((d: Json) => [d.method, d.kind, d.outcome])).toEqual(
      expect.arrayContaining([
        ['webhook', 'raised', 'delivered'],
        ['email', 'raised', 'delivered'],
        ['webhook', 'cleared', 'delivered'],
        ['email', 'cleared', 'delivered'],
      ]),
    );
  });

  it('a threshold crossed by a value fed to /api/alarms/check reaches the webhook', async () => {
    const created = await http(`${server.url}/api/alarms/create`, {
      body: {
        name: 'Bath temperature',
        parameter: 'temperature',
        condition: 'greater_than',
        threshold: 30,
        severity: 'warning',
        notifications: ['websocket', 'webhook'],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const alarmId = created.body.alarm_id;
    const before = receiver.received.length;
    const check = await http(`${server.url}/api/alarms/check`, { body: { alarm_id: alarmId, value: 35.5 } });
    expect(check.body).toMatchObject({ success: true, triggered: true });
    await until(() => receiver.received.length > before, 'the webhook');
    expect(receiver.received.at(-1)?.body).toMatchObject({
      kind: 'raised',
      alarm_id: alarmId,
      event_id: check.body.event.event_id,
      severity: 'warning',
      parameter: 'temperature',
      value: 35.5,
      threshold: 30,
    });
  });

  it('an alarm that lists only websocket sends nothing outside LabLink', async () => {
    const before = receiver.received.length;
    const created = await http(`${server.url}/api/alarms/create`, {
      body: { name: 'Quiet note', alarm_type: 'custom', parameter: 'note' },
    });
    const raised = await http(`${server.url}/api/alarms/raise`, {
      body: { alarm_id: created.body.alarm_id },
    });
    expect(raised.status).toBe(200);
    await server.services.notifications.idle();
    expect(receiver.received.length).toBe(before);
  });
});
