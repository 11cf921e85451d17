// What the statistics read: one channel of a recorded session as a series of chunks (timestamps in ms since the
// epoch, values with NaN for a missing sample). A series is a function that starts a new pass each time it is called,
// so a statistic that needs two passes (outliers need the mean first; an exact median narrows down over several)
// reads the stored chunks again instead of holding them in memory.

export interface SeriesChunk {
  /** ms since the epoch, server time. */
  timestamps: Float64Array;
  /** NaN (or ±Infinity) = missing. */
  values: Float64Array;
  /** Index in the session of values[0]. */
  offset: number;
}

export type Series = () => AsyncIterable<SeriesChunk>;

/** An in-memory series cut into chunks of `chunkSize` (tests, and data already in memory). */
export function seriesOf(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  chunkSize = 4096,
  offset = 0,
): Series {
  const t = Float64Array.from(timestamps);
  const v = Float64Array.from(values);
  return async function* () {
    for (let i = 0; i < v.length; i += chunkSize) {
      yield {
        timestamps: t.subarray(i, Math.min(i + chunkSize, v.length)),
        values: v.subarray(i, Math.min(i + chunkSize, v.length)),
        offset: offset + i,
      };
    }
  };
}

/** The whole series in one chunk: for the statistics that work on a bounded window (FFT, peaks). */
export async function collect(series: Series): Promise<SeriesChunk> {
  const parts: SeriesChunk[] = [];
  let length = 0;
  for await (const chunk of series()) {
    parts.push(chunk);
    length += chunk.values.length;
  }
  const timestamps = new Float64Array(length);
  const values = new Float64Array(length);
  let at = 0;
  for (const part of parts) {
    timestamps.set(part.timestamps, at);
    values.set(part.values, at);
    at += part.values.length;
  }
  return { timestamps, values, offset: parts[0]?.offset ?? 0 };
}
