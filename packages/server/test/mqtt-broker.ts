// A real Mosquitto broker (Debian's /usr/sbin/mosquitto) for the MQTT tests and the benchmark: on a free loopback
// port, anonymous, no persistence, its own config in a temp directory. Only the PID it spawned is ever killed.
// `restart()` stops it and starts it again on the same port (a broker outage). Also `mosquittoSub`, Debian's
// mosquitto_sub as an independent subscriber.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { closedPort, tempDir } from './helpers.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

/** Whether Debian's broker and its clients are installed; if not, says which packages to install (never silent). */
export function mosquittoAvailable(suite: string): boolean {
  if (existsSync(MOSQUITTO) && existsSync(MOSQUITTO_SUB)) return true;
  console.warn(
    `[${suite}] SKIPPED: ${MOSQUITTO} or ${MOSQUITTO_SUB} not found. Install Debian's packages "mosquitto" and "mosquitto-clients" (apt-get install mosquitto mosquitto-clients) to run the MQTT tests.`,
  );
  return false;
}

export interface Broker {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM to its PID) and waits for it to exit. */
  halt(): Promise<void>;
  /** Starts it again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startBroker(): Promise<Broker> {
  const dir = tempDir('lablink-mosquitto-');
  const port = await closedPort();
  const conf = path.join(dir.dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  let child: ChildProcess | null = null;
  const launch = async () => {
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let err = '';
    proc.stderr?.on('data', (d) => {
      err += d;
    });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const halt = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    halt,
    resume: launch,
    async stop() {
      await halt();
      dir.remove();
    },
  };
}

export interface Subscriber {
  /** Lines printed so far: `topic payload` (mosquitto_sub -v). */
  lines: string[];
  stop(): void;
}

/** mosquitto_sub -v on `topics`, collecting its output lines. */
export function mosquittoSub(port: number, topics: string[], extra: string[] = []): Subscriber {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv5', '-v', ...extra];
  for (const t of topics) args.push('-t', t);
  const child = spawn(MOSQUITTO_SUB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  return { lines, stop: () => child.kill('SIGTERM') };
}
