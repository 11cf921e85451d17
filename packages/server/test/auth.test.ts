// Issue 15 over HTTP and WebSocket against a real server and its simulated bench: open mode, sign-in, tokens,
// each role against one route of each class (allowed, or 401/403 with nothing changed), the WebSocket's sign-in
// (cookie at the upgrade, token in hello, 4401) and revocation, the audit log, security headers.

import { LabLinkClient, type WebSocketConstructor } from '@lablink/client';
import { RawClient } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_ROLES } from '../src/auth/roles.js';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { TestClient } from './realtime-client.js';

let server: TestServer;
let psu: string;
const raws: RawClient[] = [];
/** Bearer headers of a token per role, and the admin's session cookie. */
const as: Record<'viewer' | 'operator' | 'admin', Record<string, string>> = {
  viewer: {},
  operator: {},
  admin: {},
};
let adminCookie: Record<string, string>;
const ADMIN_PASSWORD = 'correct horse battery';

const api = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${server.url}${path}`, init);

async function simulatedVoltage(): Promise<number> {
  const { body } = await api(`/api/equipment/${psu}`, { headers: as.viewer });
  const raw = await RawClient.connect(Number(String(body.equipment.resource_string).split('::')[2]));
  raws.push(raw);
  return Number(await raw.query(':SOUR1:VOLT?'));
}

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  const { body } = await api('/api/equipment/list');
  psu = (body as Json[]).find((e) => e.type === 'power_supply').id;
});

afterAll(async () => {
  for (const raw of raws) raw.close();
  await server?.dispose();
});

describe('open mode (loopback, no user)', () => {
  it('acts as the admin `local` without sign-in, and says so', async () => {
    const status = await api('/api/auth/status');
    expect(status.body).toEqual({ mode: 'open', me: { username: 'local', role: 'admin', kind: 'open' } });
    expect((await api('/api/auth/me')).body).toEqual({ username: 'local', role: 'admin', kind: 'open' });
  });

  it('lets the first admin be added, after which sign-in is required', async () => {
    const added = await api('/api/auth/users', {
      body: { username: 'alice', password: ADMIN_PASSWORD, role: 'admin' },
    });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      username: 'alice',
      role: 'admin',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(added.body)).not.toContain(ADMIN_PASSWORD);
    expect((await api('/api/auth/status')).body).toEqual({ mode: 'required', me: null });
    const refused = await api('/api/equipment/list');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthenticated');
    // Public: health and status.
    expect((await api('/health')).status).toBe(200);
  });
});

describe('sign-in and tokens', () => {
  it('signs in with a password: an httpOnly, SameSite=Strict cookie; a wrong password is 401', async () => {
    const wrong = await api('/api/auth/login', { body: { username: 'alice', password: 'nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toBe('wrong username or password');
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ username: 'alice', role: 'admin', kind: 'user' });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^lablink_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    adminCookie = { cookie: cookie.split(';')[0] as string };
    expect((await api('/api/auth/me', { headers: adminCookie })).body).toEqual({
      username: 'alice',
      role: 'admin',
      kind: 'user',
    });
  });

  it('creates a token per role, shown once; the list never shows it; a token is used as Bearer', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const created = await api('/api/auth/tokens', {
        headers: adminCookie,
        body: { name: `${role}-script`, role },
      });
      expect(created.status).toBe(200);
      expect(created.body.token).toMatch(/^ll_[A-Za-z0-9_-]{43}$/);
      expect(created.body).toMatchObject({
        name: `${role}-script`,
        role,
        created_by: 'alice',
        last_used_at: null,
      });
      as[role] = { authorization: `Bearer ${created.body.token}` };
    }
    const list = await api('/api/auth/tokens', { headers: as.admin });
    expect(list.body.tokens).toHaveLength(3);
    expect(JSON.stringify(list.body)).not.toContain('ll_');
    const me = await api('/api/auth/me', { headers: as.operator });
    expect(me.body).toEqual({ username: 'operator-script', role: 'operator', kind: 'token' });
    expect((await api('/api/auth/me', { headers: { authorization: 'Bearer ll_wrong' } })).status).toBe(401);
  });

  it('refuses a token in the URL', async () => {
    const token = as.viewer.authorization?.split(' ')[1];
    const res = await api(`/api/equipment/list?token=${token}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'token_in_url', field: 'token' });
  });
});

