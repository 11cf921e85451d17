import { defineConfig } from 'vitest/config';

// One run covers every suite. Suites that start servers and simulators use free ports, so files may run in
// parallel; the browser suite (e2e) runs in its own project once it exists.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Once before any suite: the built server (packages/server/dist), which the CLI and end-to-end tests start,
    // is rebuilt when a source is newer than it, so they test the current sources.
    globalSetup: ['scripts/build-if-stale.mjs'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
