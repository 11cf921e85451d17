// A uPlot chart: created once per theme and series layout, fed new data without being rebuilt (uPlot redraws
// thousands of points per frame cheaply; React re-rendering them would not), and resized with its container.

import { type HTMLAttributes, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useTheme } from '../app/theme';
import { laneRange, niceTicks, tickLabels } from '../lib/ticks';
import { legendTime, timeTickLabels } from '../lib/time';

export interface PlotSeries {
  label: string;
  color: string;
  /** Which y scale the series uses; series with the same scale share an axis. */
  scale: string;
  /** Formats a value in the legend, e.g. v => `${v.toFixed(3)} V`. */
  format(value: number): string;
  /** Drawn as bars (counts per interval) instead of a line. */
  bars?: boolean;
}

export interface PlotAxis {
  scale: string;
  label: string;
  side?: 'left' | 'right';
  /**
   * Draw from zero (or below, if values go negative) over at least this span, so that an idle output's
   * microvolts of noise are not blown up to fill the chart.
   */
  minSpan?: number;
  /** The unit of the tick labels ("V" gives "5.00 V", "500 mA"); without one, the labels are bare numbers. */
  unit?: string;
  /**
   * Draw this scale in a lane of its own, 0 the top one, so that quantities that move together (a resistor's
   * voltage, current and power) do not lie on top of each other. Axes with a lane split the height between them.
   */
  lane?: number;
}

interface Props extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  /** Accessible name of the chart. */
  title: string;
  series: readonly PlotSeries[];
  axes: readonly PlotAxis[];
  data: uPlot.AlignedData;
  /** True for a clock-time x axis; otherwise `xLabel` and `formatX` describe it. */
  time?: boolean;
  /** A clock-time axis spans at least this many seconds, ending at the newest sample. */
  minSpanS?: number;
  xLabel?: string;
  formatX?(value: number): string;
  height?: number;
}

export function Plot({
  title,
  series,
  axes,
  data,
  time = true,
  minSpanS = 10,
  xLabel,
  formatX,
  height = 220,
  ...rest
}: Props) {
  const container = useRef<HTMLElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const theme = useTheme();
  // The chart is rebuilt only when what it draws changes shape, not for every new sample.
  const layout = JSON.stringify([
    series.map((s) => [s.label, s.color, s.scale, s.bars]),
    axes,
    time,
    minSpanS,
    xLabel,
  ]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `layout` stands for series/axes/time/minSpanS/xLabel; theme restyles the axes
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const css = getComputedStyle(element);
    const ink = css.getPropertyValue('--muted').trim() || '#666';
    const grid = css.getPropertyValue('--grid').trim() || '#ddd';
    const axisStyle = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const lanes = new Set(axes.map((a) => a.lane).filter((l) => l !== undefined)).size;
    // Each lane's own data range, as its scale's range function last found it: its ticks stay inside its lane.
    const laneSpans = new Map<string, [number, number]>();
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      scales: {
        // A strip chart: the newest sample at the right edge, and a few samples never stretched over years.
        x: time
          ? {
              time,
              range: (_u, min, max) => (max === null ? [0, 1] : [max - Math.max(max - min, minSpanS), max]),
            }
          : { time },
        ...Object.fromEntries(
          axes
            .filter((a) => a.minSpan !== undefined || a.lane !== undefined)
            .map((a) => [
              a.scale,
              {
                range: (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
                  let low: number;
                  let high: number;
                  if (a.minSpan !== undefined) {
                    low = Math.min(0, min ?? 0);
                    high = Math.max(max ?? 0, low + a.minSpan);
                    high += 0.05 * (high - low);
                  } else {
                    const pad = Math.max(((max ?? 1) - (min ?? 0)) * 0.05, Math.abs(max ?? 1) * 1e-3, 1e-9);
                    low = (min ?? 0) - pad;
                    high = (max ?? 1) + pad;
                  }
                  laneSpans.set(a.scale, [low, high]);
                  return a.lane === undefined ? [low, high] : laneRange(low, high, a.lane, lanes);
                },
              },
            ]),
        ),
      },
      series: [
        time
          ? { label: 'Time', value: (_u, v) => legendTime(v) }
          : { label: xLabel ?? 'x', value: (_u, v) => (v === null ? '—' : (formatX?.(v) ?? String(v))) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          ...(s.bars ? { fill: s.color, paths: uPlot.paths.bars?.({ size: [0.8, 40] }) } : {}),
          width: 1.5,
          scale: s.scale,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : s.format(v)),
        })),
      ],
      axes: [
        {
          ...axisStyle,
          ...(time
            ? { values: (_u: uPlot, ticks: number[]) => timeTickLabels(ticks) }
            : {
                label: xLabel,
                values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatX?.(t) ?? String(t)),
              }),
        },
        ...axes.map((a) => ({
          ...axisStyle,
          // With several y axes, each is drawn in its series' colour so it is clear which is which.
          stroke: axes.length > 1 ? (series.find((s) => s.scale === a.scale)?.color ?? ink) : ink,
          scale: a.scale,
          // A lane's label would be centred on the whole height; its ticks carry the unit instead.
          label: a.lane === undefined ? a.label : undefined,
          values: (_u: uPlot, ticks: number[]) => tickLabels(ticks, a.unit),
          // Wide enough for the longest label ("100 mA", "4.9995"), which a fixed width would cut off.
          size: (_u: uPlot, values: string[] | null) =>
            Math.max(40, 20 + 8 * Math.max(0, ...(values ?? []).map((v) => v.length))),
          ...(a.lane === undefined
            ? {}
            : {
                splits: () => {
                  const span = laneSpans.get(a.scale);
                  return span ? niceTicks(span[0], span[1], 2) : [];
                },
              }),
          side: a.side === 'right' ? 1 : 3,
          grid: { show: a.lane !== undefined || a.side !== 'right', stroke: grid, width: 1 },
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(options, latest.current, element);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [layout, theme, height]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(data);
    // Unless someone is pointing at the chart, its legend shows the newest values rather than dashes.
    const count = data[0]?.length ?? 0;
    if (chart.cursor.idx == null && count > 0) chart.setLegend({ idx: count - 1 });
  }, [data]);

  return <figure ref={container} className="plot" aria-label={title} {...rest} />;
}
