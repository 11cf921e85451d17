// Power supply: per channel, voltage and current setpoints, the output switch, live V/I/P with the CV/CC state,
// and a chart of the last minutes.

import { useEmergencyStop } from '../app/estop';
import { LiveValues } from '../components/LiveValues';
import { Plot } from '../components/Plot';
import { Readout } from '../components/Readout';
import { SetpointField } from '../components/SetpointField';
import { Switch } from '../components/Switch';
import { useCommands } from '../hooks/useCommand';
import { formatFixed, parseQuantity } from '../lib/format';
import { useLiveSeries } from './live';
import { POWER_CHART_AXES, POWER_CHART_SERIES } from './powerChart';
import { type ChannelLimits, type ControlProps, type PowerSupplyReadings, ratingOf } from './types';
import { useLimits } from './useLimits';

const STREAM_INTERVAL_MS = 250;

export function PowerSupplyControl({ equipment, online, controls }: ControlProps) {
  const limits = useLimits(equipment.id, online);
  const channels = Array.from({ length: Math.max(1, equipment.channels) }, (_, i) => i + 1);
  return (
    <div className="channel-grid">
      {channels.map((channel) => (
        <PsuChannel
          key={channel}
          equipment={equipment}
          online={online}
          controls={controls}
          channel={channel}
          limits={limits.get(channel)}
        />
      ))}
    </div>
  );
}

/** The regulation state as the front panel shows it. */
function regulation(r: PowerSupplyReadings | undefined): { text: string; tone: 'normal' | 'warn' | 'muted' } {
  if (!r) return { text: '—', tone: 'muted' };
  if (!r.output_enabled) return { text: 'OFF', tone: 'muted' };
  if (r.in_cc_mode) return { text: 'CC', tone: 'warn' };
  if (r.in_cv_mode) return { text: 'CV', tone: 'normal' };
  return { text: 'UR', tone: 'warn' };
}

function PsuChannel({
  equipment,
  online,
  controls,
  channel,
  limits,
}: ControlProps & { channel: number; limits: ChannelLimits | undefined }) {
  const name = `CH${channel}`;
  const estop = useEmergencyStop();
  const { run, pending, errors } = useCommands(equipment.id);
  const { latest, stopped, chart } = useLiveSeries<PowerSupplyReadings>(
    online
      ? { equipmentId: equipment.id, streamType: 'readings', channel, intervalMs: STREAM_INTERVAL_MS }
      : null,
    {
      seriesCount: 3,
      pick: (r) => [r.voltage_actual, r.current_actual, r.voltage_actual * r.current_actual],
    },
  );
  const r = latest?.data;
  const rating = ratingOf(equipment, channel);
  const state = regulation(r);
  const maxV = limits?.max_voltage ?? rating?.max_voltage;
  const maxI = limits?.max_current ?? rating?.max_current;

  return (
    <section className="card channel" aria-label={`${name} controls`}>
      <header className="card-header">
        <h3>{name}</h3>
        {rating && (
          <span className="muted">
            {rating.max_voltage} V / {rating.max_current} A
          </span>
        )}
        <output className={`badge badge-${state.tone}`} aria-label={`${name} regulation`}>
          {state.text}
        </output>
      </header>

      <LiveValues sample={latest} intervalMs={STREAM_INTERVAL_MS} online={online}>
        <Readout label={`${name} measured voltage`} value={formatFixed(r?.voltage_actual, 3, 'V')} />
        <Readout label={`${name} measured current`} value={formatFixed(r?.current_actual, 4, 'A')} />
        <Readout
          label={`${name} power`}
          value={formatFixed(r ? r.voltage_actual * r.current_actual : null, 3, 'W')}
        />
      </LiveValues>

      <div className="controls">
        <SetpointField
          label={`${name} voltage setpoint`}
          unit="V"
          reported={r?.voltage_set ?? null}
          format={(v) => v.toFixed(3)}
          parse={(t) => parseQuantity(t, 'V')}
          hint={maxV === undefined ? undefined : `Limit ${maxV} V`}
          error={errors.voltage}
          pending={pending.voltage}
          disabled={!controls}
          onSubmit={(voltage) =>
            run({
              key: 'voltage',
              action: 'set_voltage',
              params: { voltage, channel },
              done: `${name} voltage set to ${voltage} V`,
              failed: `${name} voltage not set to ${voltage} V`,
            })
          }
        />
        <SetpointField
          label={`${name} current limit`}
          unit="A"
          reported={r?.current_set ?? null}
          format={(v) => v.toFixed(3)}
          parse={(t) => parseQuantity(t, 'A')}
          hint={maxI === undefined ? undefined : `Limit ${maxI} A`}
          error={errors.current}
          pending={pending.current}
          disabled={!controls}
          onSubmit={(current) =>
            run({
              key: 'current',
              action: 'set_current',
              params: { current, channel },
              done: `${name} current limit set to ${current} A`,
              failed: `${name} current limit not set to ${current} A`,
            })
          }
        />
        <Switch
          label={`${name} output`}
          on={r ? r.output_enabled : null}
          pending={pending.output}
          // Turning off stays possible during an emergency stop; turning on does not.
          disabled={!controls || (estop === true && r?.output_enabled === false)}
          note={estop && r?.output_enabled === false ? 'Emergency stop active: outputs stay off' : undefined}
          error={errors.output}
          onToggle={(enabled) =>
            run({
              key: 'output',
              action: 'set_output',
              params: { enabled, channel },
              done: `${name} output turned ${enabled ? 'on' : 'off'}`,
              failed: `${name} output not turned ${enabled ? 'on' : 'off'}`,
            })
          }
        />
      </div>

      {stopped && <p className="field-error">Live readings stopped: {stopped}</p>}
      <Plot
        title={`${name} voltage, current and power over the last 2 minutes`}
        series={POWER_CHART_SERIES}
        axes={POWER_CHART_AXES}
        data={chart}
        height={180}
      />
    </section>
  );
}
