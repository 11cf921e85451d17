// Test helpers: real servers on free ports with throwaway data directories, the real CLI as a child process, and
// the small waits and checks several suites share.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { type Config, loadConfig } from '../src/config.js';
import { DomainError } from '../src/errors.js';
import { httpStatus } from '../src/http-errors.js';
import { type RunningServer, startServer } from '../src/serve.js';
import { watchPayloads } from './bus-payloads.js';

export const CLI = fileURLToPath(new URL('../bin/lablink.js', import.meta.url));

export function tempDir(prefix = 'lablink-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer extends RunningServer {
  config: Config;
  dataDir: string;
  /** Payloads the server published that do not validate against their schemas (docs/protocol.md §4). */
  payloadProblems: string[];
  /** Stops the server and removes its data directory; throws if it published an invalid payload. */
  dispose(): Promise<void>;
}

/** Starts a real server on a free port of 127.0.0.1, without the simulated bench unless asked. */
export async function startTestServer(env: NodeJS.ProcessEnv = {}, dataDir?: string): Promise<TestServer> {
  const tmp = dataDir ? null : tempDir();
  const dir = dataDir ?? (tmp as { dir: string }).dir;
  const config = loadConfig({
    env: {
      LABLINK_PORT: '0',
      LABLINK_SIM: 'off',
      LABLINK_MDNS: 'off',
      LABLINK_VXI11_BROADCAST: 'off',
      LABLINK_DATA_DIR: dir,
      ...env,
    },
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  // Every event and reading the server publishes is checked against its payload schema.
  const watch = watchPayloads(server.services.bus);
  return {
    ...server,
    config,
    dataDir: dir,
    payloadProblems: watch.problems,
    async dispose() {
      await server.stop();
      watch.stop();
      tmp?.remove();
      if (watch.problems.length > 0) {
        throw new Error(`the server published invalid payloads:\n${watch.problems.slice(0, 10).join('\n')}`);
      }
    },
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `lablink <args>` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 45_000): Promise<CliRun> {
  const child = spawnCli(args, env);
  return collect(child, timeoutMs);
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LABLINK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess, timeoutMs = 45_000): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lablink did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Resolves with the URL once the CLI prints its listening line. */
export function waitForListening(child: ChildProcess, timeoutMs = 45_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), timeoutMs);
    child.stdout?.on('data', (d) => {
      out += d;
      const match = /LabLink listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${out}`));
    });
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the assertions
export type Json = any;

/** fetch + JSON body, for assertions on both. */
export async function http(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A domain error as a REST client would see it: its code, field and facts, and the HTTP status of its code. */
export type HttpView = Pick<DomainError, 'code' | 'detail' | 'message' | 'field' | 'extra'> & {
  statusCode: number;
};

/** Runs `fn`, expecting it to throw a DomainError, and returns it as the HTTP edge answers it. */
export function httpErrorOf(fn: () => unknown): HttpView {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) {
      return {
        code: err.code,
        detail: err.detail,
        message: err.message,
        field: err.field,
        extra: err.extra,
        statusCode: httpStatus(err),
      };
    }
    throw err;
  }
  throw new Error('expected a DomainError');
}

/** A port nothing listens on: bound by the OS, then released. */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until `condition` holds (checked every 10 ms); fails after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
