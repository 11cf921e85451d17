// The scheduler: jobs that really fire. One timer per enabled job, armed for its next run and re-armed after each
// fire (timers are unref'd and hop at most 2^31-1 ms at a time, Node's ceiling). A fire goes through, in order:
// - max_executions: a job whose scheduled runs reached it is finished (no timer);
// - the conflict policy when max_instances runs are still running: skip (a `skipped` record), queue (a `pending`
//   record started when a run ends) or replace (the oldest run is cancelled through its AbortSignal);
// - the run: `running` stored, job_started published; the profile applied first (profile_id); the job type's run()
//   with a JobContext; then `completed` or `failed` (a thrown error, a verdict fail/error) or `cancelled` stored,
//   job_completed / job_failed published; on_failure_alarm raises the job's `system` alarm.
// Every state is stored before its event is published. Run-now answers with the execution id at once; the run
// continues in the background and is not counted against max_executions.
//
// Downtime: each job keeps a schedule cursor (the scheduled time of the last run handled). At start-up, and when a
// timer fires late (a suspended machine, a stalled loop), the runs missed since the cursor are handled by the
// misfire policy: those older than misfire_grace_time are recorded as one `skipped` execution with the reason;
// those within it run once (coalesce) or each in turn. Runs left `running` by a server that stopped are marked
// `failed` ("server restarted during the run"), queued ones `cancelled`.

import { randomUUID } from 'node:crypto';
import type {
  CreateJobRequest,
  ExecutionListQuery,
  JobExecution,
  JobHistory,
  JobListQuery,
  RunningJob,
  ScheduledJob,
  ScheduleStatistics,
  TriggerInfo,
  TriggerPreview,
  TriggerPreviewRequest,
  UpdateJobRequest,
  Verdict,
} from '@lablink/protocol/rest';
import { SCHEDULER_LIMITS } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/engine.js';
import type { Bus } from '../bus.js';
import { DomainError, invalidRequest, notFound } from '../errors.js';
import type { Db } from '../storage/database.js';
import { jsonSafe } from './jobs/common.js';
import { type JobRow, SchedulerStore, type StoredJob } from './store.js';
import {
  buildTrigger,
  checkTimezone,
  nextRuns,
  serverTimezone,
  TRIGGER_FIELDS,
  type Trigger,
  type TriggerSpec,
} from './triggers.js';
import type { JobContext, JobOutcome, JobServices, JobType, JobTypes } from './types.js';

export interface SchedulerDeps {
  db: Db;
  bus: Bus;
  logger: Logger;
  /** What job types may use (and what the engine checks equipment and profiles against). */
  services: JobServices;
  /** The job types by name (jobs/index.ts JOB_TYPES). */
  jobTypes: Partial<JobTypes>;
  /** Raises the `system` alarm of a failed job whose on_failure_alarm is set. */
  alarms?: Pick<AlarmService, 'list' | 'create' | 'raiseByRequest' | 'delete'>;
  /** Milliseconds since the epoch (tests may move it). */
  now?: () => number;
}

/** setTimeout's ceiling (a longer delay fires at once): far runs are reached in hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A run handled within this of its time is on time; later, it is a misfire (the server was down or stalled). */
const ON_TIME_MS = 1000;
/** Missed runs enumerated at most (a 1 s job down for a day would be 86 400): the rest are counted as skipped. */
const MAX_MISSED_SCAN = 1000;
/** Runs waiting behind running ones (conflict_policy queue) at most. */
const MAX_QUEUE = 10;
/** A run's output, at most (older lines are dropped, and the drop noted). */
const MAX_OUTPUT_LINES = 5000;
const MAX_LINE = 2000;
/** Fires due at the same instant stored per transaction (their events wait for its commit). */
const FIRES_PER_COMMIT = 10;
/** job_progress at most this often per run (the last step always). */
const PROGRESS_MS = 200;
const DAY_MS = 86_400_000;
const ALARM_PARAMETER = 'job_failed';

const DEFAULTS = {
  description: null,
  equipment_id: null,
  cron_expression: null,
  interval_seconds: null,
  interval_minutes: null,
  interval_hours: null,
  interval_days: null,
  run_date: null,
  time_of_day: null,
  day_of_week: null,
  day_of_month: null,
  parameters: {},
  enabled: true,
  max_instances: SCHEDULER_LIMITS.maxInstances.default,
  misfire_grace_time: SCHEDULER_LIMITS.misfireGraceSeconds.default,
  coalesce: true,
  start_date: null,
  end_date: null,
  max_executions: null,
  created_by: null,
  tags: [],
  profile_id: null,
  on_failure_alarm: false,
  conflict_policy: 'skip',
  timezone: null,
} as const satisfies Partial<Record<keyof StoredJob, unknown>>;

