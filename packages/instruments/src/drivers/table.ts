// The driver toolkit. A driver is a model description plus a table of named commands, each declaring its
// parameters and what it sends or reads (DESIGN.md §6, in the spirit of PyMeasure's `control("VOLT?", "VOLT %g")`).
// Every parameter is validated against its spec and the model's ratings before a single byte goes out, so a bad
// request never reaches the instrument, and no string ever lands in a numeric SCPI field.

import type { Driver, ModelInfo, RawKind, RawOptions } from '../driver.js';
import {
  InstrumentError,
  InstrumentTimeoutError,
  OutOfRangeError,
  ParameterError,
  UnknownCommandError,
} from '../errors.js';
import type { CommandOptions, ScpiSession } from '../session.js';
// The header notation of the programming manuals (short/long forms, optional nodes), shared with the simulators.
import { compilePattern, type HeaderPattern, matchHeader } from '../sim/scpi/pattern.js';
import type {
  ChannelRating,
  CommandInfo,
  InstrumentIdentity,
  ParamSpec,
  ReadingKind,
  Readings,
  SessionState,
  SessionStats,
} from '../types.js';

/** What command bodies use: a ScpiSession, or the B&K serial protocol's adapter of one (bk-serial.ts). */
export type Io = Pick<ScpiSession, 'write' | 'query' | 'queryBlock' | 'queryFramed'>;

/** The session a driver runs on: I/O plus the lifecycle the Driver interface exposes. */
export type DriverSession = Pick<
  ScpiSession,
  | 'write'
  | 'query'
  | 'queryBlock'
  | 'queryFramed'
  | 'queryUntil'
  | 'state'
  | 'stats'
  | 'onStateChange'
  | 'close'
>;

type RatedField = Exclude<keyof ChannelRating, 'channel'>;

/** A parameter as a driver declares it: a ParamSpec, optionally capped by the channel's rating. */
export type Param = ParamSpec & { rated?: RatedField };

/** Parameters after validation: defaults applied, types guaranteed by the spec. */
export type Values = Record<string, number | boolean | string>;

export interface Command {
  description: string;
  /** True when the command changes the instrument (see CommandInfo.control). */
  control: boolean;
  /** See CommandInfo.sets: the safety layer reads it instead of knowing command names. */
  sets?: CommandInfo['sets'];
  /** See CommandInfo.enables. */
  enables?: string;
  params?: Record<string, Param>;
  run(io: Io, p: Values): Promise<unknown>;
}

export type CommandTable = Record<string, Command>;

export interface DriverDefinition {
  info: ModelInfo;
  /** What the instrument can be polled for: `readings` (get_readings), `measurements`, `waveform`. */
  readingKinds: readonly ReadingKind[];
  /**
   * Plain SCPI, the B&K serial protocol (replies end in `OK\r`, no `*IDN?`) or the Korad serial protocol (bare
   * fixed-width replies, no terminators). The serial protocols are only ever chosen by the model the user names.
   */
  protocol: 'scpi' | 'bk-serial' | 'korad';
  commands: CommandTable;
  /**
   * Queries that act: headers (in the manual's notation, e.g. `CALibration[:ALL]`, without the '?') whose query
   * form runs a calibration, a self-test or erases data. The raw passthrough treats them like writes. `*TST?` and
   * `*CAL?` (IEEE 488.2) count for every SCPI instrument without being listed.
   */
  actingQueries?: readonly string[];
  /** Turns every output / load input off. */
  safeState(io: Io): Promise<void>;
}

// ---- parameter specs --------------------------------------------------------------------------------------------

export const volts: Param = { type: 'number', min: 0, unit: 'V', rated: 'max_voltage' };
export const amps: Param = { type: 'number', min: 0, unit: 'A', rated: 'max_current' };
export const watts: Param = { type: 'number', min: 0, unit: 'W', rated: 'max_power' };
export const flag = (fallback?: boolean): Param =>
  fallback === undefined ? { type: 'boolean' } : { type: 'boolean', optional: true, default: fallback };
export const oneOf = (values: readonly string[], fallback?: string): Param =>
  fallback === undefined
    ? { type: 'enum', values }
    : { type: 'enum', values, optional: true, default: fallback };
/** The channel selector of a model with `channels` outputs or inputs: an integer 1..channels, default 1. */
export const channelOf = (channels: number, required = false): Param =>
  required
    ? { type: 'integer', min: 1, max: channels }
    : { type: 'integer', min: 1, max: channels, optional: true, default: 1 };

