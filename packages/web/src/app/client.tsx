// The one LabLink client of the page, and hooks over its real-time side. Components never call fetch or open
// sockets themselves: everything goes through @lablink/client, which also falls back to polling while the
// WebSocket is down and goes live again by itself.

import type { LabLinkClient, Mode, Quality, Reachability } from '@lablink/client';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';

export type { Mode as RealtimeMode } from '@lablink/client';

const ClientContext = createContext<LabLinkClient | null>(null);

export function ClientProvider({ client, children }: { client: LabLinkClient; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): LabLinkClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside <ClientProvider>');
  return client;
}

/** live / polling / reconnecting …, re-rendering on every change. */
export function useRealtimeMode(): Mode {
  const { realtime } = useClient();
  const [mode, setMode] = useState(realtime.mode);
  useEffect(() => {
    setMode(realtime.mode);
    return realtime.onMode(setMode);
  }, [realtime]);
  return mode;
}

/** Whether the server answers (`reachable`), since when it does not, and the last contact; re-renders on change. */
export function useReachability(): Reachability {
  const { realtime } = useClient();
  const [reach, setReach] = useState(realtime.reachability);
  useEffect(() => {
    setReach(realtime.reachability);
    return realtime.onReachability(setReach);
  }, [realtime]);
  return reach;
}

/** Re-renders every `everyMs` (ages on screen keep counting) and returns Date.now(). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Messages per second, latency, gaps and reconnects of the real-time link. */
export function useQuality(): Quality {
  const { realtime } = useClient();
  const [quality, setQuality] = useState(realtime.quality);
  useEffect(() => realtime.onQuality(setQuality), [realtime]);
  return quality;
}

/** Calls `handler` with the data of each server event of this type (equipment_state, emergency_stop_activated …). */
export function useServerEvent(type: string, handler: (data: Record<string, unknown>) => void): void {
  const { realtime } = useClient();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(
    () => realtime.on(type, (event) => latest.current(event.data as Record<string, unknown>)),
    [realtime, type],
  );
}

/**
 * Keeps REST-loaded state honest: `refresh` runs when the link goes live (events may have been missed while it
 * was down) and every `everyMs` while it is not live (no events arrive then at all).
 */
export function useResync(refresh: () => void, everyMs = 3000): void {
  const mode = useRealtimeMode();
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (mode === 'live') {
      latest.current();
      return;
    }
    const timer = window.setInterval(() => latest.current(), everyMs);
    return () => window.clearInterval(timer);
  }, [mode, everyMs]);
}
