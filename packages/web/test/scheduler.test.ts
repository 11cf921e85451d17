// The Scheduler panel's pure logic: the job form and the request it becomes (and back), what the form refuses
// before asking the server and the server's refusals mapped to their field (a step's field to its step), the
// trigger's fields for the preview, test-sequence steps (add, remove, reorder, nested), the live state of runs
// as job_* events arrive in any order, and the remembered failure-notification setting.

import { describe, expect, it } from 'vitest';
import {
  addStep,
  applyRunEvent,
  changeStep,
  countSteps,
  durationText,
  emptyForm,
  emptyStep,
  failureNotice,
  formFieldOf,
  formFromJob,
  isoFromLocalInput,
  JOB_ALERTS_KEY,
  type JobForm,
  jobFromForm,
  type LiveRuns,
  loadJobAlerts,
  localInputFromIso,
  measurementsBefore,
  mergeJobSummary,
  moveStep,
  previewKey,
  progressFraction,
  removeStep,
  resultText,
  type StepForm,
  saveJobAlerts,
  seedLiveRuns,
  sortJobs,
  stepAt,
  stepFromForm,
  stepLabel,
  stepSummary,
  triggerFromForm,
  triggerSummary,
} from '../src/panels/scheduler/model';
import type { JobExecution, ScheduledJob } from '../src/panels/scheduler/types';

function form(overrides: Partial<JobForm> = {}): JobForm {
  return { ...emptyForm('Europe/Berlin'), name: 'Nightly PSU check', ...overrides };
}

function step(type: StepForm['type'], overrides: Partial<StepForm> = {}): StepForm {
  return { ...emptyStep(type), ...overrides };
}

function job(overrides: Partial<ScheduledJob> = {}): ScheduledJob {
  return {
    job_id: 'job_0000abcd',
    name: 'Nightly PSU check',
    description: null,
    schedule_type: 'script',
    equipment_id: 'ps_1',
    trigger_type: 'daily',
    cron_expression: null,
    interval_seconds: null,
    interval_minutes: null,
    interval_hours: null,
    interval_days: null,
    run_date: null,
    time_of_day: '02:30',
    day_of_week: null,
    day_of_month: null,
    parameters: { steps: [{ type: 'wait', seconds: 1 }] },
    enabled: true,
    max_instances: 1,
    misfire_grace_time: 300,
    coalesce: true,
    start_date: null,
    end_date: null,
    max_executions: null,
    created_at: '2026-11-29T10:00:00.000Z',
    created_by: null,
    updated_at: '2026-11-29T10:00:00.000Z',
    tags: [],
    profile_id: null,
    on_failure_alarm: false,
    conflict_policy: 'skip',
    timezone: 'Europe/Berlin',
    next_runs: ['2026-11-30T01:30:00.000Z'],
    execution_count: 0,
    status: 'scheduled',
    ...overrides,
  };
}

