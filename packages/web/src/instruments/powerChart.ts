// The live chart the power supply and the electronic load both draw: voltage, current and power, each in its own
// lane with its own axis.

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

/**
 * Each quantity in a lane of its own: on a resistor, voltage, current and power rise and fall together, and on
 * shared or overlaid scales their traces would lie on top of each other.
 */
export const POWER_CHART_AXES: readonly PlotAxis[] = [
  { scale: 'V', label: 'Volts', unit: 'V', minSpan: 1, lane: 0 },
  { scale: 'A', label: 'Amps', unit: 'A', side: 'right', minSpan: 0.1, lane: 1 },
  { scale: 'W', label: 'Watts', unit: 'W', minSpan: 1, lane: 2 },
];
