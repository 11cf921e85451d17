// Issue 9, finding 6 and the bounds on every number and string a request carries, over real HTTP and WebSocket
// against a server with the simulated bench. Each extreme gets a 4xx naming the field and changes nothing; the
// property-based sweep over every route is in rest-fuzz.test.ts.

import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworkErrors, installErrorHandler } from '../src/http-errors.js';
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

describe('every number and string of a REST request is bounded', () => {
  /** [method, path (ids filled in), body as JSON text or undefined, the field the 4xx must name]. */
  const cases = (): [string, string, string | undefined, string][] => {
    const psu = ids.power_supply;
    const load = ids.electronic_load;
    const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    const long = (n: number) => JSON.stringify('x'.repeat(n));
    return [
      ['PUT', `/api/safety/limits/${psu}`, '{"max_voltage":1e308}', 'max_voltage'],
      ['PUT', `/api/safety/limits/${psu}`, '{"max_current":-1e308}', 'max_current'],
      ['PUT', `/api/safety/limits/${psu}`, '{"max_power":1e309}', 'max_power'],
      ['PUT', `/api/safety/limits/${psu}`, '{"voltage_slew_rate":1e308}', 'voltage_slew_rate'],
      ['PUT', `/api/safety/limits/${psu}`, '{"voltage_slew_rate":-1e-20}', 'voltage_slew_rate'],
      ['PUT', `/api/safety/limits/${psu}`, '{"current_slew_rate":"NaN"}', 'current_slew_rate'],
      ['PUT', `/api/safety/limits/${psu}`, '{"channel":9007199254740993}', 'channel'],
      ['PUT', `/api/safety/limits/${psu}`, '{"channel":-0.5}', 'channel'],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        `{"action":"set_voltage","parameters":${keys(33)}}`,
        'parameters',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        '{"action":"set_voltage","parameters":{"voltage":1e308}}',
        'voltage',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        '{"action":"set_voltage","parameters":{"voltage":-1e308}}',
        'voltage',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        '{"action":"set_voltage","parameters":{"voltage":1e309}}',
        'parameters.voltage',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        '{"action":"set_voltage","parameters":{"voltage":"NaN"}}',
        'voltage',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        '{"action":"set_voltage","parameters":{"voltage":1,"channel":1e308}}',
        'channel',
      ],
      [
        'POST',
        `/api/equipment/${load}/command`,
        '{"action":"set_current","parameters":{"current":9007199254740993}}',
        'current',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        `{"action":"set_voltage","session_id":${long(101)}}`,
        'session_id',
      ],
      ['POST', `/api/equipment/${psu}/command`, `{"action":${long(65)}}`, 'action'],
      ['POST', `/api/equipment/${psu}/scpi`, `{"command":${long(513)}}`, 'command'],
      ['POST', `/api/equipment/${psu}/scpi`, `{"command":"*IDN?","session_id":${long(101)}}`, 'session_id'],
      ['POST', `/api/equipment/disconnect/${psu}?session_id=${'x'.repeat(101)}`, undefined, 'session_id'],
      ['GET', `/api/equipment/${psu}/readings?channel=1e308`, undefined, 'channel'],
      ['GET', `/api/equipment/${psu}/readings?channel=NaN`, undefined, 'channel'],
      ['GET', `/api/equipment/${psu}/readings?channel=-0`, undefined, 'channel'],
      ['GET', '/api/safety/events?limit=9007199254740993', undefined, 'limit'],
      ['GET', `/api/locks/events/${psu}?limit=1e308`, undefined, 'limit'],
      ['GET', '/api/locks/sessions/x/events?limit=Infinity', undefined, 'limit'],
      ['GET', `/api/profiles/list?equipment_type=${'x'.repeat(65)}`, undefined, 'equipment_type'],
      ['GET', `/api/equipment/${'x'.repeat(65)}`, undefined, 'equipment_id'],
      ['POST', '/api/equipment/connect', `{"resource_string":${long(257)}}`, 'resource_string'],
      [
        'POST',
        '/api/equipment/connect',
        '{"resource_string":"TCPIP0::127.0.0.1::1e308::SOCKET"}',
        'resource_string',
      ],
      [
        'POST',
        '/api/equipment/connect',
        `{"resource_string":"TCPIP0::127.0.0.1::5025::SOCKET","nickname":${long(101)}}`,
        'nickname',
      ],
      ['PATCH', `/api/equipment/${psu}`, `{"nickname":${long(101)}}`, 'nickname'],
      ['POST', '/api/locks/acquire', `{"equipment_id":"${psu}","session_id":${long(101)}}`, 'session_id'],
      ['POST', '/api/locks/sessions/create', `{"client_name":${long(101)}}`, 'client_name'],
      ['POST', '/api/locks/sessions/create', `{"metadata":${keys(33)}}`, 'metadata'],
      ['POST', '/api/locks/sessions/create', `{"metadata":{"note":${long(5000)}}}`, 'metadata'],
      ['POST', '/api/profiles/create', `{"name":${long(101)},"equipment_type":"power_supply"}`, 'name'],
      [
        'POST',
        '/api/profiles/create',
        `{"name":"p","equipment_type":"power_supply","description":${long(1001)}}`,
        'description',
      ],
      [
        'POST',
        '/api/profiles/create',
        `{"name":"p","equipment_type":"power_supply","settings":${keys(101)}}`,
        'settings',
      ],
      [
        'POST',
        '/api/profiles/create',
        `{"name":"p","equipment_type":"power_supply","settings":{"mode":${long(257)}}}`,
        'settings.mode',
      ],
      [
        'POST',
        '/api/profiles/create',
        '{"name":"p","equipment_type":"power_supply","settings":{"voltage":{"a":1}}}',
        'settings.voltage',
      ],
      [
        'POST',
        '/api/profiles/create',
        '{"name":"p","equipment_type":"power_supply","settings":{"voltage":1e309}}',
        'settings.voltage',
      ],
      [
        'POST',
        '/api/profiles/create',
        `{"name":"p","equipment_type":"power_supply","tags":[${long(65)}]}`,
        'tags.0',
      ],
      [
        'POST',
        `/api/profiles/${encodeURIComponent('Power Supply - 5V Logic')}/apply/${psu}`,
        '{"channel":1e308}',
        'channel',
      ],
      ['POST', '/api/locks/sessions/create', `{"metadata":{${long(65)}:1}}`, 'metadata'],
      [
        'POST',
        '/api/profiles/create',
        `{"name":"p","equipment_type":"power_supply","settings":{${long(65)}:1}}`,
        'settings',
      ],
      [
        'POST',
        `/api/equipment/${psu}/command`,
        `{"action":"set_voltage","parameters":{${long(65)}:1}}`,
        'parameters',
      ],
      ['POST', '/api/locks/acquire', '[]', 'body'],
      ['POST', '/api/locks/acquire', '"x"', 'body'],
    ];
  };

  it('answers each extreme with a 4xx naming the field, and changes nothing', async () => {
    const { snapshot, differences } = await import('./bench-state.js');
    const before = await snapshot(server.url);
    for (const [method, path, body, field] of cases()) {
      const res = await api(path, {
        method,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
      });
      const what = `${method} ${path.slice(0, 120)} ${body?.slice(0, 120)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(res.body.field, what).toBe(field);
      expect(typeof res.body.detail, what).toBe('string');
    }
    expect(differences(before, await snapshot(server.url))).toEqual([]);
  });

  it('takes the bounds themselves: a day of timeout, 32 parameters, 100 settings, 4 KB of metadata', async () => {
    const settings = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    const created = await api('/api/profiles/create', {
      body: { name: 'bounds', equipment_type: 'generic', settings, description: 'd'.repeat(1000) },
    });
    expect(created.status).toBe(201);
    expect((await api('/api/profiles/bounds', { method: 'DELETE' })).status).toBe(200);
    const session = await api('/api/locks/sessions/create', {
      body: { timeout_seconds: 86_400, client_name: 'c'.repeat(100), metadata: { note: 'm'.repeat(4000) } },
    });
    expect(session.status).toBe(200);
    expect((await api(`/api/locks/sessions/${session.body.session_id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    const limits = await api(`/api/safety/limits/${ids.electronic_load}`, {
      method: 'PUT',
      body: { current_slew_rate: 1_000_000 },
    });
    expect(limits.status).toBe(200);
    expect(
      (
        await api(`/api/safety/limits/${ids.electronic_load}`, {
          method: 'PUT',
          body: { current_slew_rate: 0 },
        })
      ).body.limits[0].current_slew_rate,
    ).toBeNull();
  });

  it('has a frameworkErrors handler that gives router errors the one error shape', async () => {
    const app = Fastify({ frameworkErrors });
    installErrorHandler(app);
    app.get('/x/:id', async () => 'ok');
    for (const url of [`/x/${'x'.repeat(101)}`, '/x/%E0%A4%A']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.json(), url).toMatchObject({
        code: 'invalid_request',
        field: 'path',
        detail: expect.any(String),
      });
    }
    await app.close();
  });

  // Fails until app.ts passes `frameworkErrors` (src/http-errors.ts) to Fastify: the router answers these itself.
  it('answers a path segment the router refuses (over 100 characters, a broken % escape) in the one error shape', async () => {
    for (const path of [`/api/equipment/${'x'.repeat(101)}`, '/api/equipment/%E0%A4%A', '/api/profiles/%']) {
      const res = await api(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).toMatchObject({
        code: 'invalid_request',
        field: 'path',
        detail: expect.any(String),
      });
    }
  });
});