/** A run in progress. */
interface Run {
  execution: JobExecution;
  controller: AbortController;
  lines: string[];
  progress: RunningJob['progress'];
  /** When job_progress was last published (the run's start before the first). */
  lastProgressAt: number;
  progressTimer: NodeJS.Timeout | null;
}

/** A job as the engine holds it. */
interface JobState {
  job: StoredJob;
  trigger: Trigger | null;
  /** Scheduled runs so far (what max_executions counts). */
  count: number;
  /** Scheduled time of the last run handled; null before the first. */
  lastFire: number | null;
  anchor: number;
  timer: NodeJS.Timeout | null;
  /** When the armed timer's run is due. */
  nextAt: number | null;
  running: Map<string, Run>;
  /** Executions waiting (conflict_policy queue, or missed runs run each in turn). */
  queue: JobExecution[];
  /** job_updated was published for the job becoming finished. */
  finishedAnnounced: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
// randomUUID draws from Node's entropy cache (a fire makes an id; randomBytes cost 14 µs each); its first 12 hex
// digits are random (the version digit comes after).
const randomHex = (n: number) => randomUUID().replaceAll('-', '').slice(0, n);
const newJobId = () => `job_${randomHex(8)}`;
const newExecutionId = () => `exec_${randomHex(12)}`;

export class SchedulerService {
  private readonly store: SchedulerStore;
  private readonly now: () => number;
  private readonly jobs = new Map<string, JobState>();
  private pruneTimer: NodeJS.Timeout | null = null;
  /** While fires are handled together: what waits for their commit (events, run starts). */
  private deferred: (() => void)[] | null = null;
  private started = false;
  private closed = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.store = new SchedulerStore(deps.db);
    this.now = deps.now ?? Date.now;
  }

  // ---- life cycle -------------------------------------------------------------------------------------------------

  /** Loads the jobs, settles runs a stopped server left open, handles missed runs, arms the timers. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const row of this.store.listJobs()) this.jobs.set(row.job.job_id, this.stateOf(row));
    this.settleOpenRuns();
    for (const state of this.jobs.values()) this.guard(() => this.handleDue(state, this.now()));
    for (const state of this.jobs.values()) this.arm(state);
    this.prune();
    this.pruneTimer = setInterval(() => this.guard(() => this.prune()), DAY_MS);
    this.pruneTimer.unref();
  }

  /** Stops the timers and aborts running runs. Their records stay as they are: the next start settles them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    for (const state of this.jobs.values()) {
      if (state.timer) clearTimeout(state.timer);
      for (const run of state.running.values()) run.controller.abort(new Error('server stopped'));
    }
  }

  private stateOf(row: JobRow): JobState {
    let trigger: Trigger | null = null;
    try {
      trigger = buildTrigger(row.job, row.anchor_time);
    } catch (err) {
      // Stored jobs were valid when stored; a time zone a newer runtime dropped could still fail.
      this.deps.logger.warn({ job_id: row.job.job_id, err: (err as Error).message }, 'job has no trigger');
    }
    return {
      job: row.job,
      trigger,
      count: row.execution_count,
      lastFire: row.last_fire_time,
      anchor: row.anchor_time,
      timer: null,
      nextAt: null,
      running: new Map(),
      queue: [],
      finishedAnnounced: false,
    };
  }

  /** Runs left open by a server that stopped: running → failed, pending → cancelled. */
  private settleOpenRuns(): void {
    const at = this.now();
    for (const execution of this.store.openExecutions()) {
      const state = this.jobs.get(execution.job_id);
      const wasRunning = execution.status === 'running';
      const settled: JobExecution = {
        ...execution,
        status: wasRunning ? 'failed' : 'cancelled',
        completed_at: iso(at),
        duration_seconds: execution.started_at ? (at - Date.parse(execution.started_at)) / 1000 : null,
        error: wasRunning ? 'server restarted during the run' : 'server restarted before the run started',
      };
      this.store.saveExecution(settled);
      if (wasRunning && state) this.publishFinished(state.job, settled);
      if (wasRunning && state?.job.on_failure_alarm) this.raiseFailureAlarm(state.job, settled);
    }
  }

  // ---- jobs -------------------------------------------------------------------------------------------------------

  list(query: JobListQuery = {}): ScheduledJob[] {
    return [...this.jobs.values()]
      .filter(
        ({ job }) =>
          (query.enabled === undefined || job.enabled === query.enabled) &&
          (query.schedule_type === undefined || job.schedule_type === query.schedule_type) &&
          (query.equipment_id === undefined || job.equipment_id === query.equipment_id),
      )
      .map((s) => this.view(s));
  }

