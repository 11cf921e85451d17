// Oscilloscope: run/stop/single, timebase, per-channel scale/offset/coupling, edge trigger, the live waveform
// drawn from the instrument's real samples (the `waveform` stream: volts, x_increment apart) and measurements.

import { useCallback, useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { useClient } from '../app/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { LiveValues } from '../components/LiveValues';
import { Plot } from '../components/Plot';
import { Select } from '../components/Select';
import { SetpointField } from '../components/SetpointField';
import { Switch } from '../components/Switch';
import { useCommands } from '../hooks/useCommand';
import { useStream } from '../hooks/useStream';
import { describeError } from '../lib/errors';
import { formatSi, parseQuantity, siNumber } from '../lib/format';
import { channelColor } from './colors';
import { readScopeSettings, type ScopeChannelSettings, type ScopeSettings } from './scopeSettings';
import type { ControlProps, ScopeMeasurements, Waveform } from './types';

const WAVEFORM_INTERVAL_MS = 500;
const MEASUREMENT_INTERVAL_MS = 1000;

const MEASUREMENTS: readonly [key: string, label: string, unit: string][] = [
  ['vpp', 'Vpp', 'V'],
  ['vmax', 'Vmax', 'V'],
  ['vmin', 'Vmin', 'V'],
  ['vavg', 'Vavg', 'V'],
  ['vrms', 'Vrms', 'V'],
  ['freq', 'Frequency', 'Hz'],
  ['period', 'Period', 's'],
];

const COUPLINGS = ['DC', 'AC', 'GND'].map((c) => ({ value: c, label: c }));
const SLOPES = [
  { value: 'POS', label: 'Rising' },
  { value: 'NEG', label: 'Falling' },
  { value: 'RFAL', label: 'Either' },
];
/** The acquisition buttons: their label, the driver action, and what the notice says once it is done. */
const ACQUIRE_BUTTONS: readonly [label: string, action: string, text: string][] = [
  ['Run', 'trigger_run', 'Running'],
  ['Stop', 'trigger_stop', 'Stopped'],
  ['Single', 'trigger_single', 'Single acquisition armed'],
  ['Autoscale', 'autoscale', 'Autoscaled'],
];
const STATUS_TEXT: Record<string, string> = {
  TD: 'Triggered',
  WAIT: 'Waiting for trigger',
  RUN: 'Running',
  AUTO: 'Auto',
  STOP: 'Stopped',
};

/** Settings of the scope as last read from it, with how to re-read them. */
function useScopeSettings(equipmentId: string, channelCount: number, online: boolean) {
  const { rest } = useClient();
  const [settings, setSettings] = useState<ScopeSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    readScopeSettings(rest, equipmentId, channelCount)
      .then((s) => {
        setSettings(s);
        setError(null);
      })
      .catch((err) => setError(`Could not read the scope's settings: ${describeError(err)}`));
  }, [rest, equipmentId, channelCount]);
  useEffect(() => {
    if (online) refresh();
  }, [online, refresh]);
  return { settings, error, refresh };
}

