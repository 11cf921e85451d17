// Acquisition throughput, two cases.
//
// 1. Block source: how many samples a second go from a producer of float32 captures through an acquisition session
//    (recorded to its binary block files, published) to a WebSocket client receiving binary frames. The producer is
//    an in-process generator (a fed block source), so no simulator is the limit; the client decodes each frame.
//    The baseline, in the same run and the same process, is a bare `ws` server that wraps each capture from the same
//    generator in a frame of the same layout and sends it to the same kind of client: nothing recorded, no session.
//    Both run closed-loop, at most WINDOW captures sent and not yet received, so each runs as fast as it can without
//    piling up a queue; the figure is samples received per second in the measuring window. Server, generator and
//    client share this process in both cases (the generator must live in the server's process).
// 2. Polled sources: 20 instruments × 3 reading fields at 100 Hz in one session (`lablink sim` in its own process,
//    LabLink in this one), for --seconds: the share of the deadlines × fields that got a sample.
//
//   npm run bench:acquisition --workspace bench
//   npm run bench:acquisition --workspace bench -- --block 65536 --window 32 --seconds 5 --instruments 20 --rate 100

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeBinary, encodeBinary } from '@lablink/protocol';
import { pino } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../packages/server/src/config.js';
import { startServer } from '../packages/server/src/serve.js';
import {
  announceMachine,
  type Child,
  LABLINK_BIN,
  printTable,
  simSocketAddresses,
  sleep,
  startNode,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();
const { values } = parseArgs({
  options: {
    block: { type: 'string', default: '65536' },
    window: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    instruments: { type: 'string', default: '20' },
    rate: { type: 'string', default: '100' },
    'polled-seconds': { type: 'string', default: '10' },
  },
});
const BLOCK = Number(values.block);
const WINDOW = Number(values.window);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

// ---- the generator: a sine at a few hundred points per period, copied out of a table (cheap, never constant) ----

const TABLE = Float32Array.from({ length: 1 << 20 }, (_, i) => Math.sin((2 * Math.PI * i) / 977));
let phase = 0;
function generate(): Float32Array {
  const out = new Float32Array(BLOCK);
  for (let filled = 0; filled < BLOCK; ) {
    const start = phase % (TABLE.length - 977);
    const n = Math.min(BLOCK - filled, TABLE.length - start);
    out.set(TABLE.subarray(start, start + n), filled);
    filled += n;
    phase = start + n;
  }
  return out;
}

interface Throughput {
  samples_per_s: number;
  captures: number;
  mb_per_s: number;
}

/** Runs a closed loop: `send` is called whenever fewer than WINDOW captures are in flight; returns the figure. */
async function closedLoop(
  send: () => void,
  onReceived: (handler: (samples: number) => void) => void,
): Promise<Throughput> {
  let sent = 0;
  let received = 0;
  let samples = 0;
  let counting = false;
  let windowSamples = 0;
  let windowCaptures = 0;
  let stop = false;
  const pump = () => {
    while (!stop && sent - received < WINDOW) {
      sent += 1;
      send();
    }
  };
  onReceived((n) => {
    received += 1;
    samples += n;
    if (counting) {
      windowSamples += n;
      windowCaptures += 1;
    }
    pump();
  });
  pump();
  await sleep(WARMUP * 1000);
  counting = true;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  while (received < sent) await sleep(10);
  void samples;
  return {
    samples_per_s: windowSamples / elapsed,
    captures: windowCaptures,
    mb_per_s: (windowSamples * 4) / elapsed / 1e6,
  };
}

/** Samples a binary frame carries: the sum of its arrays' counts. */
function samplesIn(frame: Buffer): number {
  return decodeBinary(frame).arrays.reduce((n, a) => n + a.length, 0);
}

async function lablinkBlocks(): Promise<Throughput & { stored_blocks: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lablink-bench-acq-'));
  const config = loadConfig({
    env: { LABLINK_PORT: '0', LABLINK_SIM: 'off', LABLINK_MDNS: 'off', LABLINK_DATA_DIR: dataDir },
  });
  const server = await startServer(config, pino({ level: 'warn' }));
  try {
    const acquisitions = server.services.acquisitions;
    const session = acquisitions.create({ sample_rate: 1, name: 'throughput' }, { feeds: ['gen'] });
    const id = session.acquisition_id;
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const started = new Promise<void>((resolve) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && String(data).includes('acquisition_stream_started')) resolve();
      });
    });
    ws.send(JSON.stringify({ type: 'start_acquisition_stream', acquisition_id: id, binary: true }));
    await started;
    acquisitions.start(id);
    const result = await closedLoop(
      () => {
        acquisitions.feed(id, {
          channel: 'gen',
          timestamp: Date.now(),
          x_increment: 1e-6,
          x_origin: 0,
          samples: generate(),
        });
      },
      (handler) =>
        ws.on('message', (data, isBinary) => {
          if (isBinary) handler(samplesIn(data as Buffer));
        }),
    );
    acquisitions.stop(id);
    const stored_blocks = Number(acquisitions.status(id).stats.total_blocks);
    ws.close();
    return { ...result, stored_blocks };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bareBlocks(): Promise<Throughput> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as AddressInfo).port;
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const peer = await serverSide;
  let seq = 0;
  try {
    return await closedLoop(
      () => {
        seq += 1;
        const frame = encodeBinary({
          type: 'acquisition_stream',
          seq,
          timestamp: new Date().toISOString(),
          data: { capture: { channel: 'gen', index: seq - 1, samples: generate() } },
        });
        peer.send(frame as Uint8Array);
      },
      (handler) =>
        ws.on('message', (data, isBinary) => {
          if (isBinary) handler(samplesIn(data as Buffer));
        }),
    );
  } finally {
    ws.close();
    await new Promise((resolve) => wss.close(resolve));
  }
}