  get(jobId: string): ScheduledJob {
    return this.view(this.require(jobId));
  }

  create(request: CreateJobRequest): ScheduledJob {
    const at = this.now();
    const draft = {
      ...DEFAULTS,
      ...request,
      job_id: newJobId(),
      created_at: iso(at),
      updated_at: iso(at),
    } as StoredJob;
    const { job, trigger } = this.validated(draft, null, at);
    // The cursor starts now: nothing before the job existed counts as missed.
    this.store.insertJob(job, at, at);
    const state = this.stateOf({ job, execution_count: 0, last_fire_time: at, anchor_time: at });
    state.trigger = trigger;
    this.jobs.set(job.job_id, state);
    this.arm(state);
    this.deps.bus.publishEvent('job_created', this.summary(state));
    return this.view(state);
  }

  update(jobId: string, patch: UpdateJobRequest): ScheduledJob {
    const state = this.require(jobId);
    const old = state.job;
    const at = this.now();
    const merged = { ...old, ...patch, updated_at: iso(at) } as StoredJob;
    const triggerChanged = TRIGGER_FIELDS.some(
      (f) => patch[f] !== undefined && JSON.stringify(patch[f]) !== JSON.stringify(old[f]),
    );
    const resumed = !old.enabled && merged.enabled;
    // A new trigger starts afresh from now (its interval counts from now); so does a resumed job (runs it would have
    // had while paused are not missed runs).
    const anchor = triggerChanged ? at : state.anchor;
    const { job, trigger } = this.validated(merged, old, anchor);
    const cursor = triggerChanged || resumed ? { anchorMs: anchor, lastFireMs: at } : undefined;
    this.store.updateJob(job, cursor);
    state.job = job;
    state.trigger = trigger;
    if (cursor) {
      state.anchor = cursor.anchorMs;
      state.lastFire = cursor.lastFireMs;
    }
    state.finishedAnnounced = false;
    this.arm(state);
    this.deps.bus.publishEvent('job_updated', this.summary(state));
    return this.view(state);
  }

  pause(jobId: string): ScheduledJob {
    this.require(jobId);
    return this.update(jobId, { enabled: false });
  }

  resume(jobId: string): ScheduledJob {
    this.require(jobId);
    return this.update(jobId, { enabled: true });
  }

  /** Deletes a job, its executions and its failure alarm; a running run is cancelled. */
  delete(jobId: string): void {
    const state = this.require(jobId);
    this.jobs.delete(jobId);
    if (state.timer) clearTimeout(state.timer);
    state.queue = [];
    for (const run of state.running.values()) run.controller.abort(new Error('job deleted'));
    this.store.deleteJob(jobId);
    this.deleteFailureAlarm(jobId);
    this.deps.bus.publishEvent('job_deleted', { job_id: jobId });
  }

  /** Starts a run now, whatever the schedule, conflicts and max_executions; answers with its id at once. */
  runNow(jobId: string): string {
    const state = this.require(jobId);
    const at = this.now();
    const execution = this.newExecution(state.job, at, { kind: 'run_now' });
    this.startRun(state, execution);
    return execution.execution_id;
  }

  /** The trigger in words and its next run times (POST /triggers/preview). Throws naming the field at fault. */
  preview(request: TriggerPreviewRequest): TriggerPreview {
    const at = this.now();
    const spec = { ...DEFAULTS, ...request } as TriggerSpec;
    const timezone = checkTimezone(spec.timezone ?? serverTimezone());
    const trigger = buildTrigger({ ...spec, timezone }, at);
    return {
      success: true,
      description: trigger.description,
      cron_expression: trigger.cron,
      next_runs: nextRuns(trigger, at).map(iso),
      timezone,
    };
  }

  /**
   * Completes and checks a job; throws a DomainError naming the field. `old` is the job before an update: only what
   * changed is checked against the present (a date in the past, an instrument gone), so an old job stays editable.
   */
  private validated(
    job: StoredJob,
    old: StoredJob | null,
    anchor: number,
  ): { job: StoredJob; trigger: Trigger } {
    const out: StoredJob = { ...job, tags: [...job.tags], parameters: { ...job.parameters } };
    const changed = (field: keyof StoredJob) =>
      old === null || JSON.stringify(old[field]) !== JSON.stringify(out[field]);
    out.timezone = checkTimezone(out.timezone ?? serverTimezone());
    const type = this.deps.jobTypes[out.schedule_type];
    if (!type)
      throw invalidRequest('schedule_type', `${out.schedule_type} jobs are not available on this server`);

    const trigger = buildTrigger(out, anchor);
    const at = this.now();
    if (out.trigger_type === 'date' && changed('run_date') && out.run_date && Date.parse(out.run_date) <= at)
      throw invalidRequest('run_date', `run_date ${out.run_date} is in the past`);
    if (changed('end_date') && out.end_date && Date.parse(out.end_date) <= at)
      throw invalidRequest('end_date', `end_date ${out.end_date} is in the past`);

    const aboutWork = (['schedule_type', 'equipment_id', 'parameters', 'profile_id'] as const).some(changed);
    if (aboutWork) this.checkWork(out, type);
    return { job: out, trigger };
  }

