// Shapes of the scheduler REST API (docs/scheduler.md): jobs with their triggers and policies, their executions,
// history, statistics and the trigger preview. Defined once in @lablink/protocol/rest; the names here are the
// SDK's for its methods' arguments and results.

import type { CreateJobRequest, UpdateJobRequest } from '@lablink/protocol/rest';

export type {
  ConflictPolicy,
  ExecutionListQuery,
  ExecutionStatus,
  JobExecution,
  JobHistory,
  JobListQuery,
  JobStatus,
  JobTriggerType,
  RunningJob,
  ScheduledJob,
  ScheduleStatistics,
  ScheduleType,
  StepVerdict,
  TriggerInfo,
  TriggerPreview,
  TriggerPreviewRequest,
  Verdict,
} from '@lablink/protocol/rest';

/** POST /api/scheduler/jobs/create: name, schedule_type and trigger_type, and whatever the trigger needs. */
export type JobDefinition = CreateJobRequest;
/** PUT /api/scheduler/jobs/{job_id}: any writable fields. */
export type JobUpdate = UpdateJobRequest;
