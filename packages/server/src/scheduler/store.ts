// Scheduler storage in SQLite (migration 7): jobs with their schedule cursor and execution count, and every run.
// The engine writes here before it publishes the matching event (persist, then publish).

import type {
  ExecutionListQuery,
  ExecutionStatus,
  JobExecution,
  ScheduledJob,
  ScheduleType,
} from '@lablink/protocol/rest';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database.js';

/** A job as stored: its writable and fixed fields (computed ones — next_runs, status, count — are the engine's). */
export type StoredJob = Omit<ScheduledJob, 'next_runs' | 'execution_count' | 'status'>;

export interface JobRow {
  job: StoredJob;
  execution_count: number;
  /** Scheduled time of the last run handled (ms), null before the first. */
  last_fire_time: number | null;
  /** When an interval without start_date counts from (ms). */
  anchor_time: number;
}

interface ExecutionRow {
  execution_id: string;
  job_id: string;
  status: ExecutionStatus;
  scheduled_time: string;
  actual_time: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  result: string | null;
  error: string | null;
  output: string;
  trigger_info: string;
  verdict: JobExecution['verdict'];
  steps: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function toExecution(row: ExecutionRow): JobExecution {
  return {
    ...row,
    result: row.result === null ? null : JSON.parse(row.result),
    trigger_info: JSON.parse(row.trigger_info),
    steps: row.steps === null ? null : JSON.parse(row.steps),
  };
}

function executionRow(e: JobExecution): ExecutionRow {
  return {
    ...e,
    result: e.result === null || e.result === undefined ? null : JSON.stringify(e.result),
    trigger_info: JSON.stringify(e.trigger_info),
    steps: e.steps === null ? null : JSON.stringify(e.steps),
  };
}

export interface ExecutionCounts {
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  average_duration: number | null;
}

export class SchedulerStore {
  /** Statements of the hot path (every fire and every run end), prepared once. */
  private readonly saveStatement: Statement;
  private readonly advanceStatement: Statement;

  constructor(private readonly db: Db) {
    this.saveStatement = db.prepare(
      `INSERT OR REPLACE INTO job_executions (execution_id, job_id, status, scheduled_time, actual_time, started_at,
         completed_at, duration_seconds, result, error, output, trigger_info, verdict, steps)
       VALUES (@execution_id, @job_id, @status, @scheduled_time, @actual_time, @started_at, @completed_at,
         @duration_seconds, @result, @error, @output, @trigger_info, @verdict, @steps)`,
    );
    this.advanceStatement = db.prepare(
      'UPDATE scheduled_jobs SET last_fire_time = ?, execution_count = execution_count + ? WHERE job_id = ?',
    );
  }

  // ---- jobs -------------------------------------------------------------------------------------------------------

  insertJob(job: StoredJob, anchorMs: number, lastFireMs: number | null): void {
    this.db
      .prepare(
        `INSERT INTO scheduled_jobs (job_id, name, schedule_type, equipment_id, enabled, config, execution_count,
           last_fire_time, anchor_time, created_at, updated_at)
         VALUES (@job_id, @name, @schedule_type, @equipment_id, @enabled, @config, 0, @last_fire_time, @anchor_time,
           @created_at, @updated_at)`,
      )
      .run({
        ...this.jobColumns(job),
        last_fire_time: lastFireMs === null ? null : iso(lastFireMs),
        anchor_time: iso(anchorMs),
        created_at: job.created_at,
      });
  }

  /** Stores an edited job; a new anchor or cursor when its trigger changed or it was resumed. */
  updateJob(job: StoredJob, cursor?: { anchorMs: number; lastFireMs: number | null }): void {
    const columns = this.jobColumns(job);
    if (cursor)
      this.db
        .prepare(
          `UPDATE scheduled_jobs SET name = @name, schedule_type = @schedule_type, equipment_id = @equipment_id,
             enabled = @enabled, config = @config, updated_at = @updated_at, anchor_time = @anchor_time,
             last_fire_time = @last_fire_time WHERE job_id = @job_id`,
        )
        .run({
          ...columns,
          anchor_time: iso(cursor.anchorMs),
          last_fire_time: cursor.lastFireMs === null ? null : iso(cursor.lastFireMs),
        });
    else
      this.db
        .prepare(
          `UPDATE scheduled_jobs SET name = @name, schedule_type = @schedule_type, equipment_id = @equipment_id,
             enabled = @enabled, config = @config, updated_at = @updated_at WHERE job_id = @job_id`,
        )
        .run(columns);
  }

