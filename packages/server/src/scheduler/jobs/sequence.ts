// Declarative test sequences (the `script` job type): a list of steps — set, wait, measure, check, ramp, repeat —
// run in order on the bench, each given a verdict as OpenTAP gives them (pass, fail, inconclusive, error), and the
// run the worst of its steps' (error > fail > inconclusive > pass). There is no code in a sequence, only data: every
// step is checked when the job is created (its instrument, action, parameters, fields, sizes, each refusal naming
// the field, e.g. `parameters.steps[2].seconds`), and every instrument command goes through the one command path as
// the job's session, so locks, the emergency stop and the limits apply to a sequence as to a user.
//
// By default the sequence stops at the first step in error (`break_on: "error"`; or "fail", or "never"); the steps
// not run get no verdict. `cleanup` steps run at the end whatever happened (after a cancel: only their `set` steps).

import type { CommandInfo } from '@lablink/instruments';
import type { EquipmentView } from '../../equipment/types.js';
import { DomainError } from '../../errors.js';
import type { JobContext, JobOutcome, JobServices, ScheduledJob, StepVerdict, Verdict } from '../types.js';
import {
  abortError,
  checkChannel,
  checkCommand,
  checkField,
  checkParams,
  checkRatings,
  commandContext,
  describe,
  equipmentOf,
  fieldOfReading,
  findCommand,
  invalid,
  isObject,
  jsonSafe,
  MAX_WAIT_S,
  messageOf,
  num,
  onlyKeys,
  optionalNum,
  optionalStr,
  type Params,
  paramsOf,
  readNow,
  setParamOf,
  sleep,
  str,
  unitOf,
  worst,
} from './common.js';

// ---- the shape of a sequence (what a user writes) -----------------------------------------------------------------

interface StepBase {
  /** Shown in verdicts and logs; a measure step's value is stored under it. */
  name?: string;
}
/** Runs one instrument action (its parameters as the driver takes them, the channel among them). */
export interface SetStep extends StepBase {
  type: 'set';
  equipment_id?: string;
  action: string;
  parameters?: Record<string, unknown>;
}
export interface WaitStep extends StepBase {
  type: 'wait';
  /** 0 to 86400. */
  seconds: number;
}
/** Reads a field now and keeps it as `name` (default: the field). */
export interface MeasureStep extends StepBase {
  type: 'measure';
  equipment_id?: string;
  field: string;
  channel?: number;
}
/** Holds a value (an earlier measurement by name, or a field read now) to limits or an expected value. */
export interface CheckStep extends StepBase {
  type: 'check';
  equipment_id?: string;
  measurement?: string;
  field?: string;
  channel?: number;
  min?: number;
  max?: number;
  expect?: number | boolean | string;
  /** For a numeric `expect`: the value may differ by this much (default 0). */
  tolerance?: number;
}
/** Sets `param` of `action` from `from` to `to` in steps of `step`, dwelling `dwell_s` at each; reads `measure` there. */
export interface RampStep extends StepBase {
  type: 'ramp';
  equipment_id?: string;
  action: string;
  param?: string;
  from: number;
  to: number;
  step: number;
  dwell_s: number;
  channel?: number;
  parameters?: Record<string, unknown>;
  measure?: string[];
}
export interface RepeatStep extends StepBase {
  type: 'repeat';
  count: number;
  steps: SequenceStep[];
}
export type SequenceStep = SetStep | WaitStep | MeasureStep | CheckStep | RampStep | RepeatStep;

export interface SequenceParameters {
  steps: SequenceStep[];
  /** Stop at the first step in error (default), failed or in error, or never. */
  break_on?: 'error' | 'fail' | 'never';
  /** Run at the end, whatever happened. */
  cleanup?: SequenceStep[];
}

export const STEP_TYPES = ['set', 'wait', 'measure', 'check', 'ramp', 'repeat'] as const;
export const BREAK_ON = ['error', 'fail', 'never'] as const;