/** Ratings from [volts, amps, watts?] per channel; watts defaults to volts × amps (multi-range supplies give less). */
export function ratings(...channels: [number, number, number?][]): ModelInfo['ratings'] {
  return channels.map(([max_voltage, max_current, max_power], i) => ({
    channel: i + 1,
    max_voltage,
    max_current,
    max_power: max_power ?? max_voltage * max_current,
  }));
}

// ---- SCPI formatting and parsing ---------------------------------------------------------------------------------

/**
 * A number as SCPI <NRf>: shortest round-trip text, locale-free (String() never localises). Rounding to 12
 * significant digits first drops binary noise from arithmetic (0.1 + 0.2 → "0.3"), far below any instrument's
 * resolution.
 */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** A value as a fixed-width count of `resolution` steps, rounded (the BK serial protocol: 2.3 V at 0.1 → "023"). */
export function formatSteps(value: number, resolution: number, digits: number): string {
  const steps = Math.round(Number((value / resolution).toPrecision(12)));
  return String(steps).padStart(digits, '0');
}

function formatValue(value: number | boolean | string): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF';
  return value;
}

/** Fills `{name}` placeholders with validated parameters: numbers as <NRf>, booleans as ON/OFF, enums verbatim. */
export function fill(template: string, p: Values): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = p[name];
    if (value === undefined)
      throw new Error(`SCPI template ${template} names an undeclared parameter ${name}`);
    return formatValue(value);
  });
}

/** A command body that writes SCPI lines in order, e.g. `send(':SOUR{channel}:VOLT {voltage}')`. */
export function send(...templates: string[]): Command['run'] {
  return async (io, p) => {
    for (const template of templates) await io.write(fill(template, p));
  };
}

/** Rigol and others answer 9.9E37 for "could not measure"; anything that large is no measurement. */
const NOT_MEASURABLE = 9e37;

export function parseNumber(reply: string, what: string): number {
  const value = Number(reply.trim());
  if (reply.trim() === '' || !Number.isFinite(value)) {
    throw new InstrumentError(`Malformed reply to ${what}: ${JSON.stringify(reply)}`);
  }
  return value;
}

/** A measurement that the instrument may be unable to make: 9.9E37 becomes null. */
export function parseMeasurement(reply: string, what: string): number | null {
  const value = parseNumber(reply, what);
  return Math.abs(value) >= NOT_MEASURABLE ? null : value;
}

export function parseBoolean(reply: string, what: string): boolean {
  const text = reply.trim().toUpperCase();
  if (text === '1' || text === 'ON') return true;
  if (text === '0' || text === 'OFF') return false;
  throw new InstrumentError(`Malformed reply to ${what}: ${JSON.stringify(reply)}`);
}

export const queryNumber = async (io: Io, command: string): Promise<number> =>
  parseNumber(await io.query(command), command);

export const queryBoolean = async (io: Io, command: string): Promise<boolean> =>
  parseBoolean(await io.query(command), command);

/** A compound message answered with another number of replies than it had queries. */
class CompoundReplyError extends InstrumentError {}

/**
 * Several queries in one round trip: joined with ';' into one program message, answered in one response message
 * joined with ';' (IEEE 488.2 compound messages). Every query needs an absolute header (a leading ':' or '*'):
 * after `:MEAS:VOLT?` a relative `CURR?` would mean `:MEAS:CURR?`. Replies must not contain ';' themselves.
 */
async function queryCompound(io: Io, queries: readonly string[]): Promise<string[]> {
  const joined = queries.join(';');
  const replies = (await io.query(joined)).split(';');
  if (replies.length !== queries.length) {
    throw new CompoundReplyError(
      `Malformed reply to ${joined}: ${replies.length} answers to ${queries.length} queries`,
    );
  }
  return replies;
}

/**
 * Connections whose instrument did not take a compound message: 'refused' (it answered with the wrong number of
 * replies, or timed out on one and then answered the same queries one at a time) is asked one at a time from
 * then on; 'suspect' (it timed out on one) is asked one at a time next, which decides.
 */
const compoundRefused = new WeakMap<Io, 'suspect' | 'refused'>();

/**
 * The replies to `queries`: in one compound message when the model takes them (`compound`), else one at a time.
 * An instrument that does not answer a compound message as one fails that reading and is asked one query at a
 * time from then on; it is never sent a compound message again on this connection.
 */
