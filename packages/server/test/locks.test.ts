// Locks and sessions: the LockService's rules with a fake clock, then the REST API over real HTTP against a server
// with the simulated bench, where a lock really keeps other sessions' commands off an instrument.

import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bus, type Published } from '../src/bus.js';
import { LockService } from '../src/locks.js';
import { http, httpErrorOf, type Json, startTestServer, type TestServer } from './helpers.js';

const EQ = 'ps_1';

describe('LockService', () => {
  let bus: Bus;
  let locks: LockService;
  let published: Published[];

  beforeEach(() => {
    vi.useFakeTimers();
    bus = new Bus();
    published = [];
    bus.subscribe('equipment', (m) => published.push(m));
    locks = new LockService({ bus, logger: pino({ level: 'silent' }) });
  });
  afterEach(() => {
    locks.close();
    vi.useRealTimers();
  });

  const types = () => published.map((m) => m.type);

  it('locks, refreshes for the holder and refuses others with 409 naming the holder', () => {
    const first = locks.acquire({ equipment_id: EQ, session_id: 'a' });
    expect(first).toMatchObject({
      success: true,
      status: 'locked',
      lock: { session_id: 'a', timeout_seconds: 300 },
    });
    expect(locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 60 })).toMatchObject({
      status: 'refreshed',
      lock: { timeout_seconds: 60 },
    });
    const err = httpErrorOf(() => locks.acquire({ equipment_id: EQ, session_id: 'b' }));
    expect(err.statusCode).toBe(409);
    expect(err.message).toBe(`Equipment ${EQ} is locked by session a`);
    expect(published[0]).toMatchObject({
      topic: 'equipment',
      type: 'lock_acquired',
      data: { equipment_id: EQ, session_id: 'a', lock_mode: 'exclusive' },
    });
  });

  it('lets observers share an instrument, blocks them while it is locked, and drops them for an exclusive lock', () => {
    expect(locks.acquire({ equipment_id: EQ, session_id: 'o1', lock_mode: 'observer' })).toEqual({
      success: true,
      status: 'observer',
      observer_count: 1,
    });
    expect(locks.acquire({ equipment_id: EQ, session_id: 'o2', lock_mode: 'observer' })).toMatchObject({
      observer_count: 2,
    });
    locks.assertCanControl(EQ, 'anyone'); // observers never block control
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    expect(locks.status(EQ)).toMatchObject({ locked: true, session_id: 'a', observer_count: 0 });
    expect(
      httpErrorOf(() => locks.acquire({ equipment_id: EQ, session_id: 'o1', lock_mode: 'observer' }))
        .statusCode,
    ).toBe(409);
    expect(locks.events(EQ).map((e) => e.event)).toEqual([
      'observer_lock_acquired',
      'observer_lock_acquired',
      'observer_lock_released',
      'observer_lock_released',
      'lock_acquired',
    ]);
  });

  it('queues, and hands a released lock to the head of the queue', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    const queued = locks.acquire({
      equipment_id: EQ,
      session_id: 'b',
      queue_if_busy: true,
      timeout_seconds: 30,
    });
    expect(queued).toMatchObject({
      success: false,
      status: 'queued',
      current_lock: { session_id: 'a' },
      queue_entry: { session_id: 'b', position: 0, lock_mode: 'exclusive' },
    });
    expect(locks.acquire({ equipment_id: EQ, session_id: 'c', queue_if_busy: true })).toMatchObject({
      queue_entry: { position: 1 },
    });
    // Asking again keeps one's place.
    expect(locks.acquire({ equipment_id: EQ, session_id: 'b', queue_if_busy: true })).toMatchObject({
      queue_entry: { position: 0 },
    });

    expect(locks.release({ equipment_id: EQ, session_id: 'a' })).toEqual({
      success: true,
      status: 'released',
      was_forced: false,
    });
    expect(locks.status(EQ)).toMatchObject({ locked: true, session_id: 'b', queue_length: 1 });
    expect(locks.all().exclusive_locks[EQ]).toMatchObject({ session_id: 'b', timeout_seconds: 30 });
    expect(locks.queue(EQ)).toMatchObject([{ session_id: 'c', position: 0 }]);
    expect(published.at(-1)).toMatchObject({
      type: 'lock_acquired',
      data: { session_id: 'b', via: 'queue' },
    });
    expect(locks.events(EQ).at(-1)).toMatchObject({ event: 'queue_processed', session_id: 'b' });
  });

  it('refuses a release by another session with 403 unless forced, and records who forced it', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    const err = httpErrorOf(() => locks.release({ equipment_id: EQ, session_id: 'b' }));
    expect(err.statusCode).toBe(403);
    expect(err.message).toContain('owned by session a');
    expect(locks.release({ equipment_id: EQ, session_id: 'b', force: true })).toEqual({
      success: true,
      status: 'released',
      was_forced: true,
    });
    expect(locks.events(EQ).at(-1)).toMatchObject({
      event: 'lock_force_released',
      session_id: 'a',
      released_by: 'b',
    });
    expect(published.at(-1)).toMatchObject({
      type: 'lock_released',
      data: { reason: 'forced', released_by: 'b' },
    });
    expect(locks.release({ equipment_id: EQ, session_id: 'b' })).toMatchObject({
      success: false,
      status: 'not_locked',
    });
  });

  it('lets anybody control a free instrument and only the holder a locked one', () => {
    locks.assertCanControl(EQ, undefined);
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    locks.assertCanControl(EQ, 'a');
    for (const other of ['b', undefined]) {
      const err = httpErrorOf(() => locks.assertCanControl(EQ, other));
      expect(err.statusCode).toBe(409);
      expect(err.code).toBe('locked');
      expect(err.message).toContain('locked by session a');
      expect(err.extra).toEqual({ locked_by: 'a' });
    }
  });

  it('expires an idle lock on its own, announces it, and frees control', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 1 });
    vi.advanceTimersByTime(999);
    expect(locks.status(EQ).locked).toBe(true);
    vi.advanceTimersByTime(1);
    expect(types()).toContain('lock_expired');
    expect(published.at(-1)?.data).toMatchObject({
      equipment_id: EQ,
      session_id: 'a',
      lock_mode: 'exclusive',
    });
    expect(locks.status(EQ).locked).toBe(false);
    locks.assertCanControl(EQ, 'b');
    expect(locks.events(EQ).at(-1)).toMatchObject({ event: 'lock_expired', reason: 'timeout' });
  });

  it('counts control by the holder as activity', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 10 });
    vi.advanceTimersByTime(8_000);
    locks.assertCanControl(EQ, 'a');
    vi.advanceTimersByTime(8_000);
    expect(locks.status(EQ)).toMatchObject({ locked: true, time_remaining: 2 });
    vi.advanceTimersByTime(2_000);
    expect(locks.status(EQ).locked).toBe(false);
  });

  it('takes timeouts of 1 s to a day, and even the longest lock and session expire', () => {
    for (const timeout_seconds of [0, -1, 0.5, 86_401, 1e308, Number.MAX_SAFE_INTEGER + 2, Number.NaN]) {
      const acquire = httpErrorOf(() =>
        locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds }),
      );
      expect([acquire.statusCode, acquire.field]).toEqual([400, 'timeout_seconds']);
      const session = httpErrorOf(() => locks.createSession({ timeout_seconds }));
      expect([session.statusCode, session.field]).toEqual([400, 'timeout_seconds']);
    }
    expect(locks.all().exclusive_locks).toEqual({});
    expect(locks.listSessions()).toEqual([]);
    expect(published).toEqual([]);

    locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 86_400 });
    const { session_id } = locks.createSession({ timeout_seconds: 86_400 });
    expect(locks.status(EQ)).toMatchObject({ locked: true, time_remaining: 86_400 });
    expect(locks.session(session_id)?.time_remaining).toBe(86_400);
    vi.advanceTimersByTime(86_400_000);
    expect(locks.status(EQ).locked).toBe(false);
    expect(locks.session(session_id)).toBeUndefined();
  });

  it('hands an expired lock to the next in the queue', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 5 });
    locks.acquire({ equipment_id: EQ, session_id: 'b', queue_if_busy: true });
    vi.advanceTimersByTime(5_000);
    expect(locks.status(EQ)).toMatchObject({ locked: true, session_id: 'b' });
    expect(types()).toEqual(['lock_acquired', 'lock_expired', 'lock_acquired']);
  });

  it('expires with an injected clock as well, checked whenever it is asked', () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const clocked = new LockService({ bus, logger: pino({ level: 'silent' }), now: () => t });
    const { lock } = clocked.acquire({ equipment_id: EQ, session_id: 'a', timeout_seconds: 60 }) as Json;
    expect(lock.acquired_at).toBe('2030-01-01T00:00:00.000Z');
    expect(lock.expires_at).toBe('2030-01-01T00:01:00.000Z');
    t += 60_000;
    expect(clocked.status(EQ).locked).toBe(false);
    clocked.close();
  });

  it('drops every lock, observer and queue entry of a disconnected instrument', () => {
    locks.acquire({ equipment_id: 'scope', session_id: 'o', lock_mode: 'observer' });
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    locks.acquire({ equipment_id: EQ, session_id: 'b', queue_if_busy: true });
    locks.releaseAll(EQ);
    expect(locks.status(EQ)).toMatchObject({ locked: false, queue_length: 0 });
    expect(locks.status('scope').observer_count).toBe(1);
    expect(published.at(-1)).toMatchObject({
      type: 'lock_released',
      data: { equipment_id: EQ, session_id: 'a', reason: 'equipment_disconnected' },
    });
  });

  it('keeps the last 100 lock events per instrument', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'a' });
    for (let i = 0; i < 150; i++) locks.acquire({ equipment_id: EQ, session_id: 'a' });
    expect(locks.events(EQ, 1000)).toHaveLength(100);
    expect(locks.events(EQ, 3)).toHaveLength(3);
  });

  it('queues at most 100 sessions for one lock, and keeps at most 4096 bytes of session metadata', () => {
    locks.acquire({ equipment_id: EQ, session_id: 'holder' });
    for (let i = 0; i < 100; i++)
      locks.acquire({ equipment_id: EQ, session_id: `q${i}`, queue_if_busy: true });
    const full = httpErrorOf(() =>
      locks.acquire({ equipment_id: EQ, session_id: 'late', queue_if_busy: true }),
    );
    expect([full.statusCode, full.code]).toEqual([429, 'queue_full']);
    expect(locks.queue(EQ)).toHaveLength(100);
    // Already queued: still answered with its place, not refused.
    expect(locks.acquire({ equipment_id: EQ, session_id: 'q99', queue_if_busy: true })).toMatchObject({
      status: 'queued',
      queue_entry: { position: 99 },
    });

    const big = httpErrorOf(() => locks.createSession({ metadata: { note: 'x'.repeat(4096) } }));
    expect([big.statusCode, big.field]).toEqual([400, 'metadata']);
    expect(locks.listSessions()).toEqual([]);
    expect(locks.createSession({ metadata: { note: 'x'.repeat(4000) } }).metadata.note).toHaveLength(4000);
  });

  it('keeps at most 10 000 sessions open', () => {
    for (let i = 0; i < 10_000; i++) locks.createSession();
    const refused = httpErrorOf(() => locks.createSession());
    expect([refused.statusCode, refused.code]).toEqual([429, 'too_many_sessions']);
    expect(locks.listSessions()).toHaveLength(10_000);
  });

  it('ends sessions on request or after their timeout, releasing their locks', () => {
    const s = locks.createSession({ client_name: 'bench-pc', timeout_seconds: 60 });
    expect(s).toMatchObject({
      client_name: 'bench-pc',
      time_remaining: 60,
      duration_seconds: 0,
      metadata: {},
    });
    locks.acquire({ equipment_id: EQ, session_id: s.session_id });
    locks.acquire({ equipment_id: 'scope', session_id: s.session_id, lock_mode: 'observer' });
    expect(locks.sessionLocks(s.session_id)).toEqual([EQ, 'scope']);

    vi.advanceTimersByTime(59_000);
    locks.touchSession(s.session_id);
    vi.advanceTimersByTime(59_000);
    expect(locks.session(s.session_id)).toBeDefined();
    vi.advanceTimersByTime(1_000);
    expect(locks.session(s.session_id)).toBeUndefined();
    expect(locks.status(EQ).locked).toBe(false);
    expect(locks.sessionHistory(s.session_id).map((e) => e.event)).toEqual([
      'session_created',
      'session_expired',
    ]);

    const t = locks.createSession();
    locks.acquire({ equipment_id: EQ, session_id: t.session_id });
    expect(locks.endSession(t.session_id)).toEqual({ locks_released: 1 });
    expect(locks.endSession(t.session_id)).toBeUndefined();
    // Any string works as a session id, as in the original: ending it still releases what it holds.
    locks.acquire({ equipment_id: EQ, session_id: 'ad-hoc' });
    expect(locks.endSession('ad-hoc')).toEqual({ locks_released: 1 });
  });
});

