// The one date and time format of the charts: 24-hour local clock time, "14:03:27", with the date, "2026-11-29",
// where a chart spans more than one day. Axes and legends of every chart use these.

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local clock time, "14:03:27". */
export function clockLabel(date: Date): string {
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** Local date, "2026-11-29". */
export function dateLabel(date: Date): string {
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** Local date and time, "2026-11-29 14:03:27". */
export function dateTimeLabel(date: Date): string {
  return `${dateLabel(date)} ${clockLabel(date)}`;
}

/**
 * Labels for a time axis's ticks (Unix seconds, as uPlot gives them): the clock time, and the date on a second
 * line at the first tick and wherever the date changes, when the ticks span more than one day.
 */
export function timeTickLabels(ticks: readonly number[]): string[] {
  const dates = ticks.map((t) => new Date(t * 1000));
  const days = new Set(dates.map(dateLabel));
  let previous = '';
  return dates.map((date) => {
    if (Number.isNaN(date.getTime())) return '';
    if (days.size <= 1) return clockLabel(date);
    const day = dateLabel(date);
    const label = day === previous ? clockLabel(date) : `${clockLabel(date)}\n${day}`;
    previous = day;
    return label;
  });
}

/** The legend's time of a sample (Unix seconds): "14:03:27", or "2026-11-29 14:03:27" when not today. */
export function legendTime(seconds: number | null, now: Date = new Date()): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const date = new Date(seconds * 1000);
  return dateLabel(date) === dateLabel(now) ? clockLabel(date) : dateTimeLabel(date);
}