describe('the job form and its request', () => {
  it('asks for a name and, for a test sequence, at least one step', () => {
    const { errors } = jobFromForm(form({ name: ' ' }), false);
    expect(errors.name).toBe('Required');
    expect(errors.steps).toBe('Add at least one step');
  });

  it('makes an interval job, with only the interval fields of the trigger set', () => {
    const { request, errors } = jobFromForm(
      form({
        trigger_type: 'interval',
        interval_minutes: '5',
        interval_seconds: '30',
        time_of_day: '08:00',
        steps: [step('wait', { seconds: '2' })],
      }),
      false,
    );
    expect(errors).toEqual({});
    expect(request).toMatchObject({
      name: 'Nightly PSU check',
      schedule_type: 'script',
      trigger_type: 'interval',
      interval_minutes: 5,
      interval_seconds: 30,
      interval_hours: null,
      interval_days: null,
      time_of_day: null,
      cron_expression: null,
      timezone: 'Europe/Berlin',
      parameters: { steps: [{ type: 'wait', seconds: 2 }] },
      enabled: true,
      conflict_policy: 'skip',
    });
    // Creating: the server's defaults for what was left empty.
    expect(request).not.toHaveProperty('max_instances');
    expect(request).not.toHaveProperty('misfire_grace_time');
  });

  it('refuses an interval shorter than a second, and numbers that are not numbers', () => {
    expect(
      triggerFromForm(form({ interval_minutes: '', interval_seconds: '0.5' })).errors.interval_seconds,
    ).toMatch(/at least 1 s/);
    expect(triggerFromForm(form({ interval_minutes: 'ten' })).errors.interval_minutes).toBe(
      'Not a number: ten',
    );
    expect(triggerFromForm(form({ interval_minutes: '-1' })).errors.interval_minutes).toBe('At least 0');
  });

  it('checks each trigger type for its own fields', () => {
    expect(triggerFromForm(form({ trigger_type: 'cron', cron_expression: '  ' })).errors).toEqual({
      cron_expression: 'Required',
    });
    const cron = triggerFromForm(form({ trigger_type: 'cron', cron_expression: ' */5  * * * * ' }));
    expect(cron.trigger.cron_expression).toBe('*/5 * * * *');
    expect(triggerFromForm(form({ trigger_type: 'daily', time_of_day: '25:00' })).errors.time_of_day).toBe(
      'Not a time (HH:MM): 25:00',
    );
    expect(triggerFromForm(form({ trigger_type: 'daily', time_of_day: '' })).errors.time_of_day).toBe(
      'Required',
    );
    const weekly = triggerFromForm(
      form({ trigger_type: 'weekly', day_of_week: '4', time_of_day: '17:45:30' }),
    );
    expect(weekly.errors).toEqual({});
    expect(weekly.trigger).toMatchObject({ day_of_week: 4, time_of_day: '17:45:30', day_of_month: null });
    expect(triggerFromForm(form({ trigger_type: 'monthly', day_of_month: '32' })).errors.day_of_month).toBe(
      'At most 31',
    );
    expect(triggerFromForm(form({ trigger_type: 'monthly', day_of_month: '1.5' })).errors.day_of_month).toBe(
      'A whole number',
    );
    expect(triggerFromForm(form({ trigger_type: 'date', run_date: '' })).errors.run_date).toBe('Required');
    expect(triggerFromForm(form({ trigger_type: 'date', run_date: 'tomorrow' })).errors.run_date).toBe(
      'Not a date and time: tomorrow',
    );
  });

  it('sends dates typed in local time as UTC instants, and wants the end after the start', () => {
    const local = '2026-12-24T18:30';
    const iso = isoFromLocalInput(local) as string;
    expect(iso).toBe(new Date(local).toISOString());
    expect(localInputFromIso(iso)).toBe(`${local}:00`);
    const date = triggerFromForm(form({ trigger_type: 'date', run_date: local }));
    expect(date.trigger.run_date).toBe(iso);
    const window = triggerFromForm(form({ start_date: '2026-12-24T18:30', end_date: '2026-12-24T08:00' }));
    expect(window.errors.end_date).toBe('After the start');
  });

  it('gives the preview a key that changes only with the trigger', () => {
    const a = triggerFromForm(form({ name: 'one' })).trigger;
    const b = triggerFromForm(form({ name: 'two', steps: [step('wait')] })).trigger;
    const c = triggerFromForm(form({ interval_minutes: '11' })).trigger;
    expect(previewKey(a)).toBe(previewKey(b));
    expect(previewKey(a)).not.toBe(previewKey(c));
  });

  it('reads the parameters of other job types as a JSON object', () => {
    const base = { schedule_type: 'command' as const, equipment_id: 'ps_1' };
    expect(
      jobFromForm(form({ ...base, parameters: '{"action": "set_output"' }), false).errors.parameters,
    ).toMatch(/^Not JSON/);
    expect(jobFromForm(form({ ...base, parameters: '[1]' }), false).errors.parameters).toMatch(/JSON object/);
    const ok = jobFromForm(
      form({ ...base, parameters: '{"action": "set_output", "parameters": {"enabled": true}}' }),
      false,
    );
    expect(ok.errors).toEqual({});
    expect(ok.request.parameters).toEqual({ action: 'set_output', parameters: { enabled: true } });
    expect(
      jobFromForm(form({ schedule_type: 'measurement', parameters: '{}' }), false).errors.equipment_id,
    ).toBe('Choose an instrument');
  });

  it('sets emptied policies back to their defaults when editing', () => {
    const edited = jobFromForm(
      form({ steps: [step('wait')], max_instances: '', misfire_grace_time: '' }),
      true,
    );
    expect(edited.request).toMatchObject({ max_instances: 1, misfire_grace_time: 300, max_executions: null });
    const set = jobFromForm(
      form({ steps: [step('wait')], max_instances: '3', misfire_grace_time: '60', max_executions: '10' }),
      false,
    );
    expect(set.request).toMatchObject({ max_instances: 3, misfire_grace_time: 60, max_executions: 10 });
    expect(
      jobFromForm(form({ steps: [step('wait')], max_executions: '0' }), false).errors.max_executions,
    ).toBe('At least 1');
  });

  it('turns a stored job into the form and back into the same fields', () => {
    const stored = job({
      description: 'Output 1 at 5 V, checked',
      tags: ['psu', 'night'],
      max_instances: 2,
      max_executions: 7,
      on_failure_alarm: true,
      conflict_policy: 'queue',
      start_date: '2026-12-01T00:00:00.000Z',
      parameters: {
        break_on: 'fail',
        note: 'kept as it is',
        steps: [
          { type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } },
          {
            type: 'repeat',
            count: 3,
            steps: [{ type: 'measure', name: 'v1', field: 'voltage_actual', channel: 1 }],
          },
          { type: 'check', measurement: 'v1', min: 4.9, max: 5.1, name: 'within 2 %' },
          {
            type: 'ramp',
            action: 'set_voltage',
            from: 0,
            to: 5,
            step: 1,
            dwell_s: 0.2,
            channel: 1,
            measure: ['current_actual'],
          },
          { type: 'check', field: 'mode', expect: 'CC', future_option: true },
        ],
        cleanup: [{ type: 'set', action: 'set_output', parameters: { enabled: false, channel: 1 } }],
      },
    });
    const f = formFromJob(stored);
    expect(f).toMatchObject({
      name: 'Nightly PSU check',
      trigger_type: 'daily',
      time_of_day: '02:30',
      tags: 'psu, night',
      max_instances: '2',
      misfire_grace_time: '',
      max_executions: '7',
      break_on: 'fail',
      timezone: 'Europe/Berlin',
    });
    expect(f.steps).toHaveLength(5);
    expect(f.steps[0]?.args).toEqual({ voltage: '5', channel: '1' });
    const { request, errors } = jobFromForm(f, true);
    expect(errors).toEqual({});
    expect(request).toMatchObject({
      description: 'Output 1 at 5 V, checked',
      tags: ['psu', 'night'],
      max_instances: 2,
      misfire_grace_time: 300,
      max_executions: 7,
      on_failure_alarm: true,
      conflict_policy: 'queue',
      start_date: '2026-12-01T00:00:00.000Z',
      trigger_type: 'daily',
      time_of_day: '02:30',
    });
    expect(request.parameters).toEqual(stored.parameters);
  });
});

