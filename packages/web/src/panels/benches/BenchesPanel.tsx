// The Benches panel (hub mode, docs/mqtt.md): every bench on the broker with its online/offline state; a bench's
// page (#/benches/<bench>) with its instruments and live readings, its open alarms (Acknowledge goes back to the
// bench), its jobs, and a voltage setter for each supply channel — checked by the bench on its own command path,
// whose refusal (a limit, a lock, the emergency stop) is shown with its reason.

import type { BenchReading, BenchSummary } from '@lablink/protocol/rest';
import { type FormEvent, useState } from 'react';
import { RoleScope } from '../../app/auth';
import { href } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { clockTime, formatFixed } from '../../lib/format';
import { StateBadge } from '../equipment/StateBadge';
import type { PanelProps } from '../index';
import { useBench, useBenchList } from './useBenches';

export function BenchesPanel({ path }: PanelProps) {
  const [selected] = path;
  const { benches, loaded, error } = useBenchList();
  return (
    <div className="benches-panel">
      <header className="alarms-header">
        <h2>Benches</h2>
      </header>
      <ErrorAlert message={error} />
      {loaded && benches.length === 0 && <p className="muted">No bench has published on the broker yet.</p>}
      <ul className="instrument-list" aria-label="Benches">
        {benches.map((b) => (
          <li key={b.bench}>
            <a
              href={href('benches', b.bench)}
              aria-current={b.bench === selected ? 'page' : undefined}
              className="instrument-link"
            >
              <span className="instrument-name">{b.bench}</span>
              <BenchState bench={b} />
              <span className="muted small">
                {b.equipment_count} instruments · {b.active_alarms} active alarms
              </span>
            </a>
          </li>
        ))}
      </ul>
      {selected && (
        <BenchPage key={selected} bench={selected} summary={benches.find((b) => b.bench === selected)} />
      )}
    </div>
  );
}

function BenchState({ bench }: { bench: BenchSummary }) {
  return (
    <span className="state" data-state={bench.state}>
      <span className={`badge badge-${bench.state === 'online' ? 'ok' : 'bad'}`}>
        {bench.state === 'online' ? 'Online' : bench.state === 'offline' ? 'Offline' : 'Unknown'}
      </span>
      {bench.reason && <span className="state-reason">{bench.reason}</span>}
    </span>
  );
}

