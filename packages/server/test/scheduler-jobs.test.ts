// The six scheduler job types on the simulated bench (a real server, real TCP instruments): each run through its
// runner with a JobContext as the engine builds one. Commands go through the one command path as the job's session,
// so a lock held by another session and the emergency stop refuse them; bad parameters are DomainErrors naming the
// field; results are plain JSON (no Date, no NaN).

import type { ScheduledJob } from '@lablink/protocol/rest';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors.js';
import { JOB_TYPES } from '../src/scheduler/jobs/index.js';
import type { JobContext, JobOutcome } from '../src/scheduler/types.js';
import { startTestServer, type TestServer } from './helpers.js';

type JobInput = Partial<ScheduledJob> & Pick<ScheduledJob, 'schedule_type'>;

let seq = 0;
function makeJob(input: JobInput): ScheduledJob {
  seq += 1;
  const now = new Date().toISOString();
  return {
    job_id: `job_${seq.toString(16).padStart(8, '0')}`,
    name: `test job ${seq}`,
    description: null,
    equipment_id: null,
    trigger_type: 'interval',
    cron_expression: null,
    interval_seconds: 60,
    interval_minutes: null,
    interval_hours: null,
    interval_days: null,
    run_date: null,
    time_of_day: null,
    day_of_week: null,
    day_of_month: null,
    parameters: {},
    enabled: true,
    max_instances: 1,
    misfire_grace_time: 300,
    coalesce: true,
    start_date: null,
    end_date: null,
    max_executions: null,
    created_at: now,
    created_by: null,
    updated_at: now,
    tags: [],
    profile_id: null,
    on_failure_alarm: false,
    conflict_policy: 'skip',
    timezone: 'UTC',
    next_runs: [],
    execution_count: 0,
    status: 'scheduled',
    ...input,
  };
}

interface Run {
  outcome: JobOutcome;
  log: string[];
  progress: [number, number, string | undefined][];
}

function context(server: TestServer, job: ScheduledJob, signal = new AbortController().signal) {
  const log: string[] = [];
  const progress: Run['progress'] = [];
  const ctx: JobContext = {
    job,
    executionId: `exec_${'0'.repeat(11)}${seq % 10}`,
    services: server.services,
    signal,
    log: (line) => log.push(line),
    progress: (done, total, label) => progress.push([done, total, label]),
  };
  return { ctx, log, progress };
}

/** Validates as the engine does at create time, then runs; the result must survive JSON unchanged. */
async function runJob(server: TestServer, input: JobInput, signal?: AbortSignal): Promise<Run> {
  const job = makeJob(input);
  const type = JOB_TYPES[job.schedule_type];
  type.validate(job, server.services);
  const { ctx, log, progress } = context(server, job, signal);
  const outcome = await type.run(ctx);
  expect(JSON.parse(JSON.stringify(outcome))).toEqual(outcome);
  return { outcome, log, progress };
}

/** The DomainError validate() throws for a job. */
function refusal(server: TestServer, input: JobInput): DomainError {
  try {
    JOB_TYPES[input.schedule_type].validate(makeJob(input), server.services);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`validate accepted ${JSON.stringify(input.parameters)}`);
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('it did not fail');
}

type Reading = Record<string, unknown>;

