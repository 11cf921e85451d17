// Log output: pino's JSON lines, or, on a terminal, one readable line per entry —
// `HH:MM:SS level component message key=value …`. The pretty form is a pino destination in the same process (no
// worker thread, no dependency): pino writes its JSON line, the destination parses it and prints the line.

import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from './config.js';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Fields every entry carries or that the line shows elsewhere; not repeated as key=value. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'service', 'component', 'v']);

const COLOURS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[41m\x1b[97m',
};
const RESET = '\x1b[0m';

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A value as key=value shows it: bare when it is a plain word or number, JSON (quoted) otherwise. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && 'message' in value && typeof value.message === 'string') {
    // A serialized error: its message (the stack follows on the next lines).
    return JSON.stringify(value.message);
  }
  return JSON.stringify(value);
}

/**
 * One pino JSON entry as a line: `12:53:07 info  equipment connected id=ps_1 model=DP832`. The component is the
 * entry's `component` (or `module`) field, left out when there is none; an error's stack follows on its own lines.
 * A line that is not JSON is returned as it is.
 */
export function formatLogLine(json: string, options: { colour?: boolean } = {}): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return json.trimEnd();
    entry = parsed as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  const clock = `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`;
  const level = typeof entry.level === 'number' ? (LEVELS[entry.level] ?? String(entry.level)) : 'info';
  const levelText = options.colour ? `${COLOURS[level] ?? ''}${level.padEnd(5)}${RESET}` : level.padEnd(5);
  const parts = [clock, levelText];
  const component = entry.component ?? entry.module;
  if (typeof component === 'string' && component !== '') parts.push(component);
  if (typeof entry.msg === 'string' && entry.msg !== '') parts.push(entry.msg);
  let stack: string | null = null;
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || (key === 'module' && value === component)) continue;
    if (
      typeof value === 'object' &&
      value !== null &&
      'stack' in value &&
      typeof (value as { stack: unknown }).stack === 'string'
    ) {
      stack = (value as { stack: string }).stack;
    }
    parts.push(`${key}=${formatValue(value)}`);
  }
  let line = parts.join(' ');
  if (stack) line += `\n${stack.replace(/^/gm, '    ')}`;
  return line;
}

/** A pino destination that prints each entry as a readable line on `out` (standard output by default). */
export function prettyDestination(
  out: { write(text: string): unknown } = process.stdout,
  options: { colour?: boolean } = {},
): DestinationStream {
  return {
    write(chunk: string) {
      for (const json of chunk.split('\n')) {
        if (json.trim() !== '') out.write(`${formatLogLine(json, options)}\n`);
      }
    },
  };
}

/** The server's logger, at the configured level, in the configured format. */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>,
  out?: { write(text: string): unknown },
): Logger {
  const options = { level: config.logLevel, base: { service: 'lablink' } };
  const format = config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'json') return out ? pino(options, out as DestinationStream) : pino(options);
  const colour = !out && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return pino(options, prettyDestination(out, { colour }));
}
