// The live chart the power supply and the electronic load both draw: voltage, current and power on their own axes.

import type { PlotAxis, PlotSeries } from '../components/Plot';
import { formatFixed } from '../lib/format';
import { QUANTITY_COLORS } from './colors';

/** Voltage, current and power, in that order (the order `useLiveSeries` picks them in). */
export const POWER_CHART_SERIES: readonly PlotSeries[] = [
  {
    label: 'Voltage',
    color: QUANTITY_COLORS.voltage,
    scale: 'V',
    format: (v: number) => formatFixed(v, 3, 'V'),
  },
  {
    label: 'Current',
    color: QUANTITY_COLORS.current,
    scale: 'A',
    format: (v: number) => formatFixed(v, 4, 'A'),
  },
  { label: 'Power', color: QUANTITY_COLORS.power, scale: 'W', format: (v: number) => formatFixed(v, 3, 'W') },
];

export const POWER_CHART_AXES: readonly PlotAxis[] = [
  { scale: 'V', label: 'Volts', minSpan: 1 },
  { scale: 'A', label: 'Amps', side: 'right', minSpan: 0.1 },
  { scale: 'W', label: 'Watts', side: 'right', minSpan: 1 },
];
