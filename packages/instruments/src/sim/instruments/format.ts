// Number formats of instrument replies. Each vendor prints numbers its own way, and drivers parse those exact
// strings, so the formats live in one place with their examples.

/** Fixed decimals: 5.000 (Rigol DP800 and B&K setpoints, meters). */
export const fixed = (value: number, decimals: number): string => value.toFixed(decimals);

/** C-style %e with two-digit exponent: 1.000000e-03 (Rigol scopes). */
export function sci(value: number, decimals = 6): string {
  const [mantissa, exponent = '0'] = value.toExponential(decimals).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/** Keysight style: +4.99987654E+00 (always signed, 8 decimals, upper-case E). */
export function keysight(value: number): string {
  const text = sci(value, 8).toUpperCase();
  return text.startsWith('-') ? text : `+${text}`;
}

/** Rigol's "not measurable" value. */
export const INVALID = '9.9E37';