  /** The instrument, the profile and the parameters a job type needs. */
  private checkWork(job: StoredJob, type: JobType): void {
    const { equipment, profiles } = this.deps.services;
    if (job.equipment_id !== null && !equipment.find(job.equipment_id))
      throw new DomainError(
        'unknown_equipment',
        `no equipment "${job.equipment_id}" (GET /api/equipment/list)`,
        'equipment_id',
      );
    if (type.needsEquipment && job.equipment_id === null)
      throw invalidRequest('equipment_id', `a ${job.schedule_type} job needs equipment_id`);
    if (job.profile_id !== null) {
      if (!profiles.get(job.profile_id))
        throw new DomainError(
          'not_found',
          `no profile "${job.profile_id}" (GET /api/profiles)`,
          'profile_id',
        );
      if (job.equipment_id === null)
        throw invalidRequest(
          'profile_id',
          "a profile is applied to the job's instrument: equipment_id is needed",
        );
    }
    type.validate(job, this.deps.services);
  }

  // ---- timers and fires -------------------------------------------------------------------------------------------

  /** The job's next scheduled run, or null when paused or finished. */
  private nextFire(state: JobState): number | null {
    const { job, trigger } = state;
    if (!trigger) return null;
    if (job.max_executions !== null && state.count >= job.max_executions) return null;
    return trigger.next(state.lastFire ?? state.anchor);
  }

  private arm(state: JobState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    state.nextAt = null;
    if (this.closed || !state.job.enabled || !this.jobs.has(state.job.job_id)) return;
    const at = this.nextFire(state);
    if (at === null) {
      this.announceFinished(state);
      return;
    }
    state.nextAt = at;
    this.setTimer(state, at);
  }

  private setTimer(state: JobState, at: number): void {
    const delay = Math.min(Math.max(at - this.now(), 0), MAX_TIMER_MS);
    state.timer = setTimeout(() => this.guard(() => this.onTimer(state, at)), delay);
    state.timer.unref();
  }

  private onTimer(state: JobState, at: number): void {
    state.timer = null;
    if (this.jobs.get(state.job.job_id) !== state || state.nextAt !== at) return;
    const now = this.now();
    // Not there yet: a hop of a long wait (or a timer a millisecond early).
    if (at - now > 1) {
      this.setTimer(state, at);
      return;
    }
    // Every job due at this instant fires now, a few per transaction, each chunk's events and run starts going out
    // after its commit: a hundred jobs on the same second cost ten commits, stored before announced, and no
    // job_started waits for another job's run (runs start in the background, after this callback).
    const due = [...this.jobs.values()].filter(
      (s) => s.job.enabled && s.nextAt !== null && s.nextAt - now <= 1,
    );
    for (let i = 0; i < due.length; i += FIRES_PER_COMMIT) {
      const chunk = due.slice(i, i + FIRES_PER_COMMIT);
      const deferred: (() => void)[] = [];
      this.deferred = deferred;
      try {
        this.deps.db.transaction(() => {
          for (const s of chunk) {
            if (s.timer) clearTimeout(s.timer);
            s.timer = null;
            this.handleDue(s, Math.max(now, s.nextAt as number));
          }
        })();
      } finally {
        this.deferred = null;
        for (const s of chunk) this.arm(s);
        for (const fn of deferred) fn();
      }
    }
  }

  /** Runs `fn` now, or after the commit of the fires being handled together (see onTimer). */
  private afterCommit(fn: () => void): void {
    if (this.deferred) this.deferred.push(fn);
    else fn();
  }

