// No request from another web page acts (issue 9, finding 4), over real sockets against a real server with the
// simulated bench: cross-site "simple" POSTs (what any page can send without a preflight) are refused with 403 and
// change nothing; the server's own pages, scripts, curl and the SDK pass; a Host that does not name the server is
// refused (DNS rebinding); /ws refuses foreign origins at the upgrade.

import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type EquipmentInfo, LabLinkClient } from '@lablink/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config.js';
import type { DomainError } from '../src/errors.js';
import { httpStatus } from '../src/http-errors.js';
import { isLoopback, localMachineNames, RequestGuard } from '../src/http-guard.js';
import { http, type Json, startTestServer, type TestServer, tempDir, until } from './helpers.js';

/** The HTTP status a guard refusal is answered with; undefined when the request passes. */
const statusOf = (refusal: DomainError | null) => (refusal ? httpStatus(refusal) : undefined);

let server: TestServer;
let psu: EquipmentInfo;
const EVIL = 'http://evil.example';

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  const list = (await http(`${server.url}/api/equipment/list`)).body as EquipmentInfo[];
  psu = list.find((e) => e.type === 'power_supply') as EquipmentInfo;
});

afterAll(async () => {
  await server?.dispose();
});

interface Answer {
  status: number;
  body: Json;
}

