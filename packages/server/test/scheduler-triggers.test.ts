// Triggers and the cron expression in words (src/scheduler/triggers.ts, describe.ts): pure functions, no server.
// Times are fixed instants, so nothing here depends on the clock.

import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors.js';
import { describeCron, describeInterval } from '../src/scheduler/describe.js';
import { buildTrigger, nextRuns, type TriggerSpec } from '../src/scheduler/triggers.js';

const BLANK: TriggerSpec = {
  trigger_type: 'cron',
  cron_expression: null,
  interval_seconds: null,
  interval_minutes: null,
  interval_hours: null,
  interval_days: null,
  run_date: null,
  time_of_day: null,
  day_of_week: null,
  day_of_month: null,
  start_date: null,
  end_date: null,
  timezone: 'UTC',
};
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const runs = (spec: Partial<TriggerSpec>, from = T0, n = 5) =>
  nextRuns(buildTrigger({ ...BLANK, ...spec }, from), from, n).map((t) => new Date(t).toISOString());

function fieldOf(spec: Partial<TriggerSpec>): string | undefined {
  try {
    buildTrigger({ ...BLANK, ...spec }, T0);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).field;
  }
  return undefined;
}

describe('describeCron', () => {
  const cases: [string, string][] = [
    ['*/5 * * * * *', 'every 5 seconds'],
    ['* * * * * *', 'every second'],
    ['*/1 * * * * *', 'every second'],
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['30 8 * * 1', 'at 08:30 on Monday'],
    ['0 30 8 * * 1', 'at 08:30 on Monday'],
    ['0 0 1 * *', 'at 00:00 on day 1 of the month'],
    ['15 10 * * *', 'at 10:15 every day'],
    ['30 15 10 * * *', 'at 10:15:30 every day'],
    ['0 9 * * 1-5', 'at 09:00 on Monday through Friday'],
    ['0 9 * * MON-FRI', 'at 09:00 on Monday through Friday'],
    ['0 12 * JAN,JUL *', 'at 12:00 in January and July'],
    ['5 * * * *', 'at minute 5 of every hour'],
    ['0 */2 * * *', 'at minute 0 of every 2 hours'],
    ['0 0 * * 0,6', 'at 00:00 on Sunday and Saturday'],
    ['@daily', 'at 00:00 every day'],
    ['0 0 L * *', 'on the cron schedule "0 0 L * *"'],
  ];
  for (const [expr, words] of cases) it(`${expr} → ${words}`, () => expect(describeCron(expr)).toBe(words));
});

describe('describeInterval', () => {
  it('names the largest units', () => {
    expect(describeInterval(1)).toBe('every second');
    expect(describeInterval(5)).toBe('every 5 seconds');
    expect(describeInterval(3600)).toBe('every hour');
    expect(describeInterval(5400)).toBe('every 1 hour 30 minutes');
    expect(describeInterval(2 * 86_400)).toBe('every 2 days');
  });
});

