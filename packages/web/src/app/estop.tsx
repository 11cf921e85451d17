// The emergency stop, on every page. Its state comes from the server (status on load, then the
// emergency_stop_activated/deactivated events, re-read whenever events may have been missed), never from the
// click alone: the page says "active" only once the server has turned the outputs off.

import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { describeError } from '../lib/errors';
import { clockTime } from '../lib/format';
import { useClient, useResync, useServerEvent } from './client';
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

export function EmergencyStopButton() {
  const { rest } = useClient();
  const notify = useNotify();
  const { refresh } = useContext(EStopContext);
  const [busy, setBusy] = useState(false);

  const stop = async () => {
    setBusy(true);
    try {
      const result = await rest.emergencyStop();
      const failed = result.failed ?? [];
      notify(
        failed.length ? 'error' : 'success',
        `Emergency stop: every output off (${result.equipment_count} instrument(s) made safe)` +
          (failed.length
            ? `; could NOT turn off ${failed.map((f) => `${f.equipment_id} (${f.error})`).join(', ')}`
            : ''),
      );
    } catch (err) {
      notify('error', `Emergency stop failed: ${describeError(err)}`);
    } finally {
      setBusy(false);
      refresh();
    }
  };

  return (
    <button type="button" className="estop" onClick={stop} disabled={busy} aria-label="Emergency stop">
      {busy ? 'STOPPING…' : 'EMERGENCY STOP'}
    </button>
  );
}

/** The "E-stop active — Release" band under the top bar while the stop is in force. */
export function EmergencyStopBanner() {
  const { rest } = useClient();
  const notify = useNotify();
  const { state, refresh } = useContext(EStopContext);
  const [busy, setBusy] = useState(false);
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
      <button type="button" onClick={release} disabled={busy} aria-label="Release emergency stop">
        {busy ? 'Releasing…' : 'Release'}
      </button>
    </div>
  );
}
