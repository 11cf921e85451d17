// Multimeter: function, range, the live reading and its chart.

import { LiveValues } from '../components/LiveValues';
import { Plot } from '../components/Plot';
import { Readout } from '../components/Readout';
import { Select } from '../components/Select';
import { useCommands } from '../hooks/useCommand';
import { formatSi, siNumber } from '../lib/format';
import { QUANTITY_COLORS } from './colors';
import { useLiveSeries } from './live';
import type { ControlProps, MultimeterReadings } from './types';

const STREAM_INTERVAL_MS = 500;

const FUNCTION_NAMES: Record<string, string> = {
  'VOLT:DC': 'DC voltage',
  'VOLT:AC': 'AC voltage',
  'CURR:DC': 'DC current',
  'CURR:AC': 'AC current',
  RES: 'Resistance (2-wire)',
  FRES: 'Resistance (4-wire)',
  FREQ: 'Frequency',
  PER: 'Period',
  CAP: 'Capacitance',
};

/** Manual ranges per function (34461A range tables); frequency and period take the input voltage's ranges. */
const RANGES: Record<string, readonly number[]> = {
  'VOLT:DC': [0.1, 1, 10, 100, 1000],
  'VOLT:AC': [0.1, 1, 10, 100, 750],
  'CURR:DC': [1e-4, 1e-3, 1e-2, 0.1, 1, 3, 10],
  'CURR:AC': [1e-4, 1e-3, 1e-2, 0.1, 1, 3, 10],
  RES: [100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
  FRES: [100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
  FREQ: [0.1, 1, 10, 100, 750],
  PER: [0.1, 1, 10, 100, 750],
  CAP: [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4],
};

const RANGE_UNIT: Record<string, string> = { FREQ: 'V', PER: 'V' };

export function MultimeterControl({ equipment, online, controls }: ControlProps) {
  const { run, pending, errors } = useCommands(equipment.id);
  const { latest, stopped, chart } = useLiveSeries<MultimeterReadings>(
    online
      ? { equipmentId: equipment.id, streamType: 'readings', channel: 1, intervalMs: STREAM_INTERVAL_MS }
      : null,
    { seriesCount: 1, pick: (r) => [r.value], meaning: (r) => r.function },
  );
  const r = latest?.data;
  const functions = (equipment.capabilities.functions as string[] | undefined) ?? Object.keys(FUNCTION_NAMES);
  const rangeUnit = r ? (RANGE_UNIT[r.function] ?? r.unit) : '';
  const rangeOptions = [
    { value: 'AUTO', label: 'Auto' },
    ...(r ? (RANGES[r.function] ?? []) : []).map((v) => ({
      value: String(v),
      label: formatSi(v, rangeUnit),
    })),
  ];
  const series = [
    {
      label: r ? (FUNCTION_NAMES[r.function] ?? r.function) : 'Reading',
      color: QUANTITY_COLORS.value,
      scale: 'y',
      format: (v: number) => formatSi(v, r?.unit ?? '', 7),
    },
  ];

  return (
    <section className="card channel" aria-label="Multimeter controls">
      <LiveValues sample={latest} intervalMs={STREAM_INTERVAL_MS} online={online}>
        <Readout
          label="Multimeter reading"
          value={r ? (r.value === null ? 'Overload' : formatSi(r.value, r.unit, 7)) : '—'}
          detail={
            r
              ? `${FUNCTION_NAMES[r.function] ?? r.function} · range ${r.range === 'AUTO' ? 'auto' : formatSi(r.range, rangeUnit)}`
              : undefined
          }
          tone={r?.value === null ? 'warn' : 'normal'}
        />
      </LiveValues>
      <div className="controls">
        <Select
          label="Function"
          value={r?.function ?? null}
          options={functions.map((f) => ({ value: f, label: FUNCTION_NAMES[f] ?? f }))}
          pending={pending.function}
          disabled={!controls}
          error={errors.function}
          onChange={(fn) =>
            run({
              key: 'function',
              action: 'set_function',
              params: { function: fn },
              done: `Multimeter measuring ${FUNCTION_NAMES[fn] ?? fn}`,
              failed: `Multimeter function not changed to ${FUNCTION_NAMES[fn] ?? fn}`,
            })
          }
        />
        <Select
          label="Range"
          value={r ? (r.range === 'AUTO' ? 'AUTO' : String(r.range)) : null}
          options={rangeOptions}
          pending={pending.range}
          disabled={!controls}
          error={errors.range}
          onChange={(value) => {
            const range = value === 'AUTO' ? 'AUTO' : Number(value);
            const text = range === 'AUTO' ? 'auto' : `${siNumber(range)}${rangeUnit}`;
            return run({
              key: 'range',
              action: 'set_range',
              params: { range },
              done: `Multimeter range set to ${text}`,
              failed: `Multimeter range not set to ${text}`,
            });
          }}
        />
      </div>
      {stopped && <p className="field-error">Live readings stopped: {stopped}</p>}
      {/* Keyed by function: a new quantity starts a new chart rather than mixing volts and ohms. */}
      <Plot
        key={r?.function ?? 'none'}
        title="Multimeter readings over the last 2 minutes"
        series={series}
        axes={[{ scale: 'y', label: r ? `${FUNCTION_NAMES[r.function] ?? r.function} (${r.unit})` : '' }]}
        data={chart}
        height={220}
      />
    </section>
  );
}
