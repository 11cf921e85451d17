// A real serial line for the serial suites: socat joins two pseudo-terminals, linked at paths of the suite's
// choosing, so that what is written to one end is read at the other. Suites skip themselves where socat is missing.

import { spawn, spawnSync } from 'node:child_process';
import { SerialPort } from 'serialport';

export const hasSocat = spawnSync('socat', ['-V']).status === 0;

export interface PtyPair {
  /** Resolves once both ptys and their links exist; rejects if socat exits first. */
  ready: Promise<void>;
  /** Stops socat, if it is still running, and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts socat with one pseudo-terminal linked at `first` and the other at `second`. */
export function startPtyPair(first: string, second: string): PtyPair {
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${first}`, `pty,raw,echo=0,link=${second}`]);
  // socat says so on stderr once both ptys and their links exist.
  const ready = new Promise<void>((resolve, reject) => {
    let log = '';
    socat.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('starting data transfer loop')) resolve();
    });
    socat.once('exit', (code) => reject(new Error(`socat exited (${code}): ${log}`)));
  });
  return {
    ready,
    async stop() {
      if (socat.exitCode !== null) return;
      const exited = new Promise((resolve) => socat.once('exit', resolve));
      socat.kill();
      await exited;
    },
  };
}

/** Opens one end of the line at 9600 baud. */
export async function openSerialPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  return port;
}

/** Closes a port opened by openSerialPort, if it is open. */
export async function closeSerialPort(port: SerialPort | undefined): Promise<void> {
  if (port?.isOpen) await new Promise((resolve) => port.close(resolve));
}