/** One request with exactly these headers (node:http, so Host, Origin and Sec-Fetch-* can be set freely). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What a page on another site can send without a preflight: a form-like POST, no body or text/plain. */
const crossSiteVariants: [string, Record<string, string>, string | undefined][] = [
  [
    'no body, modern browser',
    { origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    undefined,
  ],
  [
    'text/plain body, modern browser',
    { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
    '{"x":1}',
  ],
  ['no body, browser without Sec-Fetch-Site', { origin: EVIL }, undefined],
  ['text/plain, browser without Sec-Fetch-Site', { origin: EVIL, 'content-type': 'text/plain' }, 'hello'],
  ['form from a sandboxed frame (Origin: null)', { origin: 'null', 'content-type': 'text/plain' }, 'a=b'],
  [
    'another port of this machine (same-site)',
    { origin: 'http://127.0.0.1:5173', 'sec-fetch-site': 'same-site' },
    undefined,
  ],
];

function expectRefused(answer: Answer, field?: string): void {
  expect(answer.status).toBe(403);
  expect(answer.body).toMatchObject({ code: 'cross_origin_refused' });
  expect(answer.body.detail).toMatch(/cross-origin request refused/);
  if (field) expect(answer.body.field).toBe(field);
}

describe('cross-site requests do not act', () => {
  it.each(crossSiteVariants)(
    'emergency-stop/deactivate (%s) is refused; the e-stop stays active',
    async (_what, headers, body) => {
      expect((await send(server.url, 'POST', '/api/safety/emergency-stop/activate')).status).toBe(200);
      try {
        expectRefused(await send(server.url, 'POST', '/api/safety/emergency-stop/deactivate', headers, body));
        expect((await http(`${server.url}/api/safety/emergency-stop/status`)).body.active).toBe(true);
      } finally {
        // A script (no Origin, no Sec-Fetch-Site) clears it.
        expect((await send(server.url, 'POST', '/api/safety/emergency-stop/deactivate')).status).toBe(200);
      }
      expect((await http(`${server.url}/api/safety/emergency-stop/status`)).body.active).toBe(false);
    },
  );

  it.each(crossSiteVariants)(
    'equipment/disconnect/{id} (%s) is refused; the instrument stays connected',
    async (_what, headers, body) => {
      expectRefused(await send(server.url, 'POST', `/api/equipment/disconnect/${psu.id}`, headers, body));
      const detail = (await http(`${server.url}/api/equipment/${psu.id}`)).body;
      expect(detail.equipment.state).toBe('connected');
    },
  );

  it.each(crossSiteVariants)(
    'locks/cleanup and equipment/discover (%s) are refused',
    async (_what, headers, body) => {
      const before = (await http(`${server.url}/api/locks/all`)).body;
      expectRefused(await send(server.url, 'POST', '/api/locks/cleanup', headers, body));
      expectRefused(await send(server.url, 'POST', '/api/equipment/discover', headers, body));
      expect((await http(`${server.url}/api/locks/all`)).body).toEqual(before);
    },
  );

  it('refuses a cross-site lock acquisition and command with JSON too (no lock taken, voltage unchanged)', async () => {
    const headers = { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' };
    const before = (await http(`${server.url}/api/equipment/${psu.id}/readings?channel=1`)).body;
    const lock = JSON.stringify({ equipment_id: psu.id, session_id: 'evil' });
    expectRefused(await send(server.url, 'POST', '/api/locks/acquire', headers, lock), 'sec-fetch-site');
    expect((await http(`${server.url}/api/locks/status/${psu.id}`)).body.locked).toBe(false);
    const command = JSON.stringify({ action: 'set_voltage', parameters: { voltage: 7.5, channel: 1 } });
    const refused = await send(server.url, 'POST', `/api/equipment/${psu.id}/command`, headers, command);
    expectRefused(refused);
    const after = (await http(`${server.url}/api/equipment/${psu.id}/readings?channel=1`)).body;
    expect(after.voltage_set).toBe(before.voltage_set);
  });

  it('names the offending header: origin for browsers without Sec-Fetch-Site', async () => {
    expectRefused(await send(server.url, 'POST', '/api/locks/cleanup', { origin: EVIL }), 'origin');
  });
});

describe('requests from LabLink itself and from scripts pass', () => {
  it('passes the web app’s own requests (Sec-Fetch-Site: same-origin, Origin: this server)', async () => {
    const headers = {
      origin: server.url,
      'sec-fetch-site': 'same-origin',
    };
    expect((await send(server.url, 'POST', '/api/locks/cleanup', headers)).status).toBe(200);
    expect((await send(server.url, 'POST', '/api/safety/emergency-stop/deactivate', headers)).status).toBe(
      200,
    );
  });

  it('passes an own Origin from a browser without Sec-Fetch-Site, and Sec-Fetch-Site: none (typed by the user)', async () => {
    expect((await send(server.url, 'POST', '/api/locks/cleanup', { origin: server.url })).status).toBe(200);
    const local = server.url.replace('127.0.0.1', 'localhost');
    expect((await send(local, 'POST', '/api/locks/cleanup', { origin: local })).status).toBe(200);
    expect((await send(server.url, 'POST', '/api/locks/cleanup', { 'sec-fetch-site': 'none' })).status).toBe(
      200,
    );
  });

  it('passes requests with neither header: curl, scripts, Python clients', async () => {
    expect((await send(server.url, 'POST', '/api/locks/cleanup')).status).toBe(200);
    expect(
      await send(server.url, 'POST', '/api/locks/cleanup', { 'content-type': 'text/plain' }, 'x'),
    ).toMatchObject({
      status: 200,
    });
  });

  it('passes the SDK in Node (fetch, ws): REST commands and the WebSocket', async () => {
    const client = new LabLinkClient({ baseUrl: server.url, WebSocket: WebSocket as never });
    try {
      await client.rest.command(psu.id, 'set_voltage', { voltage: 1.25, channel: 1 });
      expect(await client.rest.readings(psu.id, 1)).toMatchObject({ voltage_set: 1.25 });
      expect((await client.rest.discover()).devices.length).toBeGreaterThan(0);
      client.realtime.start();
      await until(() => client.realtime.mode === 'live', 'the SDK’s WebSocket to be live');
    } finally {
      client.close();
    }
  });

  it('does not check reads: GET from another site is answered (the browser keeps the answer from that page)', async () => {
    const answer = await send(server.url, 'GET', '/api/equipment/list', {
      origin: EVIL,
      'sec-fetch-site': 'cross-site',
    });
    expect(answer.status).toBe(200);
  });
});

describe('the Host header must name this server', () => {
  const port = () => new URL(server.url).port;

  it.each([
    ['a rebinding attacker’s name', 'evil.example'],
    ['an attacker’s name with this port', 'attacker.example:PORT'],
    ['a public address', '203.0.113.7:PORT'],
    ['garbage', 'a b'],
  ])('refuses %s with 421 before any route runs', async (_what, host) => {
    const headers = { host: host.replace('PORT', port()) };
    for (const [method, path] of [
      ['GET', '/health'],
      ['GET', '/api/equipment/list'],
      ['POST', '/api/safety/emergency-stop/activate'],
      ['GET', '/'],
    ] as const) {
      const answer = await send(server.url, method, path, headers);
      expect(answer.status).toBe(421);
      expect(answer.body).toMatchObject({ code: 'host_not_allowed', field: 'host' });
      expect(answer.body.detail).toMatch(/does not name this LabLink server/);
    }
    expect((await http(`${server.url}/api/safety/emergency-stop/status`)).body.active).toBe(false);
  });

  it.each([
    '127.0.0.1:PORT',
    'localhost:PORT',
    'LOCALHOST',
    '[::1]:PORT',
    '127.0.0.2:9',
    'app.localhost:PORT',
  ])('accepts the loopback name %s', async (host) => {
    const answer = await send(server.url, 'GET', '/health', { host: host.replace('PORT', port()) });
    expect(answer.status).toBe(200);
  });

  it('accepts configured names (allowed_hosts) and refuses the rest', async () => {
    const other = await startTestServer({ LABLINK_ALLOWED_HOSTS: 'lab-bench.example, 10.1.2.3' });
    try {
      const p = new URL(other.url).port;
      expect((await send(other.url, 'GET', '/health', { host: `lab-bench.example:${p}` })).status).toBe(200);
      expect((await send(other.url, 'GET', '/health', { host: 'LAB-BENCH.example.' })).status).toBe(200);
      expect((await send(other.url, 'GET', '/health', { host: `10.1.2.3:${p}` })).status).toBe(200);
      expect((await send(other.url, 'GET', '/health', { host: `lab-bench.example.evil:${p}` })).status).toBe(
        421,
      );
    } finally {
      await other.dispose();
    }
  });
});

interface WsOutcome {
  status: number;
  body?: Json;
  welcome?: Json;
}

/** Opens /ws with the given Origin/Host; resolves with the welcome, or the HTTP status and body of a refusal. */
function openWs(base: string, options: { origin?: string; host?: string } = {}): Promise<WsOutcome> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, {
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.host ? { headers: { host: options.host } } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from /ws (origin ${options.origin}, host ${options.host})`));
    }, 5000);
    ws.on('close', () => clearTimeout(timer));
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    ws.once('message', (data) => {
      resolve({ status: 101, welcome: JSON.parse(String(data)) });
      ws.close();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('/ws checks the Origin at the upgrade', () => {
  it('refuses a page of another origin with 403 before the WebSocket exists', async () => {
    const connections = async () => (await http(`${server.url}/api/realtime/stats`)).body.connections.length;
    let open = await connections();
    while (open > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // earlier tests' clients, still closing
      open = await connections();
    }
    for (const origin of [EVIL, 'http://127.0.0.1:5173', 'null', 'http://localhost:1']) {
      const outcome = await openWs(server.url, { origin });
      expect(outcome.status).toBe(403);
      expect(outcome.body).toMatchObject({ code: 'cross_origin_refused', field: 'origin' });
    }
    // Nothing was accepted: the gateway never saw them.
    const stats = (await http(`${server.url}/api/realtime/stats`)).body;
    expect(stats.connections.length).toBe(0);
  });

  it('accepts its own origin (the web app) and clients without Origin (scripts, the SDK in Node)', async () => {
    expect((await openWs(server.url, { origin: server.url })).welcome?.type).toBe('welcome');
    const local = server.url.replace('127.0.0.1', 'localhost');
    expect((await openWs(local, { origin: local })).welcome?.type).toBe('welcome');
    expect((await openWs(server.url)).welcome?.type).toBe('welcome');
  });

  it('refuses a Host that does not name the server with 421', async () => {
    const outcome = await openWs(server.url, { host: 'evil.example' });
    expect(outcome.status).toBe(421);
    expect(outcome.body.code).toBe('host_not_allowed');
  });

  it('accepts configured origins (allowed_origins): REST and /ws', async () => {
    const dev = 'http://127.0.0.1:5173';
    const other = await startTestServer({ LABLINK_ALLOWED_ORIGINS: `${dev}, https://lab.example.org` });
    try {
      expect((await openWs(other.url, { origin: dev })).welcome?.type).toBe('welcome');
      expect((await openWs(other.url, { origin: 'https://lab.example.org' })).welcome?.type).toBe('welcome');
      expect((await openWs(other.url, { origin: 'http://127.0.0.1:5174' })).status).toBe(403);
      const headers = { origin: dev, 'sec-fetch-site': 'same-site' };
      expect((await send(other.url, 'POST', '/api/locks/cleanup', headers)).status).toBe(200);
      expect((await send(other.url, 'POST', '/api/locks/cleanup', { origin: dev })).status).toBe(200);
      expectRefused(await send(other.url, 'POST', '/api/locks/cleanup', { origin: EVIL }));
    } finally {
      await other.dispose();
    }
  });
});

