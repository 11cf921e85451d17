// Threshold crossings of one channel, streamed over the chunks: a rising crossing where a valid sample is at or above
// the threshold and the previous valid one below it, a falling crossing the other way round. The index is the
// session index of the first sample past the crossing; missing samples are skipped (compared with the last valid).

import { type CrossingDirection, STATS_LIMITS } from '@lablink/protocol/rest';
import type { Series } from './series.js';

/** Crossings listed at most (each direction); `truncated` says when there were more. */
export const MAX_CROSSINGS: number = STATS_LIMITS.maxCrossings;

export interface CrossingStats {
  threshold: number;
  direction: CrossingDirection;
  /** Session sample indices of rising crossings (empty when direction is falling). */
  rising: number[];
  falling: number[];
  /** Both lists merged in order (those of the direction asked). */
  indices: number[];
  count: number;
  truncated: boolean;
}

export async function crossings(
  series: Series,
  threshold = 0,
  direction: CrossingDirection = 'both',
  max = MAX_CROSSINGS,
): Promise<CrossingStats> {
  const rising: number[] = [];
  const falling: number[] = [];
  let risingCount = 0;
  let fallingCount = 0;
  let previous = Number.NaN;
  for await (const chunk of series()) {
    const v = chunk.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      if (!Number.isFinite(x)) continue;
      if (!Number.isNaN(previous)) {
        if (previous < threshold && x >= threshold && direction !== 'falling') {
          if (risingCount++ < max) rising.push(chunk.offset + i);
        } else if (previous >= threshold && x < threshold && direction !== 'rising') {
          if (fallingCount++ < max) falling.push(chunk.offset + i);
        }
      }
      previous = x;
    }
  }
  const indices = [...rising, ...falling].sort((a, b) => a - b);
  return {
    threshold,
    direction,
    rising,
    falling,
    indices,
    count: risingCount + fallingCount,
    truncated: risingCount > max || fallingCount > max,
  };
}
