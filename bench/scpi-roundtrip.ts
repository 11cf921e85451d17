// How much does LabLink's SCPI stack cost per query? N sequential *IDN? round trips to one simulated instrument,
// measured three ways in the same run: a bare `net` socket (the baseline: framing by hand, nothing else), our
// ScpiSession (queue, timeout, framing, stats), and a driver's raw passthrough (plus the driver's own queue).
//
//   npm run bench --workspace bench                 # 2000 queries each
//   npm run bench --workspace bench -- --n 10000

import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { connectInstrument, ScpiSession } from '@lablink/instruments';
import { startSimulator } from '@lablink/instruments/sim';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '2000' }, model: { type: 'string', default: 'DP832' } },
});
const ROUNDS = 5;
const N = Math.max(ROUNDS, Math.round(Number(values.n) / ROUNDS) * ROUNDS);
const WARMUP = 500;

/** One *IDN? over a bare socket: write, wait for the line feed. */
function bareQuery(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    let reply = '';
    const onData = (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('\n')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write('*IDN?\n');
  });
}

/** One way of asking *IDN?, and the latencies it has shown. */
interface Path {
  name: string;
  query: () => Promise<unknown>;
  latencies: number[];
  elapsed: number;
}

const path = (name: string, query: () => Promise<unknown>): Path => ({
  name,
  query,
  latencies: [],
  elapsed: 0,
});

/**
 * The paths take turns in ROUNDS rounds, so JIT warm-up, GC and the simulator (which runs in this process) weigh
 * on each alike instead of favouring whichever runs last.
 */
async function measure(paths: Path[]): Promise<void> {
  for (const p of paths) for (let i = 0; i < WARMUP; i++) await p.query();
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of paths) {
      const start = performance.now();
      for (let i = 0; i < N / ROUNDS; i++) {
        const t = performance.now();
        await p.query();
        p.latencies.push(performance.now() - t);
      }
      p.elapsed += performance.now() - start;
    }
  }
}

function summary(p: Path) {
  const sorted = [...p.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { rate: (p.latencies.length / p.elapsed) * 1000, p50: at(0.5), p99: at(0.99) };
}

const sim = await startSimulator(values.model as Parameters<typeof startSimulator>[0]);
const socket = connect(sim.port, '127.0.0.1');
socket.setNoDelay(true);
await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
const session = await ScpiSession.open(sim.resource);
const driver = await connectInstrument(sim.resource);
try {
  const paths = [
    path('bare net socket', () => bareQuery(socket)),
    path('ScpiSession.query', () => session.query('*IDN?')),
    path(`driver.raw (${driver.info.model})`, () => driver.raw('*IDN?')),
  ];
  await measure(paths);
  const bare = summary(paths[0] as Path);
  console.log(`${N} sequential *IDN? round trips per path to a simulated ${sim.model} at ${sim.resource}`);
  console.log('path                         queries/s   p50 ms   p99 ms   rate vs bare');
  for (const p of paths) {
    const s = summary(p);
    const row = [
      p.name.padEnd(28),
      s.rate.toFixed(0).padStart(9),
      s.p50.toFixed(3).padStart(8),
      s.p99.toFixed(3).padStart(8),
      (s.rate / bare.rate).toFixed(2).padStart(14),
    ];
    console.log(row.join(' '));
  }
} finally {
  socket.destroy();
  await session.close();
  await driver.close();
  await sim.stop();
}