describe('test-sequence steps', () => {
  it('builds each step type, typed values read as numbers or true/false', () => {
    const errors = {};
    expect(
      stepFromForm(
        step('set', { action: 'set_output', args: { enabled: 'true', channel: '2', note: '' } }),
        [0],
        errors,
      ),
    ).toEqual({ type: 'set', action: 'set_output', parameters: { enabled: true, channel: 2 } });
    expect(stepFromForm(step('wait', { seconds: '1.5', name: ' settle ' }), [1], errors)).toEqual({
      type: 'wait',
      seconds: 1.5,
      name: 'settle',
    });
    expect(
      stepFromForm(
        step('measure', { field: 'voltage_actual', channel: '1', equipment_id: 'dmm_1' }),
        [2],
        errors,
      ),
    ).toEqual({
      type: 'measure',
      field: 'voltage_actual',
      channel: 1,
      equipment_id: 'dmm_1',
    });
    expect(
      stepFromForm(step('check', { field: 'voltage_actual', min: '4.9', max: '5.1' }), [3], errors),
    ).toEqual({
      type: 'check',
      field: 'voltage_actual',
      min: 4.9,
      max: 5.1,
    });
    expect(
      stepFromForm(step('check', { measurement: 'v', expect: '5', tolerance: '50m' }), [4], errors),
    ).toEqual({
      type: 'check',
      measurement: 'v',
      expect: 5,
      tolerance: 0.05,
    });
    expect(
      stepFromForm(
        step('ramp', {
          action: 'set_voltage',
          from: '0',
          to: '5',
          step: '0.5',
          dwell_s: '',
          channel: '1',
          args: { voltage: '3', channel: '1' },
          measure: 'voltage_actual, current_actual',
        }),
        [5],
        errors,
      ),
    ).toEqual({
      type: 'ramp',
      action: 'set_voltage',
      from: 0,
      to: 5,
      step: 0.5,
      dwell_s: 0,
      channel: 1,
      parameters: { voltage: 3, channel: 1 },
      measure: ['voltage_actual', 'current_actual'],
    });
    expect(errors).toEqual({});
  });

  it('names what is missing or wrong at the step and field, nested steps too', () => {
    const errors: Record<string, string> = {};
    stepFromForm(step('set'), [0], errors);
    stepFromForm(step('wait', { seconds: '0' }), [1], errors);
    stepFromForm(step('check', { field: 'voltage_actual' }), [2], errors);
    stepFromForm(step('check', { field: 'voltage_actual', min: '5', max: '4' }), [3], errors);
    stepFromForm(step('check', { field: 'mode', expect: 'CC', tolerance: '1' }), [4], errors);
    stepFromForm(step('ramp', { action: 'set_voltage', from: '0', to: '1', step: '-1' }), [5], errors);
    stepFromForm(step('repeat', { count: '2.5', steps: [step('wait', { seconds: 'x' })] }), [6], errors);
    stepFromForm(step('repeat'), [7], errors, 'cleanup');
    expect(errors).toEqual({
      'steps.0.action': 'Choose an action',
      'steps.1.seconds': 'More than 0',
      'steps.2.min': 'A low or high limit, or an expected value',
      'steps.3.max': 'Below the low limit',
      'steps.4.tolerance': 'Only with a numeric expected value',
      'steps.5.step': 'More than 0',
      'steps.6.count': 'A whole number, 1 or more',
      'steps.6.0.seconds': 'Not a number: x',
      'cleanup.7': 'A repeat needs steps inside',
    });
  });

  it('adds, removes and moves steps, at the top level and inside a repeat', () => {
    let steps = addStep([], [], 'set');
    steps = addStep(steps, [], 'repeat');
    steps = addStep(steps, [1], 'measure');
    steps = addStep(steps, [1], 'wait');
    steps = addStep(steps, [], 'check');
    expect(steps.map((s) => s.type)).toEqual(['set', 'repeat', 'check']);
    expect(steps[1]?.steps.map((s) => s.type)).toEqual(['measure', 'wait']);
    expect(countSteps(steps)).toBe(5);
    const keys = steps.map((s) => s.key);
    expect(new Set(keys).size).toBe(3);

    steps = moveStep(steps, [1, 1], -1);
    expect(steps[1]?.steps.map((s) => s.type)).toEqual(['wait', 'measure']);
    expect(moveStep(steps, [0], -1)).toEqual(steps); // the first cannot go up
    expect(moveStep(steps, [2], 1)).toEqual(steps); // nor the last down
    steps = moveStep(steps, [2], -1);
    expect(steps.map((s) => s.type)).toEqual(['set', 'check', 'repeat']);
    expect(steps.map((s) => s.key)).toEqual([keys[0], keys[2], keys[1]]);

    steps = changeStep(steps, [2, 1], { field: 'voltage_actual', name: 'v' });
    expect(stepAt(steps, [2, 1])).toMatchObject({ type: 'measure', field: 'voltage_actual', name: 'v' });
    steps = removeStep(steps, [2, 0]);
    expect(steps[2]?.steps.map((s) => s.type)).toEqual(['measure']);
    steps = removeStep(steps, [0]);
    expect(steps.map((s) => s.type)).toEqual(['check', 'repeat']);
    expect(stepLabel([2, 0])).toBe('3.1');
  });

  it('offers a check the measurements taken before it', () => {
    const steps = [
      step('measure', { field: 'voltage_actual' }),
      step('repeat', { steps: [step('measure', { name: 'i', field: 'current_actual' })] }),
      step('check'),
      step('measure', { name: 'later', field: 'power' }),
    ];
    expect(measurementsBefore(steps, [2])).toEqual(['voltage_actual', 'i']);
    expect(measurementsBefore(steps, [0])).toEqual([]);
    expect(measurementsBefore(steps, [1, 0])).toEqual(['voltage_actual']);
  });
});

