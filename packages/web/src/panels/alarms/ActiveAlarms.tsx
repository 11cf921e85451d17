// What is in alarm now, most severe first: each alarm with its severity (colour, shape and word), its state,
// what raised it and when, and what can be done — acknowledge (with a note), shelve for a while, unshelve, clear.
// The list follows the server's events; an action's result shows as soon as the server has stored it.

import type { AlarmEvent, AlarmSeverity } from '@lablink/client';
import { type FormEvent, useId, useState } from 'react';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { href } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { clockTime } from '../../lib/format';
import { useActiveAlarms } from './AlarmsProvider';
import {
  durationText,
  needsAcknowledgement,
  parseDuration,
  SEVERITIES,
  SEVERITY_TEXT,
  SHELVE_CHOICES,
  sortActive,
} from './model';
import { AlarmStateBadge, SeverityBadge } from './SeverityBadge';
import { useInstruments } from './useEquipmentNames';

const OPERATOR_KEY = 'lablink.operator';

function savedOperator(): string {
  try {
    return localStorage.getItem(OPERATOR_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveOperator(name: string): void {
  try {
    localStorage.setItem(OPERATOR_KEY, name);
  } catch {
    // Not remembered; the action still carries the name.
  }
}

/** Date and time when not today, the time alone when today. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === new Date().toDateString() ? clockTime(iso) : date.toLocaleString();
}

export function ActiveAlarms() {
  const { events, loaded, error } = useActiveAlarms();
  const instruments = useInstruments();
  const sorted = sortActive(events);
  const groups = SEVERITIES.map((severity) => ({
    severity,
    events: sorted.filter((e) => e.severity === severity),
  })).filter((g) => g.events.length > 0);

  return (
    <section aria-label="Active alarms" className="active-alarms">
      <ErrorAlert message={error} />
      {!loaded && !error && <p className="muted">Loading…</p>}
      {loaded && events.length === 0 && (
        <p className="all-clear" role="status">
          No alarms. Everything LabLink watches is within its limits.
        </p>
      )}
      {groups.map((group) => (
        <SeverityGroup
          key={group.severity}
          severity={group.severity}
          events={group.events}
          name={instruments.name}
        />
      ))}
    </section>
  );
}

function SeverityGroup({
  severity,
  events,
  name,
}: {
  severity: AlarmSeverity;
  events: AlarmEvent[];
  name(id: string | null): string;
}) {
  const id = useId();
  return (
    <section className={`alarm-group alarm-group-${severity}`} aria-labelledby={id}>
      <h3 id={id}>
        {SEVERITY_TEXT[severity]} ({events.length})
      </h3>
      <ul className="alarm-list" aria-label={`${SEVERITY_TEXT[severity]} alarms`}>
        {events.map((event) => (
          <AlarmRow key={event.event_id} event={event} instrument={name(event.equipment_id)} />
        ))}
      </ul>
    </section>
  );
}

function AlarmRow({ event, instrument }: { event: AlarmEvent; instrument: string }) {
  const { rest } = useClient();
  const { upsert } = useActiveAlarms();
  const notify = useNotify();
  const [open, setOpen] = useState<'ack' | 'shelve' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (what: string, call: () => Promise<AlarmEvent>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      upsert(await call());
      notify('success', done);
      setOpen(null);
    } catch (err) {
      const reason = describeError(err);
      setError(reason);
      notify('error', `${event.alarm_name} not ${what}: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  const unacked = needsAcknowledgement(event);
  return (
    <li
      className={`alarm-row severity-edge-${event.severity}${unacked ? ' unacked' : ''}`}
      aria-label={event.alarm_name}
      data-event-id={event.event_id}
      data-state={event.state}
    >
      <div className="alarm-main">
        <div className="alarm-title">
          <SeverityBadge severity={event.severity} />
          <strong className="alarm-name">{event.alarm_name}</strong>
          <AlarmStateBadge state={event.state} />
        </div>
        <p className="alarm-message">{event.message}</p>
        <p className="alarm-facts muted small">
          {event.equipment_id && (
            <>
              <a href={href('equipment', event.equipment_id)}>{instrument}</a>
              {event.channel ? ` CH${event.channel}` : ''}
              {event.parameter ? ` · ${event.parameter}` : ''} ·{' '}
            </>
          )}
          raised {when(event.triggered_at)}
          {event.returned_at && ` · back to normal ${when(event.returned_at)}`}
          {event.acknowledged_at &&
            ` · acknowledged ${when(event.acknowledged_at)}${event.acknowledged_by ? ` by ${event.acknowledged_by}` : ''}`}
          {event.acknowledgment_note && ` — “${event.acknowledgment_note}”`}
          {event.state === 'shelved' &&
            event.shelved_until &&
            ` · shelved until ${when(event.shelved_until)}`}
        </p>
        <ErrorAlert message={error} />
      </div>
      <div className="alarm-actions">
        {unacked && open !== 'ack' && (
          <button type="button" onClick={() => setOpen('ack')} disabled={busy}>
            Acknowledge…
          </button>
        )}
        {event.state === 'shelved' ? (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() =>
              act(
                'unshelved',
                () => {
                  const by = savedOperator();
                  return rest.unshelveAlarm(event.event_id, by ? { unshelved_by: by } : {});
                },
                `${event.alarm_name} unshelved`,
              )
            }
          >
            Unshelve
          </button>
        ) : (
          open !== 'shelve' && (
            <button type="button" className="secondary" onClick={() => setOpen('shelve')} disabled={busy}>
              Shelve…
            </button>
          )
        )}
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() =>
            act(
              'cleared',
              () => rest.clearAlarm(event.alarm_id, savedOperator() || undefined),
              `${event.alarm_name} cleared`,
            )
          }
        >
          Clear
        </button>
      </div>
      {open === 'ack' && (
        <AcknowledgeForm
          busy={busy}
          onCancel={() => setOpen(null)}
          onSubmit={(note, by) =>
            act(
              'acknowledged',
              () =>
                rest.acknowledgeAlarm(event.event_id, {
                  ...(note ? { note } : {}),
                  ...(by ? { acknowledged_by: by } : {}),
                }),
              `${event.alarm_name} acknowledged`,
            )
          }
        />
      )}
      {open === 'shelve' && (
        <ShelveForm
          busy={busy}
          onCancel={() => setOpen(null)}
          onSubmit={(seconds, note, by) =>
            act(
              'shelved',
              () =>
                rest.shelveAlarm(event.event_id, seconds, {
                  ...(note ? { note } : {}),
                  ...(by ? { shelved_by: by } : {}),
                }),
              `${event.alarm_name} shelved for ${durationText(seconds)}`,
            )
          }
        />
      )}
    </li>
  );
}

function OperatorField({ value, onChange }: { value: string; onChange(v: string): void }) {
  const id = useId();
  return (
    <div className="form-field">
      <label htmlFor={id}>Your name</label>
      <input id={id} value={value} maxLength={100} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

function AcknowledgeForm({
  busy,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  onSubmit(note: string, by: string): void;
  onCancel(): void;
}) {
  const id = useId();
  const [note, setNote] = useState('');
  const [by, setBy] = useState(savedOperator);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    saveOperator(by.trim());
    onSubmit(note.trim(), by.trim());
  };
  return (
    <form className="alarm-form" onSubmit={submit} aria-label="Acknowledge">
      <div className="form-field grow">
        <label htmlFor={id}>Note</label>
        <input
          id={id}
          value={note}
          maxLength={1000}
          placeholder="What was done, or why it can wait"
          onChange={(e) => setNote(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: the form opens on a click to type the note at once
          autoFocus
        />
      </div>
      <OperatorField value={by} onChange={setBy} />
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Acknowledging…' : 'Acknowledge'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ShelveForm({
  busy,
  onSubmit,
  onCancel,
}: {
  busy: boolean;
  onSubmit(seconds: number, note: string, by: string): void;
  onCancel(): void;
}) {
  const durationId = useId();
  const customId = useId();
  const noteId = useId();
  const [choice, setChoice] = useState(String(SHELVE_CHOICES[0]?.seconds ?? 900));
  const [custom, setCustom] = useState('');
  const [note, setNote] = useState('');
  const [by, setBy] = useState(savedOperator);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const seconds = choice === 'custom' ? parseDuration(custom) : Number(choice);
    if (seconds === null) {
      setError('A time from 1 s to 24 h, e.g. 30 (minutes), 2h or 1h 30min');
      return;
    }
    setError(null);
    saveOperator(by.trim());
    onSubmit(seconds, note.trim(), by.trim());
  };
  return (
    <form className="alarm-form" onSubmit={submit} aria-label="Shelve">
      <div className="form-field">
        <label htmlFor={durationId}>Shelve for</label>
        <select id={durationId} value={choice} onChange={(e) => setChoice(e.target.value)}>
          {SHELVE_CHOICES.map((c) => (
            <option key={c.seconds} value={String(c.seconds)}>
              {c.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </div>
      {choice === 'custom' && (
        <div className="form-field">
          <label htmlFor={customId}>Time</label>
          <input
            id={customId}
            value={custom}
            placeholder="e.g. 45 or 2h 30min"
            aria-invalid={error ? true : undefined}
            onChange={(e) => setCustom(e.target.value)}
          />
          <ErrorAlert message={error} />
        </div>
      )}
      <div className="form-field grow">
        <label htmlFor={noteId}>Note</label>
        <input id={noteId} value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
      </div>
      <OperatorField value={by} onChange={setBy} />
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Shelving…' : 'Shelve'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