describe('scheduler job types on the simulated bench', () => {
  let server: TestServer;
  let ids: Record<string, string>;
  const readings = (id: string, channel?: number) =>
    server.services.equipment.readings(id, channel) as unknown as Promise<Reading>;

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    ids = Object.fromEntries(server.services.equipment.list().map((e) => [e.info.type, e.info.id]));
  });
  afterAll(() => server.dispose());

  describe('command', () => {
    it('runs an instrument action through the command path', async () => {
      const { outcome, log } = await runJob(server, {
        schedule_type: 'command',
        equipment_id: ids.power_supply,
        parameters: { action: 'set_voltage', parameters: { voltage: 4.2, channel: 2 } },
      });
      expect(outcome.verdict).toBe('pass');
      expect(outcome.result).toMatchObject({
        action: 'set_voltage',
        parameters: { voltage: 4.2, channel: 2 },
      });
      expect(log.join('\n')).toContain('set_voltage');
      expect((await readings(ids.power_supply as string, 2)).voltage_set).toBeCloseTo(4.2);
    });

    it('accepts `command` for the action, as LabLink 1.x jobs named it', async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'command',
        equipment_id: ids.power_supply,
        parameters: { command: 'set_current', parameters: { current: 0.5, channel: 2 } },
      });
      expect(outcome.result).toMatchObject({ action: 'set_current' });
    });

    it('fails on an instrument another session has locked, naming the lock holder', async () => {
      const locks = server.services.locks;
      const session = locks.createSession({ client_name: 'bench user' });
      const id = ids.power_supply as string;
      locks.acquire({ equipment_id: id, session_id: session.session_id });
      try {
        const err = await rejection(
          runJob(server, {
            schedule_type: 'command',
            equipment_id: id,
            parameters: { action: 'set_voltage', parameters: { voltage: 1, channel: 3 } },
          }),
        );
        expect(err.code).toBe('locked');
        expect(err.message).toContain(session.session_id);
        expect(err.extra?.locked_by).toBe(session.session_id);
      } finally {
        locks.release({ equipment_id: id, session_id: session.session_id });
      }
    });

    it.each([
      [{ action: 'fly' }, 'parameters.action', 'has no command fly'],
      [
        { action: 'set_voltage', parameters: { volts: 1 } },
        'parameters.parameters.volts',
        'no parameter volts',
      ],
      [
        { action: 'set_voltage', parameters: { voltage: '5;*RST' } },
        'parameters.parameters.voltage',
        'number',
      ],
      [{ action: 'set_voltage', parameters: { voltage: 1e308 } }, 'parameters.parameters.voltage', 'at most'],
      [{ action: 'set_voltage', parameters: {} }, 'parameters.parameters.voltage', 'needs voltage'],
      [
        { action: 'set_output', parameters: { enabled: 'yes' } },
        'parameters.parameters.enabled',
        'true or false',
      ],
      [{ action: 'set_voltage', extra: 1 }, 'parameters.extra', 'no setting extra'],
      [{ action: 'set_voltage', command: 'set_voltage' }, 'parameters.command', 'not both'],
      [{}, 'parameters.action', 'non-empty string'],
      [
        { action: 'set_voltage', parameters: { voltage: 10, channel: 3 } },
        'parameters.parameters.voltage',
        'above the rating of DP832 channel 3',
      ],
    ])('refuses %j, naming %s', (parameters, field, words) => {
      const err = refusal(server, { schedule_type: 'command', equipment_id: ids.power_supply, parameters });
      expect(err.field).toBe(field);
      expect(err.kind).toBe('invalid');
      expect(err.message).toContain(words);
    });
  });

  describe('measurement', () => {
    it('stores the readings as JSON, and holds fields to limits', async () => {
      const id = ids.power_supply as string;
      await server.services.equipment.execute(
        id,
        'set_voltage',
        { voltage: 3.3, channel: 1 },
        { source: 'system' },
      );
      const { outcome } = await runJob(server, {
        schedule_type: 'measurement',
        equipment_id: id,
        parameters: {
          channel: 1,
          fields: ['voltage_set', 'output_enabled'],
          limits: { voltage_set: { min: 3.2, max: 3.4 } },
        },
      });
      expect(outcome.verdict).toBe('pass');
      const result = outcome.result as Reading;
      expect(result.measurement).toEqual({
        voltage_set: expect.closeTo(3.3, 3),
        output_enabled: expect.any(Number),
      });
      expect(result.timestamp).toMatch(/Z$/);
      expect(outcome.steps?.[0]).toMatchObject({ verdict: 'pass', low: 3.2, high: 3.4, unit: 'V' });

      const failing = await runJob(server, {
        schedule_type: 'measurement',
        equipment_id: id,
        parameters: { channel: 1, limits: { voltage_set: { max: 3 } } },
      });
      expect(failing.outcome.verdict).toBe('fail');
      expect(failing.outcome.error).toContain('voltage_set');
      // Without fields, the whole reading is kept.
      expect((failing.outcome.result as Reading).measurement).toMatchObject({
        channel: 1,
        voltage_set: expect.any(Number),
      });
    });

    it("reads a scope's measurements and a meter's reading", async () => {
      const scope = await runJob(server, {
        schedule_type: 'measurement',
        equipment_id: ids.oscilloscope,
        parameters: { channel: 1, fields: ['vpp', 'freq'] },
      });
      expect(Object.keys((scope.outcome.result as Reading).measurement as Reading)).toEqual(['vpp', 'freq']);
      const dmm = await runJob(server, { schedule_type: 'measurement', equipment_id: ids.multimeter });
      expect((dmm.outcome.result as Reading).measurement).toMatchObject({ function: expect.any(String) });
    });

    it.each([
      [{ fields: ['volts'] }, 'parameters.fields[0]', 'no reading field volts'],
      [{ channel: 4 }, 'parameters.channel', 'at most 3'],
      [{ limits: { voltage_set: {} } }, 'parameters.limits.voltage_set', 'needs min or max'],
      [{ limits: { voltage_set: { min: 2, max: 1 } } }, 'parameters.limits.voltage_set.min', 'above max'],
      [{ limits: { voltage_set: { min: Number.NaN } } }, 'parameters.limits.voltage_set.min', 'finite'],
    ])('refuses %j, naming %s', (parameters, field, words) => {
      const err = refusal(server, {
        schedule_type: 'measurement',
        equipment_id: ids.power_supply,
        parameters,
      });
      expect(err.field).toBe(field);
      expect(err.message).toContain(words);
    });
  });

  describe('state_capture', () => {
    it("stores a supply's settings, and saves them as a profile that applies them again", async () => {
      const id = ids.power_supply as string;
      const ctx = { source: 'system' } as const;
      await server.services.equipment.execute(id, 'set_voltage', { voltage: 7.5, channel: 1 }, ctx);
      await server.services.equipment.execute(id, 'set_current', { current: 0.25, channel: 1 }, ctx);
      const { outcome } = await runJob(server, {
        schedule_type: 'state_capture',
        equipment_id: id,
        parameters: { profile_name: 'Captured PSU' },
      });
      const result = outcome.result as Reading;
      expect(result.profile_settings).toEqual({ voltage: 7.5, current_limit: 0.25, output_enabled: false });
      expect((result.state as Reading).channels).toHaveLength(3);
      expect(result.stored).toMatchObject({ profile: 'Captured PSU' });
      expect(server.services.profiles.get('Captured PSU')).toMatchObject({
        equipment_type: 'power_supply',
        settings: { voltage: 7.5, current_limit: 0.25, output_enabled: false },
        tags: ['state_capture'],
      });

      // Changed, then captured again: the profile this job type made is updated.
      await server.services.equipment.execute(id, 'set_voltage', { voltage: 6, channel: 1 }, ctx);
      await runJob(server, {
        schedule_type: 'state_capture',
        equipment_id: id,
        parameters: { profile_name: 'Captured PSU' },
      });
      expect(server.services.profiles.get('Captured PSU')?.settings).toMatchObject({ voltage: 6 });
      await server.services.profiles.apply('Captured PSU', id);
      expect((await readings(id, 1)).voltage_set).toBeCloseTo(6);
    });

    it("never overwrites a user's profile, and refuses a meter's settings as a profile", () => {
      expect(
        refusal(server, {
          schedule_type: 'state_capture',
          equipment_id: ids.power_supply,
          parameters: { profile_name: 'Power Supply - 5V Logic' },
        }).field,
      ).toBe('parameters.profile_name');
      expect(
        refusal(server, {
          schedule_type: 'state_capture',
          equipment_id: ids.multimeter,
          parameters: { profile_name: 'DMM' },
        }).message,
      ).toContain('cannot be saved as a profile');
    });

    it("captures a load's mode and setpoint", async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'state_capture',
        equipment_id: ids.electronic_load,
      });
      expect((outcome.result as Reading).profile_settings).toMatchObject({
        mode: expect.any(String),
        load_enabled: false,
      });
    });
  });

  describe('equipment_test', () => {
    it('identifies a supply, reads a set value back and restores the setpoint (no self-test on supplies)', async () => {
      const id = ids.power_supply as string;
      await server.services.equipment.execute(
        id,
        'set_voltage',
        { voltage: 2.5, channel: 1 },
        { source: 'system' },
      );
      const { outcome } = await runJob(server, { schedule_type: 'equipment_test', equipment_id: id });
      expect(outcome.verdict).toBe('pass');
      expect(outcome.steps?.map((s) => [s.type, s.verdict])).toEqual([
        ['identification', 'pass'],
        ['self_test', null],
        ['readback', 'pass'],
      ]);
      expect(outcome.steps?.[1]?.message).toContain('not run');
      expect(outcome.steps?.[2]).toMatchObject({ value: expect.closeTo(1, 3), low: 0.99, high: 1.01 });
      expect((await readings(id, 1)).voltage_set).toBeCloseTo(2.5);
    });

    it("runs a meter's *TST? self-test", async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'equipment_test',
        equipment_id: ids.multimeter,
      });
      expect(outcome.verdict).toBe('pass');
      expect(outcome.steps?.find((s) => s.type === 'self_test')).toMatchObject({ verdict: 'pass', value: 0 });
    });

    it('checks a load and a scope, each check it can do', async () => {
      const load = await runJob(server, {
        schedule_type: 'equipment_test',
        equipment_id: ids.electronic_load,
      });
      expect(load.outcome.verdict).toBe('pass');
      expect(load.outcome.steps?.find((s) => s.type === 'readback')?.verdict).toBe('pass');
      const scope = await runJob(server, {
        schedule_type: 'equipment_test',
        equipment_id: ids.oscilloscope,
        parameters: { checks: ['identification', 'self_test', 'readback'] },
      });
      expect(scope.outcome.steps?.map((s) => s.verdict)).toEqual(['pass', 'pass', null]);
    });

    it('refuses unknown checks', () => {
      const err = refusal(server, {
        schedule_type: 'equipment_test',
        equipment_id: ids.power_supply,
        parameters: { checks: ['identification', 'smoke'] },
      });
      expect(err.field).toBe('parameters.checks[1]');
    });
  });

  describe('acquisition', () => {
    it('creates and starts a session and completes when it has its samples', async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'acquisition',
        equipment_id: ids.power_supply,
        parameters: { mode: 'single_shot', sample_rate: 50, num_samples: 10, channels: ['CH1'] },
      });
      const result = outcome.result as Reading;
      expect(outcome.verdict).toBe('pass');
      expect(result).toMatchObject({ state: 'stopped', stop_reason: 'completed', samples: 10 });
      const status = server.services.acquisitions.status(result.acquisition_id as string);
      expect(status.equipment_id).toBe(ids.power_supply);
      expect(status.config.metadata).toMatchObject({ scheduled_job_id: expect.stringMatching(/^job_/) });
      expect((result.stats as Reading).mean_values).toEqual({ CH1: expect.any(Number) });
    });

    it('stops a continuous session at max_duration_s, and when the run is cancelled', async () => {
      const bounded = await runJob(server, {
        schedule_type: 'acquisition',
        parameters: { equipment_id: ids.multimeter, sample_rate: 20, max_duration_s: 0.5 },
      });
      expect(bounded.outcome.result).toMatchObject({
        state: 'stopped',
        stop_reason: expect.stringContaining('max_duration_s'),
      });

      const abort = new AbortController();
      const running = runJob(
        server,
        {
          schedule_type: 'acquisition',
          equipment_id: ids.multimeter,
          parameters: { sample_rate: 20, max_duration_s: 60 },
        },
        abort.signal,
      );
      setTimeout(() => abort.abort('job deleted'), 300);
      await expect(running).rejects.toThrow(/cancelled: job deleted/);
      const last = server.services.acquisitions.list().at(-1);
      expect(last?.state).toBe('stopped');
    });

    it.each([
      [{ sample_rate: 10 }, 'parameters.max_duration_s', 'never ends'],
      [
        { sample_rate: 10, duration_seconds: 1, trigger_config: { trigger_type: 'external' } },
        'parameters.max_duration_s',
        'may never come',
      ],
      [{ sample_rate: 'fast', duration_seconds: 1 }, 'parameters.sample_rate', 'must be number'],
      [{ sample_rate: 10, duration_seconds: 1, channels: ['CH9'] }, 'parameters.channels[0]', 'channels 1–3'],
      [
        { sample_rate: 10, duration_seconds: 1, max_duration_s: -1 },
        'parameters.max_duration_s',
        'more than 0',
      ],
      [
        { sample_rate: 10, sources: [{ equipment_id: 'ps_nope', field: 'voltage' }], duration_seconds: 1 },
        'parameters.sources[0].equipment_id',
        'no equipment',
      ],
    ])('refuses %j, naming %s', (parameters, field, words) => {
      const err = refusal(server, {
        schedule_type: 'acquisition',
        equipment_id: ids.power_supply,
        parameters,
      });
      expect(err.field).toBe(field);
      expect(err.message).toContain(words);
    });
  });

  describe('script: test sequences', () => {
    const psuSteps = (checkMax: number) => [
      { type: 'set', name: 'off', action: 'set_output', parameters: { enabled: false, channel: 1 } },
      { type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } },
      { type: 'set', action: 'set_current', parameters: { current: 1, channel: 1 } },
      { type: 'set', name: 'output on', action: 'set_output', parameters: { enabled: true, channel: 1 } },
      { type: 'wait', seconds: 0.2 },
      { type: 'measure', name: 'v_out', field: 'voltage', channel: 1 },
      { type: 'check', name: 'output voltage', measurement: 'v_out', min: 4.8, max: checkMax },
      { type: 'check', field: 'output_enabled', channel: 1, expect: true },
      {
        type: 'ramp',
        name: 'sweep',
        action: 'set_voltage',
        from: 1,
        to: 3,
        step: 1,
        dwell_s: 0.05,
        channel: 1,
        measure: ['voltage_set'],
      },
      {
        type: 'repeat',
        count: 3,
        steps: [
          { type: 'measure', name: 'v_set', field: 'voltage_set', channel: 1 },
          { type: 'check', measurement: 'v_set', expect: 3, tolerance: 0.01 },
        ],
      },
    ];
    const cleanup = [{ type: 'set', action: 'set_output', parameters: { enabled: false, channel: 1 } }];

    it('runs a passing sequence: a verdict per step, measurements, the ramp, progress to the end', async () => {
      const { outcome, progress, log } = await runJob(server, {
        schedule_type: 'script',
        equipment_id: ids.power_supply,
        parameters: { steps: psuSteps(5.2), cleanup },
      });
      expect(outcome.verdict).toBe('pass');
      const steps = outcome.steps ?? [];
      expect(steps.every((s) => s.verdict === 'pass')).toBe(true);
      expect(steps.map((s) => s.path)).toEqual([
        'steps[0]',
        'steps[1]',
        'steps[2]',
        'steps[3]',
        'steps[4]',
        'steps[5]',
        'steps[6]',
        'steps[7]',
        'steps[8]',
        'steps[9].steps[0]#1',
        'steps[9].steps[1]#1',
        'steps[9].steps[0]#2',
        'steps[9].steps[1]#2',
        'steps[9].steps[0]#3',
        'steps[9].steps[1]#3',
        'steps[9]',
        'cleanup[0]',
      ]);
      expect(steps[6]).toMatchObject({ label: 'output voltage', low: 4.8, high: 5.2, unit: 'V' });
      const result = outcome.result as Reading;
      expect((result.measurements as Reading).v_out).toMatchObject({
        value: expect.closeTo(5, 0),
        unit: 'V',
      });
      expect((result.ramps as Record<string, Reading[]>).sweep?.map((p) => p.voltage)).toEqual([1, 2, 3]);
      expect((result.series as Reading).v_set).toEqual([3, 3, 3]);
      expect(result.summary).toMatchObject({ pass: 16, fail: 0, error: 0, not_run: 0 });
      // Ramp points count in the progress: 8 steps, 3 points, 6 in the repeat.
      expect(progress.at(-1)).toEqual([17, 17, 'pass']);
      expect(log.join('\n')).toContain('verdict: pass');
      expect((await readings(ids.power_supply as string, 1)).output_enabled).toBe(false);
    });

    it('fails a sequence whose check fails, naming the failing step, and runs on to the end', async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'script',
        equipment_id: ids.power_supply,
        parameters: { steps: psuSteps(4.9), cleanup },
      });
      expect(outcome.verdict).toBe('fail');
      const failed = outcome.steps?.filter((s) => s.verdict === 'fail');
      expect(failed?.map((s) => s.path)).toEqual(['steps[6]']);
      expect(failed?.[0]?.message).toMatch(/above max 4\.9/);
      expect(outcome.error).toContain('steps[6] "output voltage"');
      // break_on defaults to error: a failed check does not stop the sequence.
      expect(outcome.steps?.some((s) => s.path === 'steps[9]')).toBe(true);
    });

    it('stops at the first failure with break_on: fail; the rest is not run', async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'script',
        equipment_id: ids.power_supply,
        parameters: { steps: psuSteps(4.9), cleanup, break_on: 'fail' },
      });
      expect(outcome.verdict).toBe('fail');
      expect(outcome.steps?.map((s) => s.path)).toEqual([
        'steps[0]',
        'steps[1]',
        'steps[2]',
        'steps[3]',
        'steps[4]',
        'steps[5]',
        'steps[6]',
        'cleanup[0]',
      ]);
      expect((outcome.result as Reading).summary).toMatchObject({ not_run: 10 });
      expect(outcome.error).toContain('not run');
    });

    it('reads a step from another instrument, and checks a text field', async () => {
      const { outcome } = await runJob(server, {
        schedule_type: 'script',
        equipment_id: ids.electronic_load,
        parameters: {
          steps: [
            { type: 'set', action: 'set_mode', parameters: { mode: 'CC' } },
            { type: 'check', field: 'mode', expect: 'cc' },
            { type: 'measure', equipment_id: ids.multimeter, field: 'value', name: 'dmm' },
          ],
        },
      });
      expect(outcome.verdict).toBe('pass');
      expect((outcome.result as Reading).measurements).toMatchObject({
        dmm: { equipment_id: ids.multimeter },
      });
    });

    it('keeps the first 5000 verdicts of a long loop, and counts them all', async () => {
      const { outcome, progress } = await runJob(server, {
        schedule_type: 'script',
        parameters: { steps: [{ type: 'repeat', count: 6000, steps: [{ type: 'wait', seconds: 0 }] }] },
      });
      expect(outcome.verdict).toBe('pass');
      expect(outcome.steps).toHaveLength(5000);
      expect(outcome.steps?.[4999]?.path).toBe('steps[0].steps[0]#5000');
      expect((outcome.result as Reading).summary).toMatchObject({
        pass: 6000,
        steps_run: 6000,
        verdicts_not_listed: 1001,
      });
      expect(progress.at(-1)).toEqual([6000, 6000, 'pass']);
    });

    it('is cancelled promptly while it waits', async () => {
      const abort = new AbortController();
      const t0 = Date.now();
      const running = runJob(
        server,
        {
          schedule_type: 'script',
          equipment_id: ids.power_supply,
          parameters: { steps: [{ type: 'wait', seconds: 30 }], cleanup },
        },
        abort.signal,
      );
      setTimeout(() => abort.abort('replaced by a newer run'), 100);
      await expect(running).rejects.toThrow(/replaced by a newer run/);
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('fails a step on an instrument another session has locked, naming the holder', async () => {
      const locks = server.services.locks;
      const session = locks.createSession({ client_name: 'other user' });
      const id = ids.power_supply as string;
      locks.acquire({ equipment_id: id, session_id: session.session_id });
      try {
        const { outcome } = await runJob(server, {
          schedule_type: 'script',
          equipment_id: id,
          parameters: {
            steps: [
              { type: 'set', action: 'set_voltage', parameters: { voltage: 2, channel: 1 } },
              { type: 'wait', seconds: 0 },
            ],
          },
        });
        expect(outcome.verdict).toBe('error');
        expect(outcome.steps).toHaveLength(1);
        expect(outcome.steps?.[0]?.message).toContain(`locked by session ${session.session_id}`);
        expect(outcome.error).toContain(session.session_id);
      } finally {
        locks.release({ equipment_id: id, session_id: session.session_id });
      }
    });

    const bad: [string, unknown, string, string][] = [
      ['no steps', { steps: [] }, 'parameters.steps', 'non-empty'],
      [
        'an unknown step type',
        { steps: [{ type: 'exec', code: 'rm -rf /' }] },
        'parameters.steps[0].type',
        'must be one of',
      ],
      [
        'a NaN wait',
        { steps: [{ type: 'wait', seconds: Number.NaN }] },
        'parameters.steps[0].seconds',
        'finite',
      ],
      [
        'a 1e308 s wait',
        { steps: [{ type: 'wait', seconds: 1e308 }] },
        'parameters.steps[0].seconds',
        'at most 86400',
      ],
      [
        'a negative wait',
        { steps: [{ type: 'wait', seconds: -1 }] },
        'parameters.steps[0].seconds',
        'at least 0',
      ],
      [
        'an unknown action',
        {
          steps: [
            { type: 'wait', seconds: 1 },
            { type: 'set', action: 'launch' },
          ],
        },
        'parameters.steps[1].action',
        'has no command launch',
      ],
      [
        'an unknown field',
        { steps: [{ type: 'measure', field: 'temperature' }] },
        'parameters.steps[0].field',
        'no reading field temperature',
      ],
      [
        'a check of nothing measured',
        { steps: [{ type: 'check', measurement: 'v', max: 1 }] },
        'parameters.steps[0].measurement',
        'no earlier measure step',
      ],
      [
        'a check without limits',
        { steps: [{ type: 'check', field: 'voltage' }] },
        'parameters.steps[0].min',
        'needs min, max or expect',
      ],
      [
        'a repeat of 10001',
        { steps: [{ type: 'repeat', count: 10_001, steps: [{ type: 'wait', seconds: 0 }] }] },
        'parameters.steps[0].count',
        'at most 10000',
      ],
      [
        'a nested bad step',
        {
          steps: [
            {
              type: 'repeat',
              count: 2,
              steps: [
                { type: 'wait', seconds: 0 },
                { type: 'wait', seconds: 'long' },
              ],
            },
          ],
        },
        'parameters.steps[0].steps[1].seconds',
        'finite',
      ],
      [
        '1001 steps',
        { steps: Array.from({ length: 1001 }, () => ({ type: 'wait', seconds: 0 })) },
        'parameters.steps',
        'at most 1000',
      ],
      [
        'a ramp of a million points',
        { steps: [{ type: 'ramp', action: 'set_voltage', from: 0, to: 10, step: 1e-5, dwell_s: 0 }] },
        'parameters.steps[0].step',
        'more than 10000 points',
      ],
      [
        'a ramp step of 0',
        { steps: [{ type: 'ramp', action: 'set_voltage', from: 0, to: 10, step: 0, dwell_s: 0 }] },
        'parameters.steps[0].step',
        'more than 0',
      ],
      [
        'a ramp beyond the rating',
        { steps: [{ type: 'ramp', action: 'set_voltage', from: 0, to: 1000, step: 100, dwell_s: 0 }] },
        'parameters.steps[0].to',
        'at most',
      ],
      [
        'a ramp beyond the rating of its channel',
        {
          steps: [{ type: 'ramp', action: 'set_voltage', channel: 3, from: 0, to: 6, step: 1, dwell_s: 0 }],
        },
        'parameters.steps[0].to',
        'channel 3 (5)',
      ],
      [
        'a ramp of a flag',
        {
          steps: [
            { type: 'ramp', action: 'set_output', param: 'enabled', from: 0, to: 1, step: 1, dwell_s: 0 },
          ],
        },
        'parameters.steps[0].param',
        'no numeric parameter',
      ],
      [
        'an unknown key',
        { steps: [{ type: 'wait', seconds: 1, script: 'x' }] },
        'parameters.steps[0].script',
        'no setting script',
      ],
      [
        'a bad break_on',
        { steps: [{ type: 'wait', seconds: 0 }], break_on: 'sometimes' },
        'parameters.break_on',
        'one of',
      ],
      [
        'an unknown instrument',
        { steps: [{ type: 'measure', equipment_id: 'ps_nothere', field: 'voltage' }] },
        'parameters.steps[0].equipment_id',
        'not found',
      ],
      [
        'a million steps in repeats',
        {
          steps: [
            {
              type: 'repeat',
              count: 10_000,
              steps: [{ type: 'repeat', count: 10_000, steps: [{ type: 'wait', seconds: 0 }] }],
            },
          ],
        },
        'parameters.steps[0].count',
        'at most 1000000',
      ],
    ];
    it.each(bad)('refuses %s, naming the field', (_, parameters, field, words) => {
      const err = refusal(server, {
        schedule_type: 'script',
        equipment_id: ids.power_supply,
        parameters: parameters as Record<string, unknown>,
      });
      expect(err.field).toBe(field);
      expect(err.message).toContain(words);
    });
  });
});