describe('a stored sequence in words', () => {
  it('says each step type briefly', () => {
    expect(stepSummary({ type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } })).toBe(
      'set set_voltage voltage=5 channel=1',
    );
    expect(stepSummary({ type: 'wait', seconds: 2, name: 'settle' })).toBe('settle: wait 2 s');
    expect(stepSummary({ type: 'measure', field: 'voltage_actual', channel: 1, equipment_id: 'dmm_1' })).toBe(
      'measure voltage_actual (CH1) on dmm_1',
    );
    expect(stepSummary({ type: 'check', field: 'voltage_actual', channel: 1, min: 4.9, max: 5.1 })).toBe(
      'check voltage_actual (CH1) within 4.9 … 5.1',
    );
    expect(stepSummary({ type: 'check', measurement: 'v', min: 9 })).toBe('check v ≥ 9');
    expect(stepSummary({ type: 'check', field: 'mode', expect: 'CC' })).toBe('check mode = CC');
    expect(stepSummary({ type: 'check', field: 'voltage', expect: 5, tolerance: 0.1 })).toBe(
      'check voltage = 5 ± 0.1',
    );
    expect(
      stepSummary({ type: 'ramp', action: 'set_voltage', from: 0, to: 5, step: 1, dwell_s: 0.2, channel: 1 }),
    ).toBe('ramp set_voltage 0 → 5 by 1, 0.2 s each (CH1)');
    expect(stepSummary({ type: 'repeat', count: 3, steps: [] })).toBe('repeat 3×');
    expect(stepSummary(null)).toBe('');
  });
});