describe('triggers', () => {
  it('cron: 5 or 6 fields, in the time zone', () => {
    expect(runs({ cron_expression: '*/2 * * * * *' }, T0, 3)).toEqual([
      '2030-01-01T00:00:02.000Z',
      '2030-01-01T00:00:04.000Z',
      '2030-01-01T00:00:06.000Z',
    ]);
    // 08:30 in Berlin is 07:30 UTC in winter.
    expect(runs({ cron_expression: '30 8 * * *', timezone: 'Europe/Berlin' }, T0, 1)).toEqual([
      '2030-01-01T07:30:00.000Z',
    ]);
  });

  it('a run exactly at the reference time is not the next one', () => {
    const t = buildTrigger({ ...BLANK, cron_expression: '*/2 * * * * *' }, T0);
    expect(t.next(T0 + 2000)).toBe(T0 + 4000);
    expect(t.next(T0 + 1999)).toBe(T0 + 2000);
  });

  it('interval: from start_date, else one interval after the anchor; ends before end_date', () => {
    expect(runs({ trigger_type: 'interval', interval_minutes: 1, interval_seconds: 30 }, T0, 2)).toEqual([
      '2030-01-01T00:01:30.000Z',
      '2030-01-01T00:03:00.000Z',
    ]);
    expect(
      runs({
        trigger_type: 'interval',
        interval_hours: 1,
        start_date: '2030-01-01T00:10:00Z',
        end_date: '2030-01-01T02:10:00Z',
      }),
    ).toEqual(['2030-01-01T00:10:00.000Z', '2030-01-01T01:10:00.000Z']);
  });

  it('date: once', () => {
    expect(runs({ trigger_type: 'date', run_date: '2030-01-02T03:04:05+01:00' })).toEqual([
      '2030-01-02T02:04:05.000Z',
    ]);
  });

  it('daily, weekly (0 = Monday), monthly (a month without the day is skipped)', () => {
    expect(runs({ trigger_type: 'daily', time_of_day: '06:15:30' }, T0, 2)).toEqual([
      '2030-01-01T06:15:30.000Z',
      '2030-01-02T06:15:30.000Z',
    ]);
    // 2030-01-07 is a Monday; 6 = Sunday.
    expect(runs({ trigger_type: 'weekly', time_of_day: '08:00', day_of_week: 0 }, T0, 1)).toEqual([
      '2030-01-07T08:00:00.000Z',
    ]);
    expect(runs({ trigger_type: 'weekly', time_of_day: '08:00', day_of_week: 6 }, T0, 1)).toEqual([
      '2030-01-06T08:00:00.000Z',
    ]);
    expect(runs({ trigger_type: 'monthly', time_of_day: '00:00', day_of_month: 31 }, T0, 3)).toEqual([
      '2030-01-31T00:00:00.000Z',
      '2030-03-31T00:00:00.000Z',
      '2030-05-31T00:00:00.000Z',
    ]);
  });

  it('start_date and end_date bound a cron trigger', () => {
    expect(
      runs({
        trigger_type: 'daily',
        time_of_day: '12:00',
        start_date: '2030-01-03T00:00:00Z',
        end_date: '2030-01-05T00:00:00Z',
      }),
    ).toEqual(['2030-01-03T12:00:00.000Z', '2030-01-04T12:00:00.000Z']);
  });

  it('DST: a fixed time in the spring-forward gap runs once, at the end of the gap', () => {
    // Europe/Berlin skips 02:00–03:00 on 2030-03-31.
    const from = Date.parse('2030-03-30T00:00:00Z');
    expect(runs({ trigger_type: 'daily', time_of_day: '02:30', timezone: 'Europe/Berlin' }, from, 3)).toEqual(
      ['2030-03-30T01:30:00.000Z', '2030-03-31T01:00:00.000Z', '2030-04-01T00:30:00.000Z'],
    );
  });

  it('names the field at fault', () => {
    expect(fieldOf({ cron_expression: '61 * * * *' })).toBe('cron_expression');
    expect(fieldOf({ cron_expression: '* * * * * * * *' })).toBe('cron_expression');
    expect(fieldOf({ cron_expression: '0 0 30 2 *' })).toBe('cron_expression');
    expect(fieldOf({ trigger_type: 'date' })).toBe('run_date');
    expect(fieldOf({ trigger_type: 'daily' })).toBe('time_of_day');
    expect(fieldOf({ trigger_type: 'daily', time_of_day: '24:00' })).toBe('time_of_day');
    expect(fieldOf({ trigger_type: 'weekly', time_of_day: '08:00' })).toBe('day_of_week');
    expect(fieldOf({ trigger_type: 'monthly', time_of_day: '08:00' })).toBe('day_of_month');
    expect(fieldOf({ trigger_type: 'interval' })).toBe('interval_seconds');
    expect(fieldOf({ trigger_type: 'interval', interval_days: 400 })).toBe('interval_seconds');
    expect(fieldOf({ cron_expression: '* * * * *', timezone: 'Nowhere/Else' })).toBe('timezone');
    expect(
      fieldOf({
        cron_expression: '* * * * *',
        start_date: '2030-01-02T00:00:00Z',
        end_date: '2030-01-01T00:00:00Z',
      }),
    ).toBe('end_date');
  });
});
