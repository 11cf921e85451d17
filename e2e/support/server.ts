// A real LabLink server with its simulated bench (DP832, DL3021A, DS1104Z, 34461A on loopback TCP ports),
// serving the built web app at /, on a free port with a throwaway data directory.
//
// INTERIM: the server does not yet serve the app at / nor the WebSocket at /ws. Until it does, the app is
// composed here from the server's own parts, adding @fastify/static and the realtime plugin only where the
// server lacks them; each shim switches itself off as soon as the server provides the route. Once both are
// wired this file shrinks to startTestServer({ LABLINK_SIM: 'on' }) from packages/server/test/helpers.ts.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Bench } from '@lablink/instruments/sim';
import { pino } from 'pino';
import { buildApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { realtimePlugin } from '../../packages/server/src/realtime/plugin.js';
import { PollerRegistry } from '../../packages/server/src/realtime/poller.js';
import { createServices } from '../../packages/server/src/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = path.join(ROOT, 'packages/web');
export const DIST = path.join(WEB, 'dist');

export interface BenchServer {
  url: string;
  /** The simulated instruments, for fault injection (dropped connections …). */
  bench: Bench;
  stop(): Promise<void>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds the web app when dist/ is missing or older than its sources, so the tests never run a stale build. */
export function ensureWebBuild(): void {
  const built = path.join(DIST, 'index.html');
  const sources = Math.max(
    newestMtime(path.join(WEB, 'src')),
    statSync(path.join(WEB, 'index.html')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync('npm', ['run', 'build', '-w', '@lablink/web'], { cwd: ROOT, stdio: 'pipe' });
}

export async function startBenchServer(): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lablink-e2e-'));
  const config = loadConfig({ env: { LABLINK_PORT: '0', LABLINK_SIM: 'on', LABLINK_DATA_DIR: dataDir } });
  const services = await createServices(config, pino({ level: 'silent' }));
  const app = await buildApp(services);
  if (!app.hasRoute({ method: 'GET', url: '/ws' })) {
    const pollers = new PollerRegistry({ bus: services.bus, equipment: services.equipment });
    await app.register(realtimePlugin, { bus: services.bus, pollers });
  }
  if (!app.hasRoute({ method: 'GET', url: '/' }) && !app.hasRoute({ method: 'GET', url: '/*' })) {
    await app.register(fastifyStatic, { root: DIST, wildcard: false });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bench: services.bench as Bench,
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