describe("the server's refusals by field", () => {
  it('maps a request field to the form field', () => {
    expect(formFieldOf('cron_expression')).toBe('cron_expression');
    expect(formFieldOf('body.time_of_day')).toBe('time_of_day');
    expect(formFieldOf('/run_date')).toBe('run_date');
    expect(formFieldOf('equipment_id')).toBe('equipment_id');
    expect(formFieldOf('no_such_field')).toBe('');
    expect(formFieldOf(undefined)).toBe('');
  });

  it("maps a step's field to its step in the editor", () => {
    expect(formFieldOf('parameters.steps[2].seconds', 'script')).toBe('steps.2.seconds');
    expect(formFieldOf('parameters.steps[1].steps[0].field', 'script')).toBe('steps.1.0.field');
    expect(formFieldOf('/parameters/steps/1/steps/0/field', 'script')).toBe('steps.1.0.field');
    expect(formFieldOf('parameters.cleanup[0].action', 'script')).toBe('cleanup.0.action');
    expect(formFieldOf('parameters.steps[0].parameters.voltage', 'script')).toBe('steps.0.args');
    expect(formFieldOf('parameters.steps[3].unknown_thing', 'script')).toBe('steps.3');
    expect(formFieldOf('parameters.steps', 'script')).toBe('steps');
    expect(formFieldOf('parameters.break_on', 'script')).toBe('break_on');
    expect(formFieldOf('parameters.action', 'command')).toBe('parameters');
    expect(formFieldOf('parameters.fields[0]', 'measurement')).toBe('parameters');
  });
});

