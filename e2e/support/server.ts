// A real LabLink server with its simulated bench (DP832, DL3021A, DS1104Z, 34461A on loopback TCP ports),
// serving the built web app at /, on a free port with a throwaway data directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench } from '@lablink/instruments/sim';
import { pino } from 'pino';
import type { Services } from '../../packages/server/src/services.js';
import { buildWebIfStale } from '../../scripts/build-if-stale.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = path.join(ROOT, 'packages/web');
export const DIST = path.join(WEB, 'dist');

export interface BenchServer {
  url: string;
  /** The simulated instruments, for fault injection (dropped connections …); a new bench after restart(). */
  readonly bench: Bench;
  /** The running server's services (users and tokens for the sign-in tests …); new ones after restart(). */
  readonly services: Services;
  /** Stops the server (and its bench) but keeps its port and data directory for restart(). */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data directory (halting it first if it runs). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the web app when dist/ is missing or older than its sources, so the tests never run a stale build. */
export function ensureWebBuild(): void {
  buildWebIfStale();
}

/**
 * The built server (packages/server/dist, what `lablink serve` runs; the test run rebuilds it when stale), started
 * as `lablink serve` starts it, in this process so that tests reach its simulated bench (fault injection) and its
 * services. Call ensureWebBuild() first so it serves the app.
 */
export async function startBenchServer(): Promise<BenchServer> {
  const { loadConfig, startServer }: typeof import('../../packages/server/src/index.js') = await import(
    pathToFileURL(path.join(ROOT, 'packages/server/dist/index.js')).href
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lablink-e2e-'));
  const start = (port: string) =>
    startServer(
      loadConfig({
        env: { LABLINK_PORT: port, LABLINK_SIM: 'on', LABLINK_MDNS: 'off', LABLINK_DATA_DIR: dataDir },
      }),
      pino({ level: 'silent' }),
    );
  let server = await start('0');
  let running = true;
  const port = new URL(server.url).port;
  const halt = async () => {
    if (running) await server.stop();
    running = false;
  };
  return {
    url: server.url,
    get bench() {
      return server.services.bench as Bench;
    },
    get services() {
      return server.services;
    },
    halt,
    async restart() {
      await halt();
      server = await start(port);
      running = true;
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
