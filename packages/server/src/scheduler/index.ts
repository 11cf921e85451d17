// The scheduler (docs/scheduler.md; README.md here for how it is built): the engine, its triggers and the job types.

export { type SchedulerDeps, SchedulerService } from './engine.js';
export { JOB_TYPES } from './jobs/index.js';
export { buildTrigger, nextRuns, type Trigger, type TriggerSpec } from './triggers.js';
export type { JobContext, JobOutcome, JobServices, JobType, JobTypes } from './types.js';