describe('the guard on its own', () => {
  const request = (host: string, headers: Record<string, string> = {}, method = 'GET') => ({
    method,
    headers: { host, ...headers },
  });

  it('when listening beyond loopback, accepts the machine’s own names and addresses, and the listen address', () => {
    const guard = new RequestGuard({ host: '0.0.0.0', allowedHosts: [], allowedOrigins: [] }, () => [
      'benchpi',
      'benchpi.local',
      '192.168.7.20',
      'fe80::1%eth0',
    ]);
    for (const host of [
      'benchpi:8000',
      'BENCHPI.local:8000',
      '192.168.7.20:8000',
      '[fe80::1]:8000',
      '0.0.0.0:8000',
      'localhost:8000',
    ]) {
      expect(guard.check(request(host)), host).toBeNull();
    }
    for (const host of ['evil.example:8000', '192.168.7.21:8000', 'benchpi.evil.example']) {
      expect(statusOf(guard.check(request(host))), host).toBe(421);
    }
  });

  it('re-reads the machine’s addresses when a Host is not found (a new DHCP lease)', () => {
    let addresses = ['192.168.7.20'];
    const guard = new RequestGuard({ host: '::', allowedHosts: [], allowedOrigins: [] }, () => addresses);
    expect(statusOf(guard.check(request('192.168.7.99:8000')))).toBe(421);
    addresses = ['192.168.7.99'];
    expect(guard.check(request('192.168.7.99:8000'))).toBeNull();
  });

  it('on loopback, accepts loopback names only (plus configured ones)', () => {
    const guard = new RequestGuard({ host: '127.0.0.1', allowedHosts: ['bench'], allowedOrigins: [] }, () => [
      '192.168.7.20',
    ]);
    expect(statusOf(guard.check(request('192.168.7.20:8000')))).toBe(421);
    expect(guard.check(request('bench:8000'))).toBeNull();
    expect(guard.check(request('[::1]:8000'))).toBeNull();
  });

  it('with the real machine: its host name and interface addresses pass when listening on 0.0.0.0', () => {
    const guard = new RequestGuard({ host: '0.0.0.0', allowedHosts: [], allowedOrigins: [] });
    expect(guard.check(request(`${hostname()}:8000`))).toBeNull();
    for (const address of localMachineNames().filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n))) {
      expect(guard.check(request(`${address}:8000`)), address).toBeNull();
    }
  });

  it('allowed_hosts * accepts any Host (the origin check still applies)', () => {
    const guard = new RequestGuard({ host: '127.0.0.1', allowedHosts: ['*'], allowedOrigins: [] });
    expect(guard.check(request('anything.example'))).toBeNull();
    expect(statusOf(guard.check(request('anything.example', { origin: EVIL }, 'POST')))).toBe(403);
    expect(
      guard.check(request('anything.example', { origin: 'http://anything.example' }, 'POST')),
    ).toBeNull();
  });

  it('treats every method but GET, HEAD and OPTIONS as state-changing, as Go’s CrossOriginProtection does', () => {
    const guard = new RequestGuard({ host: '127.0.0.1', allowedHosts: [], allowedOrigins: [] });
    const cross = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    for (const method of ['GET', 'HEAD', 'OPTIONS'])
      expect(guard.check(request('localhost', cross, method))).toBeNull();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      expect(statusOf(guard.check(request('localhost', cross, method))), method).toBe(403);
    }
    // An own Origin on the default port: Host without a port means port 80 for http.
    expect(guard.check(request('localhost', { origin: 'http://localhost' }, 'POST'))).toBeNull();
    expect(statusOf(guard.check(request('localhost', { origin: 'http://localhost:8000' }, 'POST')))).toBe(
      403,
    );
  });

  it('knows the loopback names', () => {
    for (const name of ['localhost', 'x.localhost', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(name), name).toBe(true);
    }
    for (const name of ['localhost.evil.example', '128.0.0.1', '::2', 'example.com', '0.0.0.0']) {
      expect(isLoopback(name), name).toBe(false);
    }
  });
});

