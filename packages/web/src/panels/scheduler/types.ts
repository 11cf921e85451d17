// The scheduler's wire shapes as the panel uses them (docs/scheduler.md), defined once in the protocol.

import type {
  CreateJobRequest,
  JobTriggerType,
  TriggerPreviewRequest,
  UpdateJobRequest,
} from '@lablink/protocol/rest';

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
} from '@lablink/protocol/rest';

export type TriggerType = JobTriggerType;
/** The body of a create (name, schedule_type and trigger_type given) or an update (any writable field). */
export type JobRequest = UpdateJobRequest & Partial<CreateJobRequest>;
export type TriggerRequest = TriggerPreviewRequest;
