#!/usr/bin/env node
// The `lablink` command. It runs the built server, dist/cli.js (`npm run build`; `npm start` builds it when
// missing or stale), when that is at least as new as every source it is built from. Otherwise — a checkout never
// built, or sources edited since the last build — it runs the TypeScript sources through tsx, so the command never
// runs code older than the sources beside it; only slower to start (docs/performance.md).
import v8 from 'node:v8';
import { isStale } from '../build.mjs';

// Loading the server leaves many survivors, which V8 reads as a sign to grow the young generation to its 2 × 16 MB
// maximum; an idle server never collects again to give that back. So it does not grow while loading; startServer
// lets it grow again once listening, when only a real load makes it (docs/performance.md, start-up and memory).
v8.setFlagsFromString('--semi-space-growth-factor=1');

if (isStale()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  await import('../dist/cli.js');
}
