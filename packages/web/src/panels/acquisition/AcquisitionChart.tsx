// The session's chart: one line per channel in its own colour, on the server's time axis. Drag across it to zoom
// into a stretch of time (double-click or "Reset zoom" to see everything again); while zoomed or paused, new
// samples are still collected but the view stays where it is. uPlot is fed new data without being rebuilt.

import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useTheme } from '../../app/theme';
import { siNumber } from '../../lib/format';
import { tickLabels } from '../../lib/ticks';
import { legendTime, timeTickLabels } from '../../lib/time';
import { channelColor } from './model';

interface Props {
  title: string;
  channels: readonly string[];
  data: uPlot.AlignedData;
  /** Live sessions offer Pause; a stored one is drawn once. */
  live: boolean;
  height?: number;
}

export function AcquisitionChart({ title, channels, data, live, height = 300 }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const [paused, setPaused] = useState(false);
  const [zoomed, setZoomed] = useState(false);
  const zoomedRef = useRef(false);
  zoomedRef.current = zoomed;
  const theme = useTheme();
  const layout = channels.join('\n');

  // biome-ignore lint/correctness/useExhaustiveDependencies: `layout` stands for channels; theme restyles the axes
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const css = getComputedStyle(element);
    const ink = css.getPropertyValue('--muted').trim() || '#666';
    const grid = css.getPropertyValue('--grid').trim() || '#ddd';
    const axisStyle = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      scales: { x: { time: true } },
      series: [
        { label: 'Time', value: (_u: uPlot, v: number | null) => legendTime(v) },
        ...channels.map((name, i) => ({
          label: name,
          stroke: channelColor(i),
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : siNumber(v, 5)),
        })),
      ],
      axes: [
        { ...axisStyle, values: (_u: uPlot, ticks: number[]) => timeTickLabels(ticks) },
        { ...axisStyle, values: (_u: uPlot, ticks: number[]) => tickLabels(ticks) },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false, setScale: true } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 0) setZoomed(true);
          },
        ],
      },
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
    if (!chart || paused) return;
    // Zoomed: new samples come in without moving the view.
    chart.setData(data, !zoomedRef.current);
    const count = data[0]?.length ?? 0;
    if (chart.cursor.idx == null && count > 0) chart.setLegend({ idx: count - 1 });
  }, [data, paused]);

  const resetZoom = () => {
    setZoomed(false);
    plot.current?.setData(latest.current, true);
  };

  return (
    <div className="acq-chart">
      <div className="toolbar" role="toolbar" aria-label="Chart">
        {live && (
          <button type="button" className="secondary small-button" onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume chart' : 'Pause chart'}
          </button>
        )}
        <button type="button" className="secondary small-button" onClick={resetZoom} disabled={!zoomed}>
          Reset zoom
        </button>
        <span className="muted small">
          {paused ? 'Chart paused (recording continues). ' : ''}Drag across the chart to zoom.
        </span>
      </div>
      <div
        ref={container}
        className="plot"
        role="img"
        aria-label={title}
        data-points={data[0]?.length ?? 0}
        data-paused={paused}
        data-zoomed={zoomed}
        onDoubleClick={() => setZoomed(false)}
      />
    </div>
  );
}
