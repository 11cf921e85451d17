// What the job types share: reading their parameters (each refusal a DomainError naming the field, e.g.
// `parameters.steps[2].seconds`), the instrument a job or step works on, the commands its driver accepts, reading
// a field of an instrument now, the command context every job command carries, an abortable wait, and turning
// what instruments return into JSON a stored execution can hold.

import type { CommandInfo, ParamSpec } from '@lablink/instruments';
import { findDriver } from '@lablink/instruments';
import { fieldValue, parametersOf, resolveParameter } from '../../alarms/parameters.js';
import type { CommandContext, EquipmentView } from '../../equipment/types.js';
import { DomainError } from '../../errors.js';
import type { JobServices, ScheduledJob, Verdict } from '../types.js';

export type Params = Record<string, unknown>;

/** The longest wait or dwell, in seconds: a day. */
export const MAX_WAIT_S = 86_400;

export const invalid = (field: string, detail: string) => new DomainError('invalid_request', detail, field);

export function isObject(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The job's parameters (an object; `{}` when absent). */
export function paramsOf(job: Pick<ScheduledJob, 'parameters'>): Params {
  const p = job.parameters ?? {};
  if (!isObject(p)) throw invalid('parameters', 'parameters must be an object');
  return p;
}

/** Refuses keys outside `allowed`, naming the first one. */
export function onlyKeys(obj: Params, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw invalid(`${at}.${key}`, `${at} has no setting ${key} (known: ${allowed.join(', ')})`);
    }
  }
}

/** A finite number within bounds. */
export function num(
  value: unknown,
  field: string,
  bounds: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(field, `${field} must be a finite number, not ${describe(value)}`);
  }
  if (bounds.integer && !Number.isInteger(value)) throw invalid(field, `${field} must be an integer`);
  const { min, max } = bounds;
  if (min !== undefined && (bounds.exclusiveMin ? value <= min : value < min)) {
    throw invalid(field, `${field} must be ${bounds.exclusiveMin ? 'more than' : 'at least'} ${min}`);
  }
  if (max !== undefined && value > max) throw invalid(field, `${field} must be at most ${max}`);
  return value;
}

export function optionalNum(
  value: unknown,
  field: string,
  bounds: Parameters<typeof num>[2] = {},
): number | undefined {
  return value === undefined || value === null ? undefined : num(value, field, bounds);
}

export function str(value: unknown, field: string, maxLength = 200): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(field, `${field} must be a non-empty string, not ${describe(value)}`);
  }
  if (value.length > maxLength) throw invalid(field, `${field} is longer than ${maxLength} characters`);
  return value;
}

