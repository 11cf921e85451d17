// Values for the hostile-input property tests (rest-fuzz, ws-fuzz): the extremes a request may carry, and JSON
// text for the numbers JavaScript cannot hold.

import fc from 'fast-check';
import type { Json } from './helpers.js';

/** A JSON number or text that JavaScript cannot hold (9007199254740993, 1e309) or must send verbatim. */
export class Raw {
  constructor(readonly text: string) {}
}

export function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const deep = (n: number): Json => (n === 0 ? {} : { a: deep(n - 1) });
export const hostileNumbers = fc.constantFrom<unknown>(
  1e308,
  -1e308,
  new Raw('9007199254740993'),
  new Raw('-9007199254740993'),
  new Raw('1e309'),
  new Raw('-1e309'),
  new Raw('1E+400'),
  new Raw('-0'),
  new Raw('0.0000000000000000000000001'),
  1e-20,
  -1e-20,
  0,
  -1,
  0.5,
  2 ** 31,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  86_401,
);
export const hostileStrings = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e308',
    '0x10',
    ' 1 ',
    'null',
    'true',
    '[]',
    '{}',
    '5;*RST',
    '*RST\n*IDN?',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u0041',
    '🔥💥🧪',
    'é'.normalize('NFD'),
    '../../etc/passwd',
    '%00',
    '%2F',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    'x'.repeat(65),
    'x'.repeat(101),
    'x'.repeat(257),
    'x'.repeat(513),
    'x'.repeat(100_000),
    '𝔘'.repeat(5_000),
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
export const hostileStructures = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, [], [null], [1, 2, 3], {}, { $gt: '' }, deep(60), [[[[[]]]]]),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileNumbers, { maxLength: 4 }),
);
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileNumbers },
  { weight: 3, arbitrary: hostileStrings },
  { weight: 2, arbitrary: hostileStructures },
);

export type Gen = fc.GeneratorValue;

export const chance = (g: Gen, percent: number) => g(fc.integer, { min: 0, max: 99 }) < percent;
export const oneOf = <T>(g: Gen, values: readonly T[]): T => values[g(fc.nat, values.length - 1)] as T;
