// An instrument's connection state in words and colour; the reason is shown whenever there is one.

const TEXT: Record<string, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  error: 'Error',
  disconnected: 'Disconnected',
};
const TONE: Record<string, string> = {
  connected: 'ok',
  connecting: 'warn',
  reconnecting: 'warn',
  error: 'bad',
  disconnected: 'muted',
};

export function StateBadge({ state, error }: { state: string; error: string | null }) {
  return (
    <span className="state">
      <span className={`badge badge-${TONE[state] ?? 'muted'}`}>{TEXT[state] ?? state}</span>
      {error && <span className="state-reason">{error}</span>}
    </span>
  );
}
