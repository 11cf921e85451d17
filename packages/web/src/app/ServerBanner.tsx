// The band across the top while the server cannot be reached: since when, and that nothing on screen is current.
// It goes away by itself as soon as the server answers again.

import { durationText } from '../lib/freshness';
import { useNow, useReachability } from './client';

export function ServerBanner() {
  const { reachable, since } = useReachability();
  const now = useNow();
  if (reachable) return null;
  const at = since === null ? null : new Date(since);
  return (
    <div className="server-banner" role="alert" aria-label="Server unreachable">
      <strong>Server unreachable</strong>
      <span>
        {at ? `since ${at.toLocaleTimeString()} (${durationText(now - at.getTime())})` : ''}: readings are not
        current, instrument states are unknown and controls are disabled. Retrying…
      </span>
    </div>
  );
}