export async function queryAll(io: Io, queries: readonly string[], compound: boolean): Promise<string[]> {
  const refusal = compoundRefused.get(io);
  if (compound && refusal === undefined) {
    try {
      return await queryCompound(io, queries);
    } catch (error) {
      if (error instanceof CompoundReplyError) compoundRefused.set(io, 'refused');
      else if (error instanceof InstrumentTimeoutError) compoundRefused.set(io, 'suspect');
      throw error;
    }
  }
  const replies: string[] = [];
  try {
    for (const query of queries) replies.push(await io.query(query));
  } catch (error) {
    // Unanswered one at a time too: the instrument was gone, not the compound message refused. (A link still
    // being reopened after the compound timeout decides nothing: the next reading asks one at a time again.)
    if (refusal === 'suspect' && error instanceof InstrumentTimeoutError) compoundRefused.delete(io);
    throw error;
  }
  if (refusal === 'suspect') compoundRefused.set(io, 'refused');
  return replies;
}

export const now = (): string => new Date().toISOString();

/** The identity of a model the user named, whose *IDN? cannot be asked (B&K serial) or framed (Korad). */
export function namedIdentity(info: ModelInfo): InstrumentIdentity {
  return { manufacturer: info.manufacturer, model: info.model, serial_number: null, firmware_version: null };
}

/** SCPI writes are not answered; `*OPC?` returns once every command before it has been executed. */
export async function confirm(io: Io): Promise<void> {
  await io.query('*OPC?');
}

// ---- validation ------------------------------------------------------------------------------------------------

function checkType(field: string, spec: Param, value: unknown): number | boolean | string {
  switch (spec.type) {
    case 'number': {
      const keyword =
        typeof value === 'string'
          ? spec.keywords?.find((k) => k.toUpperCase() === value.toUpperCase())
          : undefined;
      if (keyword !== undefined) return keyword;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const or = spec.keywords?.length ? ` or one of ${spec.keywords.join(', ')}` : '';
        throw new ParameterError(field, `${field} must be a finite number${or}`);
      }
      return value;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new ParameterError(field, `${field} must be an integer`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ParameterError(field, `${field} must be true or false`);
      return value;
    case 'enum': {
      const match =
        typeof value === 'string'
          ? spec.values.find((v) => v.toUpperCase() === value.toUpperCase())
          : undefined;
      if (match === undefined)
        throw new ParameterError(field, `${field} must be one of ${spec.values.join(', ')}`);
      return match;
    }
  }
}

function checkBounds(field: string, spec: Param, value: number): void {
  if (spec.type !== 'number' && spec.type !== 'integer') return;
  if (spec.min !== undefined && value < spec.min) throw new OutOfRangeError(field, value, spec.min, 'min');
  if (spec.max !== undefined && value > spec.max) throw new OutOfRangeError(field, value, spec.max, 'max');
}

/** Validates raw parameters against a command's specs and the model's ratings; throws before any I/O. */
export function validate(
  command: string,
  specs: Record<string, Param>,
  raw: Record<string, unknown> | undefined,
  info: ModelInfo,
): Values {
  const given = raw ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ParameterError('params', 'parameters must be an object');
  }
  for (const field of Object.keys(given)) {
    if (!(field in specs)) throw new ParameterError(field, `${command} has no parameter ${field}`);
  }
  const values: Values = {};
  for (const [field, spec] of Object.entries(specs)) {
    const value = given[field];
    if (value === undefined || value === null) {
      if (spec.default !== undefined) values[field] = spec.default;
      else if (!spec.optional) throw new ParameterError(field, `${command} needs ${field}`);
      continue;
    }
    const checked = checkType(field, spec, value);
    if (typeof checked === 'number') checkBounds(field, spec, checked);
    values[field] = checked;
  }
  // Ratings depend on the channel, so they are checked once every parameter (the channel too) is known.
  for (const [field, spec] of Object.entries(specs)) {
    const value = values[field];
    if (spec.rated === undefined || typeof value !== 'number') continue;
    const rating = info.ratings[Number(values.channel ?? 1) - 1]?.[spec.rated];
    if (rating !== undefined && value > rating) throw new OutOfRangeError(field, value, rating, 'max');
  }
  return values;
}

/** The public description of a parameter: a rated one shows the highest rating as its maximum. */
function describeParam(spec: Param, info: ModelInfo): ParamSpec {
  const { rated, ...plain } = spec;
  if (rated === undefined || plain.type !== 'number') return plain;
  const ceiling = Math.max(...info.ratings.map((r) => r[rated]));
  return { ...plain, max: Math.min(plain.max ?? ceiling, ceiling) };
}

// ---- the driver -------------------------------------------------------------------------------------------------

/** IEEE 488.2 queries that act on every instrument: *TST? runs a self-test, *CAL? a calibration. */
export const COMMON_ACTING_QUERIES: readonly string[] = ['*TST', '*CAL'];

/**
 * What a raw command is: a 'query' only reads; an 'acting_query' is a query whose header the driver declares as
 * acting (or *TST? / *CAL?); anything else is a 'write' — including every program message with more than one
 * unit (';'), since a write could be chained behind a query.
 */
