// The scheduler's wire shapes as the panel uses them (docs/scheduler.md), from the SDK.

import type { JobDefinition, JobTriggerType, TriggerPreviewRequest } from '@lablink/client';

export type {
  ConflictPolicy,
  ExecutionStatus,
  JobExecution,
  JobStatus,
  RunningJob,
  ScheduledJob,
  ScheduleType,
  StepVerdict,
  TriggerPreview,
  Verdict,
} from '@lablink/client';

export type TriggerType = JobTriggerType;
/** The body of a create, also sent whole as an edit (every writable field, so nothing stale stays behind). */
export type JobRequest = JobDefinition;
export type TriggerRequest = TriggerPreviewRequest;
