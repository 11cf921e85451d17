// The safety limits in force on each channel (the user's, capped by the ratings), shown as hints next to the
// setpoints. The server enforces them; the page only says what they are.

import { useEffect, useState } from 'react';
import { useClient } from '../app/client';
import type { ChannelLimits } from './types';

export function useLimits(equipmentId: string, online: boolean): Map<number, ChannelLimits> {
  const { rest } = useClient();
  const [limits, setLimits] = useState(new Map<number, ChannelLimits>());
  useEffect(() => {
    if (!online) return;
    let current = true;
    rest
      .limits(equipmentId)
      .then((r) => {
        if (current) setLimits(new Map(r.limits.map((l) => [l.channel, l])));
      })
      .catch(() => {
        // Without limits the hints are left out; a refused setpoint still says which limit it hit.
      });
    return () => {
      current = false;
    };
  }, [rest, equipmentId, online]);
  return limits;
}