describe('each role against each route class', () => {
  it('a read (GET): viewer and above; nobody without sign-in', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      expect((await api('/api/equipment/list', { headers: as[role] })).status, role).toBe(200);
    }
    expect((await api('/api/equipment/list')).status).toBe(401);
  });

  it('a control command: operator and above; a viewer gets 403 and the instrument is unchanged', async () => {
    const command = (role: keyof typeof as, voltage: number) =>
      api(`/api/equipment/${psu}/command`, {
        headers: as[role],
        body: { action: 'set_voltage', parameters: { voltage, channel: 1 } },
      });
    expect((await command('operator', 2)).status).toBe(200);
    const refused = await command('viewer', 7);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden', required_role: 'operator', role: 'viewer' });
    expect(refused.body.detail).toBe('this needs the role operator; viewer-script is viewer');
    expect(await simulatedVoltage()).toBe(2);
    expect((await command('admin', 3)).status).toBe(200);
    expect(await simulatedVoltage()).toBe(3);
  });

  it('a safety-limit change: admin only; refused changes leave the limit as it was', async () => {
    const limits = async () =>
      (await api(`/api/safety/limits/${psu}`, { headers: as.viewer })).body.limits[0].max_voltage;
    const before = await limits();
    for (const role of ['viewer', 'operator'] as const) {
      const res = await api(`/api/safety/limits/${psu}`, {
        method: 'PUT',
        headers: as[role],
        body: { channel: 1, max_voltage: 5 },
      });
      expect(res.status, role).toBe(403);
      expect(res.body.required_role).toBe('admin');
    }
    expect(await limits()).toBe(before);
    const set = await api(`/api/safety/limits/${psu}`, {
      method: 'PUT',
      headers: as.admin,
      body: { channel: 1, max_voltage: 25 },
    });
    expect(set.status).toBe(200);
    expect(await limits()).toBe(25);
  });

  it('a user change: admin only; refused, no user is added', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const res = await api('/api/auth/users', {
        headers: as[role],
        body: { username: `eve-${role}`, password: 'password123', role: 'admin' },
      });
      expect(res.status, role).toBe(403);
    }
    const users = await api('/api/auth/users', { headers: as.admin });
    expect(users.body.users.map((u: Json) => u.username)).toEqual(['alice']);
    expect(JSON.stringify(users.body)).not.toContain('argon2');
    const bob = await api('/api/auth/users', {
      headers: as.admin,
      body: { username: 'bob', password: 'password123', role: 'viewer' },
    });
    expect(bob.status).toBe(200);
  });

  it('the emergency stop: any signed-in principal may activate; clearing it is operator', async () => {
    expect(
      (await api('/api/safety/emergency-stop/activate', { method: 'POST', headers: as.viewer })).status,
    ).toBe(200);
    const clear = (role: keyof typeof as) =>
      api('/api/safety/emergency-stop/deactivate', { method: 'POST', headers: as[role] });
    expect((await clear('viewer')).status).toBe(403);
    expect((await api('/api/safety/emergency-stop/status', { headers: as.viewer })).body.active).toBe(true);
    expect((await clear('operator')).status).toBe(200);
  });
});