export function classifyRaw(line: string, acting: readonly HeaderPattern[]): RawKind {
  if (line.includes(';') || !isQuery(line)) return 'write';
  const header = (line.trim().split(/\s/, 1)[0] ?? '').slice(0, -1);
  const tokens = (header.startsWith(':') ? header.slice(1) : header).split(':');
  return acting.some((pattern) => matchHeader(pattern, tokens) !== null) ? 'acting_query' : 'query';
}

/** A Driver made from a definition: validates, then runs table entries one at a time. */
export class TableDriver implements Driver {
  readonly info: ModelInfo;
  readonly commands: readonly CommandInfo[];
  readonly readingKinds: readonly ReadingKind[];
  readonly readings?: (channel?: number) => Promise<Readings>;
  /** Multi-step commands (select a channel, then set it) must not interleave with another caller's. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #acting: readonly HeaderPattern[];

  constructor(
    readonly definition: DriverDefinition,
    readonly identity: InstrumentIdentity,
    private readonly session: DriverSession,
    private readonly io: Io,
  ) {
    this.info = definition.info;
    this.readingKinds = definition.readingKinds;
    this.#acting = [
      ...(definition.protocol === 'scpi' ? COMMON_ACTING_QUERIES : []),
      ...(definition.actingQueries ?? []),
    ].map(compilePattern);
    this.commands = Object.entries(definition.commands).map(([name, c]) => ({
      name,
      description: c.description,
      control: c.control,
      ...(c.sets ? { sets: c.sets } : {}),
      ...(c.enables ? { enables: c.enables } : {}),
      params: Object.fromEntries(
        Object.entries(c.params ?? {}).map(([k, s]) => [k, describeParam(s, this.info)]),
      ),
    }));
    const getReadings = definition.commands.get_readings;
    if (getReadings) {
      const perChannel = getReadings.params?.channel !== undefined;
      this.readings = (channel) =>
        this.execute(
          'get_readings',
          perChannel && channel !== undefined ? { channel } : {},
        ) as Promise<Readings>;
    }
  }

  get state(): SessionState {
    return this.session.state;
  }

  get stats(): SessionStats {
    return this.session.stats;
  }

  execute(command: string, params?: Record<string, unknown>): Promise<unknown> {
    const entry = Object.hasOwn(this.definition.commands, command)
      ? this.definition.commands[command]
      : undefined;
    if (entry === undefined) return Promise.reject(new UnknownCommandError(command));
    let values: Values;
    try {
      values = validate(command, entry.params ?? {}, params, this.info);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.exclusive(() => entry.run(this.io, values));
  }

  safeState(): Promise<void> {
    return this.exclusive(() => this.definition.safeState(this.io));
  }

  rawKind(command: string): RawKind {
    // The B&K serial protocol has no queries in the SCPI sense: every command is answered, setters included.
    if (this.definition.protocol === 'bk-serial') return /^\s*G/i.test(command) ? 'query' : 'write';
    return classifyRaw(command, this.#acting);
  }

  raw(command: string, options: RawOptions = {}): Promise<string | undefined> {
    if (typeof command !== 'string' || command.trim() === '' || /[\r\n]/.test(command)) {
      return Promise.reject(new ParameterError('command', 'raw command must be one non-empty line'));
    }
    const line = command.trim();
    // An unanswered raw query (an unknown header, a slow one) costs its timeout and a resync, never the link.
    const io: CommandOptions = { timeoutMs: options.timeoutMs, onTimeout: 'resync' };
    return this.exclusive(async () => {
      // The BK serial protocol answers every command, so its raw form always reads the reply.
      if (this.definition.protocol === 'bk-serial' || isQuery(line)) return this.io.query(line, io);
      await this.io.write(line, { timeoutMs: options.timeoutMs });
      return undefined;
    });
  }

  onStateChange(listener: (state: SessionState, reason: string | null) => void): () => void {
    return this.session.onStateChange(listener);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** A SCPI query: its header ends in '?' (`*IDN?`, `:MEAS:VOLT? CH1`), whatever parameters follow. */
export function isQuery(line: string): boolean {
  return /^\s*[^\s;]*\?(\s|$)/.test(line);
}

/**
 * Runs `step` for every channel in turn (steps may select a channel first, so never concurrently), then reports
 * the first failure: one channel that refuses must not leave the others on.
 */
export async function forEachChannel(
  channels: number,
  step: (channel: number) => Promise<unknown>,
): Promise<void> {
  let failure: unknown;
  for (let channel = 1; channel <= channels; channel++) {
    try {
      await step(channel);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}
