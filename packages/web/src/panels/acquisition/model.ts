// The Acquisition panel's pure logic, kept apart from React so it is unit-tested: the session form (which fields
// a mode and a trigger need, the request it becomes, the server's refusals by field), channel names and colours,
// the live buffer fed by acquisition_stream blocks (only new samples, in seq order, bounded), the quality figures
// of the footer, stored data and the FFT as chart columns, and which actions each state allows.

import type {
  AcquisitionData,
  AcquisitionMode,
  AcquisitionSessionRequest,
  AcquisitionSource,
  AcquisitionStreamMessage,
  FftStats,
  StatsKind,
  TriggerConfig,
  TriggerEdge,
  TriggerType,
} from '@lablink/client';
import type uPlot from 'uplot';
import { parseQuantity } from '../../lib/format';

// ---- states and actions -----------------------------------------------------------------------------------------

export const STATE_TEXT: Record<string, string> = {
  idle: 'Ready',
  waiting_trigger: 'Waiting for trigger',
  acquiring: 'Acquiring',
  paused: 'Paused',
  stopped: 'Stopped',
  error: 'Error',
};

export function stateText(state: string): string {
  return STATE_TEXT[state] ?? state;
}

export type SessionAction = 'start' | 'pause' | 'resume' | 'stop' | 'trigger';

/** The actions a session in this state accepts (`trigger` only for an external trigger waiting to fire). */
export function actionsFor(state: string, triggerType?: string): SessionAction[] {
  switch (state) {
    case 'idle':
      return ['start'];
    case 'waiting_trigger':
      return triggerType === 'external' ? ['trigger', 'stop'] : ['stop'];
    case 'acquiring':
      return ['pause', 'stop'];
    case 'paused':
      return ['resume', 'stop'];
    default:
      return [];
  }
}

/** A session that will send no more samples. */
export function isFinished(state: string): boolean {
  return state === 'stopped' || state === 'error';
}

// ---- channels -----------------------------------------------------------------------------------------------------

/** A source picked in the form: an instrument's reading field (on a channel), or a scope channel's waveform. */
export interface PickedSource {
  equipment_id: string;
  /** A reading field, or `waveform` for a scope's captures. */
  field: string;
  channel?: number;
}

/** The session's name for a source's channel: `<equipment_id>.<field>[.<channel>]`. */
export function channelName(source: PickedSource): string {
  return `${source.equipment_id}.${source.field}${source.channel !== undefined ? `.${source.channel}` : ''}`;
}

/**
 * A session's channels split into the sampled ones (drawn on the chart, with statistics) and the waveform
 * captures (`<equipment_id>.waveform.<channel>`), which are stored whole and go to the export.
 */
export function splitChannels(channels: readonly string[]): { sampled: string[]; waveforms: string[] } {
  const waveforms = channels.filter((c) => /\.waveform\.\d+$/.test(c));
  return { sampled: channels.filter((c) => !waveforms.includes(c)), waveforms };
}

export function sameSource(a: PickedSource, b: PickedSource): boolean {
  return channelName(a) === channelName(b);
}

export function toRequestSource(source: PickedSource): AcquisitionSource {
  if (source.field === 'waveform') {
    return { equipment_id: source.equipment_id, kind: 'waveform', channel: source.channel ?? 1 };
  }
  return {
    equipment_id: source.equipment_id,
    field: source.field,
    ...(source.channel !== undefined ? { channel: source.channel } : {}),
  };
}

/** Distinct colours, readable on light and dark backgrounds, one per channel in order. */
export const CHANNEL_COLORS = [
  '#2f7ed8',
  '#e4572e',
  '#17a34a',
  '#9b5de5',
  '#f0a202',
  '#0fa3b1',
  '#d81159',
  '#6c757d',
] as const;

export function channelColor(index: number): string {
  return CHANNEL_COLORS[index % CHANNEL_COLORS.length] as string;
}

// ---- the session form ---------------------------------------------------------------------------------------------

export type LimitKind = 'none' | 'duration' | 'samples';

export interface SessionForm {
  name: string;
  mode: AcquisitionMode;
  sample_rate: string;
  limit: LimitKind;
  duration_seconds: string;
  num_samples: string;
  sources: PickedSource[];
  trigger_type: TriggerType;
  level: string;
  edge: TriggerEdge;
  /** A picked source's channel name, or '' for the first. */
  trigger_channel: string;
  pre_trigger_samples: string;
  start_time: string;
  buffer_size: string;
}