export function OscilloscopeControl({ equipment, online, controls }: ControlProps) {
  const channelCount = Math.max(1, equipment.channels);
  const { settings, error: settingsError, refresh } = useScopeSettings(equipment.id, channelCount, online);
  const { run, pending, errors } = useCommands(equipment.id, refresh);
  const [traces, setTraces] = useState<Record<number, Waveform>>({});
  const [measured, setMeasured] = useState(1);
  const shown = settings?.channels.filter((c) => c.display).map((c) => c.channel) ?? [];
  const disabled = !controls || !settings;

  const onWaveform = useCallback((w: Waveform) => setTraces((all) => ({ ...all, [w.channel]: w })), []);
  const visible = shown.filter((ch) => traces[ch]);

  const setTimebase = (change: Partial<{ scale: number; offset: number }>, key: string, text: string) =>
    settings
      ? run({
          key,
          action: 'set_timebase',
          params: { scale: settings.timeScale, offset: settings.timeOffset, ...change },
          done: `Timebase ${text}`,
          failed: `Timebase not changed (${text})`,
        })
      : Promise.resolve(false);

  const setChannel = (
    ch: ScopeChannelSettings,
    change: Partial<ScopeChannelSettings>,
    key: string,
    text: string,
  ) => {
    // set_channel takes every setting at once: what is not being changed is sent as the scope reported it.
    const next = { ...ch, ...change };
    return run({
      key: `ch${ch.channel}.${key}`,
      action: 'set_channel',
      params: {
        channel: ch.channel,
        enabled: next.display,
        scale: next.scale,
        offset: next.offset,
        coupling: next.coupling,
      },
      done: `CH${ch.channel} ${text}`,
      failed: `CH${ch.channel} not changed (${text})`,
    });
  };

  const setTrigger = (change: Partial<ScopeSettings['trigger']>, key: string, text: string) =>
    settings
      ? run({
          key: `trigger.${key}`,
          action: 'set_trigger',
          params: { mode: 'EDGE', ...settings.trigger, ...change },
          done: `Trigger ${text}`,
          failed: `Trigger not changed (${text})`,
        })
      : Promise.resolve(false);

  const acquire = (action: string, text: string) =>
    run({ key: 'acquire', action, done: `Scope: ${text}`, failed: `Scope did not ${text.toLowerCase()}` });

  return (
    <div className="scope">
      {shown.map((channel) => (
        <WaveformFeed
          key={channel}
          equipmentId={equipment.id}
          channel={channel}
          online={online}
          onWaveform={onWaveform}
        />
      ))}

      <section className="card" aria-label="Acquisition">
        <div className="toolbar">
          {ACQUIRE_BUTTONS.map(([label, action, text]) => (
            <button
              key={action}
              type="button"
              onClick={() => acquire(action, text)}
              disabled={disabled || pending.acquire}
            >
              {label}
            </button>
          ))}
          <output className="badge badge-normal" aria-label="Trigger status">
            {settings ? (STATUS_TEXT[settings.status] ?? settings.status) : '—'}
          </output>
        </div>
        <ErrorAlert message={errors.acquire} />
        <ErrorAlert message={settingsError} />
        <WaveformPlot channels={visible} traces={traces} />
      </section>

      <div className="channel-grid">
        <section className="card" aria-label="Timebase">
          <h3>Timebase</h3>
          <SetpointField
            label="Time per division"
            unit="s/div"
            reported={settings?.timeScale ?? null}
            format={(v) => siNumber(v)}
            parse={(t) => parseQuantity(t, 's/div')}
            error={errors.timeScale}
            pending={pending.timeScale}
            disabled={disabled}
            onSubmit={(scale) => setTimebase({ scale }, 'timeScale', `set to ${formatSi(scale, 's/div')}`)}
          />
          <SetpointField
            label="Horizontal position"
            unit="s"
            reported={settings?.timeOffset ?? null}
            format={(v) => siNumber(v)}
            parse={(t) => parseQuantity(t, 's')}
            error={errors.timeOffset}
            pending={pending.timeOffset}
            disabled={disabled}
            onSubmit={(offset) =>
              setTimebase({ offset }, 'timeOffset', `position set to ${formatSi(offset, 's')}`)
            }
          />
        </section>

        <section className="card" aria-label="Trigger">
          <h3>Trigger (edge)</h3>
          <Select
            label="Trigger source"
            value={settings?.trigger.source ?? null}
            options={Array.from({ length: channelCount }, (_, i) => ({
              value: `CHAN${i + 1}`,
              label: `CH${i + 1}`,
            }))}
            pending={pending['trigger.source']}
            disabled={disabled}
            error={errors['trigger.source']}
            onChange={(source) => setTrigger({ source }, 'source', `source set to ${source}`)}
          />
          <SetpointField
            label="Trigger level"
            unit="V"
            reported={settings?.trigger.level ?? null}
            format={(v) => siNumber(v)}
            parse={(t) => parseQuantity(t, 'V')}
            error={errors['trigger.level']}
            pending={pending['trigger.level']}
            disabled={disabled}
            onSubmit={(level) => setTrigger({ level }, 'level', `level set to ${formatSi(level, 'V')}`)}
          />
          <Select
            label="Trigger slope"
            value={settings?.trigger.slope ?? null}
            options={SLOPES}
            pending={pending['trigger.slope']}
            disabled={disabled}
            error={errors['trigger.slope']}
            onChange={(slope) => setTrigger({ slope }, 'slope', `slope set to ${slope}`)}
          />
        </section>

        <Measurements
          equipmentId={equipment.id}
          online={online}
          channel={measured}
          channelCount={channelCount}
          onChannel={setMeasured}
        />
      </div>

      <div className="channel-grid">
        {(settings?.channels ?? []).map((ch) => {
          const name = `CH${ch.channel}`;
          const key = (field: string) => `ch${ch.channel}.${field}`;
          return (
            <section key={ch.channel} className="card" aria-label={`${name} settings`}>
              <header className="card-header">
                <h3 style={{ color: channelColor(ch.channel) }}>{name}</h3>
              </header>
              <Switch
                label={`${name} display`}
                on={ch.display}
                pending={pending[key('display')]}
                disabled={disabled}
                error={errors[key('display')]}
                onToggle={(display) => setChannel(ch, { display }, 'display', display ? 'shown' : 'hidden')}
              />
              <SetpointField
                label={`${name} scale`}
                unit="V/div"
                reported={ch.scale}
                format={(v) => siNumber(v)}
                parse={(t) => parseQuantity(t, 'V/div')}
                error={errors[key('scale')]}
                pending={pending[key('scale')]}
                disabled={disabled}
                onSubmit={(scale) =>
                  setChannel(ch, { scale }, 'scale', `scale set to ${formatSi(scale, 'V/div')}`)
                }
              />
              <SetpointField
                label={`${name} offset`}
                unit="V"
                reported={ch.offset}
                format={(v) => siNumber(v)}
                parse={(t) => parseQuantity(t, 'V')}
                error={errors[key('offset')]}
                pending={pending[key('offset')]}
                disabled={disabled}
                onSubmit={(offset) =>
                  setChannel(ch, { offset }, 'offset', `offset set to ${formatSi(offset, 'V')}`)
                }
              />
              <Select
                label={`${name} coupling`}
                value={ch.coupling}
                options={COUPLINGS}
                pending={pending[key('coupling')]}
                disabled={disabled}
                error={errors[key('coupling')]}
                onChange={(coupling) =>
                  setChannel(ch, { coupling }, 'coupling', `coupling set to ${coupling}`)
                }
              />
            </section>
          );
        })}
      </div>
    </div>
  );
}

