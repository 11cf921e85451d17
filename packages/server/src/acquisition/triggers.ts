// Trigger conditions, pure: does this sample (after the previous one) start the recording?
// level: the value reaches the level (at or above it; at or below for edge "falling"). edge: the value crosses
// the level between two consecutive samples in the given direction (rising: below → at or above).

import type { TriggerEdge } from '@lablink/protocol/rest';

export function levelReached(value: number, level: number, edge: TriggerEdge | undefined): boolean {
  if (!Number.isFinite(value)) return false;
  return edge === 'falling' ? value <= level : value >= level;
}

export function edgeCrossed(prev: number, value: number, level: number, edge: TriggerEdge): boolean {
  if (!Number.isFinite(prev) || !Number.isFinite(value)) return false;
  const rising = prev < level && value >= level;
  const falling = prev > level && value <= level;
  return edge === 'rising' ? rising : edge === 'falling' ? falling : rising || falling;
}
