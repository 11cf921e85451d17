// The one JSON encoder of the protocol. The original LabLink lost every readings and waveform stream to a
// datetime its encoder could not write, and sent bare NaN tokens no browser can parse; here every message goes
// through `encode`, which cannot fail on either: Dates become ISO-8601 UTC with Z, non-finite numbers null.

/** JSON.stringify replacer: NaN/±Infinity → null, typed arrays → arrays, bigint → number, Map → object. */
export function jsonSafe(_key: string, value: unknown): unknown {
  // Date already arrives as its toJSON() string (toISOString: UTC with Z), or null for an invalid Date.
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => jsonSafe('', v));
  }
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** Serialises one message. Never throws on Dates, NaN or Infinity; throws on cycles (a bug, not data). */
export function encode(message: unknown): string {
  return JSON.stringify(message, jsonSafe);
}

/** The current server time in the protocol's format. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString();
}