export const SEQUENCE_LIMITS = {
  /** Steps in all, nested and cleanup ones included. */
  maxSteps: 1000,
  maxRepeat: 10_000,
  maxDepth: 8,
  /** Points of one ramp. */
  maxRampPoints: 10_000,
  /** Steps run in all, repeats expanded (ramp points count each). */
  maxExecuted: 1_000_000,
  maxWaitSeconds: MAX_WAIT_S,
  /** Step verdicts kept in full; beyond, only those that are not `pass` (up to maxRecordedProblems more). */
  maxRecorded: 5000,
  maxRecordedProblems: 5000,
  /** Values kept of a measurement repeated in a loop. */
  maxSeries: 10_000,
} as const;

// ---- checked steps ------------------------------------------------------------------------------------------------

interface Compiled {
  path: string;
  type: SequenceStep['type'];
  label: string;
  /** Leaf executions this step amounts to (repeats expanded, ramp points). */
  weight: number;
  run?: never;
}
interface CSet extends Compiled {
  type: 'set';
  view: EquipmentView;
  command: CommandInfo;
  params: Params;
}
interface CWait extends Compiled {
  type: 'wait';
  seconds: number;
}
interface CMeasure extends Compiled {
  type: 'measure';
  view: EquipmentView;
  field: string;
  channel: number | undefined;
  key: string;
}
interface CCheck extends Compiled {
  type: 'check';
  source: { measurement: string } | { view: EquipmentView; field: string; channel: number | undefined };
  min?: number;
  max?: number;
  expect?: number | boolean | string;
  tolerance: number;
}
interface CRamp extends Compiled {
  type: 'ramp';
  view: EquipmentView;
  command: CommandInfo;
  param: string;
  params: Params;
  points: number[];
  dwell: number;
  channel: number | undefined;
  measure: { name: string; field: string }[];
}
interface CRepeat extends Compiled {
  type: 'repeat';
  count: number;
  steps: CStep[];
}
type CStep = CSet | CWait | CMeasure | CCheck | CRamp | CRepeat;

export interface CompiledSequence {
  steps: CStep[];
  cleanup: CStep[];
  breakOn: (typeof BREAK_ON)[number];
  /** Leaf executions of the main steps. */
  total: number;
}

const KEYS: Record<SequenceStep['type'], readonly string[]> = {
  set: ['type', 'name', 'equipment_id', 'action', 'parameters'],
  wait: ['type', 'name', 'seconds'],
  measure: ['type', 'name', 'equipment_id', 'field', 'channel'],
  check: [
    'type',
    'name',
    'equipment_id',
    'measurement',
    'field',
    'channel',
    'min',
    'max',
    'expect',
    'tolerance',
  ],
  ramp: [
    'type',
    'name',
    'equipment_id',
    'action',
    'param',
    'from',
    'to',
    'step',
    'dwell_s',
    'channel',
    'parameters',
    'measure',
  ],
  repeat: ['type', 'name', 'count', 'steps'],
};

/** Checks a sequence's parameters against the bench; throws a DomainError naming the first bad field. */
export function compileSequence(
  job: Pick<ScheduledJob, 'equipment_id' | 'parameters'>,
  services: JobServices,
): CompiledSequence {
  const p = paramsOf(job);
  onlyKeys(p, ['steps', 'break_on', 'cleanup'], 'parameters');
  const breakOn = p.break_on ?? 'error';
  if (!BREAK_ON.includes(breakOn as never)) {
    throw invalid('parameters.break_on', `parameters.break_on must be one of ${BREAK_ON.join(', ')}`);
  }
  const counter = { steps: 0 };
  const measured = new Set<string>();
  const compiler = new Compiler(job, services, counter, measured);
  if (!Array.isArray(p.steps) || p.steps.length === 0) {
    throw invalid('parameters.steps', 'parameters.steps must be a non-empty list of steps');
  }
  const steps = compiler.list(p.steps, 'parameters.steps', 'steps', 0);
  const total = steps.reduce((n, s) => n + s.weight, 0);
  if (total > SEQUENCE_LIMITS.maxExecuted) {
    throw invalid(
      'parameters.steps',
      `the sequence would run ${total} steps (repeats expanded); at most ${SEQUENCE_LIMITS.maxExecuted}`,
    );
  }
  let cleanup: CStep[] = [];
  if (p.cleanup !== undefined && p.cleanup !== null) {
    if (!Array.isArray(p.cleanup))
      throw invalid('parameters.cleanup', 'parameters.cleanup must be a list of steps');
    cleanup = compiler.list(p.cleanup, 'parameters.cleanup', 'cleanup', 0);
    if (cleanup.reduce((n, s) => n + s.weight, 0) > SEQUENCE_LIMITS.maxExecuted) {
      throw invalid('parameters.cleanup', `cleanup would run more than ${SEQUENCE_LIMITS.maxExecuted} steps`);
    }
  }
  return { steps, cleanup, breakOn: breakOn as CompiledSequence['breakOn'], total };
}

