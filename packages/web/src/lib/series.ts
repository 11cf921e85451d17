// A sliding window of timed samples for live charts: the last `windowS` seconds, in the column layout uPlot
// draws directly. Times are the server's timestamps, so a chart shows when the instrument was read, not when the
// browser happened to receive it.

import type uPlot from 'uplot';

export class TimeWindow {
  private readonly times: number[] = [];
  private readonly columns: (number | null)[][];

  constructor(
    seriesCount: number,
    private readonly windowS: number,
  ) {
    this.columns = Array.from({ length: seriesCount }, () => []);
  }

  /** Adds one sample (time in seconds since the epoch, one value per series) and drops what left the window. */
  push(timeS: number, values: readonly (number | null)[]): void {
    // A replayed or duplicated sample (after a reconnect) must not draw the line backwards.
    const last = this.times.at(-1);
    if (last !== undefined && timeS <= last) return;
    this.times.push(timeS);
    this.columns.forEach((column, i) => {
      column.push(values[i] ?? null);
    });
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) < timeS - this.windowS) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      for (const column of this.columns) column.splice(0, drop);
    }
  }

  /** A copy in uPlot's layout: [times, series1, series2, …]. */
  data(): uPlot.AlignedData {
    return [this.times.slice(), ...this.columns.map((c) => c.slice())];
  }
}

/** Seconds since the epoch of an ISO-8601 timestamp. */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}