describe('settings', () => {
  it('reads allowed_hosts, allowed_origins and max_ws_connections from flags, environment and defaults', () => {
    expect(loadConfig({ env: {} })).toMatchObject({
      allowedHosts: [],
      allowedOrigins: [],
      maxWsConnections: 2000,
    });
    const fromEnv = loadConfig({
      env: {
        LABLINK_ALLOWED_HOSTS: 'Bench-PI.lab, [fe80::2], 10.0.0.5',
        LABLINK_ALLOWED_ORIGINS: 'http://127.0.0.1:5173/, https://Lab.Example.org:443',
        LABLINK_MAX_WS_CONNECTIONS: '50',
      },
    });
    expect(fromEnv).toMatchObject({
      allowedHosts: ['bench-pi.lab', 'fe80::2', '10.0.0.5'],
      allowedOrigins: ['http://127.0.0.1:5173', 'https://lab.example.org'],
      maxWsConnections: 50,
    });
    const fromFlags = loadConfig({
      env: { LABLINK_ALLOWED_HOSTS: 'ignored' },
      flags: { allowedHosts: ['a.example', 'b.example,c.example'], maxWsConnections: '7' },
    });
    expect(fromFlags).toMatchObject({
      allowedHosts: ['a.example', 'b.example', 'c.example'],
      maxWsConnections: 7,
    });
  });

  it('reads them from the config file as arrays, and names a bad entry by file and key', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'lablink.json');
      writeFileSync(
        file,
        JSON.stringify({
          allowed_hosts: ['bench-pi.lab'],
          allowed_origins: ['http://192.168.1.20:5173'],
          max_ws_connections: 100,
        }),
      );
      expect(loadConfig({ env: {}, flags: { config: file } })).toMatchObject({
        allowedHosts: ['bench-pi.lab'],
        allowedOrigins: ['http://192.168.1.20:5173'],
        maxWsConnections: 100,
      });
      writeFileSync(file, JSON.stringify({ allowed_origins: 'http://a.example/x' }));
      expect(() => loadConfig({ env: {}, flags: { config: file } })).toThrow(
        `invalid setting ${file}: allowed_origins`,
      );
      writeFileSync(file, JSON.stringify({ allowed_hosts: [42] }));
      expect(() => loadConfig({ env: {}, flags: { config: file } })).toThrow(/must be a list of strings/);
    } finally {
      tmp.remove();
    }
  });

  it.each([
    [{ LABLINK_ALLOWED_ORIGINS: 'lab.example' }, 'LABLINK_ALLOWED_ORIGINS'],
    [{ LABLINK_ALLOWED_ORIGINS: 'http://lab.example/app' }, 'LABLINK_ALLOWED_ORIGINS'],
    [{ LABLINK_ALLOWED_ORIGINS: 'ftp://lab.example' }, 'LABLINK_ALLOWED_ORIGINS'],
    [{ LABLINK_ALLOWED_HOSTS: 'http://lab.example' }, 'LABLINK_ALLOWED_HOSTS'],
    [{ LABLINK_ALLOWED_HOSTS: 'lab.example:8000' }, 'LABLINK_ALLOWED_HOSTS'],
    [{ LABLINK_MAX_WS_CONNECTIONS: '0' }, 'LABLINK_MAX_WS_CONNECTIONS'],
    [{ LABLINK_MAX_WS_CONNECTIONS: 'many' }, 'LABLINK_MAX_WS_CONNECTIONS'],
  ])('refuses %o naming %s', (env, setting) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(`invalid setting ${setting}`);
  });
});
