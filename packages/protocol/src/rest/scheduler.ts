// Scheduler routes (/api/scheduler/…): jobs (what to run, on which trigger, with which policies), their executions
// (each run with its status, times, result, verdicts and output), history and statistics, and the trigger preview
// the panel's trigger builder uses (the cron expression in words and the next run times).

import { type Static, type TOptional, type TSchema, Type } from 'typebox';
import { Nullable, NullableNumber } from './helpers.js';

/** What a job does when it fires. */
export const SCHEDULE_TYPES = [
  /** Starts an acquisition with `parameters` and completes when it finishes. */
  'acquisition',
  /** Stores the instrument's settings. */
  'state_capture',
  /** Checks an instrument: identification, self-test where it has one, set-and-read-back. */
  'equipment_test',
  /** Reads the instrument and stores the readings. */
  'measurement',
  /** Runs one instrument action (`parameters.command`, `parameters.parameters`). */
  'command',
  /** A declarative test sequence (`parameters.steps`), with a verdict per step and for the whole run. */
  'script',
] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

/** When a job fires. */
export const JOB_TRIGGER_TYPES = ['cron', 'interval', 'date', 'daily', 'weekly', 'monthly'] as const;
export type JobTriggerType = (typeof JOB_TRIGGER_TYPES)[number];

export const EXECUTION_STATUSES = [
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** What happens when a job fires while max_instances of its runs are still running. */
export const CONFLICT_POLICIES = [
  /** The new run is recorded `skipped`. */
  'skip',
  /** The new run waits until a running one finishes. */
  'queue',
  /** The running one is cancelled and the new one runs. */
  'replace',
] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** scheduled: will fire; paused: disabled; running: a run in progress; finished: no run left (date passed, end_date passed, max_executions reached). */
export const JOB_STATUSES = ['scheduled', 'paused', 'running', 'finished'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const VERDICTS = ['pass', 'fail', 'error', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Why a run started. */
export const TRIGGER_KINDS = ['schedule', 'run_now', 'misfire'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const SCHEDULER_LIMITS = {
  /** Total interval of an `interval` job, in seconds. */
  intervalSeconds: { min: 1, max: 366 * 86_400 },
  maxInstances: { min: 1, max: 10, default: 1 },
  /** Grace time after a missed run, in seconds (a week at most). */
  misfireGraceSeconds: { min: 0, max: 7 * 86_400, default: 300 },
  maxExecutions: { min: 1, max: 1_000_000_000 },
  /** Next run times computed for a job and a preview. */
  nextRuns: 5,
  /** Executions kept this many days. */
  retentionDays: 30,
  tags: 20,
  parameterKeys: 64,
} as const;

const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum<T>(values, description ? { description } : {});
const DateTime = (description: string) => Type.String({ format: 'date-time', description });
const optional = <T extends Record<string, TSchema>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };
const IntervalPart = (unit: string) =>
  Nullable(
    Type.Number({
      minimum: 0,
      maximum: SCHEDULER_LIMITS.intervalSeconds.max,
      description: `interval: ${unit} added to the interval (the total is at least 1 s)`,
    }),
  );

export const JobId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'job_<8 hex>, made by the server',
});
export const ExecutionId = Type.String({ minLength: 1, maxLength: 64, description: 'exec_<12 hex>' });

// -------------------------------------------------------------------------------------------------- triggers

/** The fields that make a trigger (also the body of POST /triggers/preview). */
const TriggerFields = {
  trigger_type: literals(JOB_TRIGGER_TYPES),
  cron_expression: Nullable(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        'cron: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; e.g. "*/5 * * * * *", "30 8 * * 1"',
    }),
  ),
  interval_seconds: IntervalPart('seconds'),
  interval_minutes: IntervalPart('minutes'),
  interval_hours: IntervalPart('hours'),
  interval_days: IntervalPart('days'),
  run_date: Nullable(DateTime('date: when it runs (ISO 8601 with Z or an offset)')),
  time_of_day: Nullable(
    Type.String({
      pattern: '^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$',
      description: 'daily, weekly, monthly: "HH:MM" or "HH:MM:SS" in the job time zone',
    }),
  ),
  day_of_week: Nullable(
    Type.Integer({ minimum: 0, maximum: 6, description: 'weekly: 0 = Monday … 6 = Sunday' }),
  ),
  day_of_month: Nullable(
    Type.Integer({
      minimum: 1,
      maximum: 31,
      description: 'monthly: 1–31 (a month without that day is skipped)',
    }),
  ),
  start_date: Nullable(DateTime('No run before it')),
  end_date: Nullable(DateTime('No run after it')),
  timezone: Nullable(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "An IANA time zone (Europe/Berlin, UTC); default the server's",
    }),
  ),
};

