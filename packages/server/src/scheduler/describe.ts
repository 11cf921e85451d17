// A cron expression in plain words, for the trigger builder and the job list: "every 5 seconds", "at 08:30 on
// Monday", "at 00:00 on day 1 of the month". Covers what people write (numbers, lists, ranges, steps, names);
// anything else (L, W, #) falls back to the pattern itself, quoted — croner still runs it.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAY_NAMES: Record<string, string> = {
  sun: '0',
  mon: '1',
  tue: '2',
  wed: '3',
  thu: '4',
  fri: '5',
  sat: '6',
};
const MONTH_NAMES: Record<string, string> = Object.fromEntries(
  MONTHS.map((m, i) => [m.slice(0, 3).toLowerCase(), String(i + 1)]),
);
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const pad = (n: number) => String(n).padStart(2, '0');
const plural = (n: number, unit: string) => (n === 1 ? unit : `${n} ${unit}s`);
const isNumber = (f: string) => /^\d+$/.test(f);
/** `*`, `?` (croner's "any") and `*` with step 1 mean "every". */
const isAny = (f: string) => f === '*' || f === '?' || f === '*/1';
/** `*\/n` → n, else null. */
const everyStep = (f: string) => {
  const m = /^\*\/(\d+)$/.exec(f);
  return m ? Number(m[1]) : null;
};

class Unsupported extends Error {}

function join(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** A field's list, ranges and steps in words, each value through `name`. */
function listOf(field: string, name: (n: number) => string): string {
  return join(
    field.split(',').map((part) => {
      const step = /^(.+)\/(\d+)$/.exec(part);
      if (step) {
        const [, base, n] = step as unknown as [string, string, string];
        const over = base === '*' ? '' : ` from ${rangeOf(base, name)}`;
        return `every ${n}${over}`.trim();
      }
      return rangeOf(part, name);
    }),
  );
}

function rangeOf(part: string, name: (n: number) => string): string {
  const range = /^(\d+)-(\d+)$/.exec(part);
  if (range) return `${name(Number(range[1]))} through ${name(Number(range[2]))}`;
  if (isNumber(part)) return name(Number(part));
  throw new Unsupported(part);
}

/** The time of day part: "every 5 seconds", "at 08:30", "every minute between 09:00 and 17:59". */
function timeWords(sec: string, min: string, hour: string): string {
  if (isNumber(sec) && isNumber(min) && isNumber(hour)) {
    const s = Number(sec);
    return `at ${pad(Number(hour))}:${pad(Number(min))}${s ? `:${pad(s)}` : ''}`;
  }
  const hours = isAny(hour) ? '' : ` past hour ${listOf(hour, String)}`;
  const minuteStep = everyStep(min);
  // Seconds vary: "every 5 seconds" (of every minute and hour, or restricted).
  if (!isNumber(sec) || Number(sec) !== 0 || !isAny(min) || !isAny(hour)) {
    const secStep = everyStep(sec);
    if ((isAny(sec) || secStep !== null) && isAny(min) && isAny(hour))
      return isAny(sec) ? 'every second' : `every ${plural(secStep as number, 'second')}`;
  }
  if (isNumber(sec) && Number(sec) === 0) {
    if (isAny(min)) return `every minute${isAny(hour) ? '' : hours.replace(' past hour', ' during hour')}`;
    if (minuteStep !== null)
      return `every ${plural(minuteStep, 'minute')}${isAny(hour) ? '' : hours.replace(' past hour', ' during hour')}`;
    if (isNumber(min) && isAny(hour)) return `at minute ${Number(min)} of every hour`;
    if (isNumber(min) && everyStep(hour) !== null)
      return `at minute ${Number(min)} of every ${plural(everyStep(hour) as number, 'hour')}`;
    if (isNumber(min)) return `at minute ${Number(min)}${hours}`;
  }
  const parts: string[] = [];
  if (!(isNumber(sec) && Number(sec) === 0))
    parts.push(isAny(sec) ? 'every second' : `at second ${listOf(sec, String)}`);
  parts.push(isAny(min) ? 'every minute' : `at minute ${listOf(min, String)}`);
  if (!isAny(hour)) parts.push(`past hour ${listOf(hour, String)}`);
  return parts.join(', ');
}

function dayWords(dom: string, month: string, dow: string): string {
  const parts: string[] = [];
  const dayName = (n: number) => DAYS[n % 7] ?? String(n);
  if (!isAny(dom) && !isAny(dow))
    parts.push(`on day ${listOf(dom, String)} of the month or on ${listOf(dow, dayName)}`);
  else if (!isAny(dom)) parts.push(`on day ${listOf(dom, String)} of the month`);
  else if (!isAny(dow)) parts.push(`on ${listOf(dow, dayName)}`);
  if (!isAny(month)) parts.push(`in ${listOf(month, (n) => MONTHS[n - 1] ?? String(n))}`);
  return parts.join(' ');
}

/** A 5- or 6-field cron pattern (seconds first when 6) in words. Throws on a pattern it cannot read. */
export function describeCron(expression: string): string {
  let pattern = expression.trim().toLowerCase();
  pattern = NICKNAMES[pattern] ?? pattern;
  const fields = pattern.split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) throw new Error(`expected 5 or 6 fields, got ${fields.length}`);
  const [sec, min, hour, dom, rawMonth, rawDow] = fields as [string, string, string, string, string, string];
  const month = rawMonth.replace(/[a-z]{3}/g, (m) => MONTH_NAMES[m] ?? m);
  const dow = rawDow.replace(/[a-z]{3}/g, (d) => DAY_NAMES[d] ?? d);
  try {
    const time = timeWords(sec, min, hour);
    const days = dayWords(dom, month, dow);
    const fixedTime = isNumber(sec) && isNumber(min) && isNumber(hour);
    return days ? `${time} ${days}` : fixedTime ? `${time} every day` : time;
  } catch (err) {
    if (err instanceof Unsupported) return `on the cron schedule "${expression.trim()}"`;
    throw err;
  }
}

/** An interval in words: "every 5 seconds", "every 1 hour 30 minutes", "every 2 days". */
export function describeInterval(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = seconds;
  const parts: string[] = [];
  for (const [size, unit] of units) {
    const n = size === 1 ? Math.round(rest * 1000) / 1000 : Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${n === 1 ? unit : `${unit}s`}`);
    rest -= n * size;
  }
  if (parts.length === 1 && parts[0]?.startsWith('1 ')) return `every ${parts[0].slice(2)}`;
  return `every ${parts.join(' ')}`;
}