  /** Moves the schedule cursor (and counts a run when `counted`). */
  advance(jobId: string, lastFireMs: number, counted: boolean): void {
    this.advanceStatement.run(iso(lastFireMs), counted ? 1 : 0, jobId);
  }

  /** Deletes a job and its executions. */
  deleteJob(jobId: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM job_executions WHERE job_id = ?').run(jobId);
      return this.db.prepare('DELETE FROM scheduled_jobs WHERE job_id = ?').run(jobId).changes > 0;
    })();
  }

  listJobs(): JobRow[] {
    const rows = this.db
      .prepare(
        'SELECT config, execution_count, last_fire_time, anchor_time FROM scheduled_jobs ORDER BY created_at, job_id',
      )
      .all() as {
      config: string;
      execution_count: number;
      last_fire_time: string | null;
      anchor_time: string;
    }[];
    return rows.map((r) => ({
      job: JSON.parse(r.config),
      execution_count: r.execution_count,
      last_fire_time: r.last_fire_time === null ? null : Date.parse(r.last_fire_time),
      anchor_time: Date.parse(r.anchor_time),
    }));
  }

  private jobColumns(job: StoredJob) {
    return {
      job_id: job.job_id,
      name: job.name,
      schedule_type: job.schedule_type,
      equipment_id: job.equipment_id,
      enabled: job.enabled ? 1 : 0,
      config: JSON.stringify(job),
      updated_at: job.updated_at,
    };
  }

  // ---- executions -------------------------------------------------------------------------------------------------

  /** Inserts or replaces a run as it now is. */
  saveExecution(execution: JobExecution): void {
    this.saveStatement.run(executionRow(execution));
  }

  getExecution(executionId: string): JobExecution | undefined {
    const row = this.db.prepare('SELECT * FROM job_executions WHERE execution_id = ?').get(executionId) as
      | ExecutionRow
      | undefined;
    return row ? toExecution(row) : undefined;
  }

  /** Newest scheduled_time first. */
  listExecutions(query: ExecutionListQuery): JobExecution[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: query.limit ?? 100 };
    if (query.job_id !== undefined) {
      where.push('job_id = @job_id');
      args.job_id = query.job_id;
    }
    if (query.status !== undefined) {
      where.push('status = @status');
      args.status = query.status;
    }
    const sql = `SELECT * FROM job_executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY scheduled_time DESC, rowid DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(args) as ExecutionRow[]).map(toExecution);
  }

  /** Runs left pending or running by a server that stopped. */
  openExecutions(): JobExecution[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM job_executions WHERE status IN ('pending', 'running') ORDER BY scheduled_time`,
        )
        .all() as ExecutionRow[]
    ).map(toExecution);
  }

  /** A job's runs by outcome (those kept: the last 30 days). */
  counts(jobId: string): ExecutionCounts {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS total,
           SUM(status = 'completed') AS completed, SUM(status = 'failed') AS failed,
           SUM(status = 'cancelled') AS cancelled, SUM(status = 'skipped') AS skipped,
           AVG(CASE WHEN status IN ('completed', 'failed') THEN duration_seconds END) AS average_duration
         FROM job_executions WHERE job_id = ?`,
      )
      .get(jobId) as Record<keyof ExecutionCounts, number | null>;
    return {
      total: row.total ?? 0,
      completed: row.completed ?? 0,
      failed: row.failed ?? 0,
      cancelled: row.cancelled ?? 0,
      skipped: row.skipped ?? 0,
      average_duration: row.average_duration,
    };
  }

  /** Runs scheduled since `sinceIso`, by status. */
  countsSince(sinceIso: string): Partial<Record<ExecutionStatus, number>> {
    const rows = this.db
      .prepare('SELECT status, COUNT(*) AS n FROM job_executions WHERE scheduled_time >= ? GROUP BY status')
      .all(sinceIso) as { status: ExecutionStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Jobs by schedule type. */
  jobsByType(): Partial<Record<ScheduleType, number>> {
    const rows = this.db
      .prepare('SELECT schedule_type, COUNT(*) AS n FROM scheduled_jobs GROUP BY schedule_type')
      .all() as { schedule_type: ScheduleType; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.schedule_type, r.n]));
  }

  /** Deletes finished runs scheduled before `beforeIso`; returns how many. */
  prune(beforeIso: string): number {
    return this.db
      .prepare(`DELETE FROM job_executions WHERE scheduled_time < ? AND status NOT IN ('pending', 'running')`)
      .run(beforeIso).changes;
  }
}