/** POST /api/scheduler/triggers/preview */
export const TriggerPreviewRequest = Type.Object(
  { ...optional(TriggerFields), trigger_type: TriggerFields.trigger_type },
  { additionalProperties: false },
);
export type TriggerPreviewRequest = Static<typeof TriggerPreviewRequest>;

export const TriggerPreview = Type.Object({
  success: Type.Boolean(),
  /** The trigger in words ("every 5 seconds", "at 08:30 on Monday"). */
  description: Type.String(),
  /** The cron expression the trigger amounts to (null for interval and date). */
  cron_expression: Nullable(Type.String()),
  /** The next run times, ISO 8601 UTC (up to 5; fewer when the trigger ends). */
  next_runs: Type.Array(Type.String({ format: 'date-time' })),
  timezone: Type.String(),
});
export type TriggerPreview = Static<typeof TriggerPreview>;

// ------------------------------------------------------------------------------------------------------- jobs

/** The writable fields of a job, each with its bounds. */
const JobFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Nullable(Type.String({ maxLength: 1000 })),
  schedule_type: literals(SCHEDULE_TYPES),
  equipment_id: Nullable(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The instrument it works on (all types but script may need one)',
    }),
  ),
  ...TriggerFields,
  parameters: Type.Record(Type.String({ maxLength: SCHEDULER_LIMITS.parameterKeys }), Type.Unknown(), {
    maxProperties: SCHEDULER_LIMITS.parameterKeys,
    description:
      'What the job type needs (command: {command, parameters}; script: {steps: […]}); see docs/scheduler.md',
  }),
  enabled: Type.Boolean({ description: 'false: stored but paused (default true)' }),
  max_instances: Type.Integer({
    minimum: SCHEDULER_LIMITS.maxInstances.min,
    maximum: SCHEDULER_LIMITS.maxInstances.max,
    description: 'Runs of this job at once (default 1)',
  }),
  misfire_grace_time: Type.Integer({
    minimum: SCHEDULER_LIMITS.misfireGraceSeconds.min,
    maximum: SCHEDULER_LIMITS.misfireGraceSeconds.max,
    description:
      'Seconds a missed run (server down) may still run late (default 300); older ones are skipped',
  }),
  coalesce: Type.Boolean({
    description: 'Missed runs within the grace time run once (true, default) or each (false)',
  }),
  max_executions: Nullable(
    Type.Integer({
      minimum: SCHEDULER_LIMITS.maxExecutions.min,
      maximum: SCHEDULER_LIMITS.maxExecutions.max,
      description: 'Scheduled runs after which the job is finished (null: no limit)',
    }),
  ),
  created_by: Nullable(Type.String({ minLength: 1, maxLength: 100 })),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: SCHEDULER_LIMITS.tags }),
  profile_id: Nullable(
    Type.String({ minLength: 1, maxLength: 64, description: 'A profile applied before each run' }),
  ),
  on_failure_alarm: Type.Boolean({ description: 'A failed run raises a system alarm (default false)' }),
  conflict_policy: literals(CONFLICT_POLICIES, 'Default skip'),
};

/** POST /api/scheduler/jobs/create: name, schedule_type and trigger_type are required, the rest has defaults. */
export const CreateJobRequest = Type.Object(
  {
    ...optional(JobFields),
    name: JobFields.name,
    schedule_type: JobFields.schedule_type,
    trigger_type: JobFields.trigger_type,
  },
  { additionalProperties: false },
);
export type CreateJobRequest = Static<typeof CreateJobRequest>;

