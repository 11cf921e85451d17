// Many instruments: are 200 simulated instruments polled on time at 10 Hz, with 10 WebSocket clients each? The
// simulated bench (`lablink sim --count 200`, its default model mix with oscilloscopes) runs in its own process;
// `lablink serve --no-sim` gets the instruments from a config file. Every instrument gets CLIENTS clients streaming
// it (readings; measurements for the scopes) at interval_ms 100, so each has one poller shared by its clients.
// Over a window after a warm-up it counts the pollers' deadlines: kept (a reading, on time or caught up),
// skipped, failed; what the clients received (seq gaps, latency); and the CPU of the server, the simulator and the
// clients. The baseline, in the same run, is the bare `ws` server (bare-server.ts) sending a frame of the same size
// per stream from 10 Hz timers to the same clients: what timers and fan-out alone keep on this machine now.
//
//   npm run bench:instruments --workspace bench
//   npm run bench:instruments --workspace bench -- --instruments 100 --clients 10 --window 30
//   npm run bench:instruments --workspace bench -- --models DP832,DL3021A,34461A     # without scopes

import { parseArgs } from 'node:util';
import type { RealtimeStats } from '@lablink/protocol/rest';
import {
  announceMachine,
  closeClients,
  connectClients,
  cpuMeter,
  http,
  MsHistogram,
  printTable,
  type SimulatedLab,
  type Summary,
  sleep,
  startSimulatedLab,
  waitFor,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();

const { values } = parseArgs({
  options: {
    instruments: { type: 'string', default: '200' },
    // Empty: lablink sim's own default mix (a supply, a load, a scope, a meter, repeated).
    models: { type: 'string', default: '' },
    clients: { type: 'string', default: '10' },
    window: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    interval: { type: 'string', default: '100' },
  },
});
const INSTRUMENTS = Number(values.instruments);
const PER_INSTRUMENT = Number(values.clients);
const WINDOW_S = Number(values.window);
const WARMUP_S = Number(values.warmup);
const INTERVAL_MS = Number(values.interval);
/** Each client streams this many instruments; CLIENTS clients in all give every instrument PER_INSTRUMENT. */
const STREAMS_PER_CLIENT = Math.min(10, INSTRUMENTS);
const CLIENTS = Math.ceil((INSTRUMENTS * PER_INSTRUMENT) / STREAMS_PER_CLIENT);

interface Spec {
  equipment_id: string;
  model: string;
  stream_type: 'readings' | 'measurements';
}

interface Row {
  server: string;
  instruments: number;
  streams: number;
  deadlines: number;
  reads: number;
  kept_pct: number;
  skipped: number | null;
  errors: number | null;
  delivered_pct: number;
  seq_gaps: number;
  latency_ms: Summary;
  cpu_pct: Record<string, number | null>;
}

/** Streams every spec to PER_INSTRUMENT clients and measures a window. */
async function measure(
  name: string,
  wsUrl: string,
  specs: Spec[],
  pids: Record<string, number>,
  counters: () => Promise<{ reads: number; skipped?: number; errors?: number }>,
  onSample?: (spec: Spec, data: unknown) => void,
): Promise<Row> {
  const byId = new Map(specs.map((s) => [s.equipment_id, s]));
  const last = new Map<string, number>();
  const latency = new MsHistogram();
  let started = 0;
  let measuring = false;
  let delivered = 0;
  let gaps = 0;
  const sockets = await connectClients(wsUrl, CLIENTS, (text, client) => {
    const m = JSON.parse(text) as {
      type: string;
      topic?: string;
      seq?: number;
      timestamp?: string;
      equipment_id?: string;
      data?: unknown;
      detail?: string;
    };
    if (m.type === 'stream_started') started += 1;
    else if (m.type === 'error') throw new Error(`${name}: ${m.detail}`);
    if (m.type !== 'stream_data' || m.seq === undefined) return;
    const key = `${client} ${m.topic}`;
    const before = last.get(key);
    last.set(key, m.seq);
    const spec = byId.get(m.equipment_id ?? '');
    if (spec && onSample) onSample(spec, m.data);
    if (!measuring) return;
    delivered += 1;
    if (before !== undefined && m.seq > before + 1) gaps += m.seq - before - 1;
    latency.add(Date.now() - Date.parse(m.timestamp ?? ''));
  });
  sockets.forEach((ws, c) => {
    for (let j = 0; j < STREAMS_PER_CLIENT; j++) {
      const { equipment_id, stream_type } = specs[(c * STREAMS_PER_CLIENT + j) % specs.length] as Spec;
      ws.send(
        JSON.stringify({
          type: 'start_stream',
          equipment_id,
          stream_type,
          channel: 1,
          interval_ms: INTERVAL_MS,
        }),
      );
    }
  });
  const streams = CLIENTS * STREAMS_PER_CLIENT;
  await waitFor(`${streams} stream_started from ${name}`, async () =>
    started >= streams ? true : undefined,
  );
  await sleep(WARMUP_S * 1000);
  const before = await counters();
  const cpu = cpuMeter(pids);
  const t0 = performance.now();
  measuring = true;
  await sleep(WINDOW_S * 1000);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpuPct = cpu();
  const after = await counters();
  await closeClients(sockets);
  const deadlines = specs.length * seconds * (1000 / INTERVAL_MS);
  const reads = after.reads - before.reads;
  const delta = (k: 'skipped' | 'errors') =>
    after[k] === undefined || before[k] === undefined ? null : (after[k] as number) - (before[k] as number);
  return {
    server: name,
    instruments: specs.length,
    streams,
    deadlines: Math.round(deadlines),
    reads,
    kept_pct: (reads / deadlines) * 100,
    skipped: delta('skipped'),
    errors: delta('errors'),
    delivered_pct: (delivered / (streams * seconds * (1000 / INTERVAL_MS))) * 100,
    seq_gaps: gaps,
    latency_ms: latency.summary(),
    cpu_pct: cpuPct,
  };
}

let lab: SimulatedLab | undefined;
try {
  lab = await startSimulatedLab(INSTRUMENTS, values.models, 180_000);
  const { sim, lablink, bare } = lab;
  const lablinkUrl = lablink.url;
  const specs = lab.equipment.map(
    (e): Spec => ({
      equipment_id: e.id,
      model: e.model,
      stream_type: e.type === 'oscilloscope' ? 'measurements' : 'readings',
    }),
  );
  const models = [...new Set(specs.map((s) => s.model))].join(', ');
  console.log(
    `${specs.length} simulated instruments (${models}) in lablink sim (pid ${sim.pid}); ${CLIENTS} clients × ` +
      `${STREAMS_PER_CLIENT} streams (${PER_INSTRUMENT} clients per instrument) at ${INTERVAL_MS} ms; ` +
      `${WARMUP_S} s warm-up, ${WINDOW_S} s measured\n`,
  );

  // LabLink first: its readings, one per model, become the baseline's frames (same fields and size).
  const samples = new Map<string, unknown>();
  const rows: Row[] = [];
  rows.push(
    await measure(
      'LabLink /ws',
      lablink.wsUrl,
      specs,
      { server: lablink.pid, sim: sim.pid, clients: process.pid },
      async () => {
        const { body } = await http<RealtimeStats>('GET', `${lablinkUrl}/api/realtime/stats`);
        const sum = (f: (p: RealtimeStats['pollers'][number]) => number) =>
          body.pollers.reduce((n, p) => n + f(p), 0);
        return { reads: sum((p) => p.reads), skipped: sum((p) => p.skipped), errors: sum((p) => p.errors) };
      },
      (spec, data) => {
        if (!samples.has(spec.model)) samples.set(spec.model, data);
      },
    ),
  );
  await waitFor('LabLink pollers to stop', async () => {
    const { body } = await http<RealtimeStats>('GET', `${lablinkUrl}/api/realtime/stats`);
    return body.pollers.length === 0 ? true : undefined;
  });
  const templates = Object.fromEntries(
    specs.map((s) => {
      const sample = (samples.get(s.model) ?? {}) as Record<string, unknown>;
      return [
        s.equipment_id,
        'equipment_id' in sample ? { ...sample, equipment_id: s.equipment_id } : sample,
      ];
    }),
  );
  const bareUrl = bare.url;
  await http('POST', `${bareUrl}/templates`, { templates });
  rows.push(
    await measure(
      'bare ws',
      bare.wsUrl,
      specs,
      { server: bare.pid, sim: sim.pid, clients: process.pid },
      async () => {
        const { body } = await http<{ published: number }>('GET', `${bareUrl}/stats`);
        return { reads: body.published }; // the baseline's timer ticks, one per instrument stream
      },
    ),
  );

  printTable(
    [
      'server',
      'instruments',
      'streams',
      'deadlines',
      'kept',
      'skipped',
      'failed',
      'delivered',
      'seq gaps',
      'p50 ms',
      'p99 ms',
      'cpu srv/sim/cli %',
    ],
    rows.map((r) => [
      r.server,
      r.instruments,
      r.streams,
      r.deadlines,
      `${r.kept_pct.toFixed(1)}%`,
      r.skipped ?? '-',
      r.errors ?? '-',
      `${r.delivered_pct.toFixed(1)}%`,
      r.seq_gaps,
      r.latency_ms.p50,
      r.latency_ms.p99,
      `${r.cpu_pct.server ?? '-'}/${r.cpu_pct.sim ?? '-'}/${r.cpu_pct.clients ?? '-'}`,
    ]),
  );
  const [ll, base] = rows as [Row, Row];
  console.log(
    `\ndeadlines: instruments × window × 10 Hz; kept: reads done (on time or caught up after a short stall), the ` +
      `baseline's timer ticks. LabLink kept ${ll.kept_pct.toFixed(1)}% of its poll deadlines (aim: at least 99%), ` +
      `${(ll.kept_pct / base.kept_pct).toFixed(2)}× the baseline's timers; the simulator used ` +
      `${ll.cpu_pct.sim ?? '-'}% of a core, the server ${ll.cpu_pct.server ?? '-'}%.`,
  );
  writeResults('instruments', {
    load_average_at_start: loadAtStart,
    command: `instruments --instruments ${INSTRUMENTS} --models ${values.models || '(lablink sim default)'} --clients ${PER_INSTRUMENT} --window ${WINDOW_S} --warmup ${WARMUP_S} --interval ${INTERVAL_MS}`,
    kept_vs_baseline: ll.kept_pct / base.kept_pct,
    rows,
  });
} finally {
  await lab?.stop();
}
