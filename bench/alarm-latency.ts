// Alarm latency: from the moment a power supply's setpoint is raised past an alarm's threshold to the receipt of
// `alarm_event` by every WebSocket client, at 1 and 100 clients, beside the bare `ws` event fan-out of the same run.
//
// The alarm watches the simulated DP832's voltage_actual on channel 1 (> 3.5 V) at a 100 ms evaluation period. A trial
// raises the setpoint from 1 V to 6 V (the threshold is 3.5 V) (POST …/command) and times until every client has the alarm_event; the setpoint
// then goes back to 1 V and the trial waits for alarm_cleared before the next. The measured time therefore holds
// the command's round trip, up to one poll period until the pipeline reads the crossing, the evaluation, the write to
// SQLite before the event is published, and the fan-out. The baseline is a bare `ws` server broadcasting an event of
// the same size to the same number of clients (POST /emit), as in event-latency.ts.
//
// Aim (issue 11): p99 within one poll period plus twice the bare-ws event p99.
//
//   npm run bench:alarms --workspace bench
//   npm run bench:alarms --workspace bench -- --clients 1,100 --trials 60

import { parseArgs } from 'node:util';
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
    clients: { type: 'string', default: '1,100' },
    trials: { type: 'string', default: '40' },
  },
});
const CLIENT_COUNTS = values.clients.split(',').map(Number);
const TRIALS = Number(values.trials);
const POLL_MS = 100;
const THRESHOLD = 3.5;
/** A trial whose event has not reached every client by then counts the rest as missing. */
const TRIAL_TIMEOUT_MS = 5000;
const SESSION = `bench-${process.pid}`;

interface Waiting {
  type: string;
  t0: number;
  latencies: Float64Array;
  count: number;
  done: () => void;
}

/** n clients whose frames of `type` (for this alarm) complete the trial being waited for. */
async function attach(wsUrl: string, n: number, matches: (text: string) => boolean) {
  let waiting: Waiting | undefined;
  const sockets = await connectClients(wsUrl, n, (text, client) => {
    const w = waiting;
    if (!w || !text.includes(w.type) || !matches(text)) return;
    const t = performance.now();
    if (JSON.parse(text).type !== w.type || !Number.isNaN(w.latencies[client])) return;
    w.latencies[client] = t - w.t0;
    if (++w.count === n) w.done();
  });
  /** Runs `trigger` and resolves with each client's latency to the first `type` frame (NaN: never came). */
  const time = async (type: string, trigger: () => Promise<unknown>): Promise<Float64Array> => {
    let done = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const latencies = new Float64Array(n).fill(Number.NaN);
    waiting = { type, t0: performance.now(), latencies, count: 0, done };
    await Promise.all([trigger(), Promise.race([all, sleep(TRIAL_TIMEOUT_MS)])]);
    waiting = undefined;
    return latencies;
  };
  return { sockets, time };
}

interface Row {
  clients: number;
  server: string;
  trials: number;
  receipt_ms: Summary;
  missing: number;
}