describe('live runs from the events', () => {
  const started = { job_id: 'job_1', execution_id: 'exec_1', started_at: '2026-11-29T12:00:00.000Z' };

  it('follows a run from started through progress to completed', () => {
    let live: LiveRuns = {};
    live = applyRunEvent(live, 'job_started', started);
    expect(live.job_1).toMatchObject({
      state: 'running',
      execution_id: 'exec_1',
      started_at: started.started_at,
    });
    expect(progressFraction(live.job_1 as NonNullable<(typeof live)['job_1']>)).toBeNull();
    live = applyRunEvent(live, 'job_progress', {
      job_id: 'job_1',
      execution_id: 'exec_1',
      done: 1,
      total: 4,
      label: 'wait',
    });
    expect(live.job_1).toMatchObject({ state: 'running', done: 1, total: 4, label: 'wait' });
    expect(progressFraction(live.job_1 as NonNullable<(typeof live)['job_1']>)).toBe(0.25);
    live = applyRunEvent(live, 'job_completed', {
      job_id: 'job_1',
      execution_id: 'exec_1',
      completed_at: '2026-11-29T12:00:02.000Z',
      result: {},
    });
    expect(live.job_1).toMatchObject({
      state: 'completed',
      finished_at: '2026-11-29T12:00:02.000Z',
      done: 4,
    });
  });

  it('never lets a late started or progress undo the end of the run', () => {
    let live = applyRunEvent({}, 'job_failed', {
      job_id: 'job_1',
      execution_id: 'exec_1',
      failed_at: '2026-11-29T12:00:02.000Z',
      error: 'Step 2 (check voltage): 4.2 V below 4.9 V',
    });
    expect(live.job_1).toMatchObject({ state: 'failed', error: 'Step 2 (check voltage): 4.2 V below 4.9 V' });
    expect(applyRunEvent(live, 'job_started', started)).toBe(live);
    expect(applyRunEvent(live, 'job_progress', { ...started, done: 1, total: 2 })).toBe(live);
    // A new run of the job takes its place.
    live = applyRunEvent(live, 'job_started', { ...started, execution_id: 'exec_2' });
    expect(live.job_1).toMatchObject({ state: 'running', execution_id: 'exec_2', error: null });
  });

  it('keeps jobs apart, forgets a deleted job and ignores events it cannot place', () => {
    let live = applyRunEvent({}, 'job_started', started);
    live = applyRunEvent(live, 'job_started', { ...started, job_id: 'job_2', execution_id: 'exec_9' });
    expect(Object.keys(live)).toEqual(['job_1', 'job_2']);
    live = applyRunEvent(live, 'job_deleted', { job_id: 'job_1' });
    expect(Object.keys(live)).toEqual(['job_2']);
    expect(applyRunEvent(live, 'job_started', { execution_id: 'x' })).toBe(live);
    expect(applyRunEvent(live, 'job_started', { job_id: 'job_3' })).toBe(live);
    expect(applyRunEvent(live, 'something_else', started)).toBe(live);
  });

  it('says a run was cancelled rather than failed', () => {
    const live = applyRunEvent({}, 'job_failed', {
      job_id: 'job_1',
      execution_id: 'exec_1',
      failed_at: '2026-11-29T12:00:02.000Z',
      error: 'replaced by a newer run',
      status: 'cancelled',
    });
    expect(live.job_1).toMatchObject({ state: 'cancelled', error: 'replaced by a newer run' });
  });

  it("takes each job's latest run from the history, never over a newer one the events told of", () => {
    const run = (overrides: Partial<JobExecution>): JobExecution => ({
      execution_id: 'exec_a',
      job_id: 'job_1',
      status: 'completed',
      scheduled_time: '2026-11-29T11:00:00.000Z',
      actual_time: '2026-11-29T11:00:00.010Z',
      started_at: '2026-11-29T11:00:00.010Z',
      completed_at: '2026-11-29T11:00:01.000Z',
      duration_seconds: 0.99,
      result: {},
      error: null,
      output: '',
      trigger_info: { kind: 'schedule' },
      verdict: 'pass',
      steps: null,
      ...overrides,
    });
    const history = [
      run({
        execution_id: 'exec_c',
        job_id: 'job_2',
        status: 'skipped',
        started_at: null,
        actual_time: null,
        completed_at: null,
        trigger_info: { kind: 'schedule', reason: 'Job already running (conflict_policy=skip)' },
      }),
      run({
        execution_id: 'exec_b',
        status: 'failed',
        error: 'step 2 failed',
        started_at: '2026-11-29T11:30:00.000Z',
      }),
      run({}),
    ];
    const seeded = seedLiveRuns({}, history);
    expect(seeded.job_1).toMatchObject({ execution_id: 'exec_b', state: 'failed', error: 'step 2 failed' });
    expect(seeded.job_2).toMatchObject({
      state: 'skipped',
      error: 'Job already running (conflict_policy=skip)',
    });

    // A run started (by its event) while the history was being read stays.
    const newer = applyRunEvent({}, 'job_started', {
      job_id: 'job_1',
      execution_id: 'exec_z',
      started_at: '2026-11-29T12:00:00.000Z',
    });
    expect(seedLiveRuns(newer, history).job_1).toMatchObject({ execution_id: 'exec_z', state: 'running' });
    // The same run already ended by its event stays as it is; one seen running that ended meanwhile is updated.
    const ended = applyRunEvent({}, 'job_failed', {
      job_id: 'job_1',
      execution_id: 'exec_b',
      error: 'step 2 failed',
    });
    expect(seedLiveRuns(ended, history).job_1).toBe(ended.job_1);
    const stillRunning = applyRunEvent({}, 'job_started', {
      job_id: 'job_1',
      execution_id: 'exec_b',
      started_at: '2026-11-29T11:30:00.000Z',
    });
    expect(seedLiveRuns(stillRunning, history).job_1).toMatchObject({
      execution_id: 'exec_b',
      state: 'failed',
    });
    const running = seedLiveRuns(stillRunning, [
      run({ execution_id: 'exec_b', status: 'running', completed_at: null }),
    ]);
    expect(running).toBe(stillRunning);
  });

  it('merges a job summary into a known job and sorts jobs by name', () => {
    const jobs = [job({ job_id: 'job_b', name: 'beta' }), job({ job_id: 'job_a', name: 'Alpha' })];
    const merged = mergeJobSummary(jobs, { job_id: 'job_b', enabled: false, status: 'paused' });
    expect(merged.known).toBe(true);
    expect(merged.jobs[0]).toMatchObject({ job_id: 'job_b', enabled: false, status: 'paused', name: 'beta' });
    expect(mergeJobSummary(jobs, { job_id: 'job_x' }).known).toBe(false);
    expect(sortJobs(jobs).map((j) => j.name)).toEqual(['Alpha', 'beta']);
  });
});

