// The client SDK's scheduler methods against a real server: every scheduler route through its typed method, a
// refusal as a LabLinkError naming the field, and job_started / job_completed delivered to `realtime.on` listeners.

import { LabLinkClient, LabLinkError, type ServerEvent } from '@lablink/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, until } from './helpers.js';
import { ValidatingWebSocket as WebSocket } from './realtime-client.js';

let server: TestServer;
let client: LabLinkClient;
const received: ServerEvent[] = [];

beforeAll(async () => {
  server = await startTestServer();
  client = new LabLinkClient({ baseUrl: server.url, WebSocket });
  for (const type of ['job_created', 'job_updated', 'job_started', 'job_completed', 'job_deleted'])
    client.realtime.on(type, (message) => received.push(message));
  client.realtime.start();
  await until(() => client.realtime.mode === 'live', 'the SDK live');
});

afterAll(async () => {
  client.close();
  await server.dispose();
});

const eventOf = (type: string, key: 'job_id' | 'execution_id', id: string) =>
  received.find((m) => m.type === type && (m.data as Record<string, unknown>)[key] === id);

describe('client scheduler', () => {
  it('creates, previews, edits, runs, reads back, pauses, resumes and deletes a job', async () => {
    const preview = await client.rest.previewTrigger({ trigger_type: 'cron', cron_expression: '30 8 * * 1' });
    expect(preview.description).toBe('at 08:30 on Monday');
    expect(preview.next_runs).toHaveLength(5);

    const job = await client.rest.createJob({
      name: 'sdk job',
      schedule_type: 'script',
      parameters: { steps: [{ type: 'wait', seconds: 0 }] },
      trigger_type: 'interval',
      interval_hours: 1,
    });
    expect(job.status).toBe('scheduled');
    await until(() => !!eventOf('job_created', 'job_id', job.job_id), 'job_created');
    expect((await client.rest.listJobs()).map((j) => j.job_id)).toContain(job.job_id);
    expect((await client.rest.getJob(job.job_id)).name).toBe('sdk job');

    const edited = await client.rest.updateJob(job.job_id, { name: 'sdk job 2', tags: ['sdk'] });
    expect(edited).toMatchObject({ name: 'sdk job 2', tags: ['sdk'] });

    const executionId = await client.rest.runJob(job.job_id);
    expect(executionId).toMatch(/^exec_/);
    await until(() => !!eventOf('job_completed', 'execution_id', executionId), 'job_completed');
    expect(eventOf('job_started', 'execution_id', executionId)).toBeDefined();
    expect((await client.rest.getExecution(executionId)).status).toBe('completed');
    expect((await client.rest.listExecutions({ job_id: job.job_id })).map((e) => e.execution_id)).toEqual([
      executionId,
    ]);
    expect((await client.rest.jobHistory(job.job_id)).successful).toBe(1);
    expect(await client.rest.runningJobs()).toEqual([]);
    expect((await client.rest.schedulerStatistics()).total_jobs).toBe(1);

    expect((await client.rest.pauseJob(job.job_id)).status).toBe('paused');
    expect((await client.rest.resumeJob(job.job_id)).status).toBe('scheduled');
    await client.rest.deleteJob(job.job_id);
    await until(() => !!eventOf('job_deleted', 'job_id', job.job_id), 'job_deleted');
  });

  it('a refused job is a LabLinkError naming the field', async () => {
    const error = await client.rest
      .createJob({
        name: 'bad',
        schedule_type: 'script',
        trigger_type: 'cron',
        cron_expression: '61 * * * *',
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(LabLinkError);
    expect((error as LabLinkError).field).toBe('cron_expression');
    expect((error as LabLinkError).status).toBe(400);
  });
});
