// Start-up and memory: how long `lablink serve` takes from the start of its process to a healthy /health with the
// simulated bench connected, its resident memory once idle, and with 1000 idle WebSocket clients — beside a minimal
// Fastify + `ws` server (minimal-server.mjs) started the same way, in the same run. The same LabLink run from its
// TypeScript sources through tsx (`npm run dev`) is measured too, for comparison.
//
// Each server is a child process started with `node` (never npx or a shell) on a port chosen free beforehand, so
// /health is asked from the moment the process exists (every 10 ms, a new connection each time). The three take
// turns, round after round, so the machine's other work weighs on each alike; the 1000 clients are opened once,
// in the last round. CPU is the process's own user + system time up to its first healthy answer: less sensitive
// than wall time to what else the machine is doing.
//
//   npm run bench:startup --workspace bench
//   npm run bench:startup --workspace bench -- --rounds 10 --clients 1000

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isStale } from '../packages/server/build.mjs';
import { buildServerIfStale } from '../scripts/build-if-stale.mjs';
import {
  announceMachine,
  closeClients,
  connectClients,
  cpuSeconds,
  LABLINK_BIN,
  printTable,
  REPO,
  sleep,
  summarize,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1000' },
    settle: { type: 'string', default: '3000' },
  },
});
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
/** How long a server sits idle after its first healthy answer before its memory is read. */
const SETTLE_MS = Number(values.settle);
const HEALTH_TIMEOUT_MS = 60_000;
/** The simulated bench's four instruments: LabLink is ready when /health counts them connected. */
const BENCH_SIZE = 4;

interface Kind {
  name: string;
  /** Node's arguments, given a free port and a throwaway data directory. */
  args(port: number, dataDir: string): string[];
  ready(body: { status?: string; connected_devices?: number }): boolean;
}

const labLinkReady = (body: { status?: string; connected_devices?: number }) =>
  body.status === 'healthy' && (body.connected_devices ?? 0) >= BENCH_SIZE;
const serveArgs = (port: number, dataDir: string) => ['serve', '--port', String(port), '--data-dir', dataDir];

const BUILT: Kind = {
  name: 'lablink serve (built)',
  args: (port, dataDir) => [LABLINK_BIN, ...serveArgs(port, dataDir)],
  ready: labLinkReady,
};
const MINIMAL: Kind = {
  name: 'minimal Fastify + ws',
  args: (port) => [join(REPO, 'bench/minimal-server.mjs'), String(port)],
  ready: (body) => body.status === 'healthy',
};
const FROM_SOURCE: Kind = {
  name: 'lablink serve (tsx, sources)',
  args: (port, dataDir) => [
    '--import',
    import.meta.resolve('tsx'),
    join(REPO, 'packages/server/src/cli.ts'),
    ...serveArgs(port, dataDir),
  ],
  ready: labLinkReady,
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GET /health on a new connection; the parsed body, or undefined when nothing answers yet. */
function health(port: number): Promise<{ status?: string; connected_devices?: number } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(text) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** SIGTERM to the child's PID, SIGKILL to the same PID if it is still there after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Run {
  healthMs: number;
  cpuMs: number;
  rssIdleMb: number;
  rssClientsMb?: number;
}

async function measure(kind: Kind, clients: number): Promise<Run> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'lablink-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, kind.args(port, dataDir), {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid as number;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind.name} exited (${child.exitCode}):\n${output}`);
      const body = await health(port);
      if (body && kind.ready(body)) break;
      if (performance.now() - t0 > HEALTH_TIMEOUT_MS)
        throw new Error(`${kind.name}: no healthy /health\n${output}`);
      await sleep(10);
    }
    const healthMs = performance.now() - t0;
    const cpuMs = (cpuSeconds(pid) ?? Number.NaN) * 1000;
    await sleep(SETTLE_MS);
    const run: Run = { healthMs, cpuMs, rssIdleMb: rssMb(pid) };
    if (clients > 0) {
      const sockets = await connectClients(`ws://127.0.0.1:${port}/ws`, clients, () => {});
      await sleep(SETTLE_MS);
      run.rssClientsMb = rssMb(pid);
      await closeClients(sockets);
    }
    return run;
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// The built server, made from the current sources: bin/lablink.js runs it only when it is fresh.
await buildServerIfStale();
if (isStale()) throw new Error('packages/server/dist is stale after building');

