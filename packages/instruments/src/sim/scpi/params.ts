// Program data (the parameters after a header), parsed on demand by the handler that knows their types. Every
// accessor throws the SCPI error a real instrument would queue: -109 missing, -104 wrong type, -222 out of range,
// -224 not one of the allowed keywords.

import { ScpiError } from './errors.js';

/** SCPI suffix multipliers; 'M' is milli except for the units where the standard makes it mega (MHZ, MOHM). */
const UNIT_SCALE: Readonly<Record<string, number>> = {
  V: 1,
  MV: 1e-3,
  UV: 1e-6,
  KV: 1e3,
  A: 1,
  MA: 1e-3,
  UA: 1e-6,
  W: 1,
  MW: 1e-3,
  KW: 1e3,
  OHM: 1,
  KOHM: 1e3,
  MOHM: 1e6,
  S: 1,
  MS: 1e-3,
  US: 1e-6,
  NS: 1e-9,
  HZ: 1,
  KHZ: 1e3,
  MHZ: 1e6,
};

const NUMBER = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$/;

export interface NumberOptions {
  min?: number;
  max?: number;
  /** Values for MINimum / MAXimum / DEFault; without them those keywords are a data type error. */
  keywords?: { MIN?: number; MAX?: number; DEF?: number };
}

export class Params {
  private constructor(private readonly raw: readonly string[]) {}

  static parse(text: string): Params {
    const trimmed = text.trim();
    if (trimmed === '') return new Params([]);
    const items: string[] = [];
    let current = '';
    let quote: string | null = null;
    for (const ch of trimmed) {
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
      } else if (ch === ',') {
        items.push(current.trim());
        current = '';
        continue;
      }
      current += ch;
    }
    if (quote) throw new ScpiError(-102);
    items.push(current.trim());
    return new Params(items);
  }

  get count(): number {
    return this.raw.length;
  }

  has(index: number): boolean {
    return this.raw[index] !== undefined && this.raw[index] !== '';
  }

  /** Rejects parameters beyond the ones the command takes (-108). */
  atMost(count: number): this {
    if (this.raw.length > count) throw new ScpiError(-108);
    return this;
  }

  text(index: number): string {
    const value = this.raw[index];
    if (value === undefined || value === '') throw new ScpiError(-109);
    return value;
  }

  number(index: number, options: NumberOptions = {}): number {
    const text = this.text(index);
    const keyword = keywordOf(text, ['MINimum', 'MAXimum', 'DEFault']);
    let value: number | undefined;
    if (keyword) {
      value = options.keywords?.[keyword.slice(0, 3).toUpperCase() as 'MIN' | 'MAX' | 'DEF'];
      if (value === undefined) throw new ScpiError(-104);
      return value;
    }
    const m = NUMBER.exec(text);
    if (!m) throw new ScpiError(-104);
    const unit = (m[2] as string).toUpperCase();
    const scale = unit === '' ? 1 : UNIT_SCALE[unit];
    if (scale === undefined) throw new ScpiError(-131);
    value = Number(m[1]) * scale;
    if (
      (options.min !== undefined && value < options.min) ||
      (options.max !== undefined && value > options.max)
    ) {
      throw new ScpiError(-222);
    }
    return value;
  }

  integer(index: number, options: { min?: number; max?: number } = {}): number {
    const value = this.number(index, options);
    if (!Number.isInteger(value)) throw new ScpiError(-104);
    return value;
  }

  /** ON|OFF|1|0. */
  bool(index: number): boolean {
    const text = this.text(index).toUpperCase();
    if (text === 'ON' || text === '1') return true;
    if (text === 'OFF' || text === '0') return false;
    throw new ScpiError(-224);
  }

  /**
   * One of the choices, written as the manual does ('CURRent', 'CHANnel<n>' is not supported here — use
   * `channel`). Returns the choice as listed, so handlers compare against their own table.
   */
  keyword<T extends string>(index: number, choices: readonly T[]): T {
    const found = keywordOf(this.text(index), choices);
    if (!found) throw new ScpiError(-224);
    return found;
  }

  /** A quoted string (either quote) or, leniently, an unquoted word. */
  string(index: number): string {
    const text = this.text(index);
    const m = /^(["'])(.*)\1$/.exec(text);
    return m ? (m[2] as string) : text;
  }

  /**
   * A channel given as `<prefix><n>` (CH1, CHANnel2) within 1..count; -224 for an unknown prefix or channel.
   * @param prefixes the accepted spellings, in manual notation ('CH', 'CHANnel').
   */
  channel(index: number, prefixes: readonly string[], count: number): number {
    const m = /^([A-Za-z]+)(\d+)$/.exec(this.text(index));
    const n = m ? Number(m[2]) : Number.NaN;
    if (!m || !keywordOf(m[1] as string, prefixes) || n < 1 || n > count) throw new ScpiError(-224);
    return n;
  }
}

/** The choice whose short or long form equals the text, case-insensitively. */
export function keywordOf<T extends string>(text: string, choices: readonly T[]): T | undefined {
  const upper = text.toUpperCase();
  return choices.find((choice) => upper === choice.toUpperCase() || upper === choice.replace(/[a-z]/g, ''));
}
