// Binary frames for sample arrays (waveforms, acquisition blocks and captures), sent only to clients that asked for
// them. Sample arrays are plain arrays of numbers (or nulls) or Float32Array/Float64Array.
// Layout (all little-endian):
//
//   offset 0      uint32      H, the length in bytes of the JSON header
//   offset 4      H bytes     UTF-8 JSON header: the message exactly as its JSON frame would be, except that each
//                             sample array is removed from `data` and described in `binary`:
//                             [{"path":["samples"],"count":1200,"dtype":"float32"}, …]
//   4 + H         0–3 bytes   zero padding, so the samples start at a multiple of 4 (a zero-copy Float32Array)
//   …             float32[]   the arrays' values in `binary` order, back to back; null/missing values are NaN
//
// A 1200-sample waveform is 4.8 kB of samples instead of about 12–14 kB of JSON text, and needs no parsing.

import { encode } from './encode.js';

export interface BinaryArrayInfo {
  path: string[];
  count: number;
  dtype: 'float32';
}

/** Arrays shorter than this stay in the JSON header: a binary part would not pay for its descriptor. */
export const MIN_BINARY_ARRAY = 16;

type SampleArray = readonly (number | null)[] | Float32Array | Float64Array;

function isSampleArray(value: unknown): value is SampleArray {
  if (value instanceof Float32Array || value instanceof Float64Array) return value.length >= MIN_BINARY_ARRAY;
  return (
    Array.isArray(value) &&
    value.length >= MIN_BINARY_ARRAY &&
    value.every((v) => v === null || typeof v === 'number')
  );
}

/**
 * Splits the sample arrays (numbers or nulls, at the top of `data` or one object below, e.g. values.{ch}) out of
 * `data`. Returns null when there is none, in which case the message should go as a JSON text frame.
 */
export function extractSampleArrays(
  data: Record<string, unknown>,
): { header: Record<string, unknown>; arrays: BinaryArrayInfo[]; values: SampleArray[] } | null {
  const arrays: BinaryArrayInfo[] = [];
  const values: SampleArray[] = [];
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (isSampleArray(value)) {
      arrays.push({ path: [key], count: value.length, dtype: 'float32' });
      values.push(value);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const nested: Record<string, unknown> = {};
      for (const [inner, v] of Object.entries(value)) {
        if (isSampleArray(v)) {
          arrays.push({ path: [key, inner], count: v.length, dtype: 'float32' });
          values.push(v);
        } else nested[inner] = v;
      }
      header[key] = nested;
    } else header[key] = value;
  }
  return arrays.length > 0 ? { header, arrays, values } : null;
}

/**
 * Encodes a message whose `data` holds sample arrays as a binary frame; null when it has none (send JSON then).
 * `message.data` must be an object.
 */
export function encodeBinary(message: { data: unknown } & Record<string, unknown>): Uint8Array | null {
  if (!message.data || typeof message.data !== 'object') return null;
  const split = extractSampleArrays(message.data as Record<string, unknown>);
  if (!split) return null;
  const header = new TextEncoder().encode(encode({ ...message, data: split.header, binary: split.arrays }));
  const start = align4(4 + header.length);
  const total = split.values.reduce((n, a) => n + a.length, 0);
  const buffer = new ArrayBuffer(start + 4 * total);
  new DataView(buffer).setUint32(0, header.length, true);
  new Uint8Array(buffer, 4, header.length).set(header);
  const samples = new Float32Array(buffer, start, total);
  let i = 0;
  for (const array of split.values) {
    if (array instanceof Float32Array || array instanceof Float64Array) {
      samples.set(array, i); // typed arrays (block captures): one copy, no per-value work
      i += array.length;
    } else for (const v of array) samples[i++] = v ?? Number.NaN;
  }
  return new Uint8Array(buffer);
}

export interface DecodedBinary {
  /** The JSON header (the message without its arrays, with `binary` describing them). */
  header: Record<string, unknown> & { binary: BinaryArrayInfo[] };
  /** One Float32Array per entry of header.binary, in order (views on the frame, not copies when aligned). */
  arrays: Float32Array[];
}

/** Decodes a binary frame. Throws on a frame that does not follow the layout. */
export function decodeBinary(frame: ArrayBuffer | Uint8Array): DecodedBinary {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.length < 4) throw new Error('binary frame shorter than its header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  if (4 + length > bytes.length) throw new Error('binary frame header runs past the frame');
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(4, 4 + length)),
  ) as DecodedBinary['header'];
  if (!Array.isArray(header.binary)) throw new Error('binary frame header has no "binary" descriptor');
  let offset = align4(4 + length);
  const arrays = header.binary.map((info) => {
    if (info.dtype !== 'float32') throw new Error(`unsupported dtype ${String(info.dtype)}`);
    const end = offset + 4 * info.count;
    if (end > bytes.length) throw new Error('binary frame shorter than its arrays');
    const absolute = bytes.byteOffset + offset;
    const array =
      absolute % 4 === 0
        ? new Float32Array(bytes.buffer, absolute, info.count)
        : new Float32Array(bytes.slice(offset, end).buffer);
    offset = end;
    return array;
  });
  return { header, arrays };
}

/** Puts decoded arrays back into the header's `data` (as plain arrays, NaN → null): the JSON form of the message. */
export function toJsonForm(decoded: DecodedBinary): Record<string, unknown> {
  const { binary, ...message } = decoded.header;
  const data = structuredClone((message.data ?? {}) as Record<string, unknown>);
  binary.forEach((info, i) => {
    let target = data;
    for (const key of info.path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[info.path.at(-1) as string] = Array.from(decoded.arrays[i] ?? [], (v) =>
      Number.isNaN(v) ? null : v,
    );
  });
  return { ...message, data };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
