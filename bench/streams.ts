import { parseArgs } from 'node:util';
import type { RealtimeStats } from '@lablink/protocol/rest';
import {
  announceMachine,
  closeClients,
  connectClients,
  cpuMeter,
  http,
  MsHistogram,
  machine,
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
    instruments: { type: 'string', default: '100' },
    // No oscilloscope by default, so the figures of earlier runs stay comparable (docs/performance.md): add
    // DS1104Z for measurements streams, each read one compound message answered from one simulated trace.
    models: { type: 'string', default: 'DP832,DL3021A,34461A' },
    scenarios: { type: 'string', default: '1x100,100x10,1000x10' },
    window: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    interval: { type: 'string', default: '100' },
    'batch-ms': { type: 'string', default: '0' },
  },
});
const INSTRUMENTS = Number(values.instruments);
const SCENARIOS = values.scenarios.split(',').map((s) => {
  const [clients, streams] = s.split('x').map(Number);
  if (!clients || !streams) throw new Error(`--scenarios: "${s}" is not CLIENTSxSTREAMS`);
  return { clients, streams };
});
const WINDOW_S = Number(values.window);
const WARMUP_S = Number(values.warmup);
const INTERVAL_MS = Number(values.interval);
const BATCH_MS = Number(values['batch-ms']);
if (!Number.isInteger(BATCH_MS) || (BATCH_MS !== 0 && (BATCH_MS < 20 || BATCH_MS > 1000)))
  throw new Error('--batch-ms: 0 (off) or an integer from 20 to 1000');

interface StreamSpec {
  equipment_id: string;
  model: string;
  stream_type: 'readings' | 'measurements';
}

/** What one client knows of one of its streams. */
interface SubState {
  last: number;
  count: number;
  gaps: number;
  backwards: number;
}

/**
 * topic, seq and timestamp of a stream_data frame without parsing all of it (at 100 000 frames a second the
 * clients' JSON.parse would be what is measured). Both servers write these four fields first, in this order;
 * anything else goes through JSON.parse.
 */
const PREFIX = '{"type":"stream_data","topic":"';
const BATCH_PREFIX = '{"type":"batch",';
function streamHeader(text: string): { topic: string; seq: number; timestamp: string } | undefined {
  if (text.startsWith(PREFIX)) {
    const topicEnd = text.indexOf('"', PREFIX.length);
    const seqAt = topicEnd + ',"seq":'.length + 1;
    const seqEnd = text.indexOf(',', seqAt);
    const tsAt = seqEnd + ',"timestamp":"'.length;
    if (text.startsWith(',"seq":', topicEnd + 1) && text.startsWith(',"timestamp":"', seqEnd)) {
      return {
        topic: text.slice(PREFIX.length, topicEnd),
        seq: Number(text.slice(seqAt, seqEnd)),
        timestamp: text.slice(tsAt, text.indexOf('"', tsAt)),
      };
    }
  }
  const m = JSON.parse(text) as { type?: string; topic?: string; seq?: number; timestamp?: string };
  if (m.type !== 'stream_data' || !m.topic || m.seq === undefined || !m.timestamp) return undefined;
  return { topic: m.topic, seq: m.seq, timestamp: m.timestamp };
}

/** One server under test, for the streams benchmark. */
interface Target {
  name: string;
  wsUrl: string;
  /** Frames published per second by the server (its own counters) and any trouble it reports. */
  counters(): Promise<{ published: number; skipped?: number; errors?: number; coalesced?: number }>;
  /** Resolves once the server has no stream running (clients gone, pollers stopped). */
  idle(): Promise<void>;
  pid: number;
}

interface Result {
  scenario: string;
  server: string;
  clients: number;
  streams: number;
  expected: number;
  delivered: number;
  delivered_pct: number;
  published_per_s: number;
  delivered_per_s: number;
  stream_hz_min: number;
  stream_hz_median: number;
  seq_gaps: number;
  backwards: number;
  coalesced: number | null;
  poller_skipped: number | null;
  poller_errors: number | null;
  latency_ms: Summary;
  frame_bytes: number;
  start_errors: string[];
  cpu_pct: Record<string, number | null>;
}