class Compiler {
  constructor(
    private readonly job: Pick<ScheduledJob, 'equipment_id' | 'parameters'>,
    private readonly services: JobServices,
    private readonly counter: { steps: number },
    /** Names of measure steps seen so far (a check may name only an earlier one). */
    private readonly measured: Set<string>,
  ) {}

  list(raw: unknown[], at: string, path: string, depth: number): CStep[] {
    if (depth > SEQUENCE_LIMITS.maxDepth) {
      throw invalid(at, `repeats may be nested ${SEQUENCE_LIMITS.maxDepth} deep at most`);
    }
    if (this.counter.steps + raw.length > SEQUENCE_LIMITS.maxSteps) {
      throw invalid(
        at,
        `a sequence has at most ${SEQUENCE_LIMITS.maxSteps} steps in all (nested ones included)`,
      );
    }
    return raw.map((step, i) => this.step(step, `${at}[${i}]`, `${path}[${i}]`, depth));
  }

  private step(raw: unknown, at: string, path: string, depth: number): CStep {
    this.counter.steps += 1;
    if (this.counter.steps > SEQUENCE_LIMITS.maxSteps) {
      throw invalid(
        at,
        `a sequence has at most ${SEQUENCE_LIMITS.maxSteps} steps in all (nested ones included)`,
      );
    }
    if (!isObject(raw)) throw invalid(at, `${at} must be an object with a type (${STEP_TYPES.join(', ')})`);
    const type = raw.type;
    if (typeof type !== 'string' || !STEP_TYPES.includes(type as never)) {
      throw invalid(
        `${at}.type`,
        `${at}.type must be one of ${STEP_TYPES.join(', ')}, not ${describe(type)}`,
      );
    }
    const t = type as SequenceStep['type'];
    onlyKeys(raw, KEYS[t], at);
    const name = optionalStr(raw.name, `${at}.name`, 100);
    const base = { path, name };
    switch (t) {
      case 'set':
        return this.set(raw, at, base);
      case 'wait': {
        const seconds = num(raw.seconds, `${at}.seconds`, { min: 0, max: SEQUENCE_LIMITS.maxWaitSeconds });
        return { path, type: 'wait', label: name ?? `wait ${seconds} s`, weight: 1, seconds };
      }
      case 'measure': {
        const view = this.equipment(raw, at);
        const field = checkField(view, raw.field, `${at}.field`);
        const channel = checkChannel(view, raw.channel, `${at}.channel`);
        const key = name ?? (raw.field as string);
        this.measured.add(key);
        const where = `${view.info.id}${channel !== undefined ? ` ch${channel}` : ''}`;
        return {
          path,
          type: 'measure',
          label: name ?? `measure ${raw.field} on ${where}`,
          weight: 1,
          view,
          field,
          channel,
          key,
        };
      }
      case 'check':
        return this.check(raw, at, base);
      case 'ramp':
        return this.ramp(raw, at, base);
      case 'repeat': {
        const count = num(raw.count, `${at}.count`, {
          min: 1,
          max: SEQUENCE_LIMITS.maxRepeat,
          integer: true,
        });
        if (!Array.isArray(raw.steps) || raw.steps.length === 0) {
          throw invalid(`${at}.steps`, `${at}.steps must be a non-empty list of steps`);
        }
        const steps = this.list(raw.steps, `${at}.steps`, `${path}.steps`, depth + 1);
        const weight = count * steps.reduce((n, s) => n + s.weight, 0);
        if (weight > SEQUENCE_LIMITS.maxExecuted) {
          throw invalid(
            `${at}.count`,
            `${at} would run ${weight} steps; at most ${SEQUENCE_LIMITS.maxExecuted} in a sequence`,
          );
        }
        return { path, type: 'repeat', label: name ?? `repeat ${count}×`, weight, count, steps };
      }
    }
  }