/** PUT /api/scheduler/jobs/{job_id}: any writable field; the others keep their values. */
export const UpdateJobRequest = Type.Object(optional(JobFields), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateJobRequest = Static<typeof UpdateJobRequest>;

/** A stored job (ScheduleConfig) with what is computed from it. */
export const ScheduledJob = Type.Object({
  job_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  schedule_type: literals(SCHEDULE_TYPES),
  equipment_id: Nullable(Type.String()),
  trigger_type: literals(JOB_TRIGGER_TYPES),
  cron_expression: Nullable(Type.String()),
  interval_seconds: NullableNumber,
  interval_minutes: NullableNumber,
  interval_hours: NullableNumber,
  interval_days: NullableNumber,
  run_date: Nullable(Type.String()),
  time_of_day: Nullable(Type.String()),
  day_of_week: Nullable(Type.Integer()),
  day_of_month: Nullable(Type.Integer()),
  parameters: Type.Record(Type.String(), Type.Unknown()),
  enabled: Type.Boolean(),
  max_instances: Type.Integer(),
  misfire_grace_time: Type.Integer(),
  coalesce: Type.Boolean(),
  start_date: Nullable(Type.String()),
  end_date: Nullable(Type.String()),
  max_executions: Nullable(Type.Integer()),
  created_at: Type.String({ format: 'date-time' }),
  created_by: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' }),
  tags: Type.Array(Type.String()),
  profile_id: Nullable(Type.String()),
  on_failure_alarm: Type.Boolean(),
  conflict_policy: literals(CONFLICT_POLICIES),
  /** The IANA time zone its times are read in. */
  timezone: Type.String(),
  /** The next run times (ISO 8601 UTC, up to 5); empty when paused or finished. */
  next_runs: Type.Array(Type.String({ format: 'date-time' })),
  /** Scheduled runs so far (what max_executions counts; run-now is not counted). */
  execution_count: Type.Integer(),
  status: literals(JOB_STATUSES),
});
export type ScheduledJob = Static<typeof ScheduledJob>;

export const JobParams = Type.Object({ job_id: JobId });
export const ExecutionParams = Type.Object({ execution_id: ExecutionId });

/** GET /api/scheduler/jobs */
export const JobListQuery = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  schedule_type: Type.Optional(literals(SCHEDULE_TYPES)),
  equipment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type JobListQuery = Static<typeof JobListQuery>;

export const JobList = Type.Object({
  success: Type.Boolean(),
  count: Type.Integer(),
  jobs: Type.Array(ScheduledJob),
});
export type JobList = Static<typeof JobList>;

/** POST /api/scheduler/jobs/create */
export const JobCreated = Type.Object({
  success: Type.Boolean(),
  job_id: Type.String(),
  message: Type.String(),
  job: ScheduledJob,
});
export type JobCreated = Static<typeof JobCreated>;

/** GET, PUT /api/scheduler/jobs/{job_id}, …/pause, …/resume; DELETE (no job). */
export const JobResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.Optional(Type.String()),
  job: Type.Optional(ScheduledJob),
});
export type JobResponse = Static<typeof JobResponse>;

/** POST /api/scheduler/jobs/{job_id}/run: answers at once; the run continues and its events follow. */
export const RunNowResponse = Type.Object({
  success: Type.Boolean(),
  execution_id: Type.String(),
  message: Type.String(),
});
export type RunNowResponse = Static<typeof RunNowResponse>;

// ------------------------------------------------------------------------------------------------- executions