let lablink: Server | undefined;
let bare: Server | undefined;
const rows: Row[] = [];
let aims: { clients: number; p99: number; bound: number; met: boolean }[] = [];
try {
  [lablink, bare] = await Promise.all([startLabLink(), startBare()]);
  const { url } = lablink;
  const psu = await waitFor('the simulated power supply', async () => {
    const res = await http<{ id: string; type: string }[]>('GET', `${url}/api/equipment/list`);
    return res.body.find((e) => e.type === 'power_supply')?.id;
  });
  const command = async (action: string, parameters: Record<string, unknown>) => {
    const res = await http('POST', `${url}/api/equipment/${psu}/command`, { action, parameters });
    if (res.status !== 200) throw new Error(`${action} answered ${res.status} ${JSON.stringify(res.body)}`);
  };
  await command('set_current', { current: 2, channel: 1 }); // well above the load's draw at 6 V: the output holds its voltage (CV)
  await command('set_voltage', { voltage: 1, channel: 1 });
  await command('set_output', { enabled: true, channel: 1 });
  const created = await http<{ alarm_id: string }>('POST', `${url}/api/alarms/create`, {
    name: 'bench over-voltage',
    equipment_id: psu,
    channel: 1,
    parameter: 'voltage_actual',
    condition: 'greater_than',
    threshold: THRESHOLD,
    severity: 'warning',
    interval_ms: POLL_MS,
    auto_clear: true,
  });
  if (created.status !== 200)
    throw new Error(`alarm create answered ${created.status} ${JSON.stringify(created.body)}`);
  const alarmId = created.body.alarm_id;
  console.log(`LabLink ${url} (pid ${lablink.pid}), bare ws ${bare.url} (pid ${bare.pid})`);
  console.log(
    `alarm ${alarmId}: ${psu} voltage_actual > ${THRESHOLD} V, evaluated every ${POLL_MS} ms; ${TRIALS} trials per ` +
      'client count and server\n',
  );

  for (const n of CLIENT_COUNTS) {
    const ours = await attach(lablink.wsUrl, n, (text) => text.includes(alarmId));
    const baseline = await attach(bare.wsUrl, n, (text) => text.includes(SESSION));
    const lab: Float64Array[] = [];
    const base: Float64Array[] = [];
    for (let i = 0; i < TRIALS + 3; i++) {
      // A random phase against the poller's ticks: trials would otherwise all start just after a tick.
      await sleep(Math.random() * POLL_MS);
      const raised = await ours.time('alarm_event', () => command('set_voltage', { voltage: 6, channel: 1 }));
      await ours.time('alarm_cleared', () => command('set_voltage', { voltage: 1, channel: 1 }));
      const emitted = await baseline.time('lock_acquired', () =>
        http('POST', `${bare?.url}/emit`, { type: 'lock_acquired', session_id: SESSION, equipment_id: psu }),
      );
      if (i < 3) continue; // warm-up
      lab.push(raised);
      base.push(emitted);
    }
    await Promise.all([closeClients(ours.sockets), closeClients(baseline.sockets)]);
    for (const [server, trials] of [
      ['LabLink alarm', lab],
      ['bare ws event', base],
    ] as const) {
      const all = trials.flatMap((t) => [...t]);
      const received = all.filter((v) => !Number.isNaN(v));
      rows.push({
        clients: n,
        server,
        trials: trials.length,
        receipt_ms: summarize(received),
        missing: all.length - received.length,
      });
    }
    await sleep(300);
  }

  printTable(
    ['clients', 'server', 'trials', 'p50 ms', 'p99 ms', 'max ms', 'missing'],
    rows.map((r) => [
      r.clients,
      r.server,
      r.trials,
      r.receipt_ms.p50,
      r.receipt_ms.p99,
      r.receipt_ms.max,
      r.missing,
    ]),
  );
  aims = CLIENT_COUNTS.map((clients) => {
    const ours = rows.find((r) => r.clients === clients && r.server.startsWith('LabLink'));
    const theirs = rows.find((r) => r.clients === clients && r.server.startsWith('bare'));
    const bound = POLL_MS + 2 * (theirs?.receipt_ms.p99 ?? Number.NaN);
    const p99 = ours?.receipt_ms.p99 ?? Number.NaN;
    return { clients, p99, bound, met: p99 <= bound };
  });
  console.log(
    '\nLabLink alarm: setpoint command sent → alarm_event at each client (holds the command, up to one poll period, ' +
      'evaluation, storage, fan-out). bare ws event: POST /emit → receipt.',
  );
  for (const a of aims) {
    console.log(
      `Aim at ${a.clients} client(s): p99 ${a.p99.toFixed(1)} ms within ${POLL_MS} ms + 2 x bare p99 = ` +
        `${a.bound.toFixed(1)} ms: ${a.met ? 'met' : 'NOT met'}.`,
    );
  }
  writeResults('alarm-latency', { load_at_start: loadAtStart, poll_ms: POLL_MS, rows, aims });
} finally {
  await Promise.all([lablink?.stop(), bare?.stop()]);
}
