// Shapes of the acquisition REST API (docs/acquisition.md): sessions recorded from the readings of one or many
// instruments or from a scope's waveform captures, their state and stats, the stored samples, sync groups,
// exports and statistics. LabLink 1.x paths and field names are kept. Sessions and sync groups are defined once
// in @lablink/protocol/rest; the names here are the SDK's. Export and statistics follow the shared contract.

import type {
  AcquisitionAck,
  AcquisitionSourceSpec,
  AcquisitionSummary,
  CreateAcquisitionRequest,
} from '@lablink/protocol/rest';

export type {
  AcquisitionData,
  AcquisitionDataQuery,
  AcquisitionList as AcquisitionSessionList,
  AcquisitionMode,
  AcquisitionState,
  AcquisitionStatus,
  SyncGroupAck,
  SyncGroupData,
  SyncGroupList,
  SyncGroupStatus,
  TriggerConfig,
  TriggerEdge,
  TriggerType,
} from '@lablink/protocol/rest';

export type ExportFormat = 'csv' | 'json' | 'npy' | 'hdf5' | 'parquet';

/** POST /api/acquisition/session/create. */
export type AcquisitionSessionRequest = CreateAcquisitionRequest;
/** A polled reading field (`{equipment_id, field, channel?}`) or a scope's waveform (`kind: "waveform"`). */
export type AcquisitionSource = AcquisitionSourceSpec;
/** Create, start, stop, pause, resume, trigger: what the server did. */
export type AcquisitionActionResult = AcquisitionAck;
export type AcquisitionCreated = AcquisitionAck;
/** One past or current session in GET /api/acquisition/sessions. */
export type AcquisitionSessionSummary = AcquisitionSummary;

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
