// `npm run bench`: every benchmark, one after the other, each in its own process with its modest default sizes
// (a few minutes in all on the 2-core development machine). Bigger runs: each benchmark's own script and flags
// (README.md).
//
//   npm run bench                              # all of them
//   npm run bench -- --only events,streams     # some of them

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHMARKS = {
  scpi: 'scpi-roundtrip.ts',
  events: 'event-latency.ts',
  streams: 'streams.ts',
  alarms: 'alarm-latency.ts',
  acquisition: 'acquisition-throughput.ts',
  scheduler: 'scheduler-accuracy.ts',
  startup: 'startup.ts',
  instruments: 'instruments.ts',
} as const;
type Name = keyof typeof BENCHMARKS;

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const names = (values.only?.split(',') ?? Object.keys(BENCHMARKS)) as Name[];
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}

const tsx = import.meta.resolve('tsx');
const failed: string[] = [];
for (const name of names) {
  const file = fileURLToPath(new URL(BENCHMARKS[name], import.meta.url));
  console.log(`\n=== ${name}: ${BENCHMARKS[name]}\n`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, file], { stdio: 'inherit' });
    child.once('exit', (status) => resolve(status));
  });
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