// ---- polled: N instruments × 3 fields at RATE Hz ----------------------------------------------------------------

async function polled(): Promise<Record<string, number>> {
  const count = Number(values.instruments);
  const rate = Number(values.rate);
  const seconds = Number(values['polled-seconds']);
  let sim: Child | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'lablink-bench-acq-'));
  const config = loadConfig({
    env: { LABLINK_PORT: '0', LABLINK_SIM: 'off', LABLINK_MDNS: 'off', LABLINK_DATA_DIR: dataDir },
  });
  const server = await startServer(config, pino({ level: 'warn' }));
  try {
    sim = await startNode(
      'lablink sim',
      [LABLINK_BIN, 'sim', '--count', String(count), '--models', 'DP832'],
      /Simulated bench running/,
    );
    const resources = simSocketAddresses(sim.output());
    const ids: string[] = [];
    for (const resource of resources) {
      ids.push((await server.services.equipment.connect({ resource_string: resource })).info.id);
    }
    const fields = ['voltage_actual', 'current_actual', 'power'];
    const session = server.services.acquisitions.create({
      sample_rate: rate,
      duration_seconds: seconds,
      sources: ids.flatMap((equipment_id) => fields.map((field) => ({ equipment_id, field, channel: 1 }))),
      buffer_size: 1000,
    });
    const id = session.acquisition_id;
    server.services.acquisitions.start(id);
    while (server.services.acquisitions.status(id).state !== 'stopped') await sleep(100);
    const status = server.services.acquisitions.status(id);
    const data = await server.services.acquisitions.data(id, { num_samples: 100_000 });
    const deadlines = Math.round(seconds * rate);
    const columns = Object.values(data.data.values) as (number | null)[][];
    const cells = columns.reduce((n, column) => n + column.filter((v) => v !== null).length, 0);
    return {
      instruments: count,
      fields: columns.length,
      rate_hz: rate,
      deadlines,
      rows: data.count,
      missed_samples: Number(status.stats.missed_samples),
      on_deadline_pct: (100 * cells) / (deadlines * columns.length),
    };
  } finally {
    await server.stop();
    await sim?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- run ----------------------------------------------------------------------------------------------------------

const bare = await bareBlocks();
const lablink = await lablinkBlocks();
const share = (100 * lablink.samples_per_s) / bare.samples_per_s;
console.log(
  `\nblock source: captures of ${BLOCK} float32 samples, ${WINDOW} in flight, ${SECONDS} s measured`,
);
printTable(
  ['path', 'Msamples/s', 'MB/s', 'captures'],
  [
    ['bare ws (baseline)', (bare.samples_per_s / 1e6).toFixed(1), bare.mb_per_s.toFixed(0), bare.captures],
    [
      'LabLink: session, stored, binary frames',
      (lablink.samples_per_s / 1e6).toFixed(1),
      lablink.mb_per_s.toFixed(0),
      lablink.captures,
    ],
  ],
);
console.log(`LabLink = ${share.toFixed(0)}% of bare ws; ${lablink.stored_blocks} captures stored`);

const poll = await polled();
console.log(`\npolled: ${poll.instruments} instruments × 3 fields at ${poll.rate_hz} Hz`);
printTable(
  ['deadlines', 'rows', 'missed', 'on deadline %'],
  [
    [
      poll.deadlines as number,
      poll.rows as number,
      poll.missed_samples as number,
      (poll.on_deadline_pct as number).toFixed(2),
    ],
  ],
);

writeResults('acquisition-throughput', {
  load_at_start: loadAtStart,
  settings: { block: BLOCK, window: WINDOW, seconds: SECONDS },
  block: { bare, lablink, lablink_pct_of_bare: share },
  polled: poll,
});
