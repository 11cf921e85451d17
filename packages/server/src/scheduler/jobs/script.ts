// `script`: a declarative test sequence (sequence.ts). No code runs: only the steps set, wait, measure, check, ramp
// and repeat, each checked when the job is created and given a verdict when it runs.

import type { JobType } from '../types.js';
import { compileSequence, runSequence } from './sequence.js';

export const scriptJob: JobType = {
  name: 'script',
  // Each step may name its own instrument; the job's is the default.
  needsEquipment: false,
  validate(job, services) {
    compileSequence(job, services);
  },
  async run(ctx) {
    const sequence = compileSequence(ctx.job, ctx.services);
    ctx.log(`sequence: ${sequence.steps.length} step(s), ${sequence.total} to run (repeats expanded)`);
    return runSequence(ctx, sequence);
  },
};