/** Streams one channel's waveform; renders nothing (the traces are drawn together in one plot). */
function WaveformFeed({
  equipmentId,
  channel,
  online,
  onWaveform,
}: {
  equipmentId: string;
  channel: number;
  online: boolean;
  onWaveform(w: Waveform): void;
}) {
  const { latest } = useStream<Waveform>(
    online ? { equipmentId, streamType: 'waveform', channel, intervalMs: WAVEFORM_INTERVAL_MS } : null,
  );
  useEffect(() => {
    if (latest) onWaveform({ ...latest.data, channel });
  }, [latest, channel, onWaveform]);
  return null;
}

/**
 * The displayed channels over one time axis (seconds from the trigger). The samples drawn are also published on
 * `data-traces`, so what the page shows can be checked against the instrument.
 */
function WaveformPlot({ channels, traces }: { channels: number[]; traces: Record<number, Waveform> }) {
  const first = channels.length ? traces[channels[0] as number] : undefined;
  const data = useMemo<uPlot.AlignedData>(() => {
    if (!first) return [[]];
    const xs = first.samples.map((_, i) => first.x_origin + i * first.x_increment);
    return [xs, ...channels.map((ch) => xs.map((_, i) => traces[ch]?.samples[i] ?? null))];
  }, [first, channels, traces]);
  const published = useMemo(
    () =>
      JSON.stringify(
        Object.fromEntries(
          channels.map((ch) => {
            const w = traces[ch] as Waveform;
            return [ch, { x_increment: w.x_increment, x_origin: w.x_origin, samples: w.samples }];
          }),
        ),
      ),
    [channels, traces],
  );
  const series = channels.map((ch) => ({
    label: `CH${ch}`,
    color: channelColor(ch),
    scale: 'V',
    format: (v: number) => formatSi(v, 'V'),
  }));

  return (
    <Plot
      title={`Waveform of ${channels.length ? channels.map((c) => `CH${c}`).join(', ') : 'no channel yet'}`}
      series={series}
      axes={[{ scale: 'V', label: 'Volts' }]}
      data={data}
      time={false}
      xLabel="Time from trigger"
      formatX={(t) => formatSi(t, 's', 3)}
      height={320}
      data-traces={published}
    />
  );
}

function Measurements({
  equipmentId,
  online,
  channel,
  channelCount,
  onChannel,
}: {
  equipmentId: string;
  online: boolean;
  channel: number;
  channelCount: number;
  onChannel(channel: number): void;
}) {
  const { latest, stopped } = useStream<ScopeMeasurements>(
    online ? { equipmentId, streamType: 'measurements', channel, intervalMs: MEASUREMENT_INTERVAL_MS } : null,
  );
  const m = latest?.data;
  return (
    <section className="card" aria-label="Measurements">
      <h3>Measurements</h3>
      <Select
        label="Measure channel"
        value={String(channel)}
        options={Array.from({ length: channelCount }, (_, i) => ({
          value: String(i + 1),
          label: `CH${i + 1}`,
        }))}
        onChange={(value) => onChannel(Number(value))}
      />
      <LiveValues
        sample={latest}
        intervalMs={MEASUREMENT_INTERVAL_MS}
        online={online}
        className="measurements-live"
      >
        <dl className="measurements">
          {MEASUREMENTS.map(([key, label, unit]) => (
            <div key={key} className="measurement">
              <dt>{label}</dt>
              <dd>
                <output aria-label={`CH${channel} ${label}`}>
                  {m ? (m[key] === null ? 'not measurable' : formatSi(m[key], unit)) : '—'}
                </output>
              </dd>
            </div>
          ))}
        </dl>
      </LiveValues>
      {stopped && <p className="field-error">Measurements stopped: {stopped}</p>}
    </section>
  );
}
