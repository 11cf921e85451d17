// The history of alarm occurrences, newest first, with filters (state, severity, instrument, time range) and
// pages. It re-reads itself when alarms change, so a new or acknowledged alarm shows without a reload.

import type { AlarmEvent, AlarmHistoryQuery, AlarmSeverity, AlarmState } from '@lablink/client';
import { useCallback, useEffect, useId, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { when } from './ActiveAlarms';
import {
  type HistoryFilters,
  historyQuery,
  pageText,
  SEVERITIES,
  SEVERITY_TEXT,
  STATES,
  stateText,
} from './model';
import { AlarmStateBadge, SeverityBadge } from './SeverityBadge';
import { useInstruments } from './useEquipmentNames';

const PAGE_SIZE = 50;

export function History() {
  const { rest } = useClient();
  const instruments = useInstruments();
  const [filters, setFilters] = useState<HistoryFilters>({
    state: '',
    severity: '',
    equipment_id: '',
    since: '',
    until: '',
  });
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ events: AlarmEvent[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = { state: useId(), severity: useId(), equipment: useId(), since: useId(), until: useId() };

  const load = useCallback(() => {
    const query: AlarmHistoryQuery = { ...historyQuery(filters), limit: PAGE_SIZE, offset };
    rest
      .alarmHistory(query)
      .then((p) => {
        setPage({ events: p.events, total: p.total });
        setError(null);
      })
      .catch((err) => setError(`Could not load the history: ${describeError(err)}`));
  }, [rest, filters, offset]);
  useEffect(load, [load]);
  useResync(load, 10_000);
  useServerEvent('alarm_event', load);
  useServerEvent('alarm_updated', load);
  useServerEvent('alarm_cleared', load);

  const change = (key: keyof HistoryFilters, value: string) => {
    setFilters((f) => ({ ...f, [key]: value }));
    setOffset(0);
  };

  return (
    <section aria-label="Alarm history" className="alarm-history">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div className="form-field">
          <label htmlFor={ids.state}>State</label>
          <select id={ids.state} value={filters.state} onChange={(e) => change('state', e.target.value)}>
            <option value="">Any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {stateText(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="form-field">
          <label htmlFor={ids.severity}>Severity</label>
          <select
            id={ids.severity}
            value={filters.severity}
            onChange={(e) => change('severity', e.target.value)}
          >
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {SEVERITY_TEXT[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="form-field">
          <label htmlFor={ids.equipment}>Instrument</label>
          <select
            id={ids.equipment}
            value={filters.equipment_id}
            onChange={(e) => change('equipment_id', e.target.value)}
          >
            <option value="">Any</option>
            {instruments.list.map((i) => (
              <option key={i.id} value={i.id}>
                {instruments.name(i.id)}
              </option>
            ))}
          </select>
        </div>
        <div className="form-field">
          <label htmlFor={ids.since}>From</label>
          <input
            id={ids.since}
            type="datetime-local"
            value={filters.since}
            onChange={(e) => change('since', e.target.value)}
          />
        </div>
        <div className="form-field">
          <label htmlFor={ids.until}>To</label>
          <input
            id={ids.until}
            type="datetime-local"
            value={filters.until}
            onChange={(e) => change('until', e.target.value)}
          />
        </div>
      </form>
      <ErrorAlert message={error} />
      {page && page.events.length === 0 && <p className="muted">No alarms match.</p>}
      {page && page.events.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Raised</th>
                <th scope="col">Severity</th>
                <th scope="col">Alarm</th>
                <th scope="col">Instrument</th>
                <th scope="col">Value</th>
                <th scope="col">State</th>
                <th scope="col">Acknowledged</th>
                <th scope="col">Cleared</th>
              </tr>
            </thead>
            <tbody>
              {page.events.map((e) => (
                <tr key={e.event_id}>
                  <td>{when(e.triggered_at)}</td>
                  <td>
                    <SeverityBadge severity={e.severity as AlarmSeverity} />
                  </td>
                  <th scope="row">
                    {e.alarm_name}
                    <div className="muted small">{e.message}</div>
                  </th>
                  <td>
                    {instruments.name(e.equipment_id)}
                    {e.parameter && e.equipment_id ? <div className="muted small">{e.parameter}</div> : null}
                  </td>
                  <td className="num">{e.value ?? '—'}</td>
                  <td>
                    <AlarmStateBadge state={e.state as AlarmState} />
                  </td>
                  <td className="small">
                    {e.acknowledged_at ? when(e.acknowledged_at) : '—'}
                    {e.acknowledged_by && ` by ${e.acknowledged_by}`}
                    {e.acknowledgment_note && <div className="muted">“{e.acknowledgment_note}”</div>}
                  </td>
                  <td className="small">
                    {e.cleared_at ? when(e.cleared_at) : '—'}
                    {e.cleared_by && ` by ${e.cleared_by}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > 0 && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="secondary"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
          >
            Newer
          </button>
          <span>{pageText(offset, page.events.length, page.total)}</span>
          <button
            type="button"
            className="secondary"
            disabled={offset + PAGE_SIZE >= page.total}
            onClick={() => setOffset(offset + PAGE_SIZE)}
          >
            Older
          </button>
        </nav>
      )}
    </section>
  );
}
