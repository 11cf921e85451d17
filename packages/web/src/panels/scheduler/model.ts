// The Scheduler panel's pure logic: the job form and the request it becomes (and back), the trigger's fields for
// the preview, the test-sequence steps (add, remove, reorder, nested in repeat), the server's refusals by field,
// the live state of runs as job_* events arrive, and the words the panel shows for statuses and verdicts.

import { parseQuantity } from '../../lib/format';
import type {
  ConflictPolicy,
  ExecutionStatus,
  JobExecution,
  JobRequest,
  JobStatus,
  ScheduledJob,
  ScheduleType,
  TriggerRequest,
  TriggerType,
} from './types';

// ---- words ----------------------------------------------------------------------------------------------------

export const SCHEDULE_TYPE_TEXT: Record<ScheduleType, string> = {
  script: 'Test sequence',
  measurement: 'Measurement',
  command: 'Command',
  state_capture: 'State capture',
  equipment_test: 'Equipment test',
  acquisition: 'Acquisition',
};

export const SCHEDULE_TYPE_OPTIONS: readonly { value: ScheduleType; label: string }[] = (
  ['script', 'measurement', 'command', 'state_capture', 'equipment_test', 'acquisition'] as const
).map((value) => ({ value, label: SCHEDULE_TYPE_TEXT[value] }));

export const TRIGGER_TYPE_TEXT: Record<TriggerType, string> = {
  cron: 'Cron expression',
  interval: 'Every … (interval)',
  date: 'Once, at a date',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
};

export const TRIGGER_TYPE_OPTIONS: readonly { value: TriggerType; label: string }[] = (
  ['interval', 'daily', 'weekly', 'monthly', 'date', 'cron'] as const
).map((value) => ({ value, label: TRIGGER_TYPE_TEXT[value] }));

/** 0 = Monday … 6 = Sunday, as the server counts them. */
export const WEEKDAYS = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;

export const CONFLICT_POLICY_OPTIONS: readonly { value: ConflictPolicy; label: string }[] = [
  { value: 'skip', label: 'Skip the new run' },
  { value: 'queue', label: 'Queue it after the running one' },
  { value: 'replace', label: 'Stop the running one and start anew' },
];

export const JOB_STATUS_TEXT: Record<JobStatus, string> = {
  scheduled: 'Scheduled',
  paused: 'Paused',
  running: 'Running',
  finished: 'Finished',
};

export const EXECUTION_STATUS_TEXT: Record<ExecutionStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

export function statusText(status: string): string {
  return (
    (JOB_STATUS_TEXT as Record<string, string>)[status] ??
    (EXECUTION_STATUS_TEXT as Record<string, string>)[status] ??
    status
  );
}

export const VERDICT_TEXT: Record<string, string> = {
  pass: 'Pass',
  fail: 'Fail',
  error: 'Error',
  inconclusive: 'Inconclusive',
};

export function verdictText(verdict: string | null | undefined): string {
  if (!verdict) return '—';
  return VERDICT_TEXT[verdict] ?? verdict;
}

/** How a run came about, in words: on schedule, run now, or a late run after downtime. */
export function triggerKindText(info: { kind?: unknown } | null | undefined): string {
  switch (info?.kind) {
    case 'run_now':
      return 'Run now';
    case 'misfire':
      return 'Late (missed run)';
    case 'schedule':
      return 'On schedule';
    default:
      return typeof info?.kind === 'string' ? info.kind : '—';
  }
}

/** "1.2 s", "3 min 4 s", "—". */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${Number(seconds.toFixed(2))} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

