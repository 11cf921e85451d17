// Whether what the page shows is current, in one place: the words and tones of an instrument's badge, why its
// controls are disabled, and how old a reading is. Pure functions, so that the rules are tested without a browser.

/** "4 instruments", "1 instrument". */
export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

/** A reading's age in words: "0.4 s old", "12 s old", "3 min old", "2 h old"; "age unknown" when it has none. */
export function ageText(ageMs: number): string {
  if (!Number.isFinite(ageMs)) return 'age unknown';
  const s = Math.max(0, ageMs) / 1000;
  if (s < 10) return `${s.toFixed(1)} s old`;
  if (s < 120) return `${Math.floor(s)} s old`;
  if (s < 7200) return `${Math.floor(s / 60)} min old`;
  return `${Math.floor(s / 3600)} h old`;
}

/** How long ago, in words: "8 s", "3 min", "2 h". */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'muted';

export interface Badge {
  text: string;
  tone: Tone;
  /** Why, in a sentence, when the badge alone does not say it. */
  title?: string;
}

const STATE_BADGES: Record<string, Badge> = {
  connected: { text: 'Connected', tone: 'ok' },
  connecting: { text: 'Connecting…', tone: 'warn' },
  reconnecting: { text: 'Reconnecting…', tone: 'warn' },
  // The link opens but the instrument does not answer (hung, busy for good): LabLink keeps checking.
  not_responding: { text: 'Not responding', tone: 'bad' },
  error: { text: 'Error', tone: 'bad' },
  disconnected: { text: 'Disconnected', tone: 'muted' },
};

export interface BadgeInput {
  /** The instrument's last known state (connected, reconnecting …). */
  state: string;
  /** Whether the server answers: when it does not, no state can be known. */
  reachable: boolean;
  /** The instrument's live readings are older than three of their periods. */
  stale?: boolean | undefined;
}

/** The instrument's badge: Unknown while the server cannot be reached, Stale while its readings are, else its state. */
export function instrumentBadge({ state, reachable, stale }: BadgeInput): Badge {
  if (!reachable) {
    return {
      text: 'Unknown',
      tone: 'muted',
      title: `The server cannot be reached: the instrument's state cannot be known (last known: ${stateInWords(state)})`,
    };
  }
  if (stale && state === 'connected') {
    return { text: 'Stale', tone: 'warn', title: 'Connected, but its readings have stopped arriving' };
  }
  return STATE_BADGES[state] ?? { text: state, tone: 'muted' };
}

/** The state in a sentence: "while the instrument is not responding". */
export function stateInWords(state: string): string {
  return state === 'error' ? 'in error' : state.replaceAll('_', ' ');
}

/**
 * Why an instrument's controls are disabled right now; null when they can be used. `roleReason` is why the
 * signed-in role may not control (lib/auth roleBlocked: "Your role (viewer) can watch but not control"); it
 * outlasts the others, so it is said first after an unreachable server.
 */
export function controlsBlocked({
  state,
  reachable,
  roleReason = null,
}: {
  state: string;
  reachable: boolean;
  roleReason?: string | null;
}): string | null {
  if (!reachable) return 'Server unreachable — controls disabled';
  if (roleReason) return roleReason;
  if (state !== 'connected') return `Controls are paused while the instrument is ${stateInWords(state)}`;
  return null;
}

/**
 * Whether readings on screen are current: not when the server cannot be reached, the instrument is not connected,
 * or the newest reading is stale (older than three of its periods).
 */
export function readingsStale(input: { reachable: boolean; online: boolean; stale: boolean }): boolean {
  return !input.reachable || !input.online || input.stale;
}

/**
 * Whether an emergency stop that failed is sent again: yes when no server answered (status 0) or a proxy or an
 * overloaded server did not pass it on (5xx); no when a server refused it (4xx: it answered, and retrying would
 * not change its answer).
 */
export function estopShouldRetry(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') return true;
  return status === 0 || status >= 500;
}