  /** Handles the runs due by `now`: one on time fires; late or several go through the misfire policy. */
  private handleDue(state: JobState, now: number): void {
    if (!state.job.enabled || !state.trigger) return;
    const due: number[] = [];
    let cursor = state.lastFire ?? state.anchor;
    let remaining =
      state.job.max_executions === null ? Number.POSITIVE_INFINITY : state.job.max_executions - state.count;
    while (due.length < MAX_MISSED_SCAN && remaining > 0) {
      const at = state.trigger.next(cursor);
      if (at === null || at > now) break;
      due.push(at);
      cursor = at;
      remaining--;
    }
    if (due.length === 0) return;
    const last = due.at(-1) as number;
    if (due.length === 1 && now - last < ON_TIME_MS) {
      this.fire(state, last, { kind: 'schedule' });
      return;
    }
    this.misfire(state, due, now);
  }

  private misfire(state: JobState, due: number[], now: number): void {
    const { job } = state;
    const graceMs = job.misfire_grace_time * 1000;
    const late = due.filter((t) => now - t > graceMs);
    let within = due.filter((t) => now - t <= graceMs);
    // Run each in turn (coalesce off) for a bounded number; more is not what anyone wants after downtime.
    const overflow = job.coalesce ? [] : within.slice(0, Math.max(0, within.length - MAX_QUEUE));
    if (overflow.length) within = within.slice(overflow.length);
    const skipped = [...late, ...overflow];
    if (skipped.length) {
      const scanFull = due.length >= MAX_MISSED_SCAN;
      const reason = `${scanFull ? 'at least ' : ''}${skipped.length} run${skipped.length === 1 ? '' : 's'} missed while the server was down or busy (${late.length ? `later than misfire_grace_time, ${job.misfire_grace_time} s` : 'more than can run one by one'})`;
      const execution = this.newExecution(job, skipped[0] as number, {
        kind: 'misfire',
        missed: skipped.length,
        reason,
        last_missed: iso(skipped.at(-1) as number),
      });
      execution.status = 'skipped';
      execution.error = reason;
      this.recordFire(state, skipped.at(-1) as number, execution, false);
    }
    if (within.length === 0) return;
    if (job.coalesce) {
      this.fire(state, within.at(-1) as number, { kind: 'misfire', missed: within.length });
      return;
    }
    for (const t of within) this.fire(state, t, { kind: 'misfire', missed: 1 }, true);
  }

  /** A scheduled run: max_executions, then the conflict policy, then the run. */
  private fire(state: JobState, scheduled: number, info: TriggerInfo, queueOnConflict = false): void {
    const { job } = state;
    if (job.max_executions !== null && state.count >= job.max_executions) return;
    const execution = this.newExecution(job, scheduled, info);
    const busy = state.running.size + state.queue.length >= job.max_instances;
    const policy = queueOnConflict ? 'queue' : job.conflict_policy;
    if (busy && policy === 'skip') {
      execution.status = 'skipped';
      execution.error = 'Job already running (conflict_policy=skip)';
      this.recordFire(state, scheduled, execution, false);
      return;
    }
    if (busy && policy === 'queue') {
      if (state.queue.length >= MAX_QUEUE) {
        execution.status = 'skipped';
        execution.error = `Job already running and ${MAX_QUEUE} runs queued (conflict_policy=queue)`;
        this.recordFire(state, scheduled, execution, false);
        return;
      }
      this.recordFire(state, scheduled, execution, true);
      state.queue.push(execution);
      return;
    }
    if (busy) {
      // replace: the oldest run gives way (its slot frees as soon as it is cancelled).
      const oldest = [...state.running.values()][0];
      oldest?.controller.abort(new Error(`replaced by a newer run (conflict_policy=replace)`));
    }
    this.recordFire(state, scheduled, execution, true, false);
    this.startRun(state, execution);
  }

  /** Moves the cursor (and the count) and stores the execution, in one transaction. */
  private recordFire(
    state: JobState,
    scheduled: number,
    execution: JobExecution,
    counted: boolean,
    save = true,
  ): void {
    const write = () => {
      this.store.advance(state.job.job_id, scheduled, counted);
      if (save) this.store.saveExecution(execution);
    };
    // Inside the fires' own transaction (onTimer) a nested one would cost a savepoint each.
    if (this.deps.db.inTransaction) write();
    else this.deps.db.transaction(write)();
    state.lastFire = scheduled;
    if (counted) state.count++;
  }

  private newExecution(job: StoredJob, scheduled: number, info: TriggerInfo): JobExecution {
    return {
      execution_id: newExecutionId(),
      job_id: job.job_id,
      status: 'pending',
      scheduled_time: iso(scheduled),
      actual_time: null,
      started_at: null,
      completed_at: null,
      duration_seconds: null,
      result: null,
      error: null,
      output: '',
      trigger_info: info,
      verdict: null,
      steps: null,
    };
  }

  // ---- runs -------------------------------------------------------------------------------------------------------