export type FormKey = keyof SessionForm;
export type FieldErrors = Partial<Record<FormKey, string>>;

export const MODES: readonly { value: AcquisitionMode; label: string }[] = [
  { value: 'continuous', label: 'Continuous' },
  { value: 'single_shot', label: 'Single shot' },
  { value: 'triggered', label: 'Triggered' },
];

export const TRIGGERS: readonly { value: TriggerType; label: string }[] = [
  { value: 'immediate', label: 'Immediate' },
  { value: 'level', label: 'Level' },
  { value: 'edge', label: 'Edge' },
  { value: 'time', label: 'At a time' },
  { value: 'external', label: 'External (button or API)' },
];

export const EDGES: readonly { value: TriggerEdge; label: string }[] = [
  { value: 'rising', label: 'Rising' },
  { value: 'falling', label: 'Falling' },
  { value: 'either', label: 'Either' },
];

export function emptyForm(): SessionForm {
  return {
    name: '',
    mode: 'continuous',
    sample_rate: '10',
    limit: 'none',
    duration_seconds: '',
    num_samples: '',
    sources: [],
    trigger_type: 'immediate',
    level: '',
    edge: 'rising',
    trigger_channel: '',
    pre_trigger_samples: '',
    start_time: '',
    buffer_size: '',
  };
}

/** The trigger settings the form shows for a mode and trigger type. */
export function triggerFields(form: Pick<SessionForm, 'mode' | 'trigger_type'>): {
  type: boolean;
  level: boolean;
  edge: boolean;
  channel: boolean;
  preTrigger: boolean;
  startTime: boolean;
} {
  const triggered = form.mode === 'triggered';
  const t = form.trigger_type;
  return {
    type: triggered,
    level: triggered && (t === 'level' || t === 'edge'),
    edge: triggered && t === 'edge',
    channel: triggered && (t === 'level' || t === 'edge'),
    preTrigger: triggered && t !== 'immediate',
    startTime: triggered && t === 'time',
  };
}

function positive(text: string, integer: boolean): number | null {
  const value = parseQuantity(text);
  if (value === null || !(value > 0) || (integer && !Number.isInteger(value))) return null;
  return value;
}

/**
 * The create request the form stands for, or the fields that are wrong (in words, by form field). Only what the
 * mode and trigger use is sent; the server checks the rest and names the field it refuses.
 */
export function requestFromForm(form: SessionForm): {
  request: AcquisitionSessionRequest;
  errors: FieldErrors;
} {
  const errors: FieldErrors = {};
  const rate = positive(form.sample_rate, false);
  if (rate === null) errors.sample_rate = 'A rate above 0 Hz (e.g. 10, 50, 1k).';
  if (form.sources.length === 0) errors.sources = 'Pick at least one reading or scope channel.';
  const request: AcquisitionSessionRequest = {
    mode: form.mode,
    sample_rate: rate ?? 0,
    sources: form.sources.map(toRequestSource),
  };
  if (form.name.trim()) request.name = form.name.trim();
  if (form.limit === 'duration') {
    const duration = positive(form.duration_seconds, false);
    if (duration === null) errors.duration_seconds = 'A duration above 0 s.';
    else request.duration_seconds = duration;
  }
  if (form.limit === 'samples') {
    const n = positive(form.num_samples, true);
    if (n === null) errors.num_samples = 'A whole number of samples, at least 1.';
    else request.num_samples = n;
  }
  if (form.mode === 'single_shot' && form.limit === 'none') {
    errors.limit = 'A single shot needs a number of samples or a duration.';
  }
  if (form.buffer_size.trim()) {
    const n = positive(form.buffer_size, true);
    if (n === null) errors.buffer_size = 'A whole number of samples, at least 1.';
    else request.buffer_size = n;
  }
  if (form.mode === 'triggered') {
    const shown = triggerFields(form);
    const trigger: TriggerConfig = { trigger_type: form.trigger_type };
    if (shown.level) {
      const level = parseQuantity(form.level);
      if (level === null) errors.level = 'The level the channel must reach (e.g. 2.5).';
      else trigger.level = level;
    }
    if (shown.edge) trigger.edge = form.edge;
    if (shown.channel && form.trigger_channel) trigger.channel = form.trigger_channel;
    if (shown.preTrigger && form.pre_trigger_samples.trim()) {
      const n = parseQuantity(form.pre_trigger_samples);
      if (n === null || n < 0 || !Number.isInteger(n)) {
        errors.pre_trigger_samples = 'A whole number of samples, 0 or more.';
      } else trigger.pre_trigger_samples = n;
    }
    if (shown.startTime) {
      const at = Date.parse(form.start_time);
      if (!form.start_time || Number.isNaN(at)) errors.start_time = 'The date and time to start.';
      else trigger.start_time = new Date(at).toISOString();
    }
    request.trigger_config = trigger;
  }
  return { request, errors };
}

