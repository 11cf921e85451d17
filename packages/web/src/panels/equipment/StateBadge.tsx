// An instrument's connection state in words and colour; the reason is shown whenever there is one. While the
// server cannot be reached the state cannot be known: the badge says Unknown, and Stale while the instrument's
// readings have stopped arriving (lib/freshness has the rules).

import { useReachability } from '../../app/client';
import { instrumentBadge } from '../../lib/freshness';

export { stateInWords } from '../../lib/freshness';

interface Props {
  state: string;
  error: string | null;
  /** Some of its live readings are stale. */
  stale?: boolean | undefined;
}

export function StateBadge({ state, error, stale }: Props) {
  const { reachable } = useReachability();
  const badge = instrumentBadge({ state, reachable, stale });
  return (
    <span className="state" data-state={state}>
      <span className={`badge badge-${badge.tone}`} title={badge.title}>
        {badge.text}
      </span>
      {error && reachable && <span className="state-reason">{error}</span>}
    </span>
  );
}
