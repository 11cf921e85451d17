#!/usr/bin/env node
// The `lablink` command. It runs the built server, dist/cli.js (`npm run build`; `npm start` builds it when
// missing or stale), when that is at least as new as every source it is built from. Otherwise — a checkout never
// built, or sources edited since the last build — it runs the TypeScript sources through tsx, so the command never
// runs code older than the sources beside it; only slower to start (docs/performance.md).
import { isStale } from '../build.mjs';

if (isStale()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  await import('../dist/cli.js');
}
