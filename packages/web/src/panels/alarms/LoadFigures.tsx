// The alarm-load figures of the last 24 hours after ISA-18.2 / EEMUA 191: alarms per 10 minutes (a flood is more
// than 10), the time spent in flood, the bad actors (raised most often), chattering alarms (3 or more within a
// minute) and stale ones (active for more than a day). A bench that floods its people with alarms is not safer.

import type { AlarmCount, AlarmStatistics } from '@lablink/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Plot, type PlotSeries } from '../../components/Plot';
import { describeError } from '../../lib/errors';
import { when } from './ActiveAlarms';
import { FLOOD_PER_10_MIN, loadSeries } from './model';

const SERIES: readonly PlotSeries[] = [
  { label: 'Alarms per 10 min', color: '#1f6feb', scale: 'n', format: (v) => String(v), bars: true },
  { label: 'Flood above', color: '#cf222e', scale: 'n', format: (v) => String(v) },
];
const AXES = [{ scale: 'n', label: 'alarms', minSpan: FLOOD_PER_10_MIN + 2 }] as const;

export function LoadFigures() {
  const { rest } = useClient();
  const [stats, setStats] = useState<AlarmStatistics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);

  const load = useCallback(() => {
    rest
      .alarmStatistics()
      .then((s) => {
        setStats(s);
        setError(null);
      })
      .catch((err) => setError(`Could not load the alarm figures: ${describeError(err)}`));
  }, [rest]);
  useEffect(() => {
    load();
    const every = window.setInterval(load, 30_000);
    return () => window.clearInterval(every);
  }, [load]);
  useResync(load, 10_000);
  // A burst of alarms re-reads the figures once, a second after it.
  const soon = () => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(load, 1000);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  useServerEvent('alarm_event', soon);
  useServerEvent('alarm_cleared', soon);

  const data = useMemo(() => {
    const [x, y] = loadSeries(stats?.load.alarms_per_10_min ?? []);
    return [x, y, x.map(() => FLOOD_PER_10_MIN)] as [number[], number[], number[]];
  }, [stats]);

  return (
    <section aria-label="Alarm load" className="alarm-load">
      <ErrorAlert message={error} />
      {!stats && !error && <p className="muted">Loading…</p>}
      {stats && (
        <>
          <dl className="figures">
            <Figure label="Active, unacknowledged" value={stats.total_active} />
            <Figure label="Acknowledged" value={stats.total_acknowledged} />
            <Figure label="Back to normal, unacknowledged" value={stats.total_returned} />
            <Figure label="Shelved" value={stats.total_shelved} />
            <Figure label="Suppressed" value={stats.total_suppressed} />
            <Figure label="Cleared (all time)" value={stats.total_cleared} />
            <Figure
              label="Average per 10 min (24 h)"
              value={stats.load.average_per_10_min.toFixed(2)}
              warn={stats.load.average_per_10_min > 1}
            />
            <Figure
              label="Time in flood (24 h)"
              value={`${stats.load.flood_time_percent.toFixed(1)} %`}
              warn={stats.load.flood_time_percent > 1}
            />
          </dl>
          <div className="card">
            <h3>Alarms per 10 minutes, last 24 hours</h3>
            <Plot
              title="Alarms per 10 minutes over the last 24 hours"
              series={SERIES}
              axes={AXES}
              data={data}
              minSpanS={86_400}
              height={180}
            />
          </div>
          <div className="load-tables">
            <CountTable title="Bad actors (most raised, 24 h)" rows={stats.load.bad_actors} empty="None." />
            <CountTable title="Chattering (3+ within a minute)" rows={stats.load.chattering} empty="None." />
            <div className="card">
              <h3>Stale (active over 24 h)</h3>
              {stats.load.stale.length === 0 ? (
                <p className="muted small">None.</p>
              ) : (
                <table className="data-table compact">
                  <thead>
                    <tr>
                      <th scope="col">Alarm</th>
                      <th scope="col">Since</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.load.stale.map((s) => (
                      <tr key={s.event_id}>
                        <th scope="row">{s.alarm_name}</th>
                        <td>{when(s.since)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}

function Figure({ label, value, warn }: { label: string; value: number | string; warn?: boolean }) {
  return (
    <div className={`figure${warn ? ' figure-warn' : ''}`}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function CountTable({ title, rows, empty }: { title: string; rows: AlarmCount[]; empty: string }) {
  return (
    <div className="card">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">Alarm</th>
              <th scope="col" className="num">
                Times
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.alarm_id}>
                <th scope="row">{r.alarm_name}</th>
                <td className="num">{r.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
