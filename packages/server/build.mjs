// Builds the server into JavaScript in dist/ — cli.js, which `lablink` and `npm start` run, and chunks it loads on
// demand — so nothing compiles TypeScript at start. The workspace packages (@lablink/*) are inlined; npm
// dependencies stay external and load from node_modules as they are (native addons such as better-sqlite3,
// @node-rs/argon2 and serialport, h5wasm's WebAssembly, and everything else): dist/ holds only LabLink's own code.
//
//   node packages/server/build.mjs            build
//   node packages/server/build.mjs --if-stale build only when a source is newer than dist/cli.js (fast when fresh)
//   node packages/server/build.mjs --check    exit 1 when dist/cli.js is missing or stale, build nothing
//
// Staleness is by modification time: the newest file under each inlined package's src/ (and its package.json,
// and this script) against the bundle's. bin/lablink.js makes the same comparison with `isStale` from here.

import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = path.dirname(SERVER);
const DIST = path.join(SERVER, 'dist');
export const BUNDLE = path.join(DIST, 'cli.js');
/** The workspace packages whose sources go into the bundle. */
const INLINED = ['server', 'instruments', 'protocol', 'client'];

/** The newest modification time of the files given, and of every file under the directories given (0: none). */
export function newestMtime(paths) {
  let newest = 0;
  for (const file of paths) {
    if (!existsSync(file)) continue;
    const stat = statSync(file);
    if (!stat.isDirectory()) newest = Math.max(newest, stat.mtimeMs);
    else
      for (const entry of readdirSync(file, { withFileTypes: true, recursive: true })) {
        if (entry.isFile())
          newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
      }
  }
  return newest;
}

/** What the bundle is made from: each inlined package's src/ and package.json, and this script. */
export function sourcePaths() {
  return [
    fileURLToPath(import.meta.url),
    ...INLINED.flatMap((name) => [
      path.join(PACKAGES, name, 'src'),
      path.join(PACKAGES, name, 'package.json'),
    ]),
  ];
}

/** True when the bundle is missing or older than a source it is built from. */
export function isStale(bundle = BUNDLE, sources = sourcePaths()) {
  return !existsSync(bundle) || statSync(bundle).mtimeMs < newestMtime(sources);
}

export async function buildServer() {
  // esbuild is a devDependency: imported here only, never by the built server.
  const { build } = await import('esbuild');
  // A clean dist/: chunks of an earlier build are never loaded by mistake.
  rmSync(DIST, { recursive: true, force: true });
  await build({
    // main.js is the `lablink` command (loaded by the cli.js launcher below); index.js the same server as a module
    // (startServer …), which the end-to-end tests start in their own process to reach its simulated bench and
    // services.
    entryPoints: [
      { in: path.join(SERVER, 'src', 'cli.ts'), out: 'main' },
      { in: path.join(SERVER, 'src', 'index.ts'), out: 'index' },
    ],
    outdir: DIST,
    // Code behind an `await import()` (export writers, mail, mDNS …) goes into chunks of its own, so the npm
    // packages it needs load when it first runs, not at start. Every file lands in dist/ itself: code that finds
    // files relative to its own module (import.meta.url: the web app's dist/, package.json) sees the same
    // directory from any chunk as from cli.js.
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    sourcemap: 'linked',
    // Stack traces name the TypeScript source lines (Node maps them with --enable-source-maps; bin/ turns it on).
    sourcesContent: false,
    logLevel: 'warning',
    legalComments: 'none',
    // Without comments and indentation the code is half the size, and plain ASCII: V8 keeps each module's source
    // in memory, two bytes a character when it holds any non-Latin-1 character (a comment's '…' did). Names stay.
    minifyWhitespace: true,
    plugins: [
      {
        name: 'npm-dependencies-external',
        setup(b) {
          // Bare specifiers are npm packages, except our own workspace packages, which esbuild resolves to their
          // TypeScript sources through node_modules/@lablink/* (their package.json "exports").
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@lablink/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  writeFileSync(BUNDLE, LAUNCHER);
}

/**
 * dist/cli.js, the `lablink` command as built (bin/lablink.js and the systemd unit run it): it loads the server
 * (main.js) with V8's young generation held at its initial size. Loading leaves many survivors, which V8 reads as a
 * sign to grow the young generation to its 2 x 16 MB maximum, and an idle server never collects again to give that
 * back; startServer lets it grow again once listening, so only a real load grows it (docs/performance.md). This
 * runs before any module of the server is loaded, which no statement inside the bundle could.
 */
const LAUNCHER = `import v8 from 'node:v8';
v8.setFlagsFromString('--semi-space-growth-factor=1');
await import('./main.js');
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv[2];
  if (flag === '--check') {
    process.exit(isStale() ? 1 : 0);
  } else if (flag === '--if-stale' && !isStale()) {
    // Fresh: nothing to do.
  } else {
    const started = performance.now();
    await buildServer();
    console.log(
      `built ${path.relative(process.cwd(), BUNDLE)} in ${Math.round(performance.now() - started)} ms`,
    );
  }
}