  private equipment(raw: Params, at: string): EquipmentView {
    return equipmentOf(this.services, this.job, raw.equipment_id, at);
  }

  private set(raw: Params, at: string, base: { path: string; name?: string }): CSet {
    const view = this.equipment(raw, at);
    const { command, params } = checkCommand(this.services, view, raw.action, raw.parameters, {
      action: `${at}.action`,
      parameters: `${at}.parameters`,
    });
    const shown = Object.entries(params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return {
      path: base.path,
      type: 'set',
      label: base.name ?? `${command.name}${shown ? ` ${shown}` : ''} on ${view.info.id}`,
      weight: 1,
      view,
      command,
      params,
    };
  }

  private check(raw: Params, at: string, base: { path: string; name?: string }): CCheck {
    const hasMeasurement = raw.measurement !== undefined && raw.measurement !== null;
    const hasField = raw.field !== undefined && raw.field !== null;
    if (hasMeasurement === hasField) {
      throw invalid(
        `${at}.measurement`,
        `${at} checks either an earlier measurement (measurement: its name) or a field read now (field), one of them`,
      );
    }
    let source: CCheck['source'];
    let what: string;
    if (hasMeasurement) {
      const name = str(raw.measurement, `${at}.measurement`, 100);
      if (!this.measured.has(name)) {
        throw invalid(
          `${at}.measurement`,
          `${at}.measurement names no earlier measure step: ${name} (measured so far: ${[...this.measured].join(', ') || 'none'})`,
        );
      }
      if (raw.equipment_id !== undefined || raw.channel !== undefined) {
        throw invalid(
          `${at}.measurement`,
          `${at}: equipment_id and channel belong to the measure step it names`,
        );
      }
      source = { measurement: name };
      what = name;
    } else {
      const view = this.equipment(raw, at);
      const field = checkField(view, raw.field, `${at}.field`);
      source = { view, field, channel: checkChannel(view, raw.channel, `${at}.channel`) };
      what = raw.field as string;
    }
    const min = optionalNum(raw.min, `${at}.min`);
    const max = optionalNum(raw.max, `${at}.max`);
    const tolerance = optionalNum(raw.tolerance, `${at}.tolerance`, { min: 0 }) ?? 0;
    const expect = raw.expect;
    if (expect !== undefined && expect !== null) {
      const ok =
        (typeof expect === 'number' && Number.isFinite(expect)) ||
        typeof expect === 'boolean' ||
        (typeof expect === 'string' && expect.length > 0 && expect.length <= 100);
      if (!ok) throw invalid(`${at}.expect`, `${at}.expect must be a finite number, true/false or a text`);
    }
    if (min === undefined && max === undefined && (expect === undefined || expect === null)) {
      throw invalid(`${at}.min`, `${at} needs min, max or expect`);
    }
    if (min !== undefined && max !== undefined && min > max) {
      throw invalid(`${at}.min`, `${at}.min (${min}) is above max (${max})`);
    }
    if (raw.tolerance !== undefined && typeof expect !== 'number') {
      throw invalid(`${at}.tolerance`, `${at}.tolerance goes with a numeric expect`);
    }
    const limits = [
      min !== undefined ? `≥ ${min}` : null,
      max !== undefined ? `≤ ${max}` : null,
      expect !== undefined && expect !== null
        ? `= ${JSON.stringify(expect)}${tolerance ? ` ± ${tolerance}` : ''}`
        : null,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      path: base.path,
      type: 'check',
      label: base.name ?? `check ${what} ${limits}`,
      weight: 1,
      source,
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
      ...(expect !== undefined && expect !== null ? { expect: expect as number | boolean | string } : {}),
      tolerance,
    };
  }

  private ramp(raw: Params, at: string, base: { path: string; name?: string }): CRamp {
    const view = this.equipment(raw, at);
    const extra = raw.parameters ?? {};
    if (!isObject(extra)) throw invalid(`${at}.parameters`, `${at}.parameters must be an object`);
    const channel = checkChannel(view, raw.channel, `${at}.channel`);
    const command = findCommand(this.services, view, raw.action, `${at}.action`);
    const param = raw.param !== undefined ? str(raw.param, `${at}.param`, 64) : setParamOf(command);
    if (param === undefined) {
      throw invalid(`${at}.param`, `${at}.param: say which parameter of ${command.name} the ramp sets`);
    }
    const spec = Object.hasOwn(command.params, param) ? command.params[param] : undefined;
    if (!spec || (spec.type !== 'number' && spec.type !== 'integer')) {
      throw invalid(`${at}.param`, `${command.name} has no numeric parameter ${param}`);
    }
    const from = num(raw.from, `${at}.from`);
    const to = num(raw.to, `${at}.to`);
    const step = num(raw.step, `${at}.step`, { min: 0, exclusiveMin: true });
    const dwell = num(raw.dwell_s, `${at}.dwell_s`, { min: 0, max: SEQUENCE_LIMITS.maxWaitSeconds });
    const span = Math.abs(to - from);
    if (span / step + 1 > SEQUENCE_LIMITS.maxRampPoints) {
      throw invalid(
        `${at}.step`,
        `${at} would have more than ${SEQUENCE_LIMITS.maxRampPoints} points: take a larger step`,
      );
    }
    const count = Math.floor(span / step + 1e-9) + 1;
    const sign = to >= from ? 1 : -1;
    const points: number[] = [];
    for (let i = 0; i < count; i++) points.push(Number((from + sign * i * step).toPrecision(12)));
    if (points[points.length - 1] !== to) points.push(to);
    const params: Params = { ...extra };
    if (channel !== undefined) {
      if (!Object.hasOwn(command.params, 'channel'))
        throw invalid(`${at}.channel`, `${command.name} takes no channel`);
      params.channel = channel;
    }
    if (param in extra)
      throw invalid(`${at}.parameters.${param}`, `${param} is what the ramp sets: leave it out`);
    // Every point must be a value the command takes (the limits are checked as each one is set).
    for (const [end, value] of [
      ['from', from],
      ['to', to],
    ] as const) {
      try {
        checkParams(command, { ...params, [param]: value }, `${at}.parameters`);
        checkRatings(view, command, { ...params, [param]: value }, `${at}.parameters`);
      } catch (err) {
        if (err instanceof DomainError && err.field === `${at}.parameters.${param}`) {
          throw new DomainError(err.code, `${at}.${end}: ${err.message}`, `${at}.${end}`);
        }
        throw err;
      }
    }
    let measure: CRamp['measure'] = [];
    if (raw.measure !== undefined && raw.measure !== null) {
      if (!Array.isArray(raw.measure) || raw.measure.length > 16) {
        throw invalid(`${at}.measure`, `${at}.measure must be a list of up to 16 reading fields`);
      }
      measure = raw.measure.map((f, i) => ({
        name: f as string,
        field: checkField(view, f, `${at}.measure[${i}]`),
      }));
    }
    return {
      path: base.path,
      type: 'ramp',
      label: base.name ?? `ramp ${param} ${from} → ${to} by ${step} on ${view.info.id}`,
      weight: points.length,
      view,
      command,
      param,
      params,
      points,
      dwell,
      channel,
      measure,
    };
  }
}

// ---- running -------------------------------------------------------------------------------------------------------

interface Measured {
  value: number | string | null;
  unit: string | null;
  field: string;
  equipment_id: string;
  channel: number | null;
  timestamp: string;
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/** Runs a checked sequence; the outcome carries the verdict of each step run and of the whole. */
export async function runSequence(ctx: JobContext, seq: CompiledSequence): Promise<JobOutcome> {
  const runner = new Runner(ctx, seq);
  return runner.run();
}

class Runner {
  private readonly measurements = new Map<string, Measured>();
  private readonly series = new Map<string, (number | string | null)[]>();
  private readonly ramps: Record<string, Params[]> = {};
  private readonly recorded: StepVerdict[] = [];
  private readonly tally: Record<Verdict, number> = { pass: 0, fail: 0, error: 0, inconclusive: 0 };
  /** The first steps that did not pass (for the error and failed_steps), and the first of each verdict. */
  private readonly problems: StepVerdict[] = [];
  private readonly first: Partial<Record<Verdict, StepVerdict>> = {};
  private omitted = 0;
  private done = 0;
  private broken: StepVerdict | null = null;
  /** After a cancel, cleanup runs only its set steps. */
  private cancelled = false;

