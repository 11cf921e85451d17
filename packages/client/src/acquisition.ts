// Shapes of the acquisition REST API (docs/acquisition.md): sessions recorded from the readings of one or many
// instruments or from a scope's waveform captures, their state and stats, the stored samples, sync groups,
// exports and statistics. LabLink 1.x paths and field names are kept. Written against the shared contract; the
// server's schemas in @lablink/protocol/rest are the reference once they exist.

export type AcquisitionMode = 'continuous' | 'single_shot' | 'triggered';
export type AcquisitionState = 'idle' | 'waiting_trigger' | 'acquiring' | 'paused' | 'stopped' | 'error';
export type TriggerType = 'immediate' | 'level' | 'edge' | 'time' | 'external';
export type TriggerEdge = 'rising' | 'falling' | 'either';
export type ExportFormat = 'csv' | 'json' | 'npy' | 'hdf5' | 'parquet';

/** A polled reading field of an instrument (`voltage_actual` on channel 1 of a supply …). */
export interface ReadingSource {
  equipment_id: string;
  field: string;
  channel?: number;
}

/** A scope channel's waveform captures, recorded whole with their time base. */
export interface WaveformSource {
  equipment_id: string;
  kind: 'waveform';
  channel: number;
}

export type AcquisitionSource = ReadingSource | WaveformSource;

export interface TriggerConfig {
  trigger_type: TriggerType;
  level?: number;
  edge?: TriggerEdge;
  /** The channel the trigger watches, by its session name (`CH1`, `<equipment_id>.<field>[.<channel>]`). */
  channel?: string;
  pre_trigger_samples?: number;
  /** For `time`: when to start (ISO-8601). */
  start_time?: string;
}

/** POST /api/acquisition/session/create. */
export interface AcquisitionSessionRequest {
  /** LabLink 1.x: the instrument whose `channels` are named. */
  equipment_id?: string;
  name?: string;
  description?: string;
  mode: AcquisitionMode;
  /** Hz; > 0, at most 1000 for polled sources. */
  sample_rate: number;
  num_samples?: number;
  duration_seconds?: number;
  /** LabLink 1.x: channel names on `equipment_id`. */
  channels?: string[];
  sources?: AcquisitionSource[];
  trigger_config?: TriggerConfig;
  buffer_size?: number;
  metadata?: Record<string, unknown>;
}

export interface AcquisitionCreated {
  success: boolean;
  message: string;
  acquisition_id: string;
  state: AcquisitionState;
}

export interface AcquisitionActionResult {
  success: boolean;
  message: string;
  acquisition_id: string;
  state?: AcquisitionState;
}

/** Running statistics of a session; the server may add more. */
export interface AcquisitionStats {
  total_samples?: number;
  samples_per_channel?: Record<string, number>;
  buffer_size?: number;
  buffer_used?: number;
  [key: string]: unknown;
}

/** GET /api/acquisition/session/{id}/status. */
export interface AcquisitionStatus {
  acquisition_id: string;
  equipment_id: string | null;
  state: AcquisitionState;
  config: AcquisitionSessionRequest & Record<string, unknown>;
  stats: AcquisitionStats;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
  stop_reason: string | null;
}

/** GET /api/acquisition/session/{id}/data: stored samples, timestamps as ISO-8601. */
export interface AcquisitionData {
  acquisition_id: string;
  channels: string[];
  data: { timestamps: string[]; values: Record<string, (number | null)[]> };
  count: number;
}

export interface AcquisitionSessionSummary {
  acquisition_id: string;
  equipment_id: string | null;
  name: string | null;
  state: AcquisitionState;
  mode: AcquisitionMode;
  created_at: string;
  total_samples: number;
}

export interface AcquisitionSessionList {
  sessions: AcquisitionSessionSummary[];
  count: number;
}

export interface SyncGroupStatus {
  group_id: string;
  state?: string;
  members?: { equipment_id: string; acquisition_id: string; state?: string }[];
  [key: string]: unknown;
}

/** POST /api/acquisition/export; `state` is `running` while a long export streams from storage. */
export interface AcquisitionExport {
  success: boolean;
  message: string;
  export_id: string;
  format: ExportFormat;
  filename: string;
  download_url: string;
  bytes?: number;
  state: 'done' | 'running' | 'error';
}

/** GET /api/acquisition/exports/{export_id}. */
export interface AcquisitionExportProgress {
  export_id: string;
  state: 'done' | 'running' | 'error';
  /** 0–1, when known. */
  progress?: number;
  bytes?: number;
  filename?: string;
  download_url?: string;
  error?: string | null;
  [key: string]: unknown;
}

export type StatsKind = 'rolling' | 'fft' | 'trend' | 'quality' | 'peaks' | 'crossings';

/** Query of the statistics routes: which channel, and kind-specific options (window, threshold …). */
export interface StatsQuery {
  channel?: string;
  [option: string]: string | number | boolean | undefined;
}

/** GET /api/acquisition/session/{id}/stats/fft: the spectrum and its figures. */
export interface FftResult {
  frequencies?: number[];
  magnitudes?: number[];
  dominant_frequency?: number | null;
  thd?: number | null;
  snr?: number | null;
  window?: string;
  [key: string]: unknown;
}

/** The other statistics: figures by name, as the server computes them. */
export type StatsResult = Record<string, unknown>;
