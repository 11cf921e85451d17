// Event latency: from the moment a server event is triggered to its receipt by every WebSocket client, with 1, 100
// and 1000 clients, for LabLink's gateway and for a bare `ws` server doing the same fan-out, in the same run.
//
// Each server runs in its own process; the clients all live in this one. LabLink's event is a lock: POST
// /api/locks/acquire then /api/locks/release on a simulated instrument broadcasts `lock_acquired` then
// `lock_released` on the `equipment` topic, which every client that subscribed to nothing receives
// (docs/protocol.md §5). The baseline's POST /emit broadcasts a frame of the same shape and size. Latency is the
// receipt time here minus the time just before the trigger request left (both performance.now() in this process),
// so both include one HTTP request; the next event is triggered only once every client has the previous one.
//
//   npm run bench:events --workspace bench                                  # 1, 100, 1000 clients; 400 events
//   npm run bench:events --workspace bench -- --clients 100 --events 1000

import { parseArgs } from 'node:util';
import type WebSocket from 'ws';
import {
  announceMachine,
  closeClients,
  connectClients,
  http,
  printTable,
  type Server,
  type Summary,
  sleep,
  startBare,
  startLabLink,
  summarize,
  waitFor,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1,100,1000' },
    events: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '20' },
    gap: { type: 'string', default: '5' },
  },
});
const CLIENT_COUNTS = values.clients.split(',').map(Number);
const ROUNDS = 5;
const EVENTS = Math.max(2 * ROUNDS, Math.round(Number(values.events) / (2 * ROUNDS)) * 2 * ROUNDS);
const WARMUP = Number(values.warmup);
const GAP_MS = Number(values.gap);
/** An event not received by every client within this time counts as missing for the clients without it. */
const EVENT_TIMEOUT_MS = 5000;
const SESSION = `bench-${process.pid}`;

type Kind = 'lock_acquired' | 'lock_released';

/** One server under test: where its clients connect and how an event is triggered there. */
interface Target {
  name: string;
  wsUrl: string;
  trigger(kind: Kind): Promise<void>;
  /** Per event: each client's latency, NaN where it never arrived. */
  events: Float64Array[];
  frameBytes: number;
}

/** The event being waited for, per target. */
interface Pending {
  kind: Kind;
  t0: number;
  latencies: Float64Array;
  count: number;
  done: () => void;
}