  /** Stores the run as running, publishes job_started, and runs it in the background. */
  private startRun(state: JobState, pending: JobExecution): void {
    const at = this.now();
    const execution: JobExecution = {
      ...pending,
      status: 'running',
      actual_time: iso(at),
      started_at: iso(at),
    };
    const run: Run = {
      execution,
      controller: new AbortController(),
      lines: [],
      progress: null,
      lastProgressAt: at,
      progressTimer: null,
    };
    this.store.saveExecution(execution);
    state.running.set(execution.execution_id, run);
    this.afterCommit(() =>
      this.deps.bus.publishEvent('job_started', {
        job_id: execution.job_id,
        execution_id: execution.execution_id,
        started_at: execution.started_at as string,
        scheduled_time: execution.scheduled_time,
        trigger: execution.trigger_info.kind,
      }),
    );
    // The run itself after the loop's I/O: job_started frames of jobs fired together go out before any run's work.
    this.afterCommit(() => setImmediate(() => void this.execute(state, run)));
  }

  private async execute(state: JobState, run: Run): Promise<void> {
    const { job } = state;
    const { signal } = run.controller;
    if (this.closed) return;
    let outcome: JobOutcome | undefined;
    let error: string | null = null;
    try {
      const type = this.deps.jobTypes[job.schedule_type];
      if (!type) throw new Error(`${job.schedule_type} jobs are not available on this server`);
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      aborted.catch(() => {});
      const work = this.work(job, type, this.context(state, run));
      work.catch(() => {});
      // A job type that does not watch its signal still gives way: the run ends as cancelled at once.
      outcome = await Promise.race([work, aborted]);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (this.closed || this.jobs.get(job.job_id) !== state) return;
    this.finishRun(
      state,
      run,
      outcome,
      signal.aborted ? `cancelled: ${(signal.reason as Error)?.message ?? 'aborted'}` : error,
    );
  }

  private async work(job: StoredJob, type: JobType, ctx: JobContext): Promise<JobOutcome> {
    if (job.profile_id !== null && job.equipment_id !== null) {
      const applied = await this.deps.services.profiles.apply(job.profile_id, job.equipment_id, {
        sessionId: `job:${job.job_id}`,
      });
      ctx.log(`profile '${job.profile_id}' applied (${applied.applied.length} settings)`);
    }
    return type.run(ctx);
  }

  private context(state: JobState, run: Run): JobContext {
    const { execution } = run;
    return {
      job: this.view(state),
      executionId: execution.execution_id,
      services: this.deps.services,
      signal: run.controller.signal,
      log: (line) => {
        if (run.lines.length >= MAX_OUTPUT_LINES) run.lines.splice(0, 1, '… (earlier lines dropped)');
        run.lines.push(String(line).slice(0, MAX_LINE));
      },
      progress: (done, total, label) => {
        run.progress = {
          done: Math.max(0, Math.floor(done)),
          total: Math.max(0, Math.floor(total)),
          label: label ?? null,
        };
        // At most one job_progress per PROGRESS_MS, the latest state last (a trailing publish, or at the run's end):
        // a sequence of a hundred quick steps sends a handful, not a hundred.
        if (run.progressTimer) return;
        const wait = Math.max(0, run.lastProgressAt + PROGRESS_MS - this.now());
        run.progressTimer = setTimeout(() => {
          run.progressTimer = null;
          if (this.closed || run.controller.signal.aborted || !state.running.has(execution.execution_id))
            return;
          run.lastProgressAt = this.now();
          this.deps.bus.publishEvent('job_progress', {
            job_id: execution.job_id,
            execution_id: execution.execution_id,
            ...(run.progress as NonNullable<RunningJob['progress']>),
          });
        }, wait);
        run.progressTimer.unref();
      },
    };
  }

  private finishRun(state: JobState, run: Run, outcome: JobOutcome | undefined, error: string | null): void {
    const at = this.now();
    const started = Date.parse(run.execution.started_at as string);
    const verdict: Verdict | null = outcome?.verdict ?? null;
    const failedVerdict = verdict === 'fail' || verdict === 'error';
    const cancelled = error?.startsWith('cancelled: ') ?? false;
    const execution: JobExecution = {
      ...run.execution,
      status: cancelled ? 'cancelled' : error !== null || failedVerdict ? 'failed' : 'completed',
      completed_at: iso(at),
      duration_seconds: (at - started) / 1000,
      result: jsonSafe(outcome?.result),
      error: cancelled
        ? (error as string).slice('cancelled: '.length)
        : (error ?? (failedVerdict ? (outcome?.error ?? `verdict ${verdict}`) : null)),
      output: run.lines.join('\n'),
      verdict,
      steps: outcome?.steps ? (jsonSafe(outcome.steps) as JobExecution['steps']) : null,
    };
    // A progress still waiting for its turn goes out now, before the run's end: the last state is always seen.
    if (run.progressTimer) {
      clearTimeout(run.progressTimer);
      run.progressTimer = null;
      if (run.progress)
        this.deps.bus.publishEvent('job_progress', {
          job_id: execution.job_id,
          execution_id: execution.execution_id,
          ...run.progress,
        });
    }
    this.store.saveExecution(execution);
    state.running.delete(execution.execution_id);
    this.publishFinished(state.job, execution);
    if (execution.status === 'failed' && state.job.on_failure_alarm)
      this.raiseFailureAlarm(state.job, execution);
    // The next queued run takes the freed slot.
    const next = state.queue.shift();
    if (next) this.startRun(state, next);
    else if (state.nextAt === null) this.announceFinished(state);
  }

  private publishFinished(job: StoredJob, execution: JobExecution): void {
    const common = {
      job_id: execution.job_id,
      execution_id: execution.execution_id,
      scheduled_time: execution.scheduled_time,
      trigger: execution.trigger_info.kind,
      verdict: execution.verdict,
      ...(execution.duration_seconds !== null ? { duration_seconds: execution.duration_seconds } : {}),
    };
    if (execution.status === 'completed')
      this.deps.bus.publishEvent('job_completed', {
        ...common,
        completed_at: execution.completed_at as string,
        result: execution.result,
      });
    else
      this.deps.bus.publishEvent('job_failed', {
        ...common,
        failed_at: execution.completed_at as string,
        error: execution.error ?? execution.status,
        status: execution.status,
      });
    this.deps.logger.info(
      {
        job_id: job.job_id,
        execution_id: execution.execution_id,
        status: execution.status,
        error: execution.error,
      },
      'job run finished',
    );
  }

  /** A job with no run left says so once (job_updated with status finished). */
  private announceFinished(state: JobState): void {
    if (state.finishedAnnounced || !state.job.enabled || state.running.size > 0) return;
    if (this.nextFire(state) !== null) return;
    state.finishedAnnounced = true;
    this.deps.bus.publishEvent('job_updated', this.summary(state));
  }

  // ---- failure alarms ---------------------------------------------------------------------------------------------

  /** Raises the job's own `system` alarm (made on its first failure; latching: it stays until cleared). */
  private raiseFailureAlarm(job: StoredJob, execution: JobExecution): void {
    const alarms = this.deps.alarms;
    if (!alarms) return;
    try {
      const alarm =
        this.failureAlarm(job.job_id) ??
        alarms.create(
          {
            name: `Scheduled job failed: ${job.name}`.slice(0, 100),
            description: `Raised by the scheduler when a run of job ${job.job_id} fails (on_failure_alarm).`,
            parameter: ALARM_PARAMETER,
            alarm_type: 'system',
            severity: 'warning',
            auto_clear: false,
            tags: ['scheduler', job.job_id],
          },
          'scheduler',
        );
      alarms.raiseByRequest(
        alarm.alarm_id,
        null,
        `Job '${job.name}' failed (${execution.execution_id}): ${execution.error ?? 'failed'}`.slice(0, 1000),
      );
    } catch (err) {
      this.deps.logger.warn(
        { job_id: job.job_id, err: (err as Error).message },
        'job failure alarm not raised',
      );
    }
  }

  private failureAlarm(jobId: string) {
    return this.deps.alarms
      ?.list({ alarm_type: 'system' })
      .find((a) => a.parameter === ALARM_PARAMETER && a.tags.includes(jobId));
  }

  private deleteFailureAlarm(jobId: string): void {
    try {
      const alarm = this.failureAlarm(jobId);
      if (alarm) this.deps.alarms?.delete(alarm.alarm_id);
    } catch (err) {
      this.deps.logger.warn({ job_id: jobId, err: (err as Error).message }, 'job failure alarm not deleted');
    }
  }

  // ---- executions, history, statistics ----------------------------------------------------------------------------

  /** A run, with the live output of one in progress. */
  execution(executionId: string): JobExecution {
    for (const state of this.jobs.values()) {
      const run = state.running.get(executionId);
      if (run) return this.live(run);
    }
    const stored = this.store.getExecution(executionId);
    if (!stored) throw notFound(`Execution ${executionId}`);
    return stored;
  }

  executions(query: ExecutionListQuery): JobExecution[] {
    if (query.job_id !== undefined) this.require(query.job_id);
    return this.store.listExecutions(query).map((e) => {
      const run = this.jobs.get(e.job_id)?.running.get(e.execution_id);
      return run ? this.live(run) : e;
    });
  }

  private live(run: Run): JobExecution {
    return { ...run.execution, output: run.lines.join('\n') };
  }

  running(): RunningJob[] {
    const out: RunningJob[] = [];
    for (const state of this.jobs.values())
      for (const run of state.running.values())
        out.push({
          execution_id: run.execution.execution_id,
          job_id: state.job.job_id,
          job_name: state.job.name,
          schedule_type: state.job.schedule_type,
          scheduled_time: run.execution.scheduled_time,
          started_at: run.execution.started_at as string,
          trigger_info: run.execution.trigger_info,
          progress: run.progress,
        });
    return out;
  }

  history(jobId: string): JobHistory {
    const state = this.require(jobId);
    const counts = this.store.counts(jobId);
    const recent = this.executions({ job_id: jobId, limit: 20 });
    const last = recent[0];
    const next = this.view(state).next_runs[0];
    return {
      job_id: jobId,
      job_name: state.job.name,
      total_executions: counts.total,
      successful: counts.completed,
      failed: counts.failed,
      cancelled: counts.cancelled,
      skipped: counts.skipped,
      average_duration: counts.average_duration,
      last_execution: last?.scheduled_time ?? null,
      last_status: last?.status ?? null,
      last_verdict: last?.verdict ?? null,
      next_run: next ?? null,
      recent,
    };
  }

  statistics(): ScheduleStatistics {
    const today = new Date(this.now());
    today.setUTCHours(0, 0, 0, 0);
    const counts = this.store.countsSince(today.toISOString());
    const jobs = [...this.jobs.values()];
    const upcoming = jobs
      .map((s) => ({ job_id: s.job.job_id, job_name: s.job.name, next_run: s.nextAt }))
      .filter((u): u is { job_id: string; job_name: string; next_run: number } => u.next_run !== null)
      .sort((a, b) => a.next_run - b.next_run)
      .slice(0, 10)
      .map((u) => ({ ...u, next_run: iso(u.next_run) }));
    return {
      total_jobs: jobs.length,
      active_jobs: jobs.filter((s) => s.job.enabled).length,
      disabled_jobs: jobs.filter((s) => !s.job.enabled).length,
      running_executions: jobs.reduce((n, s) => n + s.running.size, 0),
      total_executions_today: Object.values(counts).reduce((a, b) => a + b, 0),
      successful_today: counts.completed ?? 0,
      failed_today: counts.failed ?? 0,
      skipped_today: counts.skipped ?? 0,
      by_type: this.store.jobsByType(),
      upcoming_jobs: upcoming,
    };
  }

  /** Deletes runs older than the retention (30 days). */
  private prune(): void {
    const before = iso(this.now() - SCHEDULER_LIMITS.retentionDays * DAY_MS);
    const n = this.store.prune(before);
    if (n > 0) this.deps.logger.info({ deleted: n }, 'old job executions pruned');
  }

  // ---- views ------------------------------------------------------------------------------------------------------

  private require(jobId: string): JobState {
    const state = this.jobs.get(jobId);
    if (!state) throw notFound(`Job ${jobId}`);
    return state;
  }

  private view(state: JobState): ScheduledJob {
    const { job } = state;
    const next = job.enabled ? this.upcoming(state) : [];
    const finished = state.trigger === null || this.nextFire(state) === null;
    return {
      ...job,
      timezone: job.timezone ?? serverTimezone(),
      next_runs: next.map(iso),
      execution_count: state.count,
      status:
        state.running.size > 0 ? 'running' : !job.enabled ? 'paused' : finished ? 'finished' : 'scheduled',
    };
  }

  /** The next runs, within max_executions. */
  private upcoming(state: JobState): number[] {
    if (!state.trigger) return [];
    const left =
      state.job.max_executions === null ? SCHEDULER_LIMITS.nextRuns : state.job.max_executions - state.count;
    const from = Math.max(
      state.lastFire ?? state.anchor,
      state.nextAt !== null ? state.nextAt - 1 : -Infinity,
    );
    return nextRuns(state.trigger, from, Math.max(0, Math.min(left, SCHEDULER_LIMITS.nextRuns)));
  }

  private summary(state: JobState) {
    const view = this.view(state);
    return {
      job_id: view.job_id,
      name: view.name,
      schedule_type: view.schedule_type,
      trigger_type: view.trigger_type,
      enabled: view.enabled,
      status: view.status,
      next_run: view.next_runs[0] ?? null,
    };
  }

  /** Engine work run by a timer: a failure is logged, never thrown into Node's timer loop. */
  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err }, 'scheduler failed');
    }
  }
}
