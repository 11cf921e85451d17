// Shapes of the acquisition REST API (docs/acquisition.md): sessions recorded from the readings of one or many
// instruments or from a scope's waveform captures, their state and stats, the stored samples, sync groups,
// exports and statistics. LabLink 1.x paths and field names are kept. Sessions and sync groups are defined once
// in @lablink/protocol/rest, exports and statistics too; the names here are the SDK's.

import type {
  AcquisitionAck,
  AcquisitionExportFormat,
  AcquisitionExportResponse,
  AcquisitionExportStatus,
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

export type ExportFormat = AcquisitionExportFormat;

/** POST /api/acquisition/session/create. */
export type AcquisitionSessionRequest = CreateAcquisitionRequest;
/** A polled reading field (`{equipment_id, field, channel?}`) or a scope's waveform (`kind: "waveform"`). */
export type AcquisitionSource = AcquisitionSourceSpec;
/** Create, start, stop, pause, resume, trigger: what the server did. */
export type AcquisitionActionResult = AcquisitionAck;
export type AcquisitionCreated = AcquisitionAck;
/** One past or current session in GET /api/acquisition/sessions. */
export type AcquisitionSessionSummary = AcquisitionSummary;

/** GET /api/acquisition/exports/{export_id}: state, progress (0–1), the file and its companions. */
export type AcquisitionExportProgress = AcquisitionExportStatus;
/** POST /api/acquisition/export: the export's status, `running` while a long session streams from storage. */
export type AcquisitionExport = AcquisitionExportResponse;

/** GET /api/acquisition/session/{id}/stats/{kind}: the kind's figures under its key, as LabLink 1.x wraps them. */
export type StatsResult = StatsResponse;
/** The statistics query: the channel (required) and each kind's options. */
export type StatsOptions = StatsQuery;