describe('words and numbers shown', () => {
  it('summarises each trigger type', () => {
    expect(triggerSummary(job({ trigger_type: 'cron', cron_expression: '*/5 * * * *' }))).toBe(
      'cron */5 * * * *',
    );
    expect(triggerSummary(job({ trigger_type: 'interval', interval_minutes: 5, interval_seconds: 30 }))).toBe(
      'every 5 min 30 s',
    );
    expect(triggerSummary(job({ trigger_type: 'daily', time_of_day: '08:00' }))).toBe('daily at 08:00');
    expect(triggerSummary(job({ trigger_type: 'weekly', day_of_week: 0, time_of_day: '08:00' }))).toBe(
      'Mondays at 08:00',
    );
    expect(triggerSummary(job({ trigger_type: 'monthly', day_of_month: 15, time_of_day: '08:00' }))).toBe(
      'monthly on day 15 at 08:00',
    );
  });

  it('writes durations and results briefly', () => {
    expect(durationText(null)).toBe('—');
    expect(durationText(0.1234)).toBe('0.12 s');
    expect(durationText(42.4)).toBe('42 s');
    expect(durationText(125)).toBe('2 min 5 s');
    expect(durationText(7260)).toBe('2 h 1 min');
    expect(resultText(null)).toBe('—');
    expect(resultText({ a: 1 })).toBe('{"a":1}');
    expect(resultText('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('failure notifications', () => {
  function memory() {
    const map = new Map<string, string>();
    return {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
    };
  }

  it('are on unless turned off, and the choice is remembered', () => {
    const storage = memory();
    expect(loadJobAlerts(storage)).toEqual({ desktop: true });
    expect(loadJobAlerts(undefined)).toEqual({ desktop: true });
    saveJobAlerts(storage, { desktop: false });
    expect(storage.getItem(JOB_ALERTS_KEY)).toBe('{"desktop":false}');
    expect(loadJobAlerts(storage)).toEqual({ desktop: false });
    storage.setItem(JOB_ALERTS_KEY, '{not json');
    expect(loadJobAlerts(storage)).toEqual({ desktop: true });
  });

  it('say which job failed and why', () => {
    expect(failureNotice('Nightly PSU check', 'step 2 failed')).toEqual({
      title: 'LabLink job failed: Nightly PSU check',
      body: 'step 2 failed',
    });
    expect(failureNotice('x', null).body).toBe('The run failed.');
  });
});