  constructor(
    private readonly ctx: JobContext,
    private readonly seq: CompiledSequence,
  ) {}

  async run(): Promise<JobOutcome> {
    const started = Date.now();
    this.ctx.progress(0, this.seq.total, 'starting');
    let failure: unknown = null;
    try {
      await this.list(this.seq.steps, []);
    } catch (err) {
      failure = err;
      this.cancelled = true;
    }
    const notRun = this.broken ? this.seq.total - this.done : 0;
    if (this.seq.cleanup.length > 0) {
      const broken = this.broken;
      this.broken = null;
      this.ctx.log(`cleanup${this.cancelled ? ' (cancelled: set steps only)' : ''}`);
      await this.list(this.seq.cleanup, []).catch((err) => {
        failure ??= err;
      });
      this.broken = broken;
    }
    if (failure) throw failure;
    const verdict =
      worst(Object.entries(this.tally).flatMap(([v, n]) => (n > 0 ? [v as Verdict] : []))) ?? 'pass';
    this.ctx.progress(this.seq.total, this.seq.total, verdict);
    const first = this.first[verdict];
    const error =
      verdict === 'fail' || verdict === 'error'
        ? `${this.tally.fail + this.tally.error} step(s) did not pass; first ${first?.verdict === 'error' ? 'in error' : 'failed'}: ${first?.path} "${first?.label}": ${first?.message}${this.broken ? ` (the sequence stopped there; ${notRun} step(s) not run)` : ''}`
        : undefined;
    this.ctx.log(`verdict: ${verdict}`);
    const series = Object.fromEntries([...this.series.entries()].filter(([, values]) => values.length > 1));
    return {
      verdict,
      steps: this.recorded,
      ...(error ? { error } : {}),
      result: jsonSafe({
        verdict,
        summary: {
          ...this.tally,
          steps_run: this.done,
          not_run: notRun,
          duration_seconds: round((Date.now() - started) / 1000),
          ...(this.omitted > 0 ? { verdicts_not_listed: this.omitted } : {}),
        },
        measurements: Object.fromEntries(this.measurements),
        ...(Object.keys(series).length > 0 ? { series } : {}),
        ...(Object.keys(this.ramps).length > 0 ? { ramps: this.ramps } : {}),
        failed_steps: this.problems
          .filter((s) => s.verdict === 'fail' || s.verdict === 'error')
          .slice(0, 20)
          .map((s) => ({ path: s.path, label: s.label, verdict: s.verdict, message: s.message })),
      }),
    };
  }

