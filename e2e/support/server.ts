// A real LabLink server with its simulated bench (DP832, DL3021A, DS1104Z, 34461A on loopback TCP ports),
// serving the built web app at /, on a free port with a throwaway data directory.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from '@lablink/instruments/sim';
import { pino } from 'pino';
import { loadConfig } from '../../packages/server/src/config.js';
import { startServer } from '../../packages/server/src/serve.js';

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

/** The real server, exactly as `lablink serve` builds it; call ensureWebBuild() first so it serves the app. */
export async function startBenchServer(): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lablink-e2e-'));
  const config = loadConfig({
    env: { LABLINK_PORT: '0', LABLINK_SIM: 'on', LABLINK_MDNS: 'off', LABLINK_DATA_DIR: dataDir },
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  return {
    url: server.url,
    bench: server.services.bench as Bench,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
