// Source-measure unit: what it sources (voltage or current), the source level, the compliance on the other
// quantity, the output switch, live V/I/R with an "in compliance" badge, and a chart.

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
import type { ControlProps, SmuReadings } from './types';

const STREAM_INTERVAL_MS = 250;

type SourceFunction = SmuReadings['source_function'];

/** Per source function: the level and its command, and the compliance on the other quantity and its command. */
const FUNCTIONS: Record<
  SourceFunction,
  {
    label: string;
    level: {
      quantity: string;
      unit: string;
      action: string;
      param: string;
      pick: (r: SmuReadings) => number;
    };
    compliance: {
      quantity: string;
      unit: string;
      action: string;
      param: string;
      pick: (r: SmuReadings) => number;
    };
  }
> = {
  VOLT: {
    label: 'Source voltage (V)',
    level: {
      quantity: 'voltage',
      unit: 'V',
      action: 'set_voltage',
      param: 'voltage',
      pick: (r) => r.voltage_set,
    },
    compliance: {
      quantity: 'current',
      unit: 'A',
      action: 'set_current_compliance',
      param: 'current_compliance',
      pick: (r) => r.current_compliance,
    },
  },
  CURR: {
    label: 'Source current (I)',
    level: {
      quantity: 'current',
      unit: 'A',
      action: 'set_current',
      param: 'current',
      pick: (r) => r.current_set,
    },
    compliance: {
      quantity: 'voltage',
      unit: 'V',
      action: 'set_voltage_compliance',
      param: 'voltage_compliance',
      pick: (r) => r.voltage_compliance,
    },
  },
};
const FUNCTION_OPTIONS = (Object.keys(FUNCTIONS) as SourceFunction[]).map((f) => ({
  value: f,
  label: FUNCTIONS[f].label,
}));

/** Six significant digits: SMU levels span from nanoamps to hundreds of volts. */
const formatLevel = (v: number) => String(Number(v.toPrecision(6)));

export function SmuControl({ equipment, online, controls }: ControlProps) {
  const estop = useEmergencyStop();
  const { run, pending, errors } = useCommands(equipment.id);
  const { latest, stopped, chart } = useLiveSeries<SmuReadings>(
    online
      ? { equipmentId: equipment.id, streamType: 'readings', channel: 1, intervalMs: STREAM_INTERVAL_MS }
      : null,
    { seriesCount: 3, pick: (r) => [r.voltage, r.current, r.voltage * r.current] },
  );
  const r = latest?.data;
  const fn = r ? FUNCTIONS[r.source_function] : null;
  const state = !r
    ? { text: '—', tone: 'muted' }
    : !r.output_enabled
      ? { text: 'OFF', tone: 'muted' }
      : r.in_compliance
        ? { text: 'IN COMPLIANCE', tone: 'warn' }
        : { text: r.source_function === 'VOLT' ? 'SOURCING V' : 'SOURCING I', tone: 'normal' };

  const setter = (kind: 'level' | 'compliance') => {
    const spec = fn?.[kind];
    const what = kind === 'level' ? 'level' : 'compliance';
    return (
      <SetpointField
        key={`${kind}-${r?.source_function ?? 'unknown'}`}
        label={`${kind === 'level' ? 'Source level' : 'Compliance'} (${spec?.quantity ?? 'function unknown'})`}
        unit={spec?.unit ?? ''}
        reported={r && spec ? spec.pick(r) : null}
        format={formatLevel}
        parse={(t) => parseQuantity(t, spec?.unit)}
        error={errors[kind]}
        pending={pending[kind]}
        disabled={!controls || !spec}
        onSubmit={async (value) =>
          spec
            ? run({
                key: kind,
                action: spec.action,
                params: { [spec.param]: value },
                done: `SMU ${spec.quantity} ${what} set to ${value} ${spec.unit}`,
                failed: `SMU ${spec.quantity} ${what} not set to ${value} ${spec.unit}`,
              })
            : false
        }
      />
    );
  };

  return (
    <section className="card channel" aria-label="SMU controls">
      <header className="card-header">
        <h3>Output</h3>
        <output className={`badge badge-${state.tone}`} aria-label="SMU state">
          {state.text}
        </output>
      </header>

      <LiveValues sample={latest} intervalMs={STREAM_INTERVAL_MS} online={online}>
        <Readout label="Measured voltage" value={formatFixed(r?.voltage, 4, 'V')} />
        <Readout label="Measured current" value={formatFixed(r?.current, 6, 'A')} />
        <Readout
          label="Resistance"
          value={
            r?.output_enabled && Math.abs(r.current) > 1e-12
              ? formatFixed(r.resistance ?? r.voltage / r.current, 1, 'Ω')
              : '—'
          }
        />
      </LiveValues>

      <div className="controls">
        <Select
          label="Source function"
          value={r?.source_function ?? null}
          options={FUNCTION_OPTIONS}
          pending={pending.function}
          disabled={!controls}
          error={errors.function}
          onChange={(value) =>
            run({
              key: 'function',
              action: 'set_source_function',
              params: { function: value },
              done: `SMU sources ${value === 'VOLT' ? 'voltage' : 'current'}`,
              failed: `SMU source function not set to ${value}`,
            })
          }
        />
        {setter('level')}
        {setter('compliance')}
        <Switch
          label="SMU output"
          on={r ? r.output_enabled : null}
          pending={pending.output}
          disabled={!controls || (estop === true && r?.output_enabled === false)}
          note={
            estop && r?.output_enabled === false ? 'Emergency stop active: the output stays off' : undefined
          }
          error={errors.output}
          onToggle={(enabled) =>
            run({
              key: 'output',
              action: 'set_output',
              params: { enabled },
              done: `SMU output turned ${enabled ? 'on' : 'off'}`,
              failed: `SMU output not turned ${enabled ? 'on' : 'off'}`,
            })
          }
        />
      </div>

      {stopped && <p className="field-error">Live readings stopped: {stopped}</p>}
      <Plot
        title="SMU voltage, current and power over the last 2 minutes"
        series={POWER_CHART_SERIES}
        axes={POWER_CHART_AXES}
        data={chart}
        height={200}
      />
    </section>
  );
}
