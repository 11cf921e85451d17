// How the page is connected right now. Latency is measured from the server's timestamps on each message (not
// from when the browser happened to look), so it means something; "polling" says the WebSocket is down and the
// page is reading over HTTP until it comes back by itself; "Server unreachable" that nothing answers at all.

import { type RealtimeMode, useQuality, useReachability, useRealtimeMode } from './client';

const MODE_TEXT: Record<RealtimeMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Polling (WebSocket down)',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export function ConnectionBar() {
  const mode = useRealtimeMode();
  const quality = useQuality();
  const { reachable } = useReachability();
  const latency = quality.latencyMs;
  return (
    <section
      className="connection"
      aria-label="Connection"
      data-mode={mode}
      data-reachable={String(reachable)}
    >
      <span className={`connection-mode mode-${reachable ? mode : 'closed'}`} role="status">
        <span className="dot" aria-hidden="true" />
        {reachable ? MODE_TEXT[mode] : 'Server unreachable'}
      </span>
      <span
        className="connection-stat"
        title="Delay from the server stamping a message to the page receiving it"
      >
        latency {latency === null || latency === undefined ? '—' : `${Math.round(latency)} ms`}
      </span>
      <span className="connection-stat">{quality.messagesPerSecond.toFixed(1)} msg/s</span>
      <span className="connection-stat">
        {quality.reconnects} reconnect{quality.reconnects === 1 ? '' : 's'}
      </span>
      {quality.gaps > 0 && <span className="connection-stat warn">{quality.gaps} missed</span>}
    </section>
  );
}