describe('locks', () => {
  it("shows a lock's session id to its holder only; others see who holds it; forcing it off is admin", async () => {
    const second = await api('/api/auth/tokens', {
      headers: as.admin,
      body: { name: 'op2', role: 'operator' },
    });
    const operator2 = { authorization: `Bearer ${second.body.token}` };
    const acquired = await api('/api/locks/acquire', {
      headers: as.operator,
      body: { equipment_id: psu, session_id: 'secret-session-1' },
    });
    expect(acquired.status).toBe(200);
    expect(acquired.body.lock.session_id).toBe('secret-session-1');

    const own = await api(`/api/locks/status/${psu}`, { headers: as.operator });
    expect(own.body.session_id).toBe('secret-session-1');
    for (const headers of [as.viewer, as.admin, operator2]) {
      const status = await api(`/api/locks/status/${psu}`, { headers });
      expect(status.body.session_id).toBe('(held by token operator-script)');
      const all = await api('/api/locks/all', { headers });
      expect(JSON.stringify(all.body)).not.toContain('secret-session-1');
      const sessions = await api('/api/locks/sessions', { headers });
      expect(JSON.stringify(sessions.body)).not.toContain('secret-session-1');
    }
    // The 409 of a refused command names the holder, not the session that would unlock it.
    const refused = await api(`/api/equipment/${psu}/command`, {
      headers: operator2,
      body: { action: 'set_voltage', parameters: { voltage: 1, channel: 1 } },
    });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).not.toContain('secret-session-1');
    expect(refused.body.locked_by).toBe('(held by token operator-script)');

    const force = (headers: Record<string, string>) =>
      api('/api/locks/release', { headers, body: { equipment_id: psu, session_id: 'mine', force: true } });
    const notAdmin = await force(operator2);
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.required_role).toBe('admin');
    expect((await api(`/api/locks/status/${psu}`, { headers: as.viewer })).body.locked).toBe(true);
    expect((await force(as.admin)).body).toMatchObject({ success: true, was_forced: true });
    expect((await api(`/api/locks/status/${psu}`, { headers: as.viewer })).body.locked).toBe(false);
  });

  it('a lock belongs to whoever took it: its session id sent by another principal controls nothing', async () => {
    const thief = await api('/api/auth/tokens', {
      headers: as.admin,
      body: { name: 'thief', role: 'operator' },
    });
    const stolen = { authorization: `Bearer ${thief.body.token}` };
    const before = await simulatedVoltage();
    await api('/api/locks/acquire', {
      headers: as.operator,
      body: { equipment_id: psu, session_id: 'owned-1' },
    });
    // The id leaked (a log, a shoulder): each use of it by someone else is refused before anything happens.
    const attempts = [
      api(`/api/equipment/${psu}/command`, {
        headers: stolen,
        body: { action: 'set_voltage', parameters: { voltage: 7.5, channel: 1 }, session_id: 'owned-1' },
      }),
      api('/api/locks/release', { headers: stolen, body: { equipment_id: psu, session_id: 'owned-1' } }),
      api('/api/locks/acquire', { headers: stolen, body: { equipment_id: psu, session_id: 'owned-1' } }),
      api(`/api/locks/activity/${psu}`, { headers: stolen, body: { session_id: 'owned-1' } }),
      api('/api/locks/sessions/owned-1', { method: 'DELETE', headers: stolen }),
      api(`/api/equipment/disconnect/${psu}?session_id=owned-1`, { method: 'POST', headers: stolen }),
    ];
    for (const refused of await Promise.all(attempts)) {
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', field: 'session_id' });
      expect(refused.body.detail).toContain('belongs to token operator-script');
    }
    expect(await simulatedVoltage()).toBe(before);
    const status = await api(`/api/locks/status/${psu}`, { headers: as.operator });
    expect(status.body).toMatchObject({ locked: true, session_id: 'owned-1' });
    // Its holder uses it as before.
    const own = await api(`/api/equipment/${psu}/command`, {
      headers: as.operator,
      body: { action: 'set_voltage', parameters: { voltage: 2.25, channel: 1 }, session_id: 'owned-1' },
    });
    expect(own.status).toBe(200);
    expect(await simulatedVoltage()).toBe(2.25);
    const released = await api('/api/locks/release', {
      headers: as.operator,
      body: { equipment_id: psu, session_id: 'owned-1' },
    });
    expect(released.body.success).toBe(true);
  });

  it('lock events on the WebSocket show the session id to its holder only', async () => {
    const sockets = await Promise.all(
      (['viewer', 'operator'] as const).map(async (role) => {
        const client = await TestClient.open(`${server.url}/ws`);
        const hello = await client.request({ type: 'hello', token: as[role].authorization?.split(' ')[1] });
        expect(hello.user).toEqual({ username: `${role}-script`, role, kind: 'token' });
        return client;
      }),
    );
    const [viewer, operator] = sockets as [TestClient, TestClient];
    await api('/api/locks/acquire', {
      headers: as.operator,
      body: { equipment_id: psu, session_id: 'ws-owned' },
    });
    const seen = await Promise.all(
      [viewer, operator].map((c) => c.waitFor((m) => m.type === 'lock_acquired')),
    );
    expect(seen[0]?.data.session_id).toBe('(held by token operator-script)');
    expect(seen[1]?.data.session_id).toBe('ws-owned');
    expect(JSON.stringify(viewer.messages)).not.toContain('ws-owned');
    await api('/api/locks/release', {
      headers: as.operator,
      body: { equipment_id: psu, session_id: 'ws-owned' },
    });
    const ended = await viewer.waitFor((m) => m.type === 'lock_released');
    expect(ended.data.session_id).toBe('(held by token operator-script)');
    for (const c of sockets) c.close();
  });

  it('client addresses in lock sessions are for admins', async () => {
    await api('/api/locks/sessions/create', { headers: as.operator, body: { client_name: 'bench-pc' } });
    const seenBy = async (headers: Record<string, string>) =>
      ((await api('/api/locks/sessions', { headers })).body.sessions as Json[]).find(
        (s) => s.client_name === 'bench-pc',
      );
    expect((await seenBy(as.admin))?.client_ip).toBe('127.0.0.1');
    expect((await seenBy(as.operator))?.client_ip).toBeNull();
    expect((await seenBy(as.viewer))?.client_ip).toBeNull();
  });
});