  private async list(steps: CStep[], iterations: number[]): Promise<void> {
    for (const step of steps) {
      if (this.broken) return;
      if (this.ctx.signal.aborted && !this.cancelled) throw abortError(this.ctx.signal);
      if (step.type === 'repeat') await this.repeat(step, iterations);
      else await this.leaf(step, iterations);
    }
  }

  private async repeat(step: CRepeat, iterations: number[]): Promise<void> {
    if (this.cancelled) return;
    const t0 = Date.now();
    const before = { ...this.tally };
    let completed = 0;
    for (let i = 1; i <= step.count && !this.broken; i++) {
      await this.list(step.steps, [...iterations, i]);
      if (!this.broken) completed = i;
    }
    const inner = (Object.keys(this.tally) as Verdict[]).filter((v) => this.tally[v] > before[v]);
    const verdict = worst(inner) ?? 'pass';
    const failures = this.tally.fail - before.fail + this.tally.error - before.error;
    this.record(
      {
        path: this.pathOf(step, iterations),
        type: 'repeat',
        label: step.label,
        verdict,
        message: `${completed} of ${step.count} iterations run${failures > 0 ? `; ${failures} step(s) did not pass` : ''}`,
        duration_seconds: round((Date.now() - t0) / 1000),
      },
      false,
    );
  }