describe('every number of a WebSocket message is bounded', () => {
  const cases: [string, string][] = [
    ['{"type":"start_stream","equipment_id":"E","interval_ms":1e308}', 'interval_ms'],
    ['{"type":"start_stream","equipment_id":"E","interval_ms":1e309}', 'interval_ms'],
    ['{"type":"start_stream","equipment_id":"E","interval_ms":-0}', 'interval_ms'],
    ['{"type":"start_stream","equipment_id":"E","channel":1e308}', 'channel'],
    ['{"type":"start_stream","equipment_id":"E","channel":0.5}', 'channel'],
    ['{"type":"start_stream","equipment_id":"E","resume_from":9007199254740993}', 'resume_from'],
    ['{"type":"start_stream","equipment_id":"E","resume_from":1e308}', 'resume_from'],
    ['{"type":"start_stream","equipment_id":"E","resume_from":-1}', 'resume_from'],
    ['{"type":"hello","batch_ms":1e308}', 'batch_ms'],
    ['{"type":"hello","batch_ms":1e-20}', 'batch_ms'],
    [
      '{"type":"subscribe","topics":["equipment"],"resume_from":{"equipment":1e308}}',
      'resume_from.equipment',
    ],
    [`{"type":"subscribe","topics":[${Array(17).fill('"alarms"').join(',')}]}`, 'topics'],
    ['{"type":"start_acquisition_stream","acquisition_id":"a","num_samples":1e308}', 'num_samples'],
    [
      '{"type":"start_acquisition_stream","acquisition_id":"a","interval_ms":9007199254740993}',
      'interval_ms',
    ],
    ['{"type":"ping","request_id":1e308}', 'request_id'],
    ['{"type":"ping","request_id":9007199254740993}', 'request_id'],
  ];

  it('answers each extreme with a typed error naming the field, and keeps the connection', async () => {
    const { TestClient, invalidMessages } = await import('./realtime-client.js');
    const client = await TestClient.open(`${server.url}/ws`);
    try {
      for (const [text, field] of cases) {
        const message = text.replace('"E"', JSON.stringify(ids.power_supply));
        const from = client.messages.length;
        client.send(message);
        const error = await client.waitFor((m) => m.type === 'error', { from });
        expect(error, message).toMatchObject({ code: 'invalid_field', field });
        expect(error.request_id, message).toBeUndefined();
        await client.roundTrip();
      }
      // The bounds themselves are accepted.
      const ok = await client.request({ type: 'hello', batch_ms: 1000 });
      expect(ok.type).toBe('hello_ok');
      const sub = await client.request({
        type: 'subscribe',
        topics: ['equipment'],
        resume_from: { equipment: Number.MAX_SAFE_INTEGER },
      });
      expect(sub.type).toBe('subscribed');
      expect(invalidMessages).toEqual([]);
    } finally {
      client.ws.terminate();
    }
  });
});