describe('the WebSocket', () => {
  const wsUrl = () => `${server.url.replace('http', 'ws')}/ws`;

  /** Opens /ws and collects its messages and its close. */
  function open(headers: Record<string, string> = {}) {
    const socket = new WebSocket(wsUrl(), { headers });
    const messages: Json[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    const opened = new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const reply = async (type: string) => {
      const deadline = Date.now() + 5000;
      while (!messages.some((m) => m.type === type)) {
        if (Date.now() > deadline) throw new Error(`no ${type}: ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return messages.find((m) => m.type === type);
    };
    return { socket, messages, closed, opened, reply };
  }

  it('without a cookie or a hello token it is closed with 4401', async () => {
    const ws = open();
    await ws.opened;
    ws.socket.send(JSON.stringify({ type: 'subscribe', topics: ['alarms'] }));
    expect(await ws.closed).toEqual({ code: 4401, reason: 'authentication required' });
  });

  it('a wrong token in hello: 4401', async () => {
    const ws = open();
    await ws.opened;
    ws.socket.send(JSON.stringify({ type: 'hello', token: 'll_wrong' }));
    expect((await ws.closed).code).toBe(4401);
  });

  it('signs in with the session cookie at the upgrade', async () => {
    const ws = open(adminCookie);
    await ws.opened;
    ws.socket.send(JSON.stringify({ type: 'ping', request_id: 1 }));
    expect((await ws.reply('pong')).request_id).toBe(1);
    ws.socket.close();
  });

  it('signs in with a token in hello, and closes at once (4401 revoked) when the token is revoked', async () => {
    const created = await api('/api/auth/tokens', {
      headers: as.admin,
      body: { name: 'ws-script', role: 'viewer' },
    });
    const ws = open();
    await ws.opened;
    ws.socket.send(JSON.stringify({ type: 'hello', token: created.body.token, request_id: 'h' }));
    expect((await ws.reply('hello_ok')).request_id).toBe('h');
    ws.socket.send(JSON.stringify({ type: 'subscribe', topics: ['alarms'], request_id: 's' }));
    await ws.reply('subscribed');
    expect(
      (await api(`/api/auth/tokens/${created.body.id}`, { method: 'DELETE', headers: as.admin })).status,
    ).toBe(200);
    expect(await ws.closed).toEqual({ code: 4401, reason: 'revoked' });
    expect(
      (await api('/api/auth/me', { headers: { authorization: `Bearer ${created.body.token}` } })).status,
    ).toBe(401);
  });

  it('answers a message the role does not allow with a typed forbidden error, and keeps the connection', async () => {
    // Every message is viewer today: raise one for the length of this test to see the check at work.
    const table = WS_ROLES as Record<string, string>;
    const before = table.subscribe as string;
    table.subscribe = 'operator';
    try {
      const ws = open();
      await ws.opened;
      const token = as.viewer.authorization?.split(' ')[1];
      ws.socket.send(JSON.stringify({ type: 'hello', token, request_id: 'h' }));
      await ws.reply('hello_ok');
      ws.socket.send(JSON.stringify({ type: 'subscribe', topics: ['alarms'], request_id: 's' }));
      expect(await ws.reply('error')).toEqual({
        type: 'error',
        code: 'forbidden',
        detail: 'subscribe needs the role operator; viewer-script is viewer',
        field: 'type',
        request_id: 's',
      });
      ws.socket.send(JSON.stringify({ type: 'ping', request_id: 'p' }));
      expect((await ws.reply('pong')).request_id).toBe('p');
      ws.socket.close();
    } finally {
      table.subscribe = before;
    }
  });

  it("deleting a user closes the user's open connections", async () => {
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: 'password123' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const ws = open({ cookie });
    await ws.opened;
    await ws.reply('welcome');
    expect((await api('/api/auth/users/bob', { method: 'DELETE', headers: as.admin })).status).toBe(200);
    expect(await ws.closed).toEqual({ code: 4401, reason: 'revoked' });
    expect((await api('/api/auth/me', { headers: { cookie } })).status).toBe(401);
  });
});

describe('the SDK', () => {
  it('sends its token as Bearer on REST and in the hello of its WebSocket', async () => {
    const created = await api('/api/auth/tokens', {
      headers: as.admin,
      body: { name: 'sdk', role: 'viewer' },
    });
    const client = new LabLinkClient({
      baseUrl: server.url,
      token: created.body.token,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    try {
      expect(await client.rest.me()).toEqual({ username: 'sdk', role: 'viewer', kind: 'token' });
      expect((await client.rest.listEquipment()).length).toBeGreaterThan(0);
      client.realtime.start();
      const deadline = Date.now() + 5000;
      while (client.realtime.mode !== 'live' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(client.realtime.mode).toBe('live');
      // A stream's data comes over the socket: its hello signed it in (else start_stream would close it, 4401).
      const got: unknown[] = [];
      client.realtime.stream({ equipment_id: psu, interval_ms: 50 }, (m) => got.push(m));
      while (got.length === 0 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
      expect(got.length).toBeGreaterThan(0);
      expect(client.realtime.mode).toBe('live');
    } finally {
      client.close();
    }
  });
});

describe('the audit log, headers, rate limit', () => {
  it('records control, limits, user and token changes and sign-ins, newest first, paged; admin only', async () => {
    expect((await api('/api/audit', { headers: as.operator })).status).toBe(403);
    const page = await api('/api/audit?limit=200', { headers: as.admin });
    expect(page.status).toBe(200);
    const actions = page.body.entries.map((e: Json) => `${e.principal} ${e.action}`);
    expect(actions).toContain(`operator-script POST /api/equipment/{equipment_id}/command`);
    expect(actions).toContain('admin-script PUT /api/safety/limits/{equipment_id}');
    expect(actions).toContain('viewer-script PUT /api/safety/limits/{equipment_id}');
    expect(actions).toContain('alice login');
    expect(actions).toContain('alice login_failed');
    expect(actions).toContain('admin-script DELETE /api/auth/users/{username}');
    const userAdd = page.body.entries.find(
      (e: Json) => e.action === 'POST /api/auth/users' && e.detail.status === 200,
    );
    expect(userAdd.detail.body).toEqual({ username: 'bob', role: 'viewer' });
    expect(JSON.stringify(page.body)).not.toContain('password123');
    const ids = page.body.entries.map((e: Json) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const first = await api('/api/audit?limit=2', { headers: as.admin });
    const next = await api(`/api/audit?limit=2&before=${first.body.next_before}`, { headers: as.admin });
    expect(next.body.entries[0].id).toBe(first.body.next_before - 1);
  });

  it('sends the security headers on every response', async () => {
    for (const path of ['/health', '/api/equipment/list', '/nothing-here']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
    }
  });

  it('limits failed sign-ins per username: 429 with Retry-After, even with the right password', async () => {
    const login = (password: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'carol', password }),
      });
    await api('/api/auth/users', {
      headers: as.admin,
      body: { username: 'carol', password: 'password123', role: 'viewer' },
    });
    for (let i = 0; i < 5; i++) expect((await login('wrong-password')).status).toBe(401);
    const limited = await login('password123');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(((await limited.json()) as Json).code).toBe('rate_limited');
  });
});

describe('the last admin', () => {
  it('the last admin token cannot be revoked while users remain with no admin among them', async () => {
    const lone = await startTestServer();
    try {
      const at = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${lone.url}${path}`, init);
      await at('/api/auth/users', { body: { username: 'root', password: ADMIN_PASSWORD, role: 'admin' } });
      const login = await fetch(`${lone.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password: ADMIN_PASSWORD }),
      });
      const cookie = { cookie: String(login.headers.get('set-cookie')).split(';')[0] as string };
      await at('/api/auth/users', {
        headers: cookie,
        body: { username: 'bob', password: ADMIN_PASSWORD, role: 'viewer' },
      });
      const token = (
        await at('/api/auth/tokens', { headers: cookie, body: { name: 'ci-admin', role: 'admin' } })
      ).body;
      const bearer = { authorization: `Bearer ${token.token}` };
      // The admin user may go: the token is still an admin.
      expect((await at('/api/auth/users/root', { method: 'DELETE', headers: bearer })).status).toBe(200);
      const refused = await at(`/api/auth/tokens/${token.id}`, { method: 'DELETE', headers: bearer });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toBe(
        'cannot revoke ci-admin: the last admin token, and no user is an admin (create another admin user or token first)',
      );
      expect((await at('/api/auth/me', { headers: bearer })).body).toMatchObject({
        username: 'ci-admin',
        role: 'admin',
      });
      // With bob gone, nobody is left to manage: the token may be revoked.
      expect((await at('/api/auth/users/bob', { method: 'DELETE', headers: bearer })).status).toBe(200);
      expect((await at(`/api/auth/tokens/${token.id}`, { method: 'DELETE', headers: bearer })).status).toBe(
        200,
      );
    } finally {
      await lone.dispose();
    }
  });
});