describe('locks over HTTP, with the simulated bench', () => {
  let server: TestServer;
  let psu: string;
  let api: (path: string, init?: Parameters<typeof http>[1]) => ReturnType<typeof http>;

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    api = (path, init) => http(`${server.url}${path}`, init);
    const { body } = await api('/api/equipment/list');
    psu = body.find((e: Json) => e.type === 'power_supply').id;
  });
  afterAll(() => server.dispose());

  const setVoltage = (voltage: number, session_id?: string) =>
    api(`/api/equipment/${psu}/command`, {
      body: {
        action: 'set_voltage',
        parameters: { voltage, channel: 1 },
        ...(session_id ? { session_id } : {}),
      },
    });
  const voltageSet = async () => (await api(`/api/equipment/${psu}/readings`)).body.voltage_set;
  const acquire = (body: Json) => api('/api/locks/acquire', { body: { equipment_id: psu, ...body } });
  const release = (body: Json) => api('/api/locks/release', { body: { equipment_id: psu, ...body } });

  it('answers 404 for an unknown instrument on every route', async () => {
    const missing = 'ps_00000000';
    const calls = [
      api('/api/locks/acquire', { body: { equipment_id: missing, session_id: 'a' } }),
      api('/api/locks/release', { body: { equipment_id: missing, session_id: 'a' } }),
      api(`/api/locks/status/${missing}`),
      api(`/api/locks/queue/${missing}`),
      api(`/api/locks/events/${missing}`),
      api(`/api/locks/activity/${missing}`, { body: { session_id: 'a' } }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain(missing);
    }
  });

  it('answers a malformed body with 400 naming the field', async () => {
    const cases: [Json, string][] = [
      [{ equipment_id: psu }, 'session_id'],
      [{ equipment_id: psu, session_id: 'a', lock_mode: 'owner' }, 'lock_mode'],
      [{ equipment_id: psu, session_id: 'a', timeout_seconds: -1 }, 'timeout_seconds'],
      [{ equipment_id: psu, session_id: 'a', queue_if_busy: 'yes' }, 'queue_if_busy'],
    ];
    for (const [body, field] of cases) {
      const res = await api('/api/locks/acquire', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.field).toBe(field);
    }
    expect((await api(`/api/locks/events/${psu}?limit=0`)).status).toBe(400);
  });

  it('keeps other sessions’ commands off a locked instrument, and the holder’s go through', async () => {
    expect((await setVoltage(1.5)).status).toBe(200);
    const locked = await acquire({ session_id: 'alice' });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ success: true, status: 'locked', lock: { session_id: 'alice' } });
    expect(locked.body.lock.acquired_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await acquire({ session_id: 'alice' })).body.status).toBe('refreshed');

    const conflict = await acquire({ session_id: 'bob' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toBe(`Equipment ${psu} is locked by session alice`);
    expect((await acquire({ session_id: 'bob', lock_mode: 'observer' })).status).toBe(409);

    for (const session of ['bob', undefined]) {
      const refused = await setVoltage(7, session);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('locked by session alice');
    }
    expect(await voltageSet()).toBe(1.5);
    expect((await setVoltage(2.5, 'alice')).status).toBe(200);
    expect(await voltageSet()).toBe(2.5);

    const status = await api(`/api/locks/status/${psu}`);
    expect(status.body).toMatchObject({
      equipment_id: psu,
      locked: true,
      lock_mode: 'exclusive',
      session_id: 'alice',
      observer_count: 0,
      observer_sessions: [],
      queue_length: 0,
    });
    expect(status.body.time_remaining).toBeGreaterThan(0);

    const queued = await acquire({ session_id: 'bob', queue_if_busy: true });
    expect(queued.body).toMatchObject({
      success: false,
      status: 'queued',
      current_lock: { session_id: 'alice' },
      queue_entry: { equipment_id: psu, session_id: 'bob', position: 0 },
    });
    expect((await api(`/api/locks/queue/${psu}`)).body.queue).toHaveLength(1);
    expect((await api('/api/locks/all')).body).toMatchObject({
      exclusive_locks: { [psu]: { session_id: 'alice' } },
      queues: { [psu]: [{ session_id: 'bob' }] },
    });

    expect((await release({ session_id: 'carol' })).status).toBe(403);
    expect((await release({ session_id: 'alice' })).body).toEqual({
      success: true,
      status: 'released',
      was_forced: false,
    });
    // Bob was next in line: the lock is his now.
    expect((await api(`/api/locks/status/${psu}`)).body.session_id).toBe('bob');
    expect((await setVoltage(3, 'alice')).status).toBe(409);
    expect((await api(`/api/locks/activity/${psu}`, { body: { session_id: 'bob' } })).body).toMatchObject({
      success: true,
      session_id: 'bob',
    });
    expect((await api(`/api/locks/activity/${psu}`, { body: { session_id: 'alice' } })).status).toBe(404);

    expect((await release({ session_id: 'carol', force: true })).body.was_forced).toBe(true);
    const events = (await api(`/api/locks/events/${psu}?limit=1000`)).body;
    expect(events.events.map((e: Json) => e.event)).toEqual([
      'lock_acquired',
      'lock_refreshed',
      'queued',
      'lock_released',
      'lock_acquired',
      'queue_processed',
      'lock_force_released',
    ]);
    expect((await api(`/api/locks/events/${psu}?limit=2`)).body.count).toBe(2);
    expect((await release({ session_id: 'bob' })).body).toMatchObject({
      success: false,
      status: 'not_locked',
    });
  });

  it('expires a lock by itself and frees control again', async () => {
    expect((await acquire({ session_id: 'dave', timeout_seconds: 1 })).body.status).toBe('locked');
    expect((await setVoltage(4, 'erin')).status).toBe(409);
    let status: Json;
    do {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api(`/api/locks/status/${psu}`)).body;
    } while (status.locked);
    expect((await api(`/api/locks/events/${psu}?limit=1`)).body.events[0]).toMatchObject({
      event: 'lock_expired',
      session_id: 'dave',
    });
    expect((await setVoltage(4, 'erin')).status).toBe(200);
    expect(await voltageSet()).toBe(4);
  });

  it('creates sessions, and ending one releases its locks', async () => {
    const created = await api('/api/locks/sessions/create', {
      body: { client_name: 'bench-pc', metadata: { user: 'frank' } },
    });
    expect(created.status).toBe(200);
    const session = created.body;
    expect(session).toMatchObject({
      client_name: 'bench-pc',
      client_ip: '127.0.0.1',
      timeout_seconds: 600,
      metadata: { user: 'frank' },
    });
    expect(session.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.time_remaining).toBeGreaterThan(599);
    const sid = session.session_id;

    expect((await api(`/api/locks/sessions/${sid}`)).body.session_id).toBe(sid);
    expect((await api('/api/locks/sessions')).body.sessions.map((s: Json) => s.session_id)).toContain(sid);
    expect((await api(`/api/locks/sessions/${sid}/activity`, { method: 'POST' })).body.success).toBe(true);
    await acquire({ session_id: sid });
    expect((await api(`/api/locks/sessions/${sid}/locks`)).body).toEqual({
      session_id: sid,
      locked_equipment: [psu],
      count: 1,
    });

    const ended = await api(`/api/locks/sessions/${sid}`, { method: 'DELETE' });
    expect(ended.body).toMatchObject({ success: true, session_id: sid, locks_released: 1 });
    expect((await api(`/api/locks/status/${psu}`)).body.locked).toBe(false);
    expect((await api(`/api/locks/sessions/${sid}`)).status).toBe(404);
    expect((await api(`/api/locks/sessions/${sid}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`/api/locks/sessions/${sid}/events`)).body.events.map((e: Json) => e.event)).toEqual([
      'session_created',
      'session_ended',
    ]);
    expect((await api('/api/locks/cleanup', { method: 'POST' })).body).toMatchObject({
      success: true,
      expired_sessions: 0,
    });
  });

  it('documents every lock route in OpenAPI', async () => {
    const { body } = await api('/docs/json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/api/locks/acquire',
        '/api/locks/release',
        '/api/locks/status/{equipment_id}',
        '/api/locks/sessions/create',
        '/api/locks/sessions/{session_id}',
      ]),
    );
  });
});
