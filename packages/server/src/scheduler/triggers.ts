// Triggers: when a job fires. Six kinds, each reduced to one question — "the first run strictly after t?" — so the
// engine arms one timer per job and the preview, the job's next_runs and the misfire scan all share one answer.
// - cron, daily, weekly, monthly: a croner pattern (daily/weekly/monthly are built as one), read in the job's
//   time zone, start_date inclusive, end_date exclusive (croner's startAt/stopAt). DST as croner documents: a
//   fixed time in a spring-forward gap runs at the first valid time after it, and once in a fall-back overlap;
//   patterns with wildcards or steps skip times in a gap and run at both occurrences of a repeated time.
// - interval: every N seconds from an anchor (start_date, else the moment the trigger was set), in absolute time,
//   so DST does not touch it.
// - date: once, at run_date.
// Every parameter is checked here: a bad one is a DomainError naming its field, before anything is stored.

import type { JobTriggerType, ScheduledJob } from '@lablink/protocol/rest';
import { SCHEDULER_LIMITS } from '@lablink/protocol/rest';
import { Cron } from 'croner';
import { invalidRequest } from '../errors.js';
import { describeCron, describeInterval } from './describe.js';

/** The fields a trigger is made of (a job's, or a preview request's). */
export type TriggerSpec = Pick<
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
  | 'start_date'
  | 'end_date'
  | 'timezone'
>;

export const TRIGGER_FIELDS = [
  'trigger_type',
  'cron_expression',
  'interval_seconds',
  'interval_minutes',
  'interval_hours',
  'interval_days',
  'run_date',
  'time_of_day',
  'day_of_week',
  'day_of_month',
  'start_date',
  'end_date',
  'timezone',
] as const satisfies readonly (keyof TriggerSpec)[];

export interface Trigger {
  type: JobTriggerType;
  /** The first run strictly after `afterMs` (ms since the epoch), or null when there is none. */
  next(afterMs: number): number | null;
  /** The cron pattern it amounts to (null for interval and date). */
  cron: string | null;
  /** What it does, in words. */
  description: string;
}

let serverZone: string | undefined;
/** The server's time zone, the default of a job's. Asked on first use: Intl's time-zone data costs 8 MB of memory. */
export function serverTimezone(): string {
  serverZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return serverZone;
}

