// The job runner interface: what the engine hands a job type when one of its jobs fires, and what it gets back.
// Job types (jobs/*.ts) know nothing of triggers, policies or storage; the engine knows nothing of instruments.

import type { ScheduledJob, ScheduleType, StepVerdict, Verdict } from '@lablink/protocol/rest';
import type { Services } from '../services.js';

export type { ScheduledJob, ScheduleType, StepVerdict, Verdict };

/** The services a job type may use. Every instrument command goes through `equipment.execute` (locks, e-stop, limits). */
export type JobServices = Pick<
  Services,
  'equipment' | 'readings' | 'acquisitions' | 'profiles' | 'safety' | 'locks' | 'db' | 'logger'
>;

export interface JobContext {
  /** The stored job (parameters untyped JSON, already checked by the type's validate()). */
  job: ScheduledJob;
  executionId: string;
  services: JobServices;
  /** Aborted when the run is replaced (conflict policy `replace`), its job deleted, or the server closes. */
  signal: AbortSignal;
  /** Appends a line to the execution's output. */
  log(line: string): void;
  /** A sequence's progress; published as job_progress (rate-limited). */
  progress(done: number, total: number, label?: string): void;
}

export interface JobOutcome {
  /** Stored as the execution's result (JSON; Dates become ISO strings). */
  result: unknown;
  /** `fail` or `error` makes the execution `failed`. */
  verdict?: Verdict;
  steps?: StepVerdict[];
  /** With verdict `fail`/`error`: what failed, in words (e.g. the failing step); else a default is made. */
  error?: string;
}

export interface JobType {
  name: ScheduleType;
  /** Whether a job of this type needs `equipment_id` (checked by the engine: known instrument, else 404 naming it). */
  needsEquipment: boolean;
  /**
   * Throws a DomainError naming the field (e.g. 'parameters.steps[2].value') for bad parameters. Called at create
   * and update, before anything is stored.
   */
  validate(job: Pick<ScheduledJob, 'equipment_id' | 'parameters'>, services: JobServices): void;
  /** Runs the job. Throws → the execution fails with the error's message. */
  run(ctx: JobContext): Promise<JobOutcome>;
}

/** The job types by name (jobs/index.ts exports the real ones as JOB_TYPES). */
export type JobTypes = Record<ScheduleType, JobType>;
