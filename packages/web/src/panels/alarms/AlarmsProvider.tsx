// The alarms the whole page knows about: the events not yet cleared, loaded over REST, kept current by the
// server's alarm_event / alarm_updated / alarm_cleared without a reload, and re-read after a reconnect (events
// may have been missed). The shell's badge counts the unacknowledged ones from every panel; a new alarm also
// raises a desktop notification and, if critical, a beep (both can be turned off).

import type { AlarmEvent } from '@lablink/client';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { navigate } from '../../app/router';
import { describeError } from '../../lib/errors';
import {
  type AlertSettings,
  alertsFor,
  beep,
  loadSettings,
  notificationPermission,
  requestNotificationPermission,
  saveSettings,
  showDesktopNotification,
  unlockSound,
} from './alerts';
import { applyAlarmMessage, SEVERITY_TEXT, unacknowledgedCount } from './model';

export interface ActiveAlarms {
  /** Every event not cleared (active, acknowledged, returned, shelved, suppressed). */
  events: AlarmEvent[];
  loaded: boolean;
  error: string | null;
  unacknowledged: number;
  refresh(): void;
  /** Puts the server's copy of an event (after acknowledge, shelve …) in the list at once. */
  upsert(event: AlarmEvent): void;
  settings: AlertSettings;
  permission: NotificationPermission | 'unsupported';
  setSettings(settings: AlertSettings): void;
}

const AlarmsContext = createContext<ActiveAlarms | null>(null);

export function useActiveAlarms(): ActiveAlarms {
  const value = useContext(AlarmsContext);
  if (!value) throw new Error('useActiveAlarms outside <AlarmsProvider>');
  return value;
}

const storage = () => (typeof localStorage === 'undefined' ? undefined : localStorage);

export function AlarmsProvider({ children }: { children: ReactNode }) {
  const { rest } = useClient();
  const [events, setEventsState] = useState<AlarmEvent[]>([]);
  // The list as of the last change, read synchronously by the event handlers (state updates are deferred).
  const current = useRef<AlarmEvent[]>([]);
  const setEvents = useCallback((next: AlarmEvent[]) => {
    current.current = next;
    setEventsState(next);
  }, []);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [settings, setSettingsState] = useState(() => loadSettings(storage()));
  const [permission, setPermission] = useState(notificationPermission);
  const latestSettings = useRef(settings);
  latestSettings.current = settings;
  /** Events already announced, so a replay after a reconnect does not notify twice. */
  const announced = useRef(new Set<string>());
  const generation = useRef(0);
  const reading = useRef(false);

  const refresh = useCallback(() => {
    const mine = ++generation.current;
    reading.current = true;
    rest
      .activeAlarmEvents()
      .then((list) => {
        if (mine !== generation.current) return; // a newer read is under way
        reading.current = false;
        for (const e of list) announced.current.add(e.event_id);
        setEvents(list);
        setLoaded(true);
        setError(null);
      })
      .catch((err) => {
        if (mine !== generation.current) return;
        reading.current = false;
        setError(`Could not load the alarms: ${describeError(err)}`);
      });
  }, [rest, setEvents]);

  useEffect(refresh, [refresh]);
  useResync(refresh, 5000);

  const upsert = useCallback(
    (event: AlarmEvent) => {
      const all = current.current;
      setEvents(
        event.state === 'cleared'
          ? all.filter((e) => e.event_id !== event.event_id)
          : all.some((e) => e.event_id === event.event_id)
            ? all.map((e) => (e.event_id === event.event_id ? event : e))
            : [...all, event],
      );
    },
    [setEvents],
  );

  const onMessage = (type: string) => (data: Record<string, unknown>) => {
    const result = applyAlarmMessage(current.current, type, data);
    setEvents(result.events);
    // A read begun before this event may answer without it: read again rather than let it undo the event.
    if (result.unknown || reading.current) refresh();
    if (type === 'alarm_event' && typeof data.event_id === 'string') announce(data);
  };

  const announce = (data: Record<string, unknown>) => {
    const id = data.event_id as string;
    if (announced.current.has(id)) return;
    announced.current.add(id);
    const severity = (data.severity as AlarmEvent['severity']) ?? 'warning';
    const what = alertsFor(severity, latestSettings.current, notificationPermission());
    if (what.sound) beep();
    if (what.desktop) {
      showDesktopNotification(
        `LabLink alarm — ${SEVERITY_TEXT[severity] ?? severity}: ${String(data.alarm_name ?? '')}`,
        String(data.message ?? ''),
        id,
        () => navigate('alarms'),
      );
    }
  };

  useServerEvent('alarm_event', onMessage('alarm_event'));
  useServerEvent('alarm_updated', onMessage('alarm_updated'));
  useServerEvent('alarm_cleared', onMessage('alarm_cleared'));

  // Browsers let a page make sound only after a gesture: the first click anywhere readies the beep.
  useEffect(() => {
    const ready = () => {
      if (latestSettings.current.sound) unlockSound();
    };
    window.addEventListener('pointerdown', ready);
    window.addEventListener('keydown', ready);
    return () => {
      window.removeEventListener('pointerdown', ready);
      window.removeEventListener('keydown', ready);
    };
  }, []);

  const setSettings = useCallback((next: AlertSettings) => {
    setSettingsState(next);
    saveSettings(storage(), next);
    // Called from a click: the one moment a browser lets a page ask for notifications or start audio.
    if (next.desktop) void requestNotificationPermission().then(setPermission);
    if (next.sound) unlockSound();
  }, []);

  const unacknowledged = unacknowledgedCount(events);
  const value = useMemo<ActiveAlarms>(
    () => ({ events, loaded, error, unacknowledged, refresh, upsert, settings, permission, setSettings }),
    [events, loaded, error, unacknowledged, refresh, upsert, settings, permission, setSettings],
  );
  return <AlarmsContext.Provider value={value}>{children}</AlarmsContext.Provider>;
}

/** The count of unacknowledged alarms beside "Alarms" in the navigation; nothing when there are none. */
export function AlarmBadge() {
  const { unacknowledged, events } = useActiveAlarms();
  if (unacknowledged === 0) return null;
  const critical = events.some(
    (e) => e.severity === 'critical' && (e.state === 'active' || e.state === 'returned'),
  );
  return (
    <span
      className={`nav-count${critical ? ' nav-count-critical' : ''}`}
      data-testid="alarm-badge"
      data-count={unacknowledged}
      title={`${unacknowledged} unacknowledged alarm${unacknowledged === 1 ? '' : 's'}`}
    >
      <span aria-hidden="true">{unacknowledged}</span>
      <span className="visually-hidden">
        {unacknowledged} unacknowledged alarm{unacknowledged === 1 ? '' : 's'}
      </span>
    </span>
  );
}
