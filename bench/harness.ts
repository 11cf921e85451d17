// What every benchmark here shares: servers in child processes (started, parsed, stopped by their PID), WebSocket
// clients in this process, a small HTTP client, CPU accounting, percentiles, tables and the JSON results file.
// Each benchmark is one file that reads top to bottom; this module keeps the plumbing out of them.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
/**
 * The `lablink` under test: this checkout's, or another build's with BENCH_LABLINK_BIN=<its bin/lablink.js> (to
 * compare two builds against the same baseline and clients).
 */
export const LABLINK_BIN = process.env.BENCH_LABLINK_BIN ?? join(REPO, 'packages/server/bin/lablink.js');
const TSX = import.meta.resolve('tsx');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- child processes -----------------------------------------------------------------------------------------------

export interface Child {
  name: string;
  pid: number;
  /** The match of the `ready` pattern in the child's output (e.g. the URL it listens on). */
  ready: RegExpMatchArray;
  /** Everything the child printed so far (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM to its PID, SIGKILL to the same PID if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Children must not outlive the benchmark, even when it fails: each is killed by its own PID. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const child of running) if (child.pid) process.kill(child.pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => process.exit(130));
  }
}

/**
 * Starts `node <args>` (TypeScript files through tsx) and resolves once a line of its output matches `ready`.
 * `node` is started directly, never through npx or a shell, so the PID we hold is the process that serves.
 */
export function startNode(
  name: string,
  args: string[],
  ready: RegExp,
  options: { timeoutMs?: number; cwd?: string; nodeFlags?: string[] } = {},
): Promise<Child> {
  installCleanup();
  const flags = options.nodeFlags ?? [];
  const nodeArgs = args[0]?.endsWith('.ts') ? [...flags, '--import', TSX, ...args] : [...flags, ...args];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd ?? REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const pid = child.pid as number;
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<Child>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop(500);
      reject(new Error(`${name} (pid ${pid}) ${why}; its output:\n${output.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail('did not become ready in time'), options.timeoutMs ?? 60_000);
    let pending = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 1_000_000) output = output.slice(-100_000);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = line.match(ready);
        if (match) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          // Keep draining, so a chatty child never blocks on a full pipe.
          child.stdout?.on('data', (more: Buffer) => {
            output = (output + more.toString()).slice(-100_000);
          });
          resolve({ name, pid, ready: match, output: () => output, stop });
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-100_000);
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
  });
}

/** A server under test: its HTTP base URL, and the URL its WebSocket clients connect to. */
export interface Server extends Child {
  url: string;
  wsUrl: string;
}

export interface LabLinkOptions {
  /** Extra flags for `lablink serve`, e.g. ['--no-sim', '--config', file]. */
  flags?: string[];
}

/**
 * Node flags for the servers under test: with BENCH_CPU_PROF=<dir>, each writes a V8 CPU profile there when it
 * stops (open it in Chrome's DevTools), to see where a server's time goes during a benchmark.
 */
/**
 * The raw socket address of each instrument `lablink sim` printed, in order. Each line is the model, its socket
 * address, then its VXI-11 and HiSLIP addresses.
 */
export function simSocketAddresses(output: string): string[] {
  return [...output.matchAll(/^\S+\s+(TCPIP0::\S+::SOCKET)\b/gm)].map((m) => m[1] as string);
}

export function serverNodeFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** `lablink serve --port 0` on a throwaway data directory; resolves with its URLs once it listens. */
export async function startLabLink(options: LabLinkOptions = {}): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lablink-bench-'));
  // Every benchmark client comes from 127.0.0.1, standing in for a lab of machines: no per-address share.
  const unshared = ['--max-ws-per-address', '0', '--ws-message-rate', '0'];
  const args = [LABLINK_BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
  args.push(...unshared);
  const child = await startNode(
    'lablink serve',
    [...args, ...(options.flags ?? [])],
    /LabLink listening on (\S+)/,
    { nodeFlags: serverNodeFlags() },
  );
  const stop = child.stop;
  const url = child.ready[1] as string;
  return {
    ...child,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    stop: async (graceMs?: number) => {
      await stop(graceMs);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bare `ws` baseline (bare-server.ts): plain http + ws, the same fan-out and nothing else. */
export async function startBare(): Promise<Server> {
  const file = fileURLToPath(new URL('bare-server.ts', import.meta.url));
  const child = await startNode('bare ws server', [file], /bare ws listening on (\S+)/, {
    nodeFlags: serverNodeFlags(),
  });
  const url = child.ready[1] as string;
  return { ...child, url, wsUrl: url.replace(/^http/, 'ws') };
}

/** A lab of simulated instruments served by LabLink, beside the bare baseline (startSimulatedLab). */
export interface SimulatedLab {
  sim: Child;
  lablink: Server;
  bare: Server;
  /** What LabLink lists once every instrument is connected. */
  equipment: { id: string; type: string; model: string }[];
  /** Stops LabLink, the baseline and the simulator, and removes the config file. */
  stop(): Promise<void>;
}

/**
 * The fan-out benchmarks' lab: `lablink sim --count <count>` in its own process, `lablink serve` with exactly those
 * instruments (no bench of its own: a config file naming their socket addresses) and the bare `ws` baseline;
 * resolves once LabLink has connected them all. `models` empty: lablink sim's own mix.
 */
export async function startSimulatedLab(
  count: number,
  models: string,
  connectTimeoutMs: number,
): Promise<SimulatedLab> {
  const configDir = mkdtempSync(join(tmpdir(), 'lablink-bench-config-'));
  const started: { sim?: Child; lablink?: Server; bare?: Server } = {};
  const stop = async () => {
    await Promise.all([started.lablink?.stop(), started.bare?.stop()]);
    await started.sim?.stop();
    rmSync(configDir, { recursive: true, force: true });
  };
  try {
    const modelArgs = models ? ['--models', models] : [];
    const sim = await startNode(
      'lablink sim',
      [LABLINK_BIN, 'sim', '--count', String(count), ...modelArgs],
      /Simulated bench running/,
      {
        nodeFlags: serverNodeFlags(),
      },
    );
    started.sim = sim;
    const resources = simSocketAddresses(sim.output());
    if (resources.length !== count) throw new Error(`lablink sim printed ${resources.length} addresses`);
    const config = join(configDir, 'bench.json');
    writeFileSync(config, JSON.stringify({ instruments: resources.map((resource) => ({ resource })) }));
    const [lablink, bare] = await Promise.all([
      startLabLink({ flags: ['--no-sim', '--config', config] }),
      startBare(),
    ]);
    Object.assign(started, { lablink, bare });
    await waitFor(
      `${count} instruments connected`,
      async () => {
        const res = await http<{ connected_devices: number }>('GET', `${lablink.url}/health`);
        return res.body.connected_devices >= count ? true : undefined;
      },
      connectTimeoutMs,
    );
    const list = await http<SimulatedLab['equipment']>('GET', `${lablink.url}/api/equipment/list`);
    return { sim, lablink, bare, equipment: list.body, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where /proc is missing. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) state".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** CPU used by each process between `start()` and `stop()`, as a percentage of one core. */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number | null> {
  const t0 = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    return Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const a = before[k];
        const b = cpuSeconds(pid);
        return [k, a == null || b == null ? null : Math.round(((b - a) / seconds) * 100)];
      }),
    );
  };
}

// ---- HTTP ----------------------------------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One HTTP request on a kept-alive connection; resolves with the status and the parsed JSON body. */
export function http<T = unknown>(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// ---- WebSocket clients ---------------------------------------------------------------------------------------------

export type OnMessage = (text: string, client: number) => void;

/**
 * Opens `n` WebSocket clients (a few dozen at a time) and resolves once each has received its first message
 * (the server's welcome: by then the server has registered it for broadcasts). Frames reach `onMessage` as text.
 */
export async function connectClients(url: string, n: number, onMessage: OnMessage): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(n);
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
      sockets[i] = ws;
      ws.once('error', reject);
      ws.once('message', () => {
        ws.off('error', reject);
        ws.on('error', () => {}); // counted as missing messages, not thrown
        ws.on('message', (data: Buffer) => onMessage(data.toString(), i));
        resolve();
      });
    });
  const batch = 50;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => open(i + k)));
  }
  return sockets;
}

/** Closes clients and waits until each has closed (or was cut after a second). */
export async function closeClients(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 1000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close();
        }),
    ),
  );
}

// ---- statistics ----------------------------------------------------------------------------------------------------

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (sorted here). */
export function summarize(values: number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** A histogram of whole milliseconds, for millions of latencies without keeping them. */
export class MsHistogram {
  private readonly buckets: number[] = [];
  count = 0;

  add(ms: number): void {
    const b = Math.max(0, Math.round(ms));
    this.buckets[b] = (this.buckets[b] ?? 0) + 1;
    this.count += 1;
  }

  summary(): Summary {
    const at = (q: number) => {
      const rank = Math.max(1, Math.ceil(q * this.count));
      let seen = 0;
      for (let b = 0; b < this.buckets.length; b++) {
        seen += this.buckets[b] ?? 0;
        if (seen >= rank) return b;
      }
      return Number.NaN;
    };
    return {
      count: this.count,
      p50: at(0.5),
      p99: at(0.99),
      max: this.count ? this.buckets.length - 1 : Number.NaN,
    };
  }
}

// ---- output --------------------------------------------------------------------------------------------------------

/** Prints rows as an aligned table: text columns left, numbers right. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = rows.map((row) => row.map((c) => (typeof c === 'number' ? format(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number'));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  for (const r of cells) console.log(line(r));
}

function format(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** The machine, for the results file and the performance notes. */
export function machine() {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    node: process.version,
    platform: process.platform,
    /** 1-minute load average when asked: above ~0.5 something else competes for the cores. */
    load_average: Number(loadavg()[0]?.toFixed(2)),
  };
}

/** One line about the machine; says so when other work is running, since the figures then mean less. */
function describeMachine(): string {
  const m = machine();
  const busy = m.load_average > 0.5 * m.cores ? ' (other work is running: expect noisier figures)' : '';
  return `${m.cores} cores (${m.cpu}), Node ${m.node}, load average ${m.load_average}${busy}`;
}

/** How a benchmark opens: the machine line. Returns the load average now, for the results file. */
export function announceMachine(): number {
  const loadAtStart = machine().load_average;
  console.log(`machine: ${describeMachine()}`);
  return loadAtStart;
}

/** Three decimals are plenty for milliseconds and rates. */
const roundNumbers = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;

/** Writes bench/results/<name>.json (git-ignored) and says where. */
export function writeResults(name: string, results: unknown): void {
  const dir = fileURLToPath(new URL('results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machine(), ...(results as object) }, roundNumbers, 2)}\n`,
  );
  console.log(`\nresults written to ${file}`);
}