const kinds = [BUILT, MINIMAL, FROM_SOURCE];
const runs = new Map<Kind, Run[]>(kinds.map((k) => [k, []]));
// A first start of each, not counted: the disk cache and tsx's compile cache warm up alike.
for (const kind of kinds) await measure(kind, 0);
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of kinds) {
    const clients = round === ROUNDS && kind !== FROM_SOURCE ? CLIENTS : 0;
    (runs.get(kind) as Run[]).push(await measure(kind, clients));
  }
  process.stdout.write(`round ${round}/${ROUNDS} done\n`);
}

const median = (xs: number[]) => summarize(xs).p50;
const figures = kinds.map((kind) => {
  const rs = runs.get(kind) as Run[];
  const last = rs.at(-1) as Run;
  return {
    server: kind.name,
    health_ms_median: median(rs.map((r) => r.healthMs)),
    health_ms_min: Math.min(...rs.map((r) => r.healthMs)),
    health_ms_max: Math.max(...rs.map((r) => r.healthMs)),
    cpu_ms_median: median(rs.map((r) => r.cpuMs)),
    rss_idle_mb: median(rs.map((r) => r.rssIdleMb)),
    rss_clients_mb: last.rssClientsMb,
    clients_add_mb: last.rssClientsMb === undefined ? undefined : last.rssClientsMb - last.rssIdleMb,
  };
});

console.log(`\n${ROUNDS} rounds; /health from process start; memory after ${SETTLE_MS} ms idle\n`);
printTable(
  [
    'server',
    '/health ms p50',
    'min',
    'max',
    'CPU ms',
    'RSS idle MB',
    `RSS ${CLIENTS} clients MB`,
    'clients add MB',
  ],
  figures.map((f) => [
    f.server,
    f.health_ms_median,
    f.health_ms_min,
    f.health_ms_max,
    f.cpu_ms_median,
    f.rss_idle_mb,
    f.rss_clients_mb ?? '-',
    f.clients_add_mb ?? '-',
  ]),
);

const [built, minimal, source] = figures as [(typeof figures)[0], (typeof figures)[0], (typeof figures)[0]];
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? Number.NaN : a / b;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const aims = {
  health: {
    seconds: built.health_ms_median / 1000,
    aim_seconds: 1.0,
    met: built.health_ms_median <= 1000,
    ratio_to_baseline: ratio(built.health_ms_median, minimal.health_ms_median),
  },
  rss_idle: {
    mb: built.rss_idle_mb,
    aim_mb: 100,
    met: built.rss_idle_mb <= 100,
    ratio_to_baseline: ratio(built.rss_idle_mb, minimal.rss_idle_mb),
  },
  clients: {
    mb: built.clients_add_mb,
    ratio_to_baseline: ratio(built.clients_add_mb, minimal.clients_add_mb),
  },
  from_source: {
    health_ratio_to_built: ratio(source.health_ms_median, built.health_ms_median),
    rss_ratio_to_built: ratio(source.rss_idle_mb, built.rss_idle_mb),
  },
};
const x = (n: number) => `${n.toFixed(2)}×`;
console.log(`
aims, LabLink (built) against the minimal server of this run:
  /health with the bench connected  ${aims.health.seconds.toFixed(2)} s (aim ≤ 1.0 s: ${verdict(aims.health.met)})  ${x(aims.health.ratio_to_baseline)} the minimal server's
  idle RSS                          ${built.rss_idle_mb.toFixed(1)} MB (aim ≤ 100 MB: ${verdict(aims.rss_idle.met)})  ${x(aims.rss_idle.ratio_to_baseline)} the minimal server's
  ${CLIENTS} idle clients add          ${(built.clients_add_mb ?? Number.NaN).toFixed(1)} MB  ${x(aims.clients.ratio_to_baseline)} what they add to the minimal server
  from the sources through tsx      ${x(aims.from_source.health_ratio_to_built)} the built server's time, ${x(aims.from_source.rss_ratio_to_built)} its memory`);

writeResults('startup', {
  command: `npm run bench:startup --workspace bench -- --rounds ${ROUNDS} --clients ${CLIENTS}`,
  load_average_at_start: loadAtStart,
  figures,
  aims,
});
