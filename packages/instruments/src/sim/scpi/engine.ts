// The SCPI message engine shared by every SCPI simulator: it splits a program message into units at ';', resolves
// each header against the instrument's command table (with the SCPI "current path" rule for headers without a
// leading ':'), runs the handler, queues errors, and joins the query responses with ';' into one response message.
// The IEEE 488.2 common commands and SYSTem:ERRor?/VERSion? are built in, because every instrument answers them
// alike; the instrument's table supplies everything else.

import { ScpiError } from './errors.js';
import { Params } from './params.js';
import { compilePattern, type HeaderPattern, matchHeader, type Suffixes } from './pattern.js';
import { ESR, StatusModel } from './status.js';

/** What a query answers: text, or bytes for binary blocks (the engine appends the terminator). */
export type Response = string | Buffer;

export interface CommandContext {
  readonly params: Params;
  /** The numeric suffix given with a keyword of the pattern, by its long form: ctx.suffix('CHANnel'). */
  suffix(keyword: string): number | undefined;
}

/** One row of a command table: a header pattern with its setter and/or query handler. */
export interface CommandSpec {
  pattern: string;
  set?: (ctx: CommandContext) => void;
  query?: (ctx: CommandContext) => Response;
}

export interface Identity {
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
}

export interface ScpiInstrumentOptions {
  identity: Identity;
  commands: readonly CommandSpec[];
  /** *RST: back to the power-on settings. */
  reset: () => void;
  /** Error queue length from the manual. */
  errorQueueSize?: number;
  /** SYSTem:VERSion? answer: the SCPI version the instrument claims. */
  scpiVersion?: string;
  /** How SYSTem:ERRor? prints the code: Keysight writes '+0', Rigol and B&K '0'. */
  signedErrorCodes?: boolean;
}

interface CompiledCommand {
  header: HeaderPattern;
  spec: CommandSpec;
}

export class ScpiInstrument {
  readonly status: StatusModel;
  private readonly table: CompiledCommand[];

  constructor(private readonly options: ScpiInstrumentOptions) {
    this.status = new StatusModel(options.errorQueueSize ?? 20);
    this.table = [...this.commonCommands(), ...options.commands].map((spec) => ({
      header: compilePattern(spec.pattern),
      spec,
    }));
  }

  /**
   * Runs one program message (one line, terminator removed). Returns the response message without its
   * terminator, or undefined when the message held no query (or failed before reaching one).
   */
  execute(message: string): Buffer | undefined {
    const responses: Buffer[] = [];
    let path: string[] = [];
    for (const unit of splitUnits(message)) {
      if (unit === '') continue;
      try {
        const { tokens, query, params, common } = parseUnit(unit, path);
        if (!common) path = tokens.slice(0, -1);
        const response = this.dispatch(tokens, query, params);
        if (response !== undefined)
          responses.push(typeof response === 'string' ? Buffer.from(response) : response);
      } catch (error) {
        if (!(error instanceof ScpiError)) throw error;
        this.status.pushError(error.code, error.message);
        // An instrument abandons the rest of a program message after an error; earlier units stand.
        break;
      }
    }
    if (responses.length === 0) return undefined;
    const joined: Buffer[] = [];
    responses.forEach((response, i) => {
      if (i > 0) joined.push(Buffer.from(';'));
      joined.push(response);
    });
    return Buffer.concat(joined);
  }

  private dispatch(tokens: string[], query: boolean, params: Params): Response | undefined {
    for (const { header, spec } of this.table) {
      const handler = query ? spec.query : spec.set;
      if (!handler) continue;
      const suffixes = matchHeader(header, tokens);
      if (!suffixes) continue;
      const ctx = context(params, suffixes);
      if (query) return (handler as NonNullable<CommandSpec['query']>)(ctx);
      (handler as NonNullable<CommandSpec['set']>)(ctx);
      return undefined;
    }
    throw new ScpiError(-113);
  }

  private commonCommands(): CommandSpec[] {
    const { status } = this;
    const { identity } = this.options;
    const mask = (ctx: CommandContext) => ctx.params.atMost(1).integer(0, { min: 0, max: 255 });
    return [
      {
        pattern: '*IDN',
        query: () => `${identity.manufacturer},${identity.model},${identity.serial},${identity.firmware}`,
      },
      { pattern: '*RST', set: () => this.options.reset() },
      { pattern: '*CLS', set: () => status.clear() },
      { pattern: '*ESR', query: () => String(status.readEsr()) },
      {
        pattern: '*ESE',
        set: (ctx) => {
          status.ese = mask(ctx);
        },
        query: () => String(status.ese),
      },
      {
        pattern: '*SRE',
        set: (ctx) => {
          status.sre = mask(ctx);
        },
        query: () => String(status.sre),
      },
      { pattern: '*STB', query: () => String(status.stb()) },
      // Commands execute sequentially, so every operation is complete by the time *OPC or *OPC? is parsed.
      {
        pattern: '*OPC',
        set: () => {
          status.esr |= ESR.OPC;
        },
        query: () => '1',
      },
      { pattern: '*WAI', set: () => {} },
      { pattern: '*TST', query: () => '0' },
      {
        pattern: ':SYSTem:ERRor[:NEXT]',
        query: () => {
          const { code, message } = status.nextError();
          const printed = this.options.signedErrorCodes && code >= 0 ? `+${code}` : String(code);
          return `${printed},"${message}"`;
        },
      },
      { pattern: ':SYSTem:VERSion', query: () => this.options.scpiVersion ?? '1999.0' },
    ];
  }
}

function context(params: Params, suffixes: Suffixes): CommandContext {
  return { params, suffix: (keyword) => suffixes.get(keyword) };
}

/** Splits a program message at ';' outside quoted strings. */
function splitUnits(message: string): string[] {
  const units: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of message) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ';') {
      units.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  units.push(current.trim());
  return units;
}

const TOKEN = /^\*?[A-Za-z][A-Za-z0-9]*$/;

/**
 * Splits a program message unit into header tokens and parameters. A header without a leading ':' continues the
 * current path (the header of the previous unit minus its last keyword, SCPI-99 §6.2.4); common commands (*XXX)
 * neither use nor change it.
 */
function parseUnit(unit: string, path: readonly string[]) {
  const m = /^(\S+)(?:\s+(.*))?$/s.exec(unit);
  let header = m?.[1] ?? '';
  const query = header.endsWith('?');
  if (query) header = header.slice(0, -1);
  const common = header.startsWith('*');
  const absolute = header.startsWith(':');
  const tokens = (absolute ? header.slice(1) : header).split(':');
  if (tokens.some((token) => !TOKEN.test(token))) throw new ScpiError(-102);
  return {
    tokens: common || absolute ? tokens : [...path, ...tokens],
    query,
    params: Params.parse(m?.[2] ?? ''),
    common,
  };
}
