// Scheduler firing accuracy: 100 interval jobs at 1 s for 60 s, in two phases: `same`, all due at the same instants
// (a common start_date: the worst case, 100 fires in one millisecond), and `spread`, their start dates spread evenly
// over the second (one fire every 10 ms). For each run, the delay from its scheduled time to the receipt of its `job_started` by a WebSocket client; p50,
// p99, max, and the runs missed (a scheduled time with no job_started). The delay holds the timer's lateness, the
// write of the execution to SQLite before the event is published, and the fan-out to the client.
//
// Baseline, in the same run: bare setTimeout timers in this process (100 per deadline, the same deadlines), each
// armed once per second as the scheduler's are; their lateness is what the machine's event loop gives a timer.
//
// Jobs are `script` jobs with one `wait 0` step (no instrument): the run itself is next to nothing.
//
// Aim (issue 13): p99 ≤ 20 ms, nothing missed.
//
//   npm run bench:scheduler --workspace bench
//   npm run bench:scheduler --workspace bench -- --seconds 20 --jobs 100 --phases same

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
  startLabLink,
  summarize,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    jobs: { type: 'string', default: '100' },
    phases: { type: 'string', default: 'same,spread' },
  },
});
const PHASES = values.phases.split(',') as ('same' | 'spread')[];
const SECONDS = Number(values.seconds);
const JOBS = Number(values.jobs);
const AIM_P99_MS = 20;
/** Wall-clock time with sub-millisecond resolution (the scheduled times are wall-clock). */
const wallNow = () => performance.timeOrigin + performance.now();

interface Row {
  phase: string;
  timer: string;
  fires: number;
  delay_ms: Summary;
  missed: number;
  duplicates: number;
}

/** One phase: JOBS jobs for SECONDS, then deleted; the bare timers beside them. */
async function measure(url: string, wsUrl: string, phase: 'same' | 'spread'): Promise<Row[]> {
  // The first deadline a few whole seconds ahead, so every job is armed before it.
  const first = Math.ceil(Date.now() / 1000) * 1000 + 3000 + Math.ceil(JOBS / 50) * 1000;
  const end = first + SECONDS * 1000;
  const offset = (i: number) => (phase === 'spread' ? Math.floor((i * 1000) / JOBS) : 0);
  const jobIds = new Set<string>();
  for (let i = 0; i < JOBS; i++) {
    const res = await http<{ job_id: string }>('POST', `${url}/api/scheduler/jobs/create`, {
      name: `bench ${i}`,
      schedule_type: 'script',
      parameters: { steps: [{ type: 'wait', seconds: 0 }] },
      trigger_type: 'interval',
      interval_seconds: 1,
      start_date: new Date(first + offset(i)).toISOString(),
      end_date: new Date(end).toISOString(),
    });
    if (res.status !== 200) throw new Error(`job create answered ${res.status} ${JSON.stringify(res.body)}`);
    jobIds.add(res.body.job_id);
  }

  // job_started at the client: delay from its scheduled time, one entry per (job, scheduled time).
  const delays = new Map<string, number>();
  let duplicates = 0;
  const sockets = await connectClients(wsUrl, 1, (text) => {
    const t = wallNow();
    if (!text.includes('"job_started"')) return;
    const message = JSON.parse(text);
    if (message.type !== 'job_started' || !jobIds.has(message.data.job_id)) return;
    const key = `${message.data.job_id} ${message.data.scheduled_time}`;
    if (delays.has(key)) duplicates++;
    else delays.set(key, t - Date.parse(message.data.scheduled_time));
  });

  // The baseline: bare timers at the same deadlines, each re-armed after it fires (as the scheduler does).
  const baseline: number[] = [];
  const armBare = (at: number) => {
    if (at >= end) return;
    setTimeout(
      () => {
        baseline.push(wallNow() - at);
        armBare(at + 1000);
      },
      Math.max(0, at - wallNow()),
    );
  };
  for (let i = 0; i < JOBS; i++) armBare(first + offset(i));

  const waitMs = end - Date.now() + 1500;
  console.log(`${phase}: running until ${new Date(end).toISOString()} (${(waitMs / 1000).toFixed(0)} s) …`);
  await sleep(waitMs);
  await closeClients(sockets);

  const expected = JOBS * SECONDS;
  const received = [...delays.values()];
  return [
    {
      phase,
      timer: 'LabLink job_started at client',
      fires: received.length,
      delay_ms: summarize(received),
      missed: expected - received.length,
      duplicates,
    },
    {
      phase,
      timer: 'bare setTimeout (this process)',
      fires: baseline.length,
      delay_ms: summarize(baseline),
      missed: expected - baseline.length,
      duplicates: 0,
    },
  ];
}

let lablink: Server | undefined;
try {
  lablink = await startLabLink({ flags: ['--no-sim'] });
  const { url } = lablink;
  console.log(`LabLink ${url} (pid ${lablink.pid}); ${JOBS} interval jobs at 1 s for ${SECONDS} s\n`);

  const rows: Row[] = [];
  for (const phase of PHASES) rows.push(...(await measure(url, lablink.wsUrl, phase)));
  printTable(
    ['phase', 'timer', 'fires', 'p50 ms', 'p99 ms', 'max ms', 'missed'],
    rows.map((r) => [r.phase, r.timer, r.fires, r.delay_ms.p50, r.delay_ms.p99, r.delay_ms.max, r.missed]),
  );
  const aims = rows
    .filter((r) => r.timer.startsWith('LabLink'))
    .map((r) => ({
      phase: r.phase,
      p99: r.delay_ms.p99,
      missed: r.missed,
      met: r.delay_ms.p99 <= AIM_P99_MS && r.missed === 0,
    }));
  for (const a of aims)
    console.log(
      `Aim (${a.phase}): p99 ≤ ${AIM_P99_MS} ms and nothing missed: p99 ${a.p99.toFixed(1)} ms, ${a.missed} missed: ` +
        `${a.met ? 'met' : 'NOT met'}.`,
    );
  writeResults('scheduler-accuracy', {
    load_at_start: loadAtStart,
    jobs: JOBS,
    seconds: SECONDS,
    rows,
    aims,
  });
} finally {
  await lablink?.stop();
}