/** The verdict of one step of a test sequence (script jobs). */
export const StepVerdict = Type.Object(
  {
    /** Where the step is: "steps[2]", "steps[3].steps[0]#4" (inside a repeat, its iteration). */
    path: Type.String(),
    /** set, wait, measure, check, ramp, repeat. */
    type: Type.String(),
    /** The step's name, or what it does in words. */
    label: Nullable(Type.String()),
    verdict: Nullable(literals(VERDICTS)),
    /** The value measured or set, when there is one. */
    value: Type.Optional(NullableNumber),
    /** check: the limits the value was held to. */
    low: Type.Optional(NullableNumber),
    high: Type.Optional(NullableNumber),
    unit: Type.Optional(Nullable(Type.String())),
    /** Why it failed or what happened, in words. */
    message: Nullable(Type.String()),
    duration_seconds: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);
export type StepVerdict = Static<typeof StepVerdict>;

export const TriggerInfo = Type.Object(
  {
    kind: literals(TRIGGER_KINDS),
    /** misfire: the scheduled times this run stands for (coalesced). */
    missed: Type.Optional(Type.Integer()),
    /** misfire: the last scheduled time it stands for. */
    last_missed: Type.Optional(Type.String({ format: 'date-time' })),
    /** Why the run was skipped or cancelled. */
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type TriggerInfo = Static<typeof TriggerInfo>;

/** One run of a job (JobExecution). */
export const JobExecution = Type.Object({
  execution_id: Type.String(),
  job_id: Type.String(),
  status: literals(EXECUTION_STATUSES),
  /** When the trigger said it should run (run-now: when it was asked). */
  scheduled_time: Type.String({ format: 'date-time' }),
  /** When it really started (null while pending, and for a skipped run). */
  actual_time: Nullable(Type.String({ format: 'date-time' })),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  completed_at: Nullable(Type.String({ format: 'date-time' })),
  duration_seconds: NullableNumber,
  result: Type.Unknown({ description: "The job type's result (JSON); null until it completes" }),
  error: Nullable(Type.String()),
  /** The run's log, one line per entry. */
  output: Type.String(),
  trigger_info: TriggerInfo,
  verdict: Nullable(literals(VERDICTS)),
  steps: Nullable(Type.Array(StepVerdict)),
});
export type JobExecution = Static<typeof JobExecution>;

/** GET /api/scheduler/executions: newest scheduled_time first. */
export const ExecutionListQuery = Type.Object({
  job_id: Type.Optional(JobId),
  status: Type.Optional(literals(EXECUTION_STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
export type ExecutionListQuery = Static<typeof ExecutionListQuery>;

export const ExecutionList = Type.Object({
  success: Type.Boolean(),
  count: Type.Integer(),
  executions: Type.Array(JobExecution),
});
export type ExecutionList = Static<typeof ExecutionList>;

/** GET /api/scheduler/executions/{execution_id} */
export const ExecutionResponse = Type.Object({
  success: Type.Boolean(),
  execution: JobExecution,
});
export type ExecutionResponse = Static<typeof ExecutionResponse>;

/** A run in progress (GET /api/scheduler/running). */
export const RunningJob = Type.Object({
  execution_id: Type.String(),
  job_id: Type.String(),
  job_name: Type.String(),
  schedule_type: literals(SCHEDULE_TYPES),
  scheduled_time: Type.String({ format: 'date-time' }),
  started_at: Type.String({ format: 'date-time' }),
  trigger_info: TriggerInfo,
  /** A sequence's progress (null when the job type reports none). */
  progress: Nullable(
    Type.Object({ done: Type.Integer(), total: Type.Integer(), label: Nullable(Type.String()) }),
  ),
});
export type RunningJob = Static<typeof RunningJob>;

export const RunningJobs = Type.Object({
  success: Type.Boolean(),
  count: Type.Integer(),
  running_jobs: Type.Array(RunningJob),
});
export type RunningJobs = Static<typeof RunningJobs>;

// ------------------------------------------------------------------------------------- history and statistics

/** GET /api/scheduler/jobs/{job_id}/history (executions kept: the last 30 days). */
export const JobHistory = Type.Object({
  job_id: Type.String(),
  job_name: Type.String(),
  total_executions: Type.Integer(),
  successful: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  skipped: Type.Integer(),
  /** Mean duration of finished runs, in seconds (null when none). */
  average_duration: NullableNumber,
  /** When the last run was scheduled (null when none). */
  last_execution: Nullable(Type.String({ format: 'date-time' })),
  last_status: Nullable(literals(EXECUTION_STATUSES)),
  last_verdict: Nullable(literals(VERDICTS)),
  next_run: Nullable(Type.String({ format: 'date-time' })),
  /** The last executions, newest first (up to 20). */
  recent: Type.Array(JobExecution),
});
export type JobHistory = Static<typeof JobHistory>;

export const JobHistoryResponse = Type.Object({ success: Type.Boolean(), history: JobHistory });
export type JobHistoryResponse = Static<typeof JobHistoryResponse>;

/** GET /api/scheduler/statistics ("today": since 00:00 UTC). */
export const ScheduleStatistics = Type.Object({
  total_jobs: Type.Integer(),
  active_jobs: Type.Integer(),
  disabled_jobs: Type.Integer(),
  running_executions: Type.Integer(),
  total_executions_today: Type.Integer(),
  successful_today: Type.Integer(),
  failed_today: Type.Integer(),
  skipped_today: Type.Integer(),
  by_type: Type.Unsafe<Partial<Record<ScheduleType, number>>>(Type.Record(Type.String(), Type.Integer())),
  /** The next runs across jobs, soonest first (up to 10). */
  upcoming_jobs: Type.Array(
    Type.Object({
      job_id: Type.String(),
      job_name: Type.String(),
      next_run: Type.String({ format: 'date-time' }),
    }),
  ),
});
export type ScheduleStatistics = Static<typeof ScheduleStatistics>;

export const ScheduleStatisticsResponse = Type.Object({
  success: Type.Boolean(),
  statistics: ScheduleStatistics,
});
export type ScheduleStatisticsResponse = Static<typeof ScheduleStatisticsResponse>;
