// The role table (src/auth/roles.ts) covers the whole API: every route the app registers (all are in the OpenAPI
// spec but /ws, which is hidden) and every WebSocket message type a client may send has its line, and the table
// names no route that does not exist. A new route without a line fails here (and would need admin meanwhile).

import { ClientMessages } from '@lablink/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { ROUTE_ROLES, routeAccess, WS_ROLES } from '../src/auth/roles.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';
import { tempDir } from './helpers.js';

const data = tempDir();
let app: Awaited<ReturnType<typeof buildApp>>;
let registered: string[];

beforeAll(async () => {
  const config = loadConfig({
    env: { LABLINK_PORT: '0', LABLINK_SIM: 'off', LABLINK_MDNS: 'off', LABLINK_DATA_DIR: data.dir },
  });
  app = await buildApp(await createServices(config, pino({ level: 'silent' })));
  await app.ready();
  const spec = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  registered = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  registered.push('GET /ws');
});

afterAll(async () => {
  await app?.close();
  data.remove();
});

describe('the role table', () => {
  it('declares every registered route', () => {
    expect(registered.length).toBeGreaterThan(100);
    const missing = registered.filter((route) => !(route in ROUTE_ROLES));
    expect(missing, 'routes without a line in src/auth/roles.ts').toEqual([]);
  });

  it('names no route that does not exist', () => {
    const stale = Object.keys(ROUTE_ROLES).filter((route) => !registered.includes(route));
    expect(stale).toEqual([]);
  });

  it('declares every WebSocket message type a client may send', () => {
    expect(Object.keys(WS_ROLES).sort()).toEqual(Object.keys(ClientMessages).sort());
  });

  it('keeps the public routes to sign-in, health and the WebSocket (which signs itself in)', () => {
    const open = Object.entries(ROUTE_ROLES)
      .filter(([, role]) => role === 'public')
      .map(([route]) => route);
    expect(open.sort()).toEqual(['GET /api/auth/status', 'GET /health', 'GET /ws', 'POST /api/auth/login']);
  });

  it('reads are viewer but for configuration; every state change needs more than viewer but three', () => {
    const viewerChanges = Object.entries(ROUTE_ROLES)
      .filter(([route, role]) => !route.startsWith('GET ') && role === 'viewer')
      .map(([route]) => route);
    expect(viewerChanges.sort()).toEqual([
      'POST /api/acquisition/export',
      'POST /api/auth/logout',
      'POST /api/hub/benches/{bench}/emergency-stop',
      'POST /api/safety/emergency-stop/activate',
      'POST /api/scheduler/triggers/preview',
    ]);
  });

  it('needs admin for a route of the API missing from the table; the web app and /docs are outside it', () => {
    expect(routeAccess('POST', '/api/something/new')).toBe('admin');
    expect(routeAccess('GET', '/docs/json')).toBeNull();
    expect(routeAccess('GET', '/index.html')).toBeNull();
    expect(routeAccess('HEAD', '/api/equipment/list')).toBe('viewer');
    expect(routeAccess('PUT', '/api/safety/limits/:equipment_id')).toBe('admin');
  });
});

describe('the last admin', () => {
  it('cannot be deleted, demoted or revoked while other users remain and no other admin exists', async () => {
    const { auth } = app.services;
    await auth.addUser('root', 'password123', 'admin');
    await auth.addUser('watcher', 'password123', 'viewer');
    await expect(auth.updateUser('root', { role: 'operator' })).rejects.toThrow(/the last admin/);
    expect(() => auth.deleteUser('root')).toThrow(/the last admin/);
    const token = auth.createToken('spare', 'admin', { username: 'root', role: 'admin' });
    await auth.updateUser('root', { role: 'operator' });
    // Now the token is the last admin: it stays while users remain with no admin among them.
    expect(() => auth.revokeToken(token.id)).toThrow(/the last admin token/);
    await auth.updateUser('root', { role: 'admin' });
    auth.revokeToken(token.id);
    auth.deleteUser('watcher');
    // The last user of all may go: on loopback that is open mode again.
    auth.deleteUser('root');
    expect(auth.open).toBe(true);
  });
});