/** A time zone name Intl knows, or a 400 naming `timezone`. */
export function checkTimezone(name: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw invalidRequest('timezone', `timezone "${name}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  }
}

function parseDate(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalidRequest(field, `${field} "${value}" is not an ISO 8601 date-time`);
  return ms;
}

/** "HH:MM" or "HH:MM:SS" → [h, m, s], or a 400 naming time_of_day. */
function parseTimeOfDay(value: string | null, type: string): [number, number, number] {
  if (value === null)
    throw invalidRequest('time_of_day', `a ${type} trigger needs time_of_day ("HH:MM" or "HH:MM:SS")`);
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  const [h, min, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [Number.NaN, 0, 0];
  if (!(h >= 0 && h < 24 && min >= 0 && min < 60 && s >= 0 && s < 60))
    throw invalidRequest(
      'time_of_day',
      `time_of_day "${value}" is not a time of day ("HH:MM" or "HH:MM:SS", 00:00–23:59:59)`,
    );
  return [h, min, s];
}

/** The total interval in seconds, or a 400 naming the first interval field. */
export function intervalSeconds(spec: TriggerSpec): number {
  const parts = [
    [spec.interval_seconds, 1],
    [spec.interval_minutes, 60],
    [spec.interval_hours, 3600],
    [spec.interval_days, 86_400],
  ] as const;
  const total = parts.reduce((sum, [v, unit]) => sum + (v ?? 0) * unit, 0);
  const { min, max } = SCHEDULER_LIMITS.intervalSeconds;
  if (parts.every(([v]) => v === null || v === undefined))
    throw invalidRequest(
      'interval_seconds',
      'an interval trigger needs interval_seconds, interval_minutes, interval_hours or interval_days',
    );
  if (!(total >= min && total <= max))
    throw invalidRequest(
      'interval_seconds',
      `the interval is ${total} s; it must be ${min} s to ${max / 86_400} days`,
    );
  return total;
}

/** The croner pattern (6 fields, seconds first) of a daily, weekly or monthly trigger. */
function calendarPattern(spec: TriggerSpec): string {
  const [h, m, s] = parseTimeOfDay(spec.time_of_day, spec.trigger_type);
  if (spec.trigger_type === 'daily') return `${s} ${m} ${h} * * *`;
  if (spec.trigger_type === 'weekly') {
    if (spec.day_of_week === null || spec.day_of_week === undefined)
      throw invalidRequest('day_of_week', 'a weekly trigger needs day_of_week (0 = Monday … 6 = Sunday)');
    if (!(Number.isInteger(spec.day_of_week) && spec.day_of_week >= 0 && spec.day_of_week <= 6))
      throw invalidRequest('day_of_week', 'day_of_week is 0 (Monday) to 6 (Sunday)');
    // LabLink counts from Monday = 0; cron from Sunday = 0.
    return `${s} ${m} ${h} * * ${(spec.day_of_week + 1) % 7}`;
  }
  if (spec.day_of_month === null || spec.day_of_month === undefined)
    throw invalidRequest('day_of_month', 'a monthly trigger needs day_of_month (1–31)');
  if (!(Number.isInteger(spec.day_of_month) && spec.day_of_month >= 1 && spec.day_of_month <= 31))
    throw invalidRequest('day_of_month', 'day_of_month is 1 to 31');
  return `${s} ${m} ${h} ${spec.day_of_month} * *`;
}

function cronOf(
  pattern: string,
  timezone: string,
  start: number | null,
  end: number | null,
  field: string,
): Cron {
  try {
    return new Cron(pattern, {
      timezone,
      mode: '5-or-6-parts',
      ...(start !== null ? { startAt: new Date(start) } : {}),
      ...(end !== null ? { stopAt: new Date(end) } : {}),
    });
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern:\s*/, '');
    throw invalidRequest(field, `${field} "${pattern}" is not a valid cron expression: ${why}`);
  }
}

/**
 * Builds the trigger of a job or preview; throws a 400 naming the field at fault. `anchorMs` is when an interval
 * trigger without start_date counts from (its first run is one interval later).
 */
export function buildTrigger(spec: TriggerSpec, anchorMs: number): Trigger {
  const timezone = checkTimezone(spec.timezone ?? serverTimezone());
  const start = spec.start_date ? parseDate(spec.start_date, 'start_date') : null;
  const end = spec.end_date ? parseDate(spec.end_date, 'end_date') : null;
  if (start !== null && end !== null && end <= start)
    throw invalidRequest('end_date', 'end_date is not after start_date');
  const type = spec.trigger_type;

  if (type === 'interval') {
    const period = intervalSeconds(spec) * 1000;
    const first = start ?? anchorMs + period;
    return {
      type,
      cron: null,
      description: describeInterval(period / 1000),
      next(after) {
        const k = after < first ? 0 : Math.floor((after - first) / period) + 1;
        const at = first + k * period;
        return end !== null && at >= end ? null : at;
      },
    };
  }

  if (type === 'date') {
    if (!spec.run_date)
      throw invalidRequest('run_date', 'a date trigger needs run_date (ISO 8601 with Z or an offset)');
    const at = parseDate(spec.run_date, 'run_date');
    return {
      type,
      cron: null,
      description: `once, at ${new Date(at).toISOString()}`,
      next: (after) => (at > after ? at : null),
    };
  }

  let pattern: string;
  let field: string;
  if (type === 'cron') {
    const expr = spec.cron_expression?.trim();
    if (!expr) throw invalidRequest('cron_expression', 'a cron trigger needs cron_expression');
    pattern = expr.replace(/\s+/g, ' ');
    field = 'cron_expression';
  } else {
    pattern = calendarPattern(spec);
    field = 'time_of_day';
  }
  const cron = cronOf(pattern, timezone, start, end, field);
  let description: string;
  try {
    description = describeCron(pattern);
  } catch {
    description = `on the cron schedule "${pattern}"`;
  }
  const trigger: Trigger = {
    type,
    cron: pattern,
    description,
    next(after) {
      // croner counts from the second after `after`; a run exactly at `after` has been handled.
      const at = cron.nextRun(new Date(after))?.getTime() ?? null;
      return at !== null && at <= after ? (cron.nextRun(new Date(after + 1))?.getTime() ?? null) : at;
    },
  };
  // A pattern that never matches (31 February) is refused, not stored as a job that never runs; one whose
  // end_date has passed is a finished job, not an error.
  if (end === null && trigger.next(Date.now()) === null)
    throw invalidRequest(field, `${field} "${pattern}" never fires`);
  return trigger;
}

/** The next `n` runs strictly after `afterMs`. */
export function nextRuns(trigger: Trigger, afterMs: number, n: number = SCHEDULER_LIMITS.nextRuns): number[] {
  const runs: number[] = [];
  let t = afterMs;
  while (runs.length < n) {
    const at = trigger.next(t);
    if (at === null) break;
    runs.push(at);
    t = at;
  }
  return runs;
}