async function run(
  target: Target,
  specs: StreamSpec[],
  clients: number,
  perClient: number,
  simPid: number,
): Promise<Result> {
  const subs = Array.from({ length: clients }, () => new Map<string, SubState>());
  const latency = new MsHistogram();
  const startErrors: string[] = [];
  let started = 0;
  let measuring = false;
  let bytes = 0;
  const onData = (h: { topic: string; seq: number; timestamp: string }, client: number, size: number) => {
    const mine = subs[client] as Map<string, SubState>;
    let s = mine.get(h.topic);
    if (!s) {
      s = { last: h.seq, count: 0, gaps: 0, backwards: 0 };
      mine.set(h.topic, s);
    } else if (measuring) {
      if (h.seq > s.last + 1) s.gaps += h.seq - s.last - 1;
      else if (h.seq <= s.last) s.backwards += 1;
    }
    s.last = Math.max(s.last, h.seq);
    if (measuring) {
      s.count += 1;
      bytes += size;
      latency.add(Date.now() - Date.parse(h.timestamp));
    }
  };
  const sockets = await connectClients(target.wsUrl, clients, (text, client) => {
    if (text.startsWith(BATCH_PREFIX)) {
      const batch = JSON.parse(text) as { messages: { topic: string; seq: number; timestamp: string }[] };
      // bytes: the frame's share per message (the batch's own wrapper included)
      for (const m of batch.messages) onData(m, client, text.length / batch.messages.length);
      return;
    }
    const h = streamHeader(text);
    if (!h) {
      const m = JSON.parse(text) as { type: string; detail?: string };
      if (m.type === 'stream_started') started += 1;
      else if (m.type === 'error' && startErrors.length < 10) startErrors.push(m.detail ?? text);
      return;
    }
    onData(h, client, text.length);
  });
  if (BATCH_MS > 0) for (const ws of sockets) ws.send(JSON.stringify({ type: 'hello', batch_ms: BATCH_MS }));

  const total = clients * perClient;
  sockets.forEach((ws, c) => {
    for (let j = 0; j < perClient; j++) {
      const spec = specs[(c * perClient + j) % specs.length] as StreamSpec;
      const { equipment_id, stream_type } = spec;
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
  // 10 000 start_stream on a machine busy with other work can take more than a minute.
  await waitFor(
    `${total} stream_started from ${target.name}`,
    async () => (started + startErrors.length >= total ? true : undefined),
    180_000,
  );
  await sleep(WARMUP_S * 1000);

  const before = await target.counters();
  const cpu = cpuMeter({ server: target.pid, sim: simPid, clients: process.pid });
  const t0 = performance.now();
  measuring = true;
  await sleep(WINDOW_S * 1000);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpuPct = cpu();
  const after = await target.counters();
  await closeClients(sockets);
  await target.idle();

  const states = subs.flatMap((m) => [...m.values()]);
  const rates = states.map((s) => s.count / seconds).sort((a, b) => a - b);
  while (rates.length < total) rates.unshift(0); // a stream that never delivered has rate 0
  const delivered = states.reduce((n, s) => n + s.count, 0);
  const expected = total * seconds * (1000 / INTERVAL_MS);
  const delta = (k: 'skipped' | 'errors' | 'coalesced') =>
    after[k] === undefined || before[k] === undefined ? null : (after[k] as number) - (before[k] as number);
  return {
    scenario: `${clients}x${perClient}`,
    server: target.name,
    clients,
    streams: total,
    expected: Math.round(expected),
    delivered,
    delivered_pct: (delivered / expected) * 100,
    published_per_s: (after.published - before.published) / seconds,
    delivered_per_s: delivered / seconds,
    stream_hz_min: rates[0] ?? 0,
    stream_hz_median: rates[Math.floor(rates.length / 2)] ?? 0,
    seq_gaps: states.reduce((n, s) => n + s.gaps, 0),
    backwards: states.reduce((n, s) => n + s.backwards, 0),
    coalesced: delta('coalesced'),
    poller_skipped: delta('skipped'),
    poller_errors: delta('errors'),
    latency_ms: latency.summary(),
    frame_bytes: delivered ? Math.round(bytes / delivered) : 0,
    start_errors: startErrors,
    cpu_pct: cpuPct,
  };
}

/** The server's CPU per frame delivered (µs): what a frame costs it, whatever else competed for the cores. */
function serverMicrosPerFrame(r: Result): number {
  const cpu = r.cpu_pct.server;
  return cpu == null || r.delivered_per_s === 0 ? Number.NaN : (cpu / 100 / r.delivered_per_s) * 1e6;
}

/** Delivered, as a ratio of what the baseline delivered in the same scenario of the same run (1 for the baseline). */
function vsBare(r: Result): number {
  const bare = allResults.find((x) => x.scenario === r.scenario && x.server === 'bare ws');
  return bare && bare.delivered > 0 ? r.delivered / bare.delivered : Number.NaN;
}

const allResults: Result[] = [];

let lab: SimulatedLab | undefined;
try {
  // The simulated bench in its own process, LabLink with those instruments only, and the baseline.
  lab = await startSimulatedLab(INSTRUMENTS, values.models, 120_000);
  const { sim, lablink, bare } = lab;
  const lablinkUrl = lablink.url;
  const bareUrl = bare.url;
  const specs = lab.equipment.flatMap((e): StreamSpec[] => {
    if (e.type === 'oscilloscope')
      return [{ equipment_id: e.id, model: e.model, stream_type: 'measurements' as const }];
    if (['power_supply', 'electronic_load', 'multimeter'].includes(e.type))
      return [{ equipment_id: e.id, model: e.model, stream_type: 'readings' as const }];
    return [];
  });

  const lablinkTarget: Target = {
    name: 'LabLink /ws',
    wsUrl: lablink.wsUrl,
    pid: lablink.pid,
    counters: async () => {
      const { body } = await http<RealtimeStats>('GET', `${lablinkUrl}/api/realtime/stats`);
      const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
      return {
        published: sum(body.pollers, (p) => p.reads),
        skipped: sum(body.pollers, (p) => p.skipped),
        errors: sum(body.pollers, (p) => p.errors),
        coalesced: sum(body.connections, (c) => c.coalesced),
      };
    },
    idle: async () => {
      await waitFor('LabLink pollers to stop', async () => {
        const { body } = await http<RealtimeStats>('GET', `${lablinkUrl}/api/realtime/stats`);
        return body.pollers.length === 0 && body.connections.length === 0 ? true : undefined;
      });
    },
  };
  const bareTarget: Target = {
    name: 'bare ws',
    wsUrl: bare.wsUrl,
    pid: bare.pid,
    counters: async () => (await http<{ published: number }>('GET', `${bareUrl}/stats`)).body,
    idle: async () => {
      await waitFor('the baseline streams to stop', async () => {
        const { body } = await http<{ streams: number; clients: number }>('GET', `${bareUrl}/stats`);
        return body.streams === 0 && body.clients === 0 ? true : undefined;
      });
    },
  };

  // 3. One real frame per model from LabLink, so the baseline sends frames of the same shape and size.
  const samples = new Map<string, Record<string, unknown>>();
  const firstOfModel = [...new Map(specs.map((s) => [s.model, s])).values()];
  const probe = await connectClients(lablinkTarget.wsUrl, 1, (text) => {
    const m = JSON.parse(text) as { type: string; equipment_id?: string; data?: Record<string, unknown> };
    const spec = firstOfModel.find((s) => s.equipment_id === m.equipment_id);
    if (m.type === 'stream_data' && spec && m.data) samples.set(spec.model, m.data);
  });
  for (const { equipment_id, stream_type } of firstOfModel) {
    probe[0]?.send(
      JSON.stringify({ type: 'start_stream', equipment_id, stream_type, interval_ms: INTERVAL_MS }),
    );
  }
  await waitFor('a reading of each model', async () =>
    samples.size === firstOfModel.length ? true : undefined,
  );
  await closeClients(probe);
  await lablinkTarget.idle();
  const templates = Object.fromEntries(
    specs.map((s) => {
      const sample = samples.get(s.model) ?? {};
      return [
        s.equipment_id,
        'equipment_id' in sample ? { ...sample, equipment_id: s.equipment_id } : sample,
      ];
    }),
  );
  await http('POST', `${bareUrl}/templates`, { templates });

  const models = [...new Set(specs.map((s) => s.model))].join(', ');
  console.log(
    `${specs.length} simulated instruments (${models}) in lablink sim (pid ${sim.pid}); LabLink ${lablinkUrl} ` +
      `(pid ${lablink.pid}); bare ws ${bareUrl} (pid ${bare.pid})`,
  );
  console.log(
    `streams at ${INTERVAL_MS} ms; ${WARMUP_S} s warm-up, ${WINDOW_S} s measured per scenario and server` +
      (BATCH_MS > 0 ? `; stream data batched every ${BATCH_MS} ms (both servers)\n` : '\n'),
  );

  // 4. The scenarios, baseline first, then LabLink, with the same client set.
  const results = allResults;
  for (const { clients, streams } of SCENARIOS) {
    for (const target of [bareTarget, lablinkTarget]) {
      const r = await run(target, specs, clients, streams, sim.pid);
      results.push(r);
      const lat = r.latency_ms;
      console.log(
        `${r.scenario.padEnd(8)} ${r.server.padEnd(11)} delivered ${r.delivered_pct.toFixed(1)}%, ` +
          `latency p50 ${lat.p50} ms p99 ${lat.p99} ms` +
          (r.start_errors.length ? `; start errors: ${r.start_errors.slice(0, 3).join(' | ')}` : ''),
      );
    }
  }

  console.log();
  printTable(
    [
      'scenario',
      'server',
      'streams',
      'published/s',
      'delivered/s',
      'delivered',
      'Hz min',
      'Hz median',
      'seq gaps',
      'p50 ms',
      'p99 ms',
      'max ms',
      'bytes',
      'cpu srv/sim/cli %',
      'srv µs/frame',
      'vs bare',
    ],
    results.map((r) => [
      r.scenario,
      r.server,
      r.streams,
      r.published_per_s,
      r.delivered_per_s,
      `${r.delivered_pct.toFixed(1)}%`,
      r.stream_hz_min,
      r.stream_hz_median,
      r.seq_gaps,
      r.latency_ms.p50,
      r.latency_ms.p99,
      r.latency_ms.max,
      r.frame_bytes,
      `${r.cpu_pct.server ?? '-'}/${r.cpu_pct.sim ?? '-'}/${r.cpu_pct.clients ?? '-'}`,
      serverMicrosPerFrame(r),
      vsBare(r),
    ]),
  );
  console.log(
    '\nscenario: clients x streams per client. published/s: frames the server published (LabLink: poller reads). ' +
      'Hz: per stream, in the window. latency: message timestamp -> receipt, whole ms (the timestamp has ms ' +
      'resolution). cpu: % of one core for the server, the simulated bench and this process (the clients); the ' +
      `machine has ${machine().cores} cores.`,
  );
  for (const r of results.filter((x) => x.server.startsWith('LabLink'))) {
    if (r.coalesced || r.poller_skipped || r.poller_errors)
      console.log(
        `${r.scenario}: LabLink coalesced ${r.coalesced ?? 0} frames for slow clients, pollers skipped ` +
          `${r.poller_skipped ?? 0} deadlines and failed ${r.poller_errors ?? 0} reads`,
      );
  }
  for (const r of results.filter((x) => x.server.startsWith('LabLink'))) {
    console.log(
      `${r.scenario}: LabLink delivered ${vsBare(r).toFixed(2)}× what bare ws delivered in this run` +
        ` (aim: at least 0.9×; with batching 100% and no seq gap); seq gaps ${r.seq_gaps}, out of order ${r.backwards}`,
    );
  }
  writeResults('streams', {
    load_average_at_start: loadAtStart,
    command: `streams --instruments ${INSTRUMENTS} --models ${values.models} --scenarios ${values.scenarios} --window ${WINDOW_S} --warmup ${WARMUP_S} --interval ${INTERVAL_MS} --batch-ms ${BATCH_MS}`,
    batch_ms: BATCH_MS,
    results,
  });
} finally {
  await lab?.stop();
}