const SERVER_FIELDS: Record<string, FormKey> = {
  name: 'name',
  mode: 'mode',
  sample_rate: 'sample_rate',
  duration_seconds: 'duration_seconds',
  num_samples: 'num_samples',
  buffer_size: 'buffer_size',
  sources: 'sources',
  channels: 'sources',
  equipment_id: 'sources',
  field: 'sources',
  kind: 'sources',
  channel: 'sources',
  trigger_config: 'trigger_type',
  trigger_type: 'trigger_type',
  level: 'level',
  edge: 'edge',
  pre_trigger_samples: 'pre_trigger_samples',
  start_time: 'start_time',
};

/**
 * The form field a server refusal names: `sample_rate`, `trigger_config.level`, `/trigger_config/level`,
 * `sources[1].field`, `sources/0/equipment_id` … ('' when none matches: shown above the buttons).
 */
export function formFieldOf(field: string | undefined): FormKey | '' {
  if (!field) return '';
  const parts = field.split(/[./[\]]+/).filter((p) => p && !/^\d+$/.test(p));
  if (parts[0] === 'trigger_config') {
    const inner = parts[1];
    if (inner === 'channel') return 'trigger_channel';
    return inner ? (SERVER_FIELDS[inner] ?? 'trigger_type') : 'trigger_type';
  }
  if (parts[0] === 'sources' || parts[0] === 'channels') return 'sources';
  return (parts[0] && SERVER_FIELDS[parts[0]]) || '';
}

// ---- live data ----------------------------------------------------------------------------------------------------

/**
 * The live chart's samples: the blocks of acquisition_stream appended in order, at most `maxPoints` kept (the
 * oldest dropped). Channels are columns in the session's order; a block without timestamps gets times spaced by
 * the sample rate, ending at the block's own timestamp. Samples at or before the newest time are dropped, so a
 * replay never draws the line backwards.
 */
export class LiveBuffer {
  private times: number[] = [];
  private columns: (number | null)[][];
  private lastSeq: number | null = null;
  /** Samples received since the start (not only those still kept). */
  received = 0;

  constructor(
    readonly channels: readonly string[],
    private readonly maxPoints = 20_000,
    private readonly sampleRate = 0,
  ) {
    this.columns = channels.map(() => []);
  }

  /** Appends one block; returns the number of samples added. */
  push(block: Pick<AcquisitionStreamMessage, 'seq' | 'timestamp' | 'data'>): number {
    if (this.lastSeq !== null && block.seq <= this.lastSeq) return 0;
    this.lastSeq = block.seq;
    const data = block.data;
    if (!data || data.count <= 0) return 0;
    const times = data.timestamps?.map((t) => Date.parse(t) / 1000);
    const end = Date.parse(block.timestamp) / 1000;
    const step = this.sampleRate > 0 ? 1 / this.sampleRate : 0;
    let added = 0;
    for (let i = 0; i < data.count; i++) {
      const t = times?.[i] ?? end - (data.count - 1 - i) * step;
      const last = this.times.at(-1);
      if (!Number.isFinite(t) || (last !== undefined && t <= last)) continue;
      this.times.push(t);
      this.channels.forEach((name, c) => {
        const v = data.values[name]?.[i];
        (this.columns[c] as (number | null)[]).push(typeof v === 'number' && Number.isFinite(v) ? v : null);
      });
      added++;
    }
    this.received += added;
    const excess = this.times.length - this.maxPoints;
    if (excess > 0) {
      this.times.splice(0, excess);
      for (const column of this.columns) column.splice(0, excess);
    }
    return added;
  }

