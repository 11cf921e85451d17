// An instrument's connection state in words and colour; the reason is shown whenever there is one.

const TEXT: Record<string, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  // The link opens but the instrument does not answer (hung, busy for good): LabLink keeps checking.
  not_responding: 'Not responding',
  error: 'Error',
  disconnected: 'Disconnected',
};
const TONE: Record<string, string> = {
  connected: 'ok',
  connecting: 'warn',
  reconnecting: 'warn',
  not_responding: 'bad',
  error: 'bad',
  disconnected: 'muted',
};

/** The state in a sentence: "while the instrument is not responding". */
export function stateInWords(state: string): string {
  return state === 'error' ? 'in error' : state.replaceAll('_', ' ');
}

export function StateBadge({ state, error }: { state: string; error: string | null }) {
  return (
    <span className="state">
      <span className={`badge badge-${TONE[state] ?? 'muted'}`}>{TEXT[state] ?? state}</span>
      {error && <span className="state-reason">{error}</span>}
    </span>
  );
}
