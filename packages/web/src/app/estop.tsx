// The emergency stop, on every page. Its state comes from the server (status on load, then the
// emergency_stop_activated/deactivated events, re-read whenever events may have been missed), never from the
// click alone: the page says "active" only once the server has turned the outputs off.

import { Backoff } from '@lablink/client';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { describeError } from '../lib/errors';
import { clockTime } from '../lib/format';
import { estopShouldRetry, plural } from '../lib/freshness';
import { useRoleBlocked } from './auth';
import { useClient, useReachability, useRealtimeMode, useResync, useServerEvent } from './client';
import { useNotify } from './notifications';

interface EStopState {
  active: boolean;
  stopTime: string | null;
}

const EStopContext = createContext<{ state: EStopState | null; refresh(): void }>({
  state: null,
  refresh() {},
});

/** Whether the emergency stop is active (null until known). */
export function useEmergencyStop(): boolean | null {
  return useContext(EStopContext).state?.active ?? null;
}

export function EStopProvider({ children }: { children: ReactNode }) {
  const { rest } = useClient();
  const [state, setState] = useState<EStopState | null>(null);

  const refresh = useCallback(() => {
    rest
      .emergencyStopStatus()
      .then((s) => setState({ active: s.active, stopTime: s.stop_time }))
      .catch(() => {
        // The connection bar already says the server is unreachable; the last known state stays on screen.
      });
  }, [rest]);

  useEffect(refresh, [refresh]);
  useResync(refresh);
  useServerEvent('emergency_stop_activated', (data) =>
    setState({ active: true, stopTime: typeof data.stop_time === 'string' ? data.stop_time : null }),
  );
  useServerEvent('emergency_stop_deactivated', () =>
    setState((s) => ({ active: false, stopTime: s?.stopTime ?? null })),
  );

  return <EStopContext.Provider value={{ state, refresh }}>{children}</EStopContext.Provider>;
}

/** How often an emergency stop that got no answer is sent again (backoff with jitter, at least every 4 s). */
const ESTOP_RETRY = { baseMs: 500, maxMs: 4000 };

/**
 * Always enabled. A stop that cannot reach the server is not given up: it is sent again with backoff, and at once
 * whenever the WebSocket comes back or the server answers anything, until a server confirms it. The button says
 * it is retrying meanwhile; clicking it again sends it again at once.
 */
export function EmergencyStopButton() {
  const { rest } = useClient();
  const notify = useNotify();
  const { refresh } = useContext(EStopContext);
  const { reachable } = useReachability();
  const mode = useRealtimeMode();
  const [inFlight, setInFlight] = useState(false);
  const [attempts, setAttempts] = useState(0);
  const tries = useRef(0);
  const wanted = useRef(false);
  const sending = useRef(false);
  const timer = useRef<number | undefined>(undefined);
  const backoff = useRef(new Backoff(ESTOP_RETRY));

  const send = useCallback(async () => {
    if (sending.current || !wanted.current) return;
    sending.current = true;
    setInFlight(true);
    window.clearTimeout(timer.current);
    try {
      const result = await rest.emergencyStop();
      wanted.current = false;
      backoff.current.reset();
      tries.current = 0;
      setAttempts(0);
      const failed = result.failed ?? [];
      notify(
        failed.length ? 'error' : 'success',
        `Emergency stop: every output off (${plural(result.equipment_count, 'instrument')} made safe)` +
          (failed.length
            ? `; could NOT turn off ${failed.map((f) => `${f.equipment_id} (${f.error})`).join(', ')}`
            : ''),
      );
      refresh();
    } catch (err) {
      if (estopShouldRetry(err)) {
        tries.current += 1;
        setAttempts(tries.current);
        if (tries.current === 1) {
          notify(
            'error',
            `Emergency stop not confirmed (${describeError(err)}): retrying until a server confirms`,
          );
        }
        timer.current = window.setTimeout(() => void latest.current(), Math.max(250, backoff.current.next()));
      } else {
        wanted.current = false;
        tries.current = 0;
        setAttempts(0);
        notify('error', `Emergency stop failed: ${describeError(err)}`);
        refresh();
      }
    } finally {
      sending.current = false;
      setInFlight(false);
    }
  }, [rest, notify, refresh]);
  const latest = useRef(send);
  latest.current = send;

  // Another path back (the socket live again, the server answering a probe or a poll): send it at once.
  useEffect(() => {
    if (wanted.current && (reachable || mode === 'live')) void latest.current();
  }, [reachable, mode]);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const stop = () => {
    wanted.current = true;
    void send();
  };
  const retrying = attempts > 0;

  return (
    <button
      type="button"
      className={`estop${retrying ? ' estop-retrying' : ''}`}
      onClick={stop}
      aria-label="Emergency stop"
      data-retrying={retrying ? 'true' : 'false'}
      title={
        retrying ? `Not confirmed yet: attempt ${attempts + 1}, retrying until a server confirms` : undefined
      }
    >
      {retrying ? `E-STOP RETRYING… (${attempts})` : inFlight ? 'STOPPING…' : 'EMERGENCY STOP'}
    </button>
  );
}

/** The "E-stop active — Release" band under the top bar while the stop is in force. */
export function EmergencyStopBanner() {
  const { rest } = useClient();
  const notify = useNotify();
  const { state, refresh } = useContext(EStopContext);
  const [busy, setBusy] = useState(false);
  // Pressing the stop is for everyone; releasing it is an operator's.
  const roleReason = useRoleBlocked('operator');
  if (!state?.active) return null;

  const release = async () => {
    setBusy(true);
    try {
      await rest.clearEmergencyStop();
      notify('success', 'Emergency stop released. Outputs stay off until you turn them on.');
    } catch (err) {
      notify('error', `Could not release the emergency stop: ${describeError(err)}`);
    } finally {
      setBusy(false);
      refresh();
    }
  };

  return (
    <div className="estop-banner" role="alert">
      <strong>E-stop active</strong>
      <span>
        since {clockTime(state.stopTime)}: every output and load input is off, and none can be turned on.
      </span>
      <button
        type="button"
        onClick={release}
        disabled={busy || roleReason !== null}
        title={roleReason ?? undefined}
        aria-label="Release emergency stop"
      >
        {busy ? 'Releasing…' : 'Release'}
      </button>
    </div>
  );
}