  private pathOf(step: Compiled, iterations: number[]): string {
    return iterations.length > 0 ? `${step.path}#${iterations.join('.')}` : step.path;
  }

  private async leaf(step: Exclude<CStep, CRepeat>, iterations: number[]): Promise<void> {
    if (this.cancelled && step.type !== 'set') return;
    const t0 = Date.now();
    const path = this.pathOf(step, iterations);
    let verdict: StepVerdict;
    try {
      verdict = { path, type: step.type, label: step.label, ...(await this.execute(step)) } as StepVerdict;
    } catch (err) {
      if (this.ctx.signal.aborted && !this.cancelled) throw abortError(this.ctx.signal);
      verdict = { path, type: step.type, label: step.label, verdict: 'error', message: messageOf(err) };
    }
    verdict.duration_seconds = round((Date.now() - t0) / 1000);
    this.done += step.weight;
    this.record(verdict, true);
    this.ctx.progress(Math.min(this.done, this.seq.total), this.seq.total, step.label);
    const v = verdict.verdict;
    if (
      !this.cancelled &&
      ((this.seq.breakOn === 'error' && v === 'error') ||
        (this.seq.breakOn === 'fail' && (v === 'error' || v === 'fail')))
    ) {
      this.broken = verdict;
      this.ctx.log(
        `stopping: ${path} ${v === 'error' ? 'in error' : 'failed'} (break_on: ${this.seq.breakOn})`,
      );
    }
  }

  /** Keeps a step's verdict: every one up to maxRecorded, then only those that did not pass, up to a bound. */
  private record(verdict: StepVerdict, counts: boolean): void {
    const v = verdict.verdict;
    const passed = !v || v === 'pass';
    if (counts && v) {
      this.tally[v] += 1;
      this.first[v] ??= verdict;
      if (!passed && this.problems.length < 100) this.problems.push(verdict);
    }
    const room = passed
      ? this.recorded.length < SEQUENCE_LIMITS.maxRecorded
      : this.recorded.length < SEQUENCE_LIMITS.maxRecorded + SEQUENCE_LIMITS.maxRecordedProblems;
    if (room) {
      this.recorded.push(verdict);
      this.ctx.log(
        `${verdict.path} ${v ?? '-'}: ${verdict.label}${verdict.message ? ` — ${verdict.message}` : ''}`,
      );
    } else this.omitted += 1;
  }

  private async execute(step: Exclude<CStep, CRepeat>): Promise<Partial<StepVerdict>> {
    const { services, job, signal } = this.ctx;
    switch (step.type) {
      case 'set': {
        const result = await services.equipment.execute(
          step.view.info.id,
          step.command.name,
          step.params,
          commandContext(job),
        );
        const param = setParamOf(step.command);
        const value = param !== undefined ? step.params[param] : undefined;
        return {
          verdict: 'pass',
          ...(typeof value === 'number' ? { value } : {}),
          message:
            result === undefined || result === null
              ? 'done'
              : `done: ${JSON.stringify(jsonSafe(result))}`.slice(0, 300),
        };
      }
      case 'wait':
        if (step.seconds > 0) await sleep(step.seconds * 1000, signal);
        return { verdict: 'pass', value: step.seconds, unit: 's', message: `waited ${step.seconds} s` };
      case 'measure': {
        const reading = await readNow(services, step.view, step.channel, true);
        const value = fieldOfReading(reading, step.field);
        const unit = unitOf(step.view, step.field);
        this.measurements.set(step.key, {
          value,
          unit,
          field: step.field,
          equipment_id: step.view.info.id,
          channel: step.channel ?? null,
          timestamp: typeof reading.timestamp === 'string' ? reading.timestamp : new Date().toISOString(),
        });
        const series = this.series.get(step.key) ?? [];
        if (series.length < SEQUENCE_LIMITS.maxSeries) series.push(value);
        this.series.set(step.key, series);
        return {
          verdict: value === null ? 'inconclusive' : 'pass',
          value: typeof value === 'number' ? value : null,
          unit,
          message:
            value === null
              ? `${step.key}: the instrument could not measure it`
              : `${step.key} = ${value}${unit ? ` ${unit}` : ''}`,
        };
      }
      case 'check':
        return this.check(step);
      case 'ramp':
        return this.ramp(step);
    }
  }

