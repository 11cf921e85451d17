// Issue 9, finding 6 and the bounds on every number and string a request carries, over real HTTP and WebSocket
// against a server with the simulated bench. Each extreme gets a 4xx naming the field and changes nothing; the
// property-based sweep over every route is in rest-fuzz.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
let ids: Record<string, string>;

const api = (path: string, init: Parameters<typeof http>[1] = {}) => http(`${server.url}${path}`, init);
/** POST a body given as JSON text, so numbers JavaScript cannot hold (9007199254740993, 1e309) arrive as sent. */
const postText = (path: string, text: string, method = 'POST') =>
  api(path, { method, body: text, headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  const { body } = await api('/api/equipment/list');
  ids = Object.fromEntries((body as Json[]).map((e) => [e.type, e.id]));
});

afterAll(async () => {
  await server.dispose();
});

/** The lock and session state as the API shows it, without the clock-driven fields. */
async function lockState(): Promise<Json> {
  const [all, sessions, status] = await Promise.all([
    api('/api/locks/all'),
    api('/api/locks/sessions'),
    api(`/api/locks/status/${ids.power_supply}`),
  ]);
  expect([all.status, sessions.status, status.status]).toEqual([200, 200, 200]);
  return {
    all: all.body,
    sessions: sessions.body.sessions.map((s: Json) => s.session_id).sort(),
    locked: status.body.locked,
  };
}

describe('finding 6: lock and session timeouts', () => {
  const extremes: [string, string][] = [
    ['1e308', 'far beyond any date'],
    ['9007199254740993', 'above 2^53'],
    ['86401', 'a day and a second'],
    ['1e20', 'a large whole number'],
    ['0', 'never expiring'],
    ['-1', 'negative'],
    ['0.5', 'not whole'],
    ['1e309', 'Infinity once parsed'],
    ['"300"', 'a string'],
    ['null', 'null'],
  ];

  it.each(extremes)(
    'refuses acquire timeout_seconds %s (%s) with 400 naming the field, creating nothing',
    async (raw) => {
      const before = await lockState();
      const res = await postText(
        '/api/locks/acquire',
        `{"equipment_id":"${ids.power_supply}","session_id":"hostile","timeout_seconds":${raw}}`,
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', field: 'timeout_seconds' });
      expect(await lockState()).toEqual(before);
    },
  );

  it.each(extremes)(
    'refuses session timeout_seconds %s (%s) with 400 naming the field, creating nothing',
    async (raw) => {
      const before = await lockState();
      const res = await postText('/api/locks/sessions/create', `{"timeout_seconds":${raw}}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', field: 'timeout_seconds' });
      expect(await lockState()).toEqual(before);
    },
  );

  it('accepts a day at most, and such a lock and session expire and show their deadline', async () => {
    const t0 = Date.now();
    const acquired = await api('/api/locks/acquire', {
      body: { equipment_id: ids.power_supply, session_id: 'day', timeout_seconds: 86_400 },
    });
    expect(acquired.status).toBe(200);
    const expires = Date.parse(acquired.body.lock.expires_at);
    expect(expires - t0).toBeGreaterThanOrEqual(86_400_000 - 1000);
    expect(expires - t0).toBeLessThanOrEqual(86_400_000 + 1000);
    const status = await api(`/api/locks/status/${ids.power_supply}`);
    expect(status.status).toBe(200);
    expect(status.body.time_remaining).toBeGreaterThan(86_300);
    expect((await api('/api/locks/all')).status).toBe(200);
    expect(
      (await api('/api/locks/release', { body: { equipment_id: ids.power_supply, session_id: 'day' } })).body
        .status,
    ).toBe('released');

    const created = await api('/api/locks/sessions/create', { body: { timeout_seconds: 86_400 } });
    expect(created.status).toBe(200);
    expect(created.body.time_remaining).toBeGreaterThan(86_300);
    expect((await api('/api/locks/sessions')).status).toBe(200);
    expect((await api(`/api/locks/sessions/${created.body.session_id}`, { method: 'DELETE' })).status).toBe(
      200,
    );

    const shortest = await api('/api/locks/sessions/create', { body: { timeout_seconds: 1 } });
    expect(shortest.status).toBe(200);
    expect((await api(`/api/locks/sessions/${shortest.body.session_id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
  });

  it('keeps every lock route answering after the refused requests', async () => {
    expect((await api('/api/locks/all')).status).toBe(200);
    expect((await api('/api/locks/sessions')).status).toBe(200);
    expect((await api(`/api/locks/status/${ids.power_supply}`)).status).toBe(200);
    expect((await api(`/api/locks/queue/${ids.power_supply}`)).status).toBe(200);
  });
});
