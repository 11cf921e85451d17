// Scheduler routes (/api/scheduler/…) on the original LabLink's paths, plus update (PUT /jobs/{job_id}) and the
// trigger preview. The engine is src/scheduler/engine.ts; docs/scheduler.md is the user guide.

import {
  CreateJobRequest,
  ExecutionList,
  ExecutionListQuery,
  ExecutionParams,
  ExecutionResponse,
  JobCreated,
  JobHistoryResponse,
  JobList,
  JobListQuery,
  JobParams,
  JobResponse,
  RunNowResponse,
  RunningJobs,
  ScheduleStatisticsResponse,
  TriggerPreview,
  TriggerPreviewRequest,
  UpdateJobRequest,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { ErrorResponses } from './schemas.js';

const tags = ['scheduler'];

export async function schedulerRoutes(app: AppInstance): Promise<void> {
  const { scheduler } = app.services;

  // ---- jobs -------------------------------------------------------------------------------------------------------

  app.post(
    '/api/scheduler/jobs/create',
    {
      schema: {
        tags,
        summary: 'Create a scheduled job',
        description:
          'Checked before anything is stored: the trigger (a bad cron expression, date or missing parameter is named), the instrument (known), the profile, and the job type’s parameters. The job is armed at once when enabled.',
        body: CreateJobRequest,
        response: { 200: JobCreated, ...ErrorResponses },
      },
    },
    async (request) => {
      const job = scheduler.create(request.body);
      return { success: true, job_id: job.job_id, message: `Job '${job.name}' created`, job };
    },
  );

  app.get(
    '/api/scheduler/jobs',
    {
      schema: {
        tags,
        summary: 'Scheduled jobs, with their status and next run times',
        querystring: JobListQuery,
        response: { 200: JobList, ...ErrorResponses },
      },
    },
    async (request) => {
      const jobs = scheduler.list(request.query);
      return { success: true, count: jobs.length, jobs };
    },
  );

  app.get(
    '/api/scheduler/jobs/:job_id',
    {
      schema: {
        tags,
        summary: 'A scheduled job',
        params: JobParams,
        response: { 200: JobResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, job: scheduler.get(request.params.job_id) }),
  );

  app.put(
    '/api/scheduler/jobs/:job_id',
    {
      schema: {
        tags,
        summary: 'Edit a job (any writable field; the others keep their values)',
        description:
          'Checked as at creation. A changed trigger starts afresh from now; the job is re-armed and job_updated is published.',
        params: JobParams,
        body: UpdateJobRequest,
        response: { 200: JobResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, job: scheduler.update(request.params.job_id, request.body) }),
  );

  app.delete(
    '/api/scheduler/jobs/:job_id',
    {
      schema: {
        tags,
        summary: 'Delete a job and its history (a running run is cancelled)',
        params: JobParams,
        response: { 200: JobResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      scheduler.delete(request.params.job_id);
      return { success: true, message: `Job ${request.params.job_id} deleted` };
    },
  );

  for (const [action, verb] of [
    ['pause', 'Pause a job (no runs until resumed; a running run finishes)'],
    ['resume', 'Resume a paused job (runs it would have had while paused are not made up)'],
  ] as const) {
    app.post(
      `/api/scheduler/jobs/:job_id/${action}`,
      {
        schema: { tags, summary: verb, params: JobParams, response: { 200: JobResponse, ...ErrorResponses } },
      },
      async (request) => {
        const { job_id } = request.params;
        const job = action === 'pause' ? scheduler.pause(job_id) : scheduler.resume(job_id);
        return { success: true, message: `Job ${job_id} ${action === 'pause' ? 'paused' : 'resumed'}`, job };
      },
    );
  }

  app.post(
    '/api/scheduler/jobs/:job_id/run',
    {
      schema: {
        tags,
        summary: 'Run a job now',
        description:
          'Answers at once with the execution id; the run continues, and job_started then job_completed or job_failed follow. Not counted against max_executions; conflicts are not checked.',
        params: JobParams,
        response: { 200: RunNowResponse, ...ErrorResponses },
      },
    },
    async (request) => ({
      success: true,
      execution_id: scheduler.runNow(request.params.job_id),
      message: 'Job triggered',
    }),
  );

  app.get(
    '/api/scheduler/jobs/:job_id/history',
    {
      schema: {
        tags,
        summary: "A job's runs in figures, with its last 20 runs",
        params: JobParams,
        response: { 200: JobHistoryResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, history: scheduler.history(request.params.job_id) }),
  );

  // ---- executions -------------------------------------------------------------------------------------------------

  app.get(
    '/api/scheduler/executions',
    {
      schema: {
        tags,
        summary: 'Runs, newest scheduled time first (kept 30 days)',
        querystring: ExecutionListQuery,
        response: { 200: ExecutionList, ...ErrorResponses },
      },
    },
    async (request) => {
      const executions = scheduler.executions(request.query);
      return { success: true, count: executions.length, executions };
    },
  );

  app.get(
    '/api/scheduler/executions/:execution_id',
    {
      schema: {
        tags,
        summary: 'A run (a run in progress with its output so far)',
        params: ExecutionParams,
        response: { 200: ExecutionResponse, ...ErrorResponses },
      },
    },
    async (request) => ({ success: true, execution: scheduler.execution(request.params.execution_id) }),
  );

  app.get(
    '/api/scheduler/running',
    {
      schema: {
        tags,
        summary: 'Runs in progress, with a sequence’s progress',
        response: { 200: RunningJobs, ...ErrorResponses },
      },
    },
    async () => {
      const running = scheduler.running();
      return { success: true, count: running.length, running_jobs: running };
    },
  );

  app.get(
    '/api/scheduler/statistics',
    {
      schema: {
        tags,
        summary: 'Jobs and runs in figures ("today": since 00:00 UTC), and the next runs',
        response: { 200: ScheduleStatisticsResponse, ...ErrorResponses },
      },
    },
    async () => ({ success: true, statistics: scheduler.statistics() }),
  );

  // ---- triggers ---------------------------------------------------------------------------------------------------

  app.post(
    '/api/scheduler/triggers/preview',
    {
      schema: {
        tags,
        summary: 'A trigger in words and its next five run times (nothing stored)',
        description: 'The trigger fields of a job (and its timezone); a bad one is a 400 naming the field.',
        body: TriggerPreviewRequest,
        response: { 200: TriggerPreview, ...ErrorResponses },
      },
    },
    async (request) => scheduler.preview(request.body),
  );
}
