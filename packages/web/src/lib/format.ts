// Numbers as people read them on a bench: fixed decimals for supply and load values (5.000 V), SI prefixes for
// the wide ranges of scopes and meters (500 µs/div, 4.7 kΩ). Parsing accepts what people type: 0.001, 1m, 1 ms.

/** SI prefixes from giga to pico, largest first. */
export const PREFIXES: readonly [number, string][] = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
  [1e-12, 'p'],
];

const MULTIPLIER: Record<string, number> = {
  u: 1e-6,
  ...Object.fromEntries(PREFIXES.map(([m, p]) => [p, m])),
};

/** "5.000 V"; an em dash when there is no value. */
export function formatFixed(value: number | null | undefined, decimals: number, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return unit ? `${value.toFixed(decimals)} ${unit}` : value.toFixed(decimals);
}

/** The number with an SI prefix and no unit, e.g. 0.0005 → "500µ", 4700 → "4.7k" (for inputs and readouts). */
export function siNumber(value: number, digits = 4): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const [multiplier, prefix] =
    PREFIXES.find(([m]) => abs >= m * 0.9999995) ?? (PREFIXES.at(-1) as [number, string]);
  const scaled = Number((value / multiplier).toPrecision(digits));
  return `${scaled}${prefix}`;
}

/** "500 µs/div", "4.7 kΩ"; an em dash when there is no value. */
export function formatSi(value: number | null | undefined, unit: string, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const text = siNumber(value, digits);
  const prefixed = /[a-zA-Zµ]$/.test(text);
  return prefixed ? `${text.slice(0, -1)} ${text.slice(-1)}${unit}` : `${text} ${unit}`;
}

/**
 * Reads a typed quantity: "0.001", "1e-3", "1m", "1 ms", "1 ms/div" (with unit "s/div") all give 0.001.
 * Returns null when the text is not a number.
 */
export function parseQuantity(text: string, unit = ''): number | null {
  let rest = text.trim().replace(',', '.');
  if (unit && rest.toLowerCase().endsWith(unit.toLowerCase())) rest = rest.slice(0, -unit.length).trim();
  const match = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([GMkmuµnp]?)$/i.exec(rest);
  if (!match) return null;
  const [, number, prefix = ''] = match;
  // Upper-case M is mega, lower-case m is milli: the case of the prefix matters, the rest of the match does not.
  const multiplier = MULTIPLIER[prefix];
  if (multiplier === undefined) return null;
  const value = Number(number) * multiplier;
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : null;
}

/** Local wall-clock time of a server timestamp, e.g. "14:03:27". */
export function clockTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