export function optionalStr(value: unknown, field: string, maxLength = 200): string | undefined {
  return value === undefined || value === null ? undefined : str(value, field, maxLength);
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---- instruments ------------------------------------------------------------------------------------------------

/** The instrument an id names; not_found naming `field` otherwise. */
export function instrument(services: JobServices, id: unknown, field: string): EquipmentView {
  const name = str(id, field, 64);
  const view = services.equipment.find(name);
  if (!view) throw new DomainError('not_found', `Equipment ${name} not found`, field);
  return view;
}

/** The job's instrument, or a step's own `equipment_id`. */
export function equipmentOf(
  services: JobServices,
  job: Pick<ScheduledJob, 'equipment_id'>,
  own: unknown,
  at: string,
): EquipmentView {
  if (own !== undefined && own !== null) return instrument(services, own, `${at}.equipment_id`);
  if (!job.equipment_id) {
    // A job-wide setting names the job's own field; a step may name its own instrument.
    if (at === 'parameters') throw invalid('equipment_id', 'this job type needs an equipment_id');
    throw invalid(
      `${at}.equipment_id`,
      `${at} needs an instrument: give the job an equipment_id or the step one`,
    );
  }
  return instrument(services, job.equipment_id, 'equipment_id');
}

/** The commands the instrument's driver accepts (known from its model while it is not connected). */
export function commandsOf(services: JobServices, view: EquipmentView): readonly CommandInfo[] {
  const live = services.equipment.commands(view.info.id);
  if (live.length > 0) return live;
  const definition = findDriver(view.info.model);
  if (!definition) return [];
  return Object.entries(definition.commands).map(([name, c]) => ({
    name,
    description: c.description,
    control: c.control,
    ...(c.sets ? { sets: c.sets } : {}),
    ...(c.enables ? { enables: c.enables } : {}),
    params: Object.fromEntries(Object.entries(c.params ?? {}).map(([k, { rated: _, ...s }]) => [k, s])),
  }));
}

/**
 * The command `action` names on this instrument, with its parameters checked against the driver's declaration
 * (names, types, bounds); the instrument checks its ratings and LabLink its limits when it runs.
 */
export function checkCommand(
  services: JobServices,
  view: EquipmentView,
  action: unknown,
  params: unknown,
  at: { action: string; parameters: string },
): { command: CommandInfo; params: Params } {
  const command = findCommand(services, view, action, at.action);
  const given = params ?? {};
  if (!isObject(given)) throw invalid(at.parameters, `${at.parameters} must be an object`);
  checkParams(command, given, at.parameters);
  checkRatings(view, command, given, at.parameters);
  return { command, params: given };
}

/**
 * A value above the rating of the channel it is for (a supply whose channels differ: 30 V on one, 5 V on another) is
 * refused now, naming the field; the limits in force are checked when the command runs.
 */
export function checkRatings(view: EquipmentView, command: CommandInfo, given: Params, at: string): void {
  const definition = findDriver(view.info.model);
  const specs =
    definition && Object.hasOwn(definition.commands, command.name)
      ? definition.commands[command.name]?.params
      : undefined;
  if (!specs) return;
  const channel = typeof given.channel === 'number' ? given.channel : 1;
  const ratings = view.model?.ratings ?? definition?.info.ratings ?? [];
  for (const [key, spec] of Object.entries(specs)) {
    const value = given[key];
    if (spec.rated === undefined || typeof value !== 'number') continue;
    const rating = ratings[channel - 1]?.[spec.rated];
    if (rating !== undefined && value > rating) {
      throw new DomainError(
        'limit_exceeded',
        `${key} ${value} is above the rating of ${view.info.model} channel ${channel} (${rating})`,
        `${at}.${key}`,
        { limit: 'rating', limit_value: rating, attempted: value, channel },
      );
    }
  }
}

/** The command `action` names on this instrument; unknown_command naming `field` otherwise. */
export function findCommand(
  services: JobServices,
  view: EquipmentView,
  action: unknown,
  field: string,
): CommandInfo {
  const name = str(action, field, 64);
  const commands = commandsOf(services, view);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    throw new DomainError(
      'unknown_command',
      `${view.info.model} (${view.info.id}) has no command ${name} (it has: ${commands.map((c) => c.name).join(', ') || 'none'})`,
      field,
    );
  }
  return command;
}

export function checkParams(command: CommandInfo, given: Params, at: string): void {
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(command.params, key)) {
      const known = Object.keys(command.params);
      throw new DomainError(
        'invalid_parameter',
        `${command.name} has no parameter ${key} (it takes: ${known.join(', ') || 'none'})`,
        `${at}.${key}`,
      );
    }
  }
  for (const [key, spec] of Object.entries(command.params)) {
    const value = given[key];
    const field = `${at}.${key}`;
    if (value === undefined || value === null) {
      if (spec.default === undefined && !spec.optional) {
        throw new DomainError('invalid_parameter', `${command.name} needs ${key}`, field);
      }
      continue;
    }
    checkParam(spec, value, field);
  }
}