  private async check(step: CCheck): Promise<Partial<StepVerdict>> {
    let value: number | string | null;
    let unit: string | null;
    let what: string;
    if ('measurement' in step.source) {
      const m = this.measurements.get(step.source.measurement);
      what = step.source.measurement;
      if (!m) {
        return {
          verdict: 'inconclusive',
          value: null,
          message: `${what} was not measured (its step did not run or failed)`,
        };
      }
      value = m.value;
      unit = m.unit;
    } else {
      const { view, field, channel } = step.source;
      value = fieldOfReading(await readNow(this.ctx.services, view, channel, true), field);
      unit = unitOf(view, field);
      what = field;
    }
    const low = step.min ?? (typeof step.expect === 'number' ? step.expect - step.tolerance : null);
    const high = step.max ?? (typeof step.expect === 'number' ? step.expect + step.tolerance : null);
    const base = { value: typeof value === 'number' ? value : null, low, high, unit };
    if (value === null) return { ...base, verdict: 'inconclusive', message: `${what} could not be measured` };
    const shown = `${what} = ${typeof value === 'string' ? JSON.stringify(value) : value}${unit ? ` ${unit}` : ''}`;
    const reasons: string[] = [];
    if (step.min !== undefined && !(typeof value === 'number' && value >= step.min))
      reasons.push(`below min ${step.min}`);
    if (step.max !== undefined && !(typeof value === 'number' && value <= step.max))
      reasons.push(`above max ${step.max}`);
    if (step.expect !== undefined) {
      const e = step.expect;
      const ok =
        typeof e === 'number'
          ? typeof value === 'number' && Math.abs(value - e) <= step.tolerance + 1e-12 * Math.abs(e)
          : typeof e === 'boolean'
            ? value === (e ? 1 : 0)
            : typeof value === 'string' && value.toUpperCase() === e.toUpperCase();
      if (!ok)
        reasons.push(
          `expected ${JSON.stringify(e)}${typeof e === 'number' && step.tolerance ? ` ± ${step.tolerance}` : ''}`,
        );
    }
    if (
      reasons.length > 0 &&
      typeof value === 'string' &&
      (step.min !== undefined || step.max !== undefined)
    ) {
      reasons.splice(0, reasons.length, `a text where a number was expected`);
    }
    return reasons.length === 0
      ? { ...base, verdict: 'pass', message: shown }
      : { ...base, verdict: 'fail', message: `${shown}: ${reasons.join(', ')}` };
  }

  private async ramp(step: CRamp): Promise<Partial<StepVerdict>> {
    const { services, job, signal } = this.ctx;
    const points: Params[] = [];
    const key = step.label;
    this.ramps[key] = points;
    let last: number | null = null;
    for (const [i, value] of step.points.entries()) {
      if (signal.aborted) throw abortError(signal);
      try {
        await services.equipment.execute(
          step.view.info.id,
          step.command.name,
          { ...step.params, [step.param]: value },
          commandContext(job),
        );
      } catch (err) {
        throw new DomainError(
          err instanceof DomainError ? err.code : 'internal',
          `at ${step.param} = ${value} (point ${i + 1} of ${step.points.length}): ${messageOf(err)}`,
          undefined,
          err instanceof DomainError ? err.extra : undefined,
        );
      }
      last = value;
      if (step.dwell > 0) await sleep(step.dwell * 1000, signal);
      const point: Params = { [step.param]: value, timestamp: new Date().toISOString() };
      if (step.measure.length > 0) {
        const reading = await readNow(services, step.view, step.channel, true);
        for (const m of step.measure) point[m.name] = fieldOfReading(reading, m.field);
      }
      points.push(point);
      this.ctx.progress(
        Math.min(this.done + i + 1, this.seq.total),
        this.seq.total,
        `${step.label}: ${value}`,
      );
    }
    return {
      verdict: 'pass',
      value: last,
      message: `${step.points.length} points set, ${step.param} ${step.points[0]} → ${last}`,
    };
  }
}