  /** Samples of stored data (GET …/data), before the live blocks continue them. */
  load(data: AcquisitionData): void {
    const [times, ...columns] = columnsFromData(data, this.channels);
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      const last = this.times.at(-1);
      if (last !== undefined && t <= last) continue;
      this.times.push(t);
      columns.forEach((column, c) => {
        (this.columns[c] as (number | null)[]).push(column[i] ?? null);
      });
    }
  }

  get length(): number {
    return this.times.length;
  }

  /** A copy in uPlot's layout: [times (s), channel 1, channel 2, …]. */
  data(): uPlot.AlignedData {
    return [this.times.slice(), ...this.columns.map((c) => c.slice())] as uPlot.AlignedData;
  }
}

/** Stored samples as chart columns: [times (s since the epoch), one column per channel in `channels` order]. */
export function columnsFromData(
  data: AcquisitionData,
  channels: readonly string[] = data.channels,
): [number[], ...(number | null)[][]] {
  const times = data.data.timestamps.map((t) => Date.parse(t) / 1000);
  const columns = channels.map((name) => {
    const values = data.data.values[name] ?? [];
    return times.map((_, i) => {
      const v = values[i];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  });
  return [times, ...columns];
}

// ---- quality figures ----------------------------------------------------------------------------------------------

export interface QualityFigures {
  /** Samples per second (per channel) over the last window. */
  samplesPerSecond: number;
  /** Receipt time minus the server's timestamp of the newest sample, smoothed, ms; null before any sample. */
  latencyMs: number | null;
  /** Samples of the session so far (the server's count, or those received live when it gives none). */
  samples: number;
  /** Blocks missed (jumps in seq beyond what a merged block covers). */
  gaps: number;
  /** Share of the session's ring buffer in use, 0–1; null when the server does not say. */
  bufferUse: number | null;
}

/** Follows the blocks of one live session and says how well they arrive. */
export class QualityTracker {
  private lastSeq: number | null = null;
  private gapCount = 0;
  private samples = 0;
  private latency: number | null = null;
  private buffer: number | null = null;
  private total: number | null = null;
  /** (receipt time ms, samples) of recent blocks, for the rate. */
  private window: { at: number; count: number }[] = [];

  constructor(private readonly windowMs = 2000) {}

  /** One block received at `now` (ms, this machine's clock, corrected by `clockOffsetMs` = server − ours). */
  block(
    message: Pick<AcquisitionStreamMessage, 'seq' | 'prev_seq' | 'timestamp' | 'data' | 'stats'>,
    now: number,
    clockOffsetMs = 0,
  ): void {
    if (this.lastSeq !== null && message.seq <= this.lastSeq) return;
    // A block merged at the client's pace covers prev_seq+1 … seq: not a loss.
    const previous = message.prev_seq ?? message.seq - 1;
    if (this.lastSeq !== null && previous > this.lastSeq) this.gapCount += previous - this.lastSeq;
    this.lastSeq = message.seq;
    const count = message.data?.count ?? 0;
    this.samples += count;
    this.window.push({ at: now, count });
    const newest = message.data?.timestamps?.at(-1) ?? message.timestamp;
    const stamped = Date.parse(newest);
    if (count > 0 && Number.isFinite(stamped)) {
      const sample = Math.max(0, now - (stamped - clockOffsetMs));
      this.latency = this.latency === null ? sample : this.latency + 0.2 * (sample - this.latency);
    }
    const total = totalSamples(message.stats);
    if (total !== null) this.total = total;
    const use = bufferUse(message.stats);
    if (use !== null) this.buffer = use;
  }

  figures(now: number): QualityFigures {
    this.window = this.window.filter((b) => b.at > now - this.windowMs);
    const first = this.window[0];
    const span = first ? Math.max(now - first.at, 1000) : this.windowMs;
    const total = this.window.reduce((n, b) => n + b.count, 0);
    return {
      samplesPerSecond: Math.round((total / span) * 10_000) / 10,
      latencyMs: this.latency === null ? null : Math.round(this.latency * 10) / 10,
      samples: Math.max(this.total ?? 0, this.samples),
      gaps: this.gapCount,
      bufferUse: this.buffer,
    };
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The share of the ring in use, from the session's stats: `buffer: {size, count, utilization}`, or flat
 * buffer_usage (0–1 or %) or buffer_used / buffer_size.
 */
export function bufferUse(stats: Record<string, unknown> | undefined): number | null {
  if (!stats) return null;
  const ring = stats.buffer;
  if (ring && typeof ring === 'object') {
    const r = ring as Record<string, unknown>;
    const utilization = num(r.utilization);
    if (utilization !== null) return Math.min(Math.max(utilization, 0), 1);
    const count = num(r.count);
    const size = num(r.size);
    if (count !== null && size !== null && size > 0) return Math.min(count / size, 1);
  }
  const usage = num(stats.buffer_usage) ?? num(stats.buffer_use);
  if (usage !== null) return usage > 1 ? Math.min(usage / 100, 1) : usage;
  const used = num(stats.buffer_used) ?? num(stats.buffer_fill) ?? num(stats.buffer_count);
  const size = num(stats.buffer_size) ?? num(stats.buffer_capacity);
  if (used !== null && size !== null && size > 0) return Math.min(used / size, 1);
  return null;
}

/** Total samples of a session from its stats (total_samples, or the per-channel counts). */
export function totalSamples(stats: Record<string, unknown> | undefined): number | null {
  if (!stats) return null;
  const total = num(stats.total_samples);
  if (total !== null) return total;
  const per = stats.samples_per_channel;
  if (per && typeof per === 'object') {
    const counts = Object.values(per).filter((v): v is number => typeof v === 'number');
    if (counts.length > 0) return Math.max(...counts);
  }
  return null;
}

// ---- statistics ---------------------------------------------------------------------------------------------------

/** Where each kind's figures are in its answer (LabLink 1.x wraps rolling figures as `stats`). */
const STATS_KEY: Record<StatsKind, string> = {
  rolling: 'stats',
  fft: 'fft',
  trend: 'trend',
  quality: 'quality',
  peaks: 'peaks',
  crossings: 'crossings',
};

/** The figures of a statistics answer, without its wrapping (success, acquisition_id, channel). */
export function statsBody(kind: StatsKind, response: unknown): Record<string, unknown> | null {
  if (!response || typeof response !== 'object') return null;
  const body = (response as Record<string, unknown>)[STATS_KEY[kind]];
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
}

/** The FFT as chart columns: [frequencies (Hz), magnitudes], or null when the result holds no spectrum. */
export function fftColumns(
  fft: Pick<FftStats, 'frequencies' | 'magnitudes'> | Record<string, unknown> | null | undefined,
): [number[], (number | null)[]] | null {
  const f = fft?.frequencies;
  const m = fft?.magnitudes;
  if (!Array.isArray(f) || !Array.isArray(m) || f.length === 0) return null;
  const n = Math.min(f.length, m.length);
  return [
    f.slice(0, n) as number[],
    (m.slice(0, n) as unknown[]).map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
  ];
}

/** A statistics result as rows of (name, value) for a table: numbers and short strings, nested objects flattened. */
export function statRows(
  result: Record<string, unknown> | null | undefined,
  prefix = '',
): [string, string][] {
  if (!result) return [];
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(result)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'number') rows.push([name, formatStat(value)]);
    else if (typeof value === 'string' || typeof value === 'boolean') rows.push([name, String(value)]);
    else if (value === null) rows.push([name, '—']);
    else if (Array.isArray(value)) {
      if (value.length <= 8 && value.every((v) => typeof v === 'number')) {
        rows.push([name, value.map((v) => formatStat(v as number)).join(', ')]);
      } else rows.push([name, `${value.length} values`]);
    } else if (typeof value === 'object') rows.push(...statRows(value as Record<string, unknown>, name));
  }
  return rows;
}

export function formatStat(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6)
    ? value.toExponential(4)
    : value.toPrecision(6).replace(/\.?0+$/, '');
}

// ---- export -------------------------------------------------------------------------------------------------------

export const EXPORT_FORMATS = [
  { value: 'csv', label: 'CSV' },
  { value: 'json', label: 'JSON' },
  { value: 'npy', label: 'NumPy (.npy)' },
  { value: 'hdf5', label: 'HDF5' },
  { value: 'parquet', label: 'Parquet' },
] as const;

/** 0–1 progress of an export from what the server says (progress as 0–1 or %, or done); null: unknown. */
export function exportFraction(progress: { state?: string; progress?: unknown } | null): number | null {
  if (!progress) return null;
  if (progress.state === 'done') return 1;
  const p = num(progress.progress);
  if (p === null) return null;
  return Math.max(0, Math.min(p > 1 ? p / 100 : p, 1));
}
