// The scheduler's REST calls (prefix /api/scheduler, docs/scheduler.md), through the SDK's RestApi.

import type { RestApi } from '@lablink/client';
import type {
  JobExecution,
  JobRequest,
  RunningJob,
  ScheduledJob,
  TriggerPreview,
  TriggerRequest,
} from './types';

const BASE = '/api/scheduler';
const enc = encodeURIComponent;

export function schedulerApi(rest: RestApi) {
  return {
    async listJobs(): Promise<ScheduledJob[]> {
      return (await rest.request<{ jobs: ScheduledJob[] }>('GET', `${BASE}/jobs`)).jobs;
    },
    async getJob(id: string): Promise<ScheduledJob> {
      return (await rest.request<{ job: ScheduledJob }>('GET', `${BASE}/jobs/${enc(id)}`)).job;
    },
    async createJob(request: JobRequest): Promise<ScheduledJob> {
      const body = await rest.request<{ job_id: string; job?: ScheduledJob }>('POST', `${BASE}/jobs/create`, {
        body: request,
      });
      return body.job ?? (await this.getJob(body.job_id));
    },
    async updateJob(id: string, changes: JobRequest): Promise<ScheduledJob> {
      const body = await rest.request<{ job?: ScheduledJob }>('PUT', `${BASE}/jobs/${enc(id)}`, {
        body: changes,
      });
      return body.job ?? (await this.getJob(id));
    },
    async deleteJob(id: string): Promise<void> {
      await rest.request('DELETE', `${BASE}/jobs/${enc(id)}`);
    },
    async pauseJob(id: string): Promise<ScheduledJob> {
      const body = await rest.request<{ job?: ScheduledJob }>('POST', `${BASE}/jobs/${enc(id)}/pause`);
      return body.job ?? (await this.getJob(id));
    },
    async resumeJob(id: string): Promise<ScheduledJob> {
      const body = await rest.request<{ job?: ScheduledJob }>('POST', `${BASE}/jobs/${enc(id)}/resume`);
      return body.job ?? (await this.getJob(id));
    },
    /** Answers at once with the new run's id; the run continues and its events follow. */
    async runJob(id: string): Promise<string> {
      return (await rest.request<{ execution_id: string }>('POST', `${BASE}/jobs/${enc(id)}/run`))
        .execution_id;
    },
    async executions(query: { job_id?: string; limit?: number } = {}): Promise<JobExecution[]> {
      return (
        await rest.request<{ executions: JobExecution[] }>('GET', `${BASE}/executions`, {
          query: { ...query },
        })
      ).executions;
    },
    async getExecution(id: string): Promise<JobExecution> {
      return (await rest.request<{ execution: JobExecution }>('GET', `${BASE}/executions/${enc(id)}`))
        .execution;
    },
    async running(): Promise<RunningJob[]> {
      return (await rest.request<{ running_jobs: RunningJob[] }>('GET', `${BASE}/running`)).running_jobs;
    },
    previewTrigger(trigger: TriggerRequest): Promise<TriggerPreview> {
      return rest.request('POST', `${BASE}/triggers/preview`, { body: trigger });
    },
  };
}

export type SchedulerApi = ReturnType<typeof schedulerApi>;
