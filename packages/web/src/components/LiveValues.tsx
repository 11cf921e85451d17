// Live values with their freshness: while the newest sample is older than three of its stream's periods, the
// instrument is not connected or the server cannot be reached, the values are greyed and say how old they are
// ("12 s old"). The age keeps counting each second. StaleScope lets an instrument's badge know that some of its
// values are stale.

import { createContext, type ReactNode, useCallback, useContext, useEffect, useId, useState } from 'react';
import { useClient, useNow, useReachability } from '../app/client';
import { ageText, readingsStale } from '../lib/freshness';

type Report = (key: string, stale: boolean) => void;
const StaleContext = createContext<Report | null>(null);

/** Collects the staleness of the LiveValues inside; `children` gets whether any of them is stale. */
export function StaleScope({ children }: { children: (anyStale: boolean) => ReactNode }) {
  const [stale, setStale] = useState<ReadonlySet<string>>(() => new Set());
  const report = useCallback<Report>((key, isStale) => {
    setStale((prev) => {
      if (prev.has(key) === isStale) return prev;
      const next = new Set(prev);
      if (isStale) next.add(key);
      else next.delete(key);
      return next;
    });
  }, []);
  return <StaleContext.Provider value={report}>{children(stale.size > 0)}</StaleContext.Provider>;
}

interface Props {
  /** The newest sample shown (its server timestamp); null before the first. */
  sample: { timestamp: string } | null;
  /** The stream's period (ms): stale after three of them (at least 1 s). */
  intervalMs: number;
  /** The instrument is connected and its stream running. */
  online: boolean;
  className?: string;
  children: ReactNode;
}

export function LiveValues({ sample, intervalMs, online, className = 'readouts', children }: Props) {
  const { realtime } = useClient();
  const { reachable } = useReachability();
  useNow(1000);
  const fresh = sample ? realtime.freshness(sample, intervalMs) : null;
  const stale = fresh !== null && readingsStale({ reachable, online, stale: fresh.stale });

  const report = useContext(StaleContext);
  const key = useId();
  useEffect(() => report?.(key, stale), [report, key, stale]);
  useEffect(() => () => report?.(key, false), [report, key]);

  return (
    <div className={`${className}${stale ? ' stale' : ''}`} data-stale={stale ? 'true' : 'false'}>
      {children}
      {stale && fresh && (
        <p className="stale-age" role="status">
          Not current: {ageText(fresh.age_ms)}
        </p>
      )}
    </div>
  );
}