function lablinkTarget({ url, wsUrl }: Server, equipmentId: string): Target {
  const post = async (path: string, kind: Kind) => {
    const body = { equipment_id: equipmentId, session_id: SESSION };
    const res = await http<{ success: boolean }>('POST', `${url}${path}`, {
      ...body,
      ...(kind === 'lock_acquired' ? { timeout_seconds: 3600 } : {}), // released right after; 0 (never) is refused
    });
    if (res.status !== 200 || !res.body.success) {
      throw new Error(`${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  return {
    name: 'LabLink /ws',
    wsUrl,
    trigger: (kind) => post(kind === 'lock_acquired' ? '/api/locks/acquire' : '/api/locks/release', kind),
    events: [],
    frameBytes: 0,
  };
}

function bareTarget({ url, wsUrl }: Server, equipmentId: string): Target {
  return {
    name: 'bare ws',
    wsUrl,
    trigger: async (kind) => {
      const res = await http('POST', `${url}/emit`, {
        type: kind,
        session_id: SESSION,
        equipment_id: equipmentId,
      });
      if (res.status !== 200) throw new Error(`/emit answered ${res.status}`);
    },
    events: [],
    frameBytes: 0,
  };
}

/** Connects n clients to a target; their frames complete the target's pending event. */
async function attach(
  target: Target,
  n: number,
): Promise<{ sockets: WebSocket[]; fire(kind: Kind): Promise<Float64Array> }> {
  let pending: Pending | undefined;
  const sockets = await connectClients(target.wsUrl, n, (text, client) => {
    const p = pending;
    if (!p || !text.includes(p.kind)) return;
    const t = performance.now();
    const m = JSON.parse(text) as { type?: string; topic?: string; data?: { session_id?: string } };
    if (m.type !== p.kind || m.data?.session_id !== SESSION) return;
    target.frameBytes = text.length;
    if (!Number.isNaN(p.latencies[client])) return; // a duplicate would not count twice
    p.latencies[client] = t - p.t0;
    if (++p.count === n) p.done();
  });
  const fire = async (kind: Kind): Promise<Float64Array> => {
    let done = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const latencies = new Float64Array(n).fill(Number.NaN);
    const timeout = sleep(EVENT_TIMEOUT_MS);
    pending = { kind, t0: 0, latencies, count: 0, done };
    pending.t0 = performance.now();
    await Promise.all([target.trigger(kind), Promise.race([all, timeout])]);
    pending = undefined;
    return latencies;
  };
  return { sockets, fire };
}

interface Row {
  clients: number;
  server: string;
  events: number;
  frame_bytes: number;
  /** Every (event, client) receipt. */
  receipt_ms: Summary;
  /** Per event, until the last client had it. */
  all_received_ms: Summary;
  missing: number;
  p99_vs_bare: number;
}

let lablink: Server | undefined;
let bare: Server | undefined;
const rows: Row[] = [];
try {
  // The default simulated bench (in the server's process, idle: nothing streams) gives the lock an instrument.
  [lablink, bare] = await Promise.all([startLabLink(), startBare()]);
  const lablinkUrl = lablink.url;
  const equipmentId = await waitFor('a simulated instrument', async () => {
    const res = await http<{ id: string }[]>('GET', `${lablinkUrl}/api/equipment/list`);
    return res.body[0]?.id;
  });
  console.log(`LabLink ${lablink.url} (pid ${lablink.pid}), bare ws ${bare.url} (pid ${bare.pid})`);
  console.log(
    `${EVENTS} events per server and client count after ${WARMUP} warm-up events; lock on ${equipmentId}; ` +
      `the servers take turns in ${ROUNDS} rounds\n`,
  );

  for (const n of CLIENT_COUNTS) {
    const targets = [lablinkTarget(lablink, equipmentId), bareTarget(bare, equipmentId)];
    const attached = await Promise.all(targets.map((t) => attach(t, n)));
    for (const a of attached) {
      for (let i = 0; i < WARMUP; i++) {
        await a.fire(i % 2 === 0 ? 'lock_acquired' : 'lock_released');
        await sleep(GAP_MS);
      }
    }
    // Rounds alternate which server goes first, so drift in this process's load weighs on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const k of order) {
        const target = targets[k] as Target;
        const a = attached[k] as (typeof attached)[number];
        for (let i = 0; i < EVENTS / ROUNDS; i++) {
          target.events.push(await a.fire(i % 2 === 0 ? 'lock_acquired' : 'lock_released'));
          await sleep(GAP_MS);
        }
      }
    }
    await Promise.all(attached.map((a) => closeClients(a.sockets)));

    const summaries = targets.map((t) => {
      const all = t.events.flatMap((e) => [...e]);
      const received = all.filter((v) => !Number.isNaN(v));
      const lastPerEvent = t.events.filter((e) => !e.some(Number.isNaN)).map((e) => Math.max(...e));
      return {
        t,
        receipt: summarize(received),
        last: summarize(lastPerEvent),
        missing: all.length - received.length,
      };
    });
    const bareP99 = summaries[1]?.receipt.p99 ?? Number.NaN;
    for (const s of summaries) {
      rows.push({
        clients: n,
        server: s.t.name,
        events: s.t.events.length,
        frame_bytes: s.t.frameBytes,
        receipt_ms: s.receipt,
        all_received_ms: s.last,
        missing: s.missing,
        p99_vs_bare: s.receipt.p99 / bareP99,
      });
    }
    // Let the servers see the closes before the next client count connects.
    await sleep(500);
  }

  printTable(
    [
      'clients',
      'server',
      'events',
      'bytes',
      'p50 ms',
      'p99 ms',
      'max ms',
      'all-recv p50',
      'all-recv p99',
      'missing',
      'p99 vs bare',
    ],
    rows.map((r) => [
      r.clients,
      r.server,
      r.events,
      r.frame_bytes,
      r.receipt_ms.p50,
      r.receipt_ms.p99,
      r.receipt_ms.max,
      r.all_received_ms.p50,
      r.all_received_ms.p99,
      r.missing,
      r.p99_vs_bare,
    ]),
  );
  console.log(
    '\np50/p99/max: every (event, client) receipt, from just before the trigger request; all-recv: per event, until ' +
      'the last client had it.',
  );
  const at100 = rows.find((r) => r.clients === 100 && r.server.startsWith('LabLink'));
  if (at100) {
    const verdict = at100.p99_vs_bare <= 2 ? 'within' : 'NOT within';
    console.log(`Aim: p99 at 100 clients within 2x bare ws: ${at100.p99_vs_bare.toFixed(2)}x, ${verdict}.`);
  }
  writeResults('event-latency', {
    load_average_at_start: loadAtStart,
    command: `event-latency --clients ${values.clients} --events ${EVENTS} --warmup ${WARMUP} --gap ${GAP_MS}`,
    rows,
  });
} finally {
  await Promise.all([lablink?.stop(), bare?.stop()]);
}
