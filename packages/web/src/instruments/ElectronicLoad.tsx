// Electronic load: the mode (CC/CV/CR/CP), its setpoint, the input switch, live V/I/P and a chart.

import { useEmergencyStop } from '../app/estop';
import { LiveValues } from '../components/LiveValues';
import { Plot } from '../components/Plot';
import { Readout } from '../components/Readout';
import { Select } from '../components/Select';
import { SetpointField } from '../components/SetpointField';
import { Switch } from '../components/Switch';
import { useCommands } from '../hooks/useCommand';
import { formatFixed, parseQuantity } from '../lib/format';
import { useLiveSeries } from './live';
import { POWER_CHART_AXES, POWER_CHART_SERIES } from './powerChart';
import type { ControlProps, ElectronicLoadReadings, LoadMode } from './types';

const STREAM_INTERVAL_MS = 250;

/** Each mode: its name, the quantity it holds constant, and the command that sets it. */
const MODES: Record<
  LoadMode,
  { label: string; quantity: string; unit: string; action: string; param: string }
> = {
  CC: {
    label: 'Constant current (CC)',
    quantity: 'current',
    unit: 'A',
    action: 'set_current',
    param: 'current',
  },
  CV: {
    label: 'Constant voltage (CV)',
    quantity: 'voltage',
    unit: 'V',
    action: 'set_voltage',
    param: 'voltage',
  },
  CR: {
    label: 'Constant resistance (CR)',
    quantity: 'resistance',
    unit: 'Ω',
    action: 'set_resistance',
    param: 'resistance',
  },
  CP: { label: 'Constant power (CP)', quantity: 'power', unit: 'W', action: 'set_power', param: 'power' },
};
const MODE_OPTIONS = (Object.keys(MODES) as LoadMode[]).map((m) => ({ value: m, label: MODES[m].label }));

export function ElectronicLoadControl({ equipment, online, controls }: ControlProps) {
  const estop = useEmergencyStop();
  const { run, pending, errors } = useCommands(equipment.id);
  const { latest, stopped, chart } = useLiveSeries<ElectronicLoadReadings>(
    online
      ? { equipmentId: equipment.id, streamType: 'readings', channel: 1, intervalMs: STREAM_INTERVAL_MS }
      : null,
    { seriesCount: 3, pick: (r) => [r.voltage, r.current, r.power] },
  );
  const r = latest?.data;
  const mode = r ? MODES[r.mode] : null;

  return (
    <section className="card channel" aria-label="Load controls">
      <header className="card-header">
        <h3>Input</h3>
        <output className={`badge badge-${r?.load_enabled ? 'normal' : 'muted'}`} aria-label="Load state">
          {r ? (r.load_enabled ? r.mode : 'OFF') : '—'}
        </output>
      </header>

      <LiveValues sample={latest} intervalMs={STREAM_INTERVAL_MS} online={online}>
        <Readout label="Load voltage" value={formatFixed(r?.voltage, 3, 'V')} />
        <Readout label="Load current" value={formatFixed(r?.current, 4, 'A')} />
        <Readout label="Load power" value={formatFixed(r?.power, 3, 'W')} />
      </LiveValues>

      <div className="controls">
        <Select
          label="Mode"
          value={r?.mode ?? null}
          options={MODE_OPTIONS}
          pending={pending.mode}
          disabled={!controls}
          error={errors.mode}
          onChange={(value) =>
            run({
              key: 'mode',
              action: 'set_mode',
              params: { mode: value },
              done: `Load mode set to ${value}`,
              failed: `Load mode not set to ${value}`,
            })
          }
        />
        {/* Keyed by mode: a draft typed in one unit must not be sent as another. */}
        <SetpointField
          key={r?.mode ?? 'unknown'}
          label={`Setpoint (${mode?.quantity ?? 'mode unknown'})`}
          unit={mode?.unit ?? ''}
          reported={r?.setpoint ?? null}
          format={(v) => v.toFixed(3)}
          parse={(t) => parseQuantity(t, mode?.unit)}
          error={errors.setpoint}
          pending={pending.setpoint}
          disabled={!controls || !mode}
          onSubmit={async (value) =>
            mode
              ? run({
                  key: 'setpoint',
                  action: mode.action,
                  params: { [mode.param]: value },
                  done: `Load ${mode.quantity} set to ${value} ${mode.unit}`,
                  failed: `Load ${mode.quantity} not set to ${value} ${mode.unit}`,
                })
              : false
          }
        />
        <Switch
          label="Load input"
          on={r ? r.load_enabled : null}
          pending={pending.input}
          disabled={!controls || (estop === true && r?.load_enabled === false)}
          note={estop && r?.load_enabled === false ? 'Emergency stop active: the input stays off' : undefined}
          error={errors.input}
          onToggle={(enabled) =>
            run({
              key: 'input',
              action: 'set_input',
              params: { enabled },
              done: `Load input turned ${enabled ? 'on' : 'off'}`,
              failed: `Load input not turned ${enabled ? 'on' : 'off'}`,
            })
          }
        />
      </div>

      {stopped && <p className="field-error">Live readings stopped: {stopped}</p>}
      <Plot
        title="Load voltage, current and power over the last 2 minutes"
        series={POWER_CHART_SERIES}
        axes={POWER_CHART_AXES}
        data={chart}
        height={200}
      />
    </section>
  );
}