describe('parameters from anywhere', () => {
  let server: TestServer;
  let psu: string;
  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    psu = server.services.equipment.list().find((e) => e.info.type === 'power_supply')?.info.id as string;
  });
  afterAll(() => server.dispose());

  // What a client may send as parameters: any JSON, and shapes close to real steps with junk in their fields.
  const junk = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(1e308, -1, 0, '', '__proto__', 'constructor'),
  );
  const step = fc.record(
    {
      type: fc.constantFrom('set', 'wait', 'measure', 'check', 'ramp', 'repeat', 'exec'),
      action: fc.oneof(fc.constantFrom('set_voltage', 'set_output', 'get_readings'), junk),
      parameters: fc.oneof(
        fc.dictionary(fc.constantFrom('voltage', 'channel', 'enabled', 'constructor'), junk),
        junk,
      ),
      seconds: junk,
      field: fc.oneof(fc.constantFrom('voltage', 'output_enabled', '__proto__'), junk),
      measurement: junk,
      min: junk,
      max: junk,
      expect: junk,
      from: junk,
      to: junk,
      step: junk,
      dwell_s: junk,
      count: junk,
      steps: junk,
      param: junk,
      equipment_id: junk,
    },
    { requiredKeys: ['type'] },
  );
  const parameters = fc.oneof(
    fc.dictionary(fc.string({ maxLength: 12 }), junk, { maxKeys: 5 }),
    fc.record(
      { steps: fc.array(step, { maxLength: 4 }), break_on: junk, cleanup: junk },
      { requiredKeys: ['steps'] },
    ),
    fc.record({ action: junk, command: junk, parameters: junk, channel: junk, fields: junk, limits: junk }),
    fc.record({
      sample_rate: junk,
      duration_seconds: junk,
      max_duration_s: junk,
      channels: junk,
      sources: junk,
    }),
  );

  it('every type either accepts them or refuses with a DomainError naming a field, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(JOB_TYPES) as (keyof typeof JOB_TYPES)[])),
        parameters,
        (type, params) => {
          try {
            JOB_TYPES[type].validate(
              makeJob({
                schedule_type: type,
                equipment_id: psu,
                parameters: params as Record<string, unknown>,
              }),
              server.services,
            );
          } catch (err) {
            if (!(err instanceof DomainError)) throw err;
            expect(['invalid', 'not_found', 'unsupported', 'conflict']).toContain(err.kind);
            expect(typeof err.field).toBe('string');
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});

describe('jobs while the emergency stop is active', () => {
  let server: TestServer;
  let psu: string;

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    psu = server.services.equipment.list().find((e) => e.info.type === 'power_supply')?.info.id as string;
    await server.services.equipment.emergencyStop();
  });
  afterAll(async () => {
    server.services.safety.deactivate();
    await server.dispose();
  });

  it('a set step turning an output on is in error, and the sequence stops there', async () => {
    const job = makeJob({
      schedule_type: 'script',
      equipment_id: psu,
      parameters: {
        steps: [
          { type: 'set', action: 'set_voltage', parameters: { voltage: 0, channel: 1 } },
          { type: 'set', name: 'output on', action: 'set_output', parameters: { enabled: true, channel: 1 } },
          { type: 'measure', field: 'voltage', channel: 1 },
        ],
      },
    });
    JOB_TYPES.script.validate(job, server.services);
    const { ctx } = context(server, job);
    const outcome = await JOB_TYPES.script.run(ctx);
    expect(outcome.verdict).toBe('error');
    expect(outcome.steps?.map((s) => [s.path, s.verdict])).toEqual([
      ['steps[0]', 'pass'],
      ['steps[1]', 'error'],
    ]);
    expect(outcome.steps?.[1]?.message).toContain('Emergency stop is active');
    expect(outcome.error).toContain('steps[1] "output on"');
    const r = (await server.services.equipment.readings(psu, 1)) as unknown as Reading;
    expect(r.output_enabled).toBe(false);
  });

  it("an equipment test's readback writes the setpoint back unchanged (it could not be raised again)", async () => {
    const job = makeJob({
      schedule_type: 'equipment_test',
      equipment_id: psu,
      parameters: { checks: ['readback'] },
    });
    const outcome = await JOB_TYPES.equipment_test.run(context(server, job).ctx);
    expect(outcome.verdict).toBe('pass');
    expect(outcome.steps?.[0]?.message).toContain('emergency stop is active');
  });

  it('a command job turning an output on fails with the emergency stop', async () => {
    const job = makeJob({
      schedule_type: 'command',
      equipment_id: psu,
      parameters: { action: 'set_output', parameters: { enabled: true, channel: 2 } },
    });
    const err = await rejection(JOB_TYPES.command.run(context(server, job).ctx));
    expect(err.code).toBe('emergency_stop_active');
  });
});
