// Shapes of the acquisition REST API (docs/acquisition.md): sessions recorded from the readings of one or many
// instruments or from a scope's waveform captures, their state and stats, the stored samples, sync groups,
// exports and statistics. LabLink 1.x paths and field names are kept. Sessions and sync groups are defined once
// in @lablink/protocol/rest; the names here are the SDK's. Export and statistics follow the shared contract.

import type {
  AcquisitionAck,
  AcquisitionSourceSpec,
  AcquisitionSummary,
  CreateAcquisitionRequest,
  StatsQuery,
  StatsResponse,
} from '@lablink/protocol/rest';

export type {
  AcquisitionData,
  AcquisitionDataQuery,
  AcquisitionList as AcquisitionSessionList,
  AcquisitionMode,
  AcquisitionState,
  AcquisitionStatus,
  CrossingStats,
  FftStats,
  PeakStats,
  QualityStats,
  RollingStats,
  StatsKind,
  SyncGroupAck,
  SyncGroupData,
  SyncGroupList,
  SyncGroupStatus,
  TrendStats,
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

/** GET /api/acquisition/exports/{export_id}. */
export interface AcquisitionExportProgress {
  export_id: string;
  state: 'done' | 'running' | 'error';
  /** 0–1: samples written over the samples to write. */
  progress?: number;
  samples?: number;
  total_samples?: number;
  /** Size of the finished file (0 while running). */
  bytes?: number;
  filename?: string;
  download_url?: string;
  /** Companion files (scope captures beside a CSV or Parquet export). */
  files?: { filename: string; download_url: string; bytes: number }[];
  error?: string | null;
}

/** POST /api/acquisition/export; `state` is `running` while a long export streams from storage. */
export interface AcquisitionExport extends AcquisitionExportProgress {
  success: boolean;
  message: string;
  acquisition_id?: string;
  format: ExportFormat;
  filename: string;
  download_url: string;
  /** Request fields the server ignored (a client file path). */
  ignored?: string[];
}

/** GET /api/acquisition/session/{id}/stats/{kind}: the kind's figures under its key, as LabLink 1.x wraps them. */
export type StatsResult = StatsResponse;
/** The statistics query: the channel (required) and each kind's options. */
export type StatsOptions = StatsQuery;
