// The alarm definitions: what each watches and when it is raised, whether it is enabled; create, edit, enable,
// disable and delete. The editor opens at #/alarms/definitions/new or #/alarms/definitions/<alarm_id>.

import type { AlarmConfig } from '@lablink/client';
import { useCallback, useEffect, useState } from 'react';
import { useClient, useResync } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { href, navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { AlarmEditor } from './AlarmEditor';
import { conditionText } from './model';
import { SeverityBadge } from './SeverityBadge';
import { useInstruments } from './useEquipmentNames';

export function Definitions({ editing }: { editing: string | undefined }) {
  const { rest } = useClient();
  const [alarms, setAlarms] = useState<AlarmConfig[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const instruments = useInstruments();

  const refresh = useCallback(() => {
    rest
      .listAlarms()
      .then((list) => {
        setAlarms(list);
        setLoaded(true);
        setError(null);
      })
      .catch((err) => setError(`Could not load the alarm definitions: ${describeError(err)}`));
  }, [rest]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 10_000);

  const replace = (alarm: AlarmConfig) =>
    setAlarms((all) =>
      all.some((a) => a.alarm_id === alarm.alarm_id)
        ? all.map((a) => (a.alarm_id === alarm.alarm_id ? alarm : a))
        : [...all, alarm],
    );

  if (editing) {
    const alarm = alarms.find((a) => a.alarm_id === editing);
    if (editing !== 'new' && !alarm) {
      return loaded ? (
        <p className="notice">
          There is no alarm {editing} (any more). <a href={href('alarms', 'definitions')}>Back to the list</a>
        </p>
      ) : (
        <p className="muted">Loading…</p>
      );
    }
    return (
      <AlarmEditor
        key={editing}
        alarm={alarm ?? null}
        instruments={instruments.list}
        onSaved={(saved) => {
          replace(saved);
          navigate('alarms', 'definitions');
        }}
        onCancel={() => navigate('alarms', 'definitions')}
      />
    );
  }

  return (
    <section aria-label="Alarm definitions" className="alarm-definitions">
      <div className="toolbar">
        <a className="button-link" href={href('alarms', 'definitions', 'new')}>
          New alarm
        </a>
        <span className="muted small">
          {alarms.length} definition{alarms.length === 1 ? '' : 's'}
        </span>
      </div>
      <ErrorAlert message={error} />
      {loaded && alarms.length === 0 && (
        <p className="muted">No alarms are defined yet. A new alarm watches one reading of one instrument.</p>
      )}
      {alarms.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Severity</th>
                <th scope="col">Instrument</th>
                <th scope="col">Condition</th>
                <th scope="col">Options</th>
                <th scope="col">Enabled</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {alarms.map((alarm) => (
                <DefinitionRow
                  key={alarm.alarm_id}
                  alarm={alarm}
                  instrument={instruments.name(alarm.equipment_id)}
                  onChanged={replace}
                  onDeleted={() => setAlarms((all) => all.filter((a) => a.alarm_id !== alarm.alarm_id))}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function options(alarm: AlarmConfig): string {
  return [
    alarm.deadband ? `deadband ${alarm.deadband}` : '',
    alarm.delay_seconds ? `delay ${alarm.delay_seconds} s` : '',
    alarm.count ? `${alarm.count}× in ${alarm.count_window_seconds} s` : '',
    alarm.auto_clear ? '' : 'latching',
    alarm.notifications.filter((n) => n !== 'websocket').join(', '),
  ]
    .filter(Boolean)
    .join(' · ');
}

function DefinitionRow({
  alarm,
  instrument,
  onChanged,
  onDeleted,
}: {
  alarm: AlarmConfig;
  instrument: string;
  onChanged(alarm: AlarmConfig): void;
  onDeleted(): void;
}) {
  const { rest } = useClient();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (what: string, call: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
    } catch (err) {
      const reason = describeError(err);
      setError(reason);
      notify('error', `${alarm.name} not ${what}: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  const toggle = () =>
    run(alarm.enabled ? 'disabled' : 'enabled', async () => {
      const next = alarm.enabled
        ? await rest.disableAlarm(alarm.alarm_id)
        : await rest.enableAlarm(alarm.alarm_id);
      onChanged(next);
      notify('success', `${alarm.name} ${next.enabled ? 'enabled' : 'disabled'}`);
    });

  const remove = () =>
    run('deleted', async () => {
      await rest.deleteAlarm(alarm.alarm_id);
      onDeleted();
      notify('success', `${alarm.name} deleted`);
    });

  return (
    <tr aria-label={alarm.name} className={alarm.enabled ? undefined : 'disabled-row'}>
      <th scope="row">
        {alarm.name}
        {alarm.builtin && <span className="muted small"> (LabLink)</span>}
        {alarm.description && <div className="muted small">{alarm.description}</div>}
        <ErrorAlert message={error} />
      </th>
      <td>
        <SeverityBadge severity={alarm.severity} />
      </td>
      <td>{alarm.equipment_id ? instrument : '—'}</td>
      <td className="mono-ish">{conditionText(alarm)}</td>
      <td className="small">{options(alarm) || '—'}</td>
      <td>
        <button
          type="button"
          role="switch"
          aria-checked={alarm.enabled}
          aria-label={`${alarm.name} enabled`}
          className={`switch${alarm.enabled ? ' switch-on' : ''}`}
          onClick={toggle}
          disabled={busy}
        >
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          <span className="switch-text">{alarm.enabled ? 'On' : 'Off'}</span>
        </button>
      </td>
      <td>
        <div className="row-actions">
          <a className="button-link secondary" href={href('alarms', 'definitions', alarm.alarm_id)}>
            Edit
          </a>
          {confirming ? (
            <span className="confirm">
              <button type="button" className="danger" onClick={remove} disabled={busy}>
                Delete {alarm.name}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="secondary" onClick={() => setConfirming(true)} disabled={busy}>
              Delete…
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
