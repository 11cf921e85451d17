// Live charts of readings: a stream's samples appended to a sliding window, in uPlot's layout.

import { useCallback, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { type Sample, type StreamSpec, useStream } from '../hooks/useStream';
import { epochSeconds, TimeWindow } from '../lib/series';

/** How much history the live charts keep. */
export const CHART_WINDOW_S = 120;

interface Options<T> {
  seriesCount: number;
  /** One value per chart series from a sample. */
  pick(data: T): (number | null)[];
  /** What the values mean (e.g. a meter's function): when it changes, the old history is dropped, not mixed in. */
  meaning?(data: T): string;
}

/** Streams `spec` and keeps the last CHART_WINDOW_S seconds for a chart. Returns the newest sample and the data. */
export function useLiveSeries<T>(spec: StreamSpec | null, { seriesCount, pick, meaning }: Options<T>) {
  const history = useRef<{ window: TimeWindow; meaning: string } | null>(null);
  const [chart, setChart] = useState<uPlot.AlignedData>(() =>
    new TimeWindow(seriesCount, CHART_WINDOW_S).data(),
  );
  const callbacks = useRef({ pick, meaning });
  callbacks.current = { pick, meaning };

  const onSample = useCallback(
    (sample: Sample<T>) => {
      const now = callbacks.current.meaning?.(sample.data) ?? '';
      if (history.current?.meaning !== now) {
        history.current = { window: new TimeWindow(seriesCount, CHART_WINDOW_S), meaning: now };
      }
      history.current.window.push(epochSeconds(sample.timestamp), callbacks.current.pick(sample.data));
      setChart(history.current.window.data());
    },
    [seriesCount],
  );

  const stream = useStream<T>(spec, onSample);
  return { ...stream, chart };
}