function BenchPage({ bench, summary }: { bench: string; summary: BenchSummary | undefined }) {
  const { detail, readings, acknowledge, setVoltage } = useBench(bench);
  const online = summary?.state === 'online';
  return (
    <section aria-label={`Bench ${bench}`} className="bench-page">
      <h3>{bench}</h3>
      <ErrorAlert message={detail.error} />
      <h4>Instruments</h4>
      <table className="data-table compact" aria-label="Instruments">
        <thead>
          <tr>
            <th>Instrument</th>
            <th>State</th>
            <th>Live readings</th>
          </tr>
        </thead>
        <tbody>
          {detail.equipment.map((item) => (
            <tr key={item.info.id} data-equipment={item.info.id}>
              <td>
                {item.info.manufacturer} {item.info.model}
                <div className="muted small">{item.info.id}</div>
              </td>
              <td>
                <StateBadge state={item.state} error={item.error} />
              </td>
              <td>
                {Array.from({ length: item.channels }, (_, i) => i + 1).map((channel) => {
                  const reading = readings[`${item.info.id}:${channel}`];
                  return (
                    <div key={channel} className="bench-reading">
                      {reading ? <ReadingLine reading={reading} /> : <span className="muted">—</span>}
                      {item.info.type === 'power_supply' && (
                        <RoleScope notice={false}>
                          <VoltageSetter
                            label={`${item.info.model} CH${channel}`}
                            disabled={!online}
                            onSet={(v) => setVoltage(item.info.id, channel, v)}
                          />
                        </RoleScope>
                      )}
                    </div>
                  );
                })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h4>Open alarms</h4>
      {detail.alarms.length === 0 ? (
        <p className="all-clear muted">No open alarm.</p>
      ) : (
        <ul className="alarm-list" aria-label="Open alarms">
          {detail.alarms.map((a) => (
            <li key={a.event_id} className="alarm-item" data-state={a.state}>
              <strong className="alarm-name">{a.alarm_name}</strong>{' '}
              <span className="muted">({a.severity})</span> <span className="badge">{a.state}</span>
              <p className="alarm-message">{a.message}</p>
              {a.state === 'active' || a.state === 'returned' ? (
                <RoleScope notice={false}>
                  <AckButton disabled={!online} onAck={() => acknowledge(a.event_id)} name={a.alarm_name} />
                </RoleScope>
              ) : null}
            </li>
          ))}
        </ul>
      )}

      <h4>Jobs</h4>
      {detail.jobs.length === 0 ? (
        <p className="muted">No scheduled job.</p>
      ) : (
        <table className="data-table compact" aria-label="Jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th>Next run</th>
            </tr>
          </thead>
          <tbody>
            {detail.jobs.map((j) => (
              <tr key={j.job_id}>
                <td>{j.name}</td>
                <td>{j.status}</td>
                <td>{j.next_runs[0] ? clockTime(j.next_runs[0]) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ReadingLine({ reading }: { reading: BenchReading['data'] }) {
  if ('voltage_actual' in reading) {
    return (
      <span>
        CH{reading.channel}: {formatFixed(reading.voltage_actual, 3, ' V')} ·{' '}
        {formatFixed(reading.current_actual, 3, ' A')}{' '}
        <span className="muted small">
          (set {formatFixed(reading.voltage_set, 3, ' V')}, output {reading.output_enabled ? 'on' : 'off'})
        </span>
      </span>
    );
  }
  if ('load_enabled' in reading) {
    return (
      <span>
        {reading.mode} {formatFixed(reading.voltage, 3, ' V')} · {formatFixed(reading.current, 3, ' A')} ·{' '}
        {formatFixed(reading.power, 3, ' W')}
      </span>
    );
  }
  if ('source_function' in reading) {
    return (
      <span>
        {formatFixed(reading.voltage, 3, ' V')} · {formatFixed(reading.current, 6, ' A')}{' '}
        <span className="muted small">
          (sourcing {reading.source_function === 'VOLT' ? 'V' : 'I'}, output{' '}
          {reading.output_enabled ? 'on' : 'off'}
          {reading.in_compliance ? ', in compliance' : ''})
        </span>
      </span>
    );
  }
  return (
    <span>
      {reading.function}: {reading.value === null ? 'overload' : `${reading.value} ${reading.unit}`}
    </span>
  );
}

function VoltageSetter({
  label,
  disabled,
  onSet,
}: {
  label: string;
  disabled: boolean;
  onSet: (v: number) => Promise<unknown>;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      setError('Enter a voltage in volts');
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    onSet(value)
      .then(() => setDone(`Set to ${value} V`))
      .catch((err: unknown) => setError(describeError(err)))
      .finally(() => setBusy(false));
  };
  return (
    <form className="bench-setpoint" onSubmit={submit} aria-label={`Set voltage of ${label}`}>
      <input
        type="text"
        inputMode="decimal"
        aria-label={`Voltage of ${label} (V)`}
        value={text}
        onChange={(e) => setText(e.target.value)}
        size={6}
      />
      <button type="submit" className="secondary" disabled={busy || disabled}>
        Set V
      </button>
      {done && (
        <span className="muted small" role="status">
          {done}
        </span>
      )}
      <ErrorAlert message={error} />
    </form>
  );
}

function AckButton({
  disabled,
  onAck,
  name,
}: {
  disabled: boolean;
  onAck: () => Promise<unknown>;
  name: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={busy || disabled}
        aria-label={`Acknowledge ${name}`}
        onClick={() => {
          setBusy(true);
          setError(null);
          onAck()
            .catch((err: unknown) => setError(describeError(err)))
            .finally(() => setBusy(false));
        }}
      >
        Acknowledge
      </button>
      <ErrorAlert message={error} />
    </>
  );
}