/** A server time in this browser's local time with the date, e.g. "29/11/2026, 14:03:27"; "—" when none. */
export function dateTimeText(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A run's result in one line: compact JSON cut to `max` characters; "—" when there is none. */
export function resultText(result: unknown, max = 120): string {
  if (result === null || result === undefined) return '—';
  let text: string;
  try {
    text = typeof result === 'string' ? result : JSON.stringify(result);
  } catch {
    text = String(result);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A short summary of a job's trigger, for the list (the editor shows the server's full description). */
export function triggerSummary(
  job: Pick<
    ScheduledJob,
    | 'trigger_type'
    | 'cron_expression'
    | 'interval_seconds'
    | 'interval_minutes'
    | 'interval_hours'
    | 'interval_days'
    | 'run_date'
    | 'time_of_day'
    | 'day_of_week'
    | 'day_of_month'
  >,
): string {
  switch (job.trigger_type) {
    case 'cron':
      return `cron ${job.cron_expression ?? ''}`.trim();
    case 'interval': {
      const parts = [
        job.interval_days ? `${job.interval_days} d` : '',
        job.interval_hours ? `${job.interval_hours} h` : '',
        job.interval_minutes ? `${job.interval_minutes} min` : '',
        job.interval_seconds ? `${job.interval_seconds} s` : '',
      ].filter(Boolean);
      return `every ${parts.join(' ') || '—'}`;
    }
    case 'date':
      return `once, ${dateTimeText(job.run_date)}`;
    case 'daily':
      return `daily at ${job.time_of_day ?? '—'}`;
    case 'weekly':
      return `${WEEKDAYS[job.day_of_week ?? -1] ?? '—'}s at ${job.time_of_day ?? '—'}`;
    case 'monthly':
      return `monthly on day ${job.day_of_month ?? '—'} at ${job.time_of_day ?? '—'}`;
    default:
      return String(job.trigger_type);
  }
}

// ---- date-time inputs -----------------------------------------------------------------------------------------

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as a datetime-local input's value in this browser's time zone ("2026-11-29T14:05:00"). */
export function localInputFromIso(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** A datetime-local input's value (this browser's time zone) as an ISO UTC time; null when empty or invalid. */
export function isoFromLocalInput(value: string): string | null {
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

// ---- test-sequence steps ----------------------------------------------------------------------------------------

export const STEP_TYPES = ['set', 'wait', 'measure', 'check', 'ramp', 'repeat'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const STEP_TYPE_TEXT: Record<StepType, string> = {
  set: 'Set (run an instrument action)',
  wait: 'Wait',
  measure: 'Measure (keep a reading)',
  check: 'Check (a value within limits)',
  ramp: 'Ramp (step a setting)',
  repeat: 'Repeat (the steps inside, n times)',
};

/** The two step lists of a sequence: the steps, and the clean-up run at the end whatever happened. */
export type StepRoot = 'steps' | 'cleanup';

export const BREAK_ON_OPTIONS: readonly { value: '' | 'error' | 'fail' | 'never'; label: string }[] = [
  { value: '', label: 'Stop at a step in error (default)' },
  { value: 'fail', label: 'Stop at a failed step or one in error' },
  { value: 'never', label: 'Run every step whatever happens' },
];

/** One step as typed in the editor: numbers stay text until the request is built. */
export interface StepForm {
  /** A stable key for React while steps move about; not sent. */
  key: number;
  type: StepType;
  name: string;
  /** '' = the job's instrument. */
  equipment_id: string;
  /** set, ramp: the instrument action (set_voltage …). */
  action: string;
  /** set, ramp: the action's arguments as typed, by name (channel: "1"). */
  args: Record<string, string>;
  /** measure, check: the reading field (voltage_actual …). */
  field: string;
  /** check: an earlier measure step's name to hold to limits instead of reading `field` now. */
  measurement: string;
  /** measure, check, ramp */
  channel: string;
  /** wait */
  seconds: string;
  /** check: limits, or an expected value with a tolerance. */
  min: string;
  max: string;
  expect: string;
  tolerance: string;
  /** ramp: the argument stepped (default: the one the action sets), from, to, step, dwell at each. */
  param: string;
  from: string;
  to: string;
  step: string;
  dwell_s: string;
  /** ramp: reading fields read at each point, comma-separated. */
  measure: string;
  /** repeat */
  count: string;
  steps: StepForm[];
  /** Fields of a loaded step the editor has no input for, sent back unchanged. */
  extra: Record<string, unknown>;
}

let nextKey = 1;

export function emptyStep(type: StepType): StepForm {
  return {
    key: nextKey++,
    type,
    name: '',
    equipment_id: '',
    action: '',
    args: {},
    field: '',
    measurement: '',
    channel: '',
    seconds: type === 'wait' ? '1' : '',
    min: '',
    max: '',
    expect: '',
    tolerance: '',
    param: '',
    from: '',
    to: '',
    step: '',
    dwell_s: type === 'ramp' ? '0.5' : '',
    measure: '',
    count: type === 'repeat' ? '2' : '',
    steps: [],
    extra: {},
  };
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The step fields the editor has inputs for (any other is kept in `extra`). */
const STEP_KEYS = new Set([
  'type',
  'name',
  'equipment_id',
  'action',
  'parameters',
  'field',
  'measurement',
  'channel',
  'seconds',
  'min',
  'max',
  'expect',
  'tolerance',
  'param',
  'from',
  'to',
  'step',
  'dwell_s',
  'measure',
  'count',
  'steps',
]);

function argText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A stored step (parameters.steps[i]) in the editor. */
export function formFromStep(step: unknown): StepForm {
  const s = isRecord(step) ? step : {};
  const type = (STEP_TYPES as readonly string[]).includes(String(s.type)) ? (s.type as StepType) : 'wait';
  const args = isRecord(s.parameters)
    ? Object.fromEntries(Object.entries(s.parameters).map(([k, v]) => [k, argText(v)]))
    : {};
  return {
    ...emptyStep(type),
    name: text(s.name),
    equipment_id: text(s.equipment_id),
    action: text(s.action),
    args,
    field: text(s.field),
    measurement: text(s.measurement),
    channel: text(s.channel),
    seconds: text(s.seconds),
    min: text(s.min),
    max: text(s.max),
    expect: text(s.expect),
    tolerance: text(s.tolerance),
    param: text(s.param),
    from: text(s.from),
    to: text(s.to),
    step: text(s.step),
    dwell_s: text(s.dwell_s),
    measure: Array.isArray(s.measure) ? s.measure.map(String).join(', ') : '',
    count: text(s.count),
    steps: Array.isArray(s.steps) ? s.steps.map(formFromStep) : [],
    extra: Object.fromEntries(Object.entries(s).filter(([k]) => !STEP_KEYS.has(k))),
  };
}

/** An argument or expected value typed as text: a number when it reads as one, true/false, else the text. */
export function argValue(raw: string): unknown {
  const t = raw.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = parseQuantity(t);
  return n === null ? t : n;
}

/** Where a step sits: its index at each level, e.g. [2, 0] = the first step inside step 3. */
export type StepPath = readonly number[];

/** "2", "2.1" — a step's number as people count (from 1), nested with dots. */
export function stepLabel(path: StepPath): string {
  return path.map((i) => i + 1).join('.');
}

/** The form-error key of a step's field: "steps.2.0.seconds" (or "steps.2.0" for the step as a whole). */
export function stepErrorKey(root: StepRoot, path: StepPath, field?: string): string {
  return [root, ...path, ...(field ? [field] : [])].join('.');
}

function updateAt(
  steps: readonly StepForm[],
  path: StepPath,
  change: (list: StepForm[], index: number) => StepForm[],
): StepForm[] {
  const [head, ...rest] = path;
  if (head === undefined) return [...steps];
  if (rest.length === 0) return change([...steps], head);
  return steps.map((s, i) => (i === head ? { ...s, steps: updateAt(s.steps, rest, change) } : s));
}

/** Adds a step at the end of the list at `parent` ([] = the top level; [2] = inside step 3, a repeat). */
export function addStep(steps: readonly StepForm[], parent: StepPath, type: StepType): StepForm[] {
  const step = emptyStep(type);
  if (parent.length === 0) return [...steps, step];
  return updateAt(steps, parent, (list, i) => {
    const target = list[i];
    if (target) list[i] = { ...target, steps: [...target.steps, step] };
    return list;
  });
}

export function removeStep(steps: readonly StepForm[], path: StepPath): StepForm[] {
  return updateAt(steps, path, (list, i) => {
    list.splice(i, 1);
    return list;
  });
}

/** Moves a step up (-1) or down (+1) among its siblings; nothing happens at either end. */
export function moveStep(steps: readonly StepForm[], path: StepPath, by: -1 | 1): StepForm[] {
  return updateAt(steps, path, (list, i) => {
    const j = i + by;
    if (j < 0 || j >= list.length) return list;
    const a = list[i] as StepForm;
    list[i] = list[j] as StepForm;
    list[j] = a;
    return list;
  });
}

export function changeStep(
  steps: readonly StepForm[],
  path: StepPath,
  changes: Partial<StepForm>,
): StepForm[] {
  return updateAt(steps, path, (list, i) => {
    const target = list[i];
    if (target) list[i] = { ...target, ...changes };
    return list;
  });
}

export function stepAt(steps: readonly StepForm[], path: StepPath): StepForm | undefined {
  let list = steps;
  let step: StepForm | undefined;
  for (const i of path) {
    step = list[i];
    if (!step) return undefined;
    list = step.steps;
  }
  return step;
}

/** How many steps there are, counting those inside repeats once each. */
export function countSteps(steps: readonly StepForm[]): number {
  return steps.reduce((n, s) => n + 1 + countSteps(s.steps), 0);
}

/** The names of the measure steps before `path` (what a check may hold to limits), in order. */
export function measurementsBefore(steps: readonly StepForm[], path: StepPath): string[] {
  const names: string[] = [];
  const walk = (list: readonly StepForm[], prefix: number[]): boolean => {
    for (let i = 0; i < list.length; i++) {
      const here = [...prefix, i];
      if (here.length === path.length && here.every((v, k) => v === path[k])) return true;
      const s = list[i] as StepForm;
      if (s.type === 'measure' && (s.name.trim() || s.field)) names.push(s.name.trim() || s.field);
      if (s.type === 'ramp') continue;
      if (walk(s.steps, here)) return true;
    }
    return false;
  };
  walk(steps, []);
  return [...new Set(names)];
}

/** A stored step in a few words, e.g. "check voltage_actual (CH1) within 4.9 … 5.1", for a job's page. */
export function stepSummary(step: unknown): string {
  const s = isRecord(step) ? step : {};
  const name = typeof s.name === 'string' && s.name ? `${s.name}: ` : '';
  const on = typeof s.equipment_id === 'string' && s.equipment_id ? ` on ${s.equipment_id}` : '';
  const ch = s.channel !== undefined && s.channel !== null ? ` (CH${s.channel})` : '';
  const args = (p: unknown) =>
    isRecord(p)
      ? Object.entries(p)
          .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
          .join(' ')
      : '';
  switch (s.type) {
    case 'set':
      return `${name}set ${text(s.action)} ${args(s.parameters)}`.trim() + on;
    case 'wait':
      return `${name}wait ${text(s.seconds)} s`;
    case 'measure':
      return `${name}measure ${text(s.field)}${ch}${on}`;
    case 'check': {
      const what = s.measurement !== undefined ? text(s.measurement) : `${text(s.field)}${ch}`;
      const limits =
        s.min !== undefined && s.max !== undefined
          ? ` within ${text(s.min)} … ${text(s.max)}`
          : s.min !== undefined
            ? ` ≥ ${text(s.min)}`
            : s.max !== undefined
              ? ` ≤ ${text(s.max)}`
              : '';
      const expected =
        s.expect !== undefined
          ? ` = ${text(s.expect)}${s.tolerance !== undefined ? ` ± ${text(s.tolerance)}` : ''}`
          : '';
      return `${name}check ${what}${limits}${expected}${on}`;
    }
    case 'ramp': {
      const other = args(s.parameters);
      return (
        `${name}ramp ${text(s.action)}${s.param ? ` ${text(s.param)}` : ''} ${text(s.from)} → ${text(s.to)} ` +
        `by ${text(s.step)}, ${text(s.dwell_s)} s each${ch}${other ? ` ${other}` : ''}${on}`
      );
    }
    case 'repeat':
      return `${name}repeat ${text(s.count)}×`;
    default:
      return `${name}${text(s.type)}`;
  }
}

export type FieldErrors = Partial<Record<string, string>>;

/** A step as the server takes it, checking what the form can judge; errors go under stepErrorKey(root, path, field). */
export function stepFromForm(
  form: StepForm,
  path: StepPath,
  errors: FieldErrors,
  root: StepRoot = 'steps',
): Record<string, unknown> {
  const key = (field: string) => stepErrorKey(root, path, field);
  const number = (field: keyof StepForm, required: boolean): number | undefined => {
    const raw = String(form[field]).trim();
    if (!raw) {
      if (required) errors[key(field)] = 'Required';
      return undefined;
    }
    const value = parseQuantity(raw);
    if (value === null) errors[key(field)] = `Not a number: ${raw}`;
    return value ?? undefined;
  };
  const step: Record<string, unknown> = { ...form.extra, type: form.type };
  if (form.name.trim()) step.name = form.name.trim();
  if (form.equipment_id && form.type !== 'wait' && form.type !== 'repeat')
    step.equipment_id = form.equipment_id;
  const args = (skip: string) => {
    const entries = Object.entries(form.args)
      .filter(([name, v]) => v.trim() !== '' && name !== skip)
      .map(([name, v]) => [name, argValue(v)] as const);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  };
  const channel = () => {
    const c = number('channel', false);
    if (c !== undefined) step.channel = c;
  };
  switch (form.type) {
    case 'set':
      if (!form.action) errors[key('action')] = 'Choose an action';
      step.action = form.action;
      step.parameters = args('') ?? {};
      break;
    case 'wait': {
      const seconds = number('seconds', true);
      if (seconds !== undefined && seconds <= 0) errors[key('seconds')] = 'More than 0';
      step.seconds = seconds;
      break;
    }
    case 'measure':
      if (!form.field) errors[key('field')] = 'Choose a reading';
      step.field = form.field;
      channel();
      break;
    case 'check': {
      if (form.measurement) step.measurement = form.measurement;
      else if (form.field) {
        step.field = form.field;
        channel();
      } else errors[key('field')] = 'Choose a reading or an earlier measurement';
      const min = number('min', false);
      const max = number('max', false);
      const expect = form.expect.trim() ? argValue(form.expect) : undefined;
      const tolerance = number('tolerance', false);
      if (
        min === undefined &&
        max === undefined &&
        expect === undefined &&
        !errors[key('min')] &&
        !errors[key('max')]
      )
        errors[key('min')] = 'A low or high limit, or an expected value';
      if (min !== undefined) step.min = min;
      if (max !== undefined) step.max = max;
      if (min !== undefined && max !== undefined && min > max) errors[key('max')] = 'Below the low limit';
      if (expect !== undefined) step.expect = expect;
      if (tolerance !== undefined) {
        if (typeof expect !== 'number') errors[key('tolerance')] = 'Only with a numeric expected value';
        else if (tolerance < 0) errors[key('tolerance')] = 'At least 0';
        step.tolerance = tolerance;
      }
      break;
    }
    case 'ramp': {
      if (!form.action) errors[key('action')] = 'Choose an action';
      step.action = form.action;
      if (form.param) step.param = form.param;
      step.from = number('from', true);
      step.to = number('to', true);
      step.step = number('step', true);
      step.dwell_s = number('dwell_s', false) ?? 0;
      if (typeof step.step === 'number' && step.step <= 0) errors[key('step')] = 'More than 0';
      channel();
      const other = args(form.param);
      if (other) step.parameters = other;
      const measure = form.measure
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      if (measure.length > 0) step.measure = measure;
      break;
    }
    case 'repeat': {
      const count = number('count', true);
      if (count !== undefined && (!Number.isInteger(count) || count < 1))
        errors[key('count')] = 'A whole number, 1 or more';
      step.count = count;
      if (form.steps.length === 0) errors[stepErrorKey(root, path)] = 'A repeat needs steps inside';
      step.steps = form.steps.map((s, i) => stepFromForm(s, [...path, i], errors, root));
      break;
    }
  }
  for (const [k, v] of Object.entries(step)) if (v === undefined) delete step[k];
  return step;
}

// ---- the job form -----------------------------------------------------------------------------------------------

/** The form as typed: numbers and times stay text until the request is built, so a half-typed value is not lost. */
export interface JobForm {
  name: string;
  description: string;
  schedule_type: ScheduleType;
  equipment_id: string;
  trigger_type: TriggerType;
  cron_expression: string;
  interval_seconds: string;
  interval_minutes: string;
  interval_hours: string;
  interval_days: string;
  /** datetime-local text, in this browser's time zone */
  run_date: string;
  time_of_day: string;
  /** '0' (Monday) … '6' */
  day_of_week: string;
  day_of_month: string;
  timezone: string;
  start_date: string;
  end_date: string;
  max_executions: string;
  max_instances: string;
  misfire_grace_time: string;
  coalesce: boolean;
  conflict_policy: ConflictPolicy;
  on_failure_alarm: boolean;
  enabled: boolean;
  profile_id: string;
  tags: string;
  /** The parameters of every type but a test sequence, as JSON text. */
  parameters: string;
  /** A test sequence's steps, its clean-up steps, and when it stops early ('' = the server's default). */
  steps: StepForm[];
  cleanup: StepForm[];
  break_on: '' | 'error' | 'fail' | 'never';
  /** A test sequence's other parameters, sent back unchanged. */
  script_extra: Record<string, unknown>;
}

export function emptyForm(timezone = browserTimeZone()): JobForm {
  return {
    name: '',
    description: '',
    schedule_type: 'script',
    equipment_id: '',
    trigger_type: 'interval',
    cron_expression: '',
    interval_seconds: '',
    interval_minutes: '10',
    interval_hours: '',
    interval_days: '',
    run_date: '',
    time_of_day: '08:00',
    day_of_week: '0',
    day_of_month: '1',
    timezone,
    start_date: '',
    end_date: '',
    max_executions: '',
    max_instances: '',
    misfire_grace_time: '',
    coalesce: true,
    conflict_policy: 'skip',
    on_failure_alarm: false,
    enabled: true,
    profile_id: '',
    tags: '',
    parameters: '{}',
    steps: [],
    cleanup: [],
    break_on: '',
    script_extra: {},
  };
}

export function formFromJob(job: ScheduledJob): JobForm {
  const params = isRecord(job.parameters) ? job.parameters : {};
  const script = job.schedule_type === 'script';
  const { steps, cleanup, break_on, ...scriptExtra } = params;
  return {
    name: job.name,
    description: job.description ?? '',
    schedule_type: job.schedule_type,
    equipment_id: job.equipment_id ?? '',
    trigger_type: job.trigger_type,
    cron_expression: job.cron_expression ?? '',
    interval_seconds: text(job.interval_seconds),
    interval_minutes: text(job.interval_minutes),
    interval_hours: text(job.interval_hours),
    interval_days: text(job.interval_days),
    run_date: localInputFromIso(job.run_date),
    time_of_day: job.time_of_day ?? '',
    day_of_week: text(job.day_of_week),
    day_of_month: text(job.day_of_month),
    timezone: job.timezone ?? '',
    start_date: localInputFromIso(job.start_date),
    end_date: localInputFromIso(job.end_date),
    max_executions: text(job.max_executions),
    max_instances: job.max_instances && job.max_instances !== 1 ? String(job.max_instances) : '',
    misfire_grace_time:
      job.misfire_grace_time !== undefined && job.misfire_grace_time !== 300
        ? text(job.misfire_grace_time)
        : '',
    coalesce: job.coalesce ?? true,
    conflict_policy: job.conflict_policy ?? 'skip',
    on_failure_alarm: job.on_failure_alarm ?? false,
    enabled: job.enabled,
    profile_id: job.profile_id ?? '',
    tags: (job.tags ?? []).join(', '),
    parameters: script ? '{}' : JSON.stringify(params, null, 2),
    steps: script && Array.isArray(steps) ? steps.map(formFromStep) : [],
    cleanup: script && Array.isArray(cleanup) ? cleanup.map(formFromStep) : [],
    break_on: break_on === 'error' || break_on === 'fail' || break_on === 'never' ? break_on : '',
    script_extra: script ? scriptExtra : {},
  };
}

function numberField(
  form: JobForm,
  key: keyof JobForm,
  errors: FieldErrors,
  options: { required?: boolean; integer?: boolean; min?: number; max?: number } = {},
): number | null {
  const raw = String(form[key]).trim();
  if (!raw) {
    if (options.required) errors[key] = 'Required';
    return null;
  }
  const value = parseQuantity(raw);
  if (value === null) {
    errors[key] = `Not a number: ${raw}`;
    return null;
  }
  if (options.integer && !Number.isInteger(value)) errors[key] = 'A whole number';
  else if (options.min !== undefined && value < options.min) errors[key] = `At least ${options.min}`;
  else if (options.max !== undefined && value > options.max) errors[key] = `At most ${options.max}`;
  return value;
}

function dateField(
  form: JobForm,
  key: 'run_date' | 'start_date' | 'end_date',
  errors: FieldErrors,
  required = false,
) {
  const raw = form[key].trim();
  if (!raw) {
    if (required) errors[key] = 'Required';
    return null;
  }
  const iso = isoFromLocalInput(raw);
  if (iso === null) errors[key] = `Not a date and time: ${raw}`;
  return iso;
}

/**
 * The trigger's fields for the request (and the preview), or what cannot be sent as typed. Only the fields of
 * the chosen trigger are set; the others are null so that an edit switching type leaves nothing stale behind.
 */
export function triggerFromForm(form: JobForm): { trigger: TriggerRequest; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const t = form.trigger_type;
  const trigger: TriggerRequest = {
    trigger_type: t,
    cron_expression: null,
    interval_seconds: null,
    interval_minutes: null,
    interval_hours: null,
    interval_days: null,
    run_date: null,
    time_of_day: null,
    day_of_week: null,
    day_of_month: null,
    start_date: dateField(form, 'start_date', errors),
    end_date: dateField(form, 'end_date', errors),
  };
  if (form.timezone.trim()) trigger.timezone = form.timezone.trim();
  switch (t) {
    case 'cron':
      if (!form.cron_expression.trim()) errors.cron_expression = 'Required';
      trigger.cron_expression = form.cron_expression.trim().replace(/\s+/g, ' ');
      break;
    case 'interval': {
      trigger.interval_seconds = numberField(form, 'interval_seconds', errors, { min: 0 });
      trigger.interval_minutes = numberField(form, 'interval_minutes', errors, { min: 0 });
      trigger.interval_hours = numberField(form, 'interval_hours', errors, { min: 0 });
      trigger.interval_days = numberField(form, 'interval_days', errors, { min: 0 });
      const total =
        (trigger.interval_seconds ?? 0) +
        60 * (trigger.interval_minutes ?? 0) +
        3600 * (trigger.interval_hours ?? 0) +
        86400 * (trigger.interval_days ?? 0);
      if (
        total < 1 &&
        !errors.interval_seconds &&
        !errors.interval_minutes &&
        !errors.interval_hours &&
        !errors.interval_days
      )
        errors.interval_seconds = 'An interval of at least 1 s (seconds, minutes, hours and days add up)';
      break;
    }
    case 'date':
      trigger.run_date = dateField(form, 'run_date', errors, true);
      break;
    case 'daily':
    case 'weekly':
    case 'monthly': {
      const time = form.time_of_day.trim();
      if (!time) errors.time_of_day = 'Required';
      else if (!/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(time))
        errors.time_of_day = `Not a time (HH:MM): ${time}`;
      trigger.time_of_day = time;
      if (t === 'weekly')
        trigger.day_of_week = numberField(form, 'day_of_week', errors, {
          required: true,
          integer: true,
          min: 0,
          max: 6,
        });
      if (t === 'monthly')
        trigger.day_of_month = numberField(form, 'day_of_month', errors, {
          required: true,
          integer: true,
          min: 1,
          max: 31,
        });
      break;
    }
  }
  if (trigger.start_date && trigger.end_date && trigger.end_date <= trigger.start_date && !errors.end_date)
    errors.end_date = 'After the start';
  return { trigger, errors };
}

/** A short key of what the preview depends on: the preview is asked for again only when it changes. */
export function previewKey(trigger: TriggerRequest): string {
  return JSON.stringify(trigger);
}

/** What the parameters of each job type look like (docs/scheduler.md), shown as a hint in the editor. */
export const PARAMETER_EXAMPLES: Record<ScheduleType, string> = {
  command: '{"action": "set_output", "parameters": {"enabled": true, "channel": 1}}',
  measurement:
    '{"channel": 1, "fields": ["voltage_actual", "current_actual"], "limits": {"voltage_actual": {"min": 4.9, "max": 5.1}}}',
  state_capture: '{"profile_name": "before overnight run"}',
  equipment_test: '{"checks": ["identification", "readback"], "tolerance": 0.01}',
  acquisition: '{"sample_rate": 10, "duration_seconds": 60, "channels": ["CH1"]}',
  script: '{"steps": [{"type": "wait", "seconds": 1}]}',
};

/** Job types that act on one instrument (the others may name one). */
export function needsInstrument(type: ScheduleType): boolean {
  return type !== 'script' && type !== 'acquisition';
}

/**
 * The request a form becomes, or the fields that cannot be sent as typed. Only what the form can judge is
 * checked (numbers, dates, JSON, required fields); the server checks the rest and names the field it refuses.
 * An empty optional field is left out (the server's default) when creating, and reset when editing.
 */
export function jobFromForm(form: JobForm, editing: boolean): { request: JobRequest; errors: FieldErrors } {
  const { trigger, errors } = triggerFromForm(form);
  if (!form.name.trim()) errors.name = 'Required';
  if (needsInstrument(form.schedule_type) && !form.equipment_id) errors.equipment_id = 'Choose an instrument';
  let parameters: Record<string, unknown> = {};
  if (form.schedule_type === 'script') {
    if (form.steps.length === 0) errors.steps = 'Add at least one step';
    parameters = {
      ...form.script_extra,
      steps: form.steps.map((s, i) => stepFromForm(s, [i], errors, 'steps')),
    };
    if (form.cleanup.length > 0)
      parameters.cleanup = form.cleanup.map((s, i) => stepFromForm(s, [i], errors, 'cleanup'));
    if (form.break_on) parameters.break_on = form.break_on;
  } else {
    const raw = form.parameters.trim();
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (isRecord(parsed)) parameters = parsed;
        else errors.parameters = 'A JSON object, e.g. {"command": "get_readings"}';
      } catch (err) {
        errors.parameters = `Not JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  const request: JobRequest = {
    name: form.name.trim(),
    description: form.description.trim() || null,
    schedule_type: form.schedule_type,
    equipment_id: form.equipment_id || null,
    ...trigger,
    parameters,
    enabled: form.enabled,
    coalesce: form.coalesce,
    conflict_policy: form.conflict_policy,
    on_failure_alarm: form.on_failure_alarm,
    profile_id: form.profile_id.trim() || null,
    max_executions: numberField(form, 'max_executions', errors, { integer: true, min: 1 }),
    tags: form.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
  if (!trigger.timezone && editing) delete request.timezone;
  // Numbers the server never stores as null: left out for its default, or reset to it when editing.
  const defaults = { max_instances: 1, misfire_grace_time: 300 } as const;
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    const value = numberField(form, key, errors, {
      min: key === 'max_instances' ? 1 : 0,
      integer: key === 'max_instances',
    });
    if (value !== null) request[key] = value;
    else if (editing) request[key] = defaults[key];
  }
  return { request, errors };
}

/**
 * The form field a server refusal names: the request's key, possibly as a path ("body.time_of_day",
 * "parameters.steps[2].seconds", "/parameters/steps/2/seconds"). A step's field maps to its key in the step
 * editor ("steps.2.seconds", "cleanup.0.action"; the step itself for a field it has no input for); other
 * parameters to the parameters box (or the sequence as a whole); unknown ones to the form as a whole ("").
 */
export function formFieldOf(field: string | undefined, type?: ScheduleType): string {
  if (!field) return '';
  const parts = field
    .replace(/^(body|\/)[./]?/, '')
    .split(/[./[\]]+/)
    .filter(Boolean);
  const [head, ...rest] = parts;
  if (!head) return '';
  if (head === 'parameters') {
    if (type !== 'script') return 'parameters';
    const root = rest[0];
    if (root === 'break_on') return 'break_on';
    if (root !== 'steps' && root !== 'cleanup') return 'steps';
    const path: string[] = [];
    let name: string | undefined;
    for (let i = 1; i < rest.length; i++) {
      const part = rest[i] as string;
      if (/^\d+$/.test(part)) path.push(part);
      else if (part === 'steps' && /^\d+$/.test(rest[i + 1] ?? '')) continue;
      else {
        name = part;
        break;
      }
    }
    if (path.length === 0) return root;
    const known = name === 'parameters' ? 'args' : name && STEP_KEYS.has(name) ? name : undefined;
    return [root, ...path, ...(known ? [known] : [])].join('.');
  }
  return head in emptyForm('UTC') ? head : '';
}

// ---- live state -----------------------------------------------------------------------------------------------

/** What the panel knows of a job's latest run from the events, without a reload. */
export interface LiveRun {
  execution_id: string;
  /** running, completed, failed; cancelled (replaced, job deleted, server stopped) or skipped (seen in the history). */
  state: 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped';
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** A running sequence's progress: steps done of total, with the current step's label. */
  done: number | null;
  total: number | null;
  label: string | null;
}

export type LiveRuns = Readonly<Record<string, LiveRun>>;

export const JOB_RUN_EVENTS = ['job_started', 'job_progress', 'job_completed', 'job_failed'] as const;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The live runs after one job_* event. A late job_started or job_progress never undoes the end of its run (events
 * of a run arrive in order, but a REST read of /running may land after them).
 */
export function applyRunEvent(live: LiveRuns, type: string, data: Record<string, unknown>): LiveRuns {
  const jobId = str(data.job_id);
  const executionId = str(data.execution_id);
  if (!jobId) return live;
  if (type === 'job_deleted') {
    const { [jobId]: _, ...rest } = live;
    return rest;
  }
  if (!executionId) return live;
  const previous = live[jobId];
  const same = previous?.execution_id === executionId;
  const base: LiveRun =
    same && previous
      ? previous
      : {
          execution_id: executionId,
          state: 'running',
          started_at: null,
          finished_at: null,
          error: null,
          done: null,
          total: null,
          label: null,
        };
  const ended = same && previous && previous.state !== 'running';
  switch (type) {
    case 'job_started':
      if (ended) return live;
      return {
        ...live,
        [jobId]: { ...base, state: 'running', started_at: str(data.started_at) ?? base.started_at },
      };
    case 'job_progress': {
      if (ended) return live;
      const progress = isRecord(data.progress) ? data.progress : data;
      return {
        ...live,
        [jobId]: {
          ...base,
          state: 'running',
          done: num(progress.done) ?? base.done,
          total: num(progress.total) ?? base.total,
          label: str(progress.label) ?? base.label,
        },
      };
    }
    case 'job_completed':
      return {
        ...live,
        [jobId]: {
          ...base,
          state: 'completed',
          finished_at: str(data.completed_at),
          error: null,
          done: base.total ?? base.done,
        },
      };
    case 'job_failed':
      return {
        ...live,
        [jobId]: {
          ...base,
          state: data.status === 'cancelled' ? 'cancelled' : 'failed',
          finished_at: str(data.failed_at),
          error: str(data.error),
        },
      };
    default:
      return live;
  }
}

/** A run from the history as the live state shows it. */
export function liveFromExecution(e: JobExecution): LiveRun {
  const state: LiveRun['state'] =
    e.status === 'pending' || e.status === 'running'
      ? 'running'
      : e.status === 'completed' ||
          e.status === 'failed' ||
          e.status === 'cancelled' ||
          e.status === 'skipped'
        ? e.status
        : 'failed';
  return {
    execution_id: e.execution_id,
    state,
    started_at: e.started_at ?? e.actual_time ?? e.scheduled_time,
    finished_at: state === 'running' ? null : (e.completed_at ?? e.scheduled_time),
    error: e.error ?? (state === 'skipped' ? (e.trigger_info?.reason ?? null) : null),
    done: null,
    total: null,
    label: null,
  };
}

/**
 * The live runs after a read of the history (newest first): each job's newest run, unless the page already knows
 * a newer one (an event may arrive while the read is under way) or the same run with more to say (its progress).
 * A run the page saw running that the history says has ended ended while events were missed.
 */
export function seedLiveRuns(live: LiveRuns, executions: readonly JobExecution[]): LiveRuns {
  let next: Record<string, LiveRun> | null = null;
  const seen = new Set<string>();
  for (const e of executions) {
    if (seen.has(e.job_id)) continue;
    seen.add(e.job_id);
    const known = live[e.job_id];
    const fresh = liveFromExecution(e);
    let take: boolean;
    if (!known) take = true;
    else if (known.execution_id === e.execution_id)
      take = known.state === 'running' && fresh.state !== 'running';
    else take = (fresh.started_at ?? '') > (known.started_at ?? '');
    if (!take) continue;
    next ??= { ...live };
    next[e.job_id] = fresh;
  }
  return next ?? live;
}

/** The progress bar's value in 0…1, or null when the run's size is unknown (an indeterminate bar). */
export function progressFraction(run: Pick<LiveRun, 'done' | 'total'>): number | null {
  if (run.done === null || run.total === null || run.total <= 0) return null;
  return Math.min(1, Math.max(0, run.done / run.total));
}

/** The job list after a job_created / job_updated summary: fields merged into a known job; unknown ids say so. */
export function mergeJobSummary(
  jobs: readonly ScheduledJob[],
  data: Record<string, unknown>,
): { jobs: ScheduledJob[]; known: boolean } {
  const id = str(data.job_id);
  const index = jobs.findIndex((j) => j.job_id === id);
  if (index < 0) return { jobs: [...jobs], known: false };
  const next = [...jobs];
  next[index] = { ...(jobs[index] as ScheduledJob), ...(data as Partial<ScheduledJob>) };
  return { jobs: next, known: true };
}

/** Jobs by name, case-insensitively, so the list does not jump about as they change. */
export function sortJobs<T extends Pick<ScheduledJob, 'name' | 'job_id'>>(jobs: readonly T[]): T[] {
  return [...jobs].sort(
    (a, b) =>
      a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.job_id.localeCompare(b.job_id),
  );
}

// ---- failure alerts ---------------------------------------------------------------------------------------------

export interface JobAlertSettings {
  /** A desktop notification when a job fails. */
  desktop: boolean;
}

export const JOB_ALERTS_KEY = 'lablink.scheduler.alerts';
type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

export function loadJobAlerts(storage: Storage | undefined): JobAlertSettings {
  try {
    const saved = JSON.parse(storage?.getItem(JOB_ALERTS_KEY) ?? 'null') as Partial<JobAlertSettings> | null;
    return { desktop: typeof saved?.desktop === 'boolean' ? saved.desktop : true };
  } catch {
    return { desktop: true };
  }
}

export function saveJobAlerts(storage: Storage | undefined, settings: JobAlertSettings): void {
  try {
    storage?.setItem(JOB_ALERTS_KEY, JSON.stringify(settings));
  } catch {
    // Private browsing or a full quota: the setting holds for this page.
  }
}

/** The desktop notification for a failed run: title and body. */
export function failureNotice(jobName: string, error: string | null): { title: string; body: string } {
  return { title: `LabLink job failed: ${jobName}`, body: error?.trim() || 'The run failed.' };
}