function checkParam(spec: ParamSpec, value: unknown, field: string): void {
  const bad = (what: string) => new DomainError('invalid_parameter', `${field} must be ${what}`, field);
  switch (spec.type) {
    case 'number': {
      if (typeof value === 'string' && spec.keywords?.some((k) => k.toUpperCase() === value.toUpperCase())) {
        return;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw bad(`a finite number${spec.keywords ? ` or one of ${spec.keywords.join(', ')}` : ''}`);
      }
      break;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad('an integer');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('true or false');
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.some((v) => v.toUpperCase() === value.toUpperCase())) {
        throw bad(`one of ${spec.values.join(', ')}`);
      }
      return;
  }
  const n = value as number;
  if (spec.min !== undefined && n < spec.min) throw bad(`at least ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) throw bad(`at most ${spec.max}`);
}

/** The numeric parameter a command sets (set_voltage → voltage): declared, or its only number parameter. */
export function setParamOf(command: CommandInfo): string | undefined {
  if (command.sets) return command.sets.param;
  const numbers = Object.entries(command.params).filter(
    ([k, s]) => (s.type === 'number' || s.type === 'integer') && k !== 'channel',
  );
  return numbers.length === 1 ? numbers[0]?.[0] : undefined;
}

/** Every job's commands go through the one command path as the job: locks, the emergency stop and limits apply. */
export function commandContext(job: Pick<ScheduledJob, 'job_id'>): CommandContext {
  return { source: 'scheduler', sessionId: `job:${job.job_id}` };
}

// ---- reading fields ----------------------------------------------------------------------------------------------

/** Text fields a reading carries besides its quantities. */
const TEXT_FIELDS: Record<string, readonly string[]> = {
  electronic_load: ['mode'],
  multimeter: ['function', 'range', 'unit'],
};

/** The reading fields this instrument has (quantities, their aliases, text fields). */
export function fieldsOf(view: EquipmentView): {
  names: string[];
  resolve(field: string): string | undefined;
} {
  const { parameters, aliases } = parametersOf(view);
  const text = TEXT_FIELDS[view.info.type] ?? [];
  const names = [...parameters.map((p) => p.name), ...Object.keys(aliases), ...text];
  return {
    names,
    resolve: (field) => resolveParameter(view, field) ?? (text.includes(field) ? field : undefined),
  };
}

/** The field a step or job names, resolved (`voltage` → `voltage_actual` on a supply); invalid_field otherwise. */
export function checkField(view: EquipmentView, field: unknown, at: string): string {
  const name = str(field, at, 64);
  const fields = fieldsOf(view);
  const resolved = fields.resolve(name);
  if (!resolved) {
    throw new DomainError(
      'invalid_field',
      `${view.info.model} (${view.info.id}) has no reading field ${name} (it has: ${fields.names.join(', ') || 'none'})`,
      at,
    );
  }
  return resolved;
}

/** A channel the instrument has. */
export function checkChannel(view: EquipmentView, channel: unknown, at: string): number | undefined {
  if (channel === undefined || channel === null) return undefined;
  const channels = Math.max(1, parametersOf(view).channels);
  return num(channel, at, { min: 1, max: channels, integer: true });
}

/**
 * What the instrument reads now: a supply's, load's or meter's readings, a scope's measurements. By default through
 * the readings pipeline (a poller running for it answers without a second query, with a reading up to a second old);
 * `fresh` asks the instrument itself, as a test step just after a setting must.
 */
export async function readNow(
  services: JobServices,
  view: EquipmentView,
  channel: number | undefined,
  fresh = false,
): Promise<Params> {
  const { kind } = parametersOf(view);
  const id = view.info.id;
  if (kind === 'measurements') return (await services.equipment.measurements(id, channel ?? 1)) as Params;
  if (kind === 'readings') {
    const reading = fresh
      ? await services.equipment.readings(id, channel)
      : await services.readings.current(id, channel);
    return reading as unknown as Params;
  }
  throw new DomainError('unsupported', `${view.info.model} (${id}) has no readings to measure`);
}

/** A field of a reading: a number (booleans as 1/0, a supply's power as V × A), a text, or null. */
export function fieldOfReading(reading: Params, field: string): number | string | null {
  const n = fieldValue(reading, field);
  if (n !== null) return n;
  const v = reading[field];
  return typeof v === 'string' ? v : null;
}

export function unitOf(view: EquipmentView, field: string): string | null {
  return parametersOf(view).parameters.find((p) => p.name === field)?.unit || null;
}

// ---- verdicts, time, JSON ---------------------------------------------------------------------------------------

const SEVERITY: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2, error: 3 };

/** The worst of some verdicts (error > fail > inconclusive > pass); null when there are none. */
export function worst(verdicts: Iterable<Verdict | null | undefined>): Verdict | null {
  let result: Verdict | null = null;
  for (const v of verdicts) {
    if (v && (result === null || SEVERITY[v] > SEVERITY[result])) result = v;
  }
  return result;
}

/** Why the run was cancelled, as an error. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? `cancelled: ${reason}` : 'cancelled');
  error.name = 'AbortError';
  return error;
}

/** Waits `ms`, or until the signal aborts (then throws). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A copy safe to store as JSON: Dates as ISO strings, non-finite numbers as null, nothing undefined or cyclic. */
export function jsonSafe(value: unknown, depth = 0): unknown {
  if (depth > 20) return null;
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (v) => jsonSafe(v));
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1));
  if (typeof value === 'object') {
    const out: Params = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && typeof v !== 'function') out[k] = jsonSafe(v, depth + 1);
    }
    return out;
  }
  return null;
}

/** An error's message (a DomainError's detail). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
