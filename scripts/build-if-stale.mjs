// Builds what is missing or older than its sources, and nothing else: the web app (packages/web/dist) and the
// server (packages/server/dist). `npm start` runs it first (prestart), so a fresh clone needs only
// `npm install && npm start`; the test run runs it once before any suite (vitest.config.ts globalSetup), so tests
// always start the built server made from the current sources. When everything is fresh it only compares
// modification times (a few milliseconds).
//
//   node scripts/build-if-stale.mjs            web app and server
//   node scripts/build-if-stale.mjs --web      the web app only (npm run dev serves it from the sources' server)

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, isStale } from '../packages/server/build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(ROOT, 'packages/web');
const WEB_BUILT = path.join(WEB, 'dist', 'index.html');
/** What the web build reads: its own sources and config, and the workspace packages it bundles. */
const WEB_SOURCES = [
  'packages/web/src',
  'packages/web/public',
  'packages/web/index.html',
  'packages/web/vite.config.ts',
  'packages/web/package.json',
  'packages/client/src',
  'packages/protocol/src',
];

export function webIsStale() {
  return isStale(
    WEB_BUILT,
    WEB_SOURCES.map((p) => path.join(ROOT, p)),
  );
}

export function buildWebIfStale() {
  if (!webIsStale()) return;
  console.log('building the web app (packages/web/dist) …');
  execFileSync('npm', ['run', 'build', '-w', '@lablink/web'], { cwd: ROOT, stdio: 'inherit' });
}

export async function buildServerIfStale() {
  if (!isStale()) return;
  console.log('building the server (packages/server/dist) …');
  await buildServer();
}

/** vitest globalSetup: the server the CLI and end-to-end tests start is built from the current sources. */
export async function setup() {
  await buildServerIfStale();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildWebIfStale();
  if (process.argv[2] !== '--web') await buildServerIfStale();
}
