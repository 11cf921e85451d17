// Typed REST calls. Every error the server sends has one shape, {"detail", "code", "field"?} (the server's
// http-errors.ts), and becomes a LabLinkError carrying it, so an app can show `detail` and branch on `code`
// (e.g. 422 limit_exceeded with `field: "voltage"`) instead of parsing messages.

import type { AuthStatus, Me } from '@lablink/protocol/rest';
import type {
  AcquisitionActionResult,
  AcquisitionCreated,
  AcquisitionData,
  AcquisitionDataQuery,
  AcquisitionExport,
  AcquisitionExportProgress,
  AcquisitionSessionList,
  AcquisitionSessionRequest,
  AcquisitionStatus,
  ExportFormat,
  StatsKind,
  StatsOptions,
  StatsResult,
  SyncGroupAck,
  SyncGroupData,
  SyncGroupList,
  SyncGroupStatus,
} from './acquisition.js';
import type {
  AlarmCheckResult,
  AlarmConfig,
  AlarmDefinition,
  AlarmEvent,
  AlarmHistoryPage,
  AlarmHistoryQuery,
  AlarmListQuery,
  AlarmParameters,
  AlarmStatistics,
  AlarmUpdate,
} from './alarms.js';
import type {
  ExecutionListQuery,
  JobDefinition,
  JobExecution,
  JobHistory,
  JobListQuery,
  JobUpdate,
  RunningJob,
  ScheduledJob,
  ScheduleStatistics,
  TriggerPreview,
  TriggerPreviewRequest,
} from './scheduler.js';
import type {
  AcquireLockResult,
  ApplyProfileResult,
  CommandInfo,
  CommandResponse,
  ConnectRequest,
  DiscoveredDevice,
  EmergencyStopStatus,
  EquipmentDetail,
  EquipmentInfo,
  EquipmentLimits,
  Health,
  LimitsUpdate,
  LockRequest,
  LockStatus,
  Profile,
  Readings,
  ReleaseLockResult,
  SafetyStatus,
  ServerInfo,
} from './types.js';

export class LabLinkError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    /** The server's stable code (not_found, limit_exceeded, locked …), or `unreachable` / `invalid_response`. */
    readonly code: string,
    /** What went wrong, in words. */
    readonly detail: string,
    /** The offending request field, when the server names one. */
    readonly field?: string,
    /** The whole error body: some errors carry more (limit_value, attempted, locked_by …). */
    readonly body?: Record<string, unknown>,
  ) {
    super(status ? `${status} ${code}: ${detail}` : detail);
    this.name = 'LabLinkError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

type Fetch = typeof fetch;

export class RestApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
    /** Sent with control commands and locks: the session that holds (or would hold) an instrument's lock. */
    readonly sessionId: string,
    /** An API token (ll_…), sent as "Authorization: Bearer"; without it a browser signs in with login(). */
    private readonly token?: string,
  ) {}

  /** Any REST call, for endpoints without a method here. Resolves with the parsed JSON body. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const hasBody = options.body !== undefined;
    let response: Response;
    try {
      response = await this.fetchImpl(url.toString(), {
        method,
        headers: {
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: hasBody ? JSON.stringify(options.body) : null,
      });
    } catch (err) {
      throw new LabLinkError(0, 'unreachable', `cannot reach LabLink at ${this.baseUrl}: ${reason(err)}`);
    }
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        // A proxy's HTML error page, say: keep its status, show the start of the text.
        throw new LabLinkError(
          response.status,
          'invalid_response',
          `not JSON from ${method} ${path}: ${text.slice(0, 200)}`,
        );
      }
    }
    if (!response.ok) {
      const error = (body ?? {}) as Record<string, unknown>;
      throw new LabLinkError(
        response.status,
        typeof error.code === 'string' ? error.code : `http_${response.status}`,
        typeof error.detail === 'string' ? error.detail : response.statusText || `HTTP ${response.status}`,
        typeof error.field === 'string' ? error.field : undefined,
        error,
      );
    }
    return body as T;
  }

  // ---- server -----------------------------------------------------------------------------------------------------

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }

  info(): Promise<ServerInfo> {
    return this.request('GET', '/api');
  }

  // ---- sign-in (docs/security.md) -----------------------------------------------------------------------------

  /** Whether sign-in is required (open mode: loopback, no user) and who this client is. */
  authStatus(): Promise<AuthStatus> {
    return this.request('GET', '/api/auth/status');
  }

  /** Signs in with a password; the browser keeps the httpOnly session cookie (same origin). */
  login(username: string, password: string): Promise<Me> {
    return this.request('POST', '/api/auth/login', { body: { username, password } });
  }

  async logout(): Promise<void> {
    await this.request('POST', '/api/auth/logout');
  }

  me(): Promise<Me> {
    return this.request('GET', '/api/auth/me');
  }

  // ---- equipment --------------------------------------------------------------------------------------------------

  listEquipment(): Promise<EquipmentInfo[]> {
    return this.request('GET', '/api/equipment/list');
  }

  async getEquipment(id: string): Promise<EquipmentDetail> {
    return (await this.request<{ equipment: EquipmentDetail }>('GET', `/api/equipment/${enc(id)}`)).equipment;
  }

  /** Connection state, firmware, capabilities and I/O statistics. */
  status(id: string): Promise<Record<string, unknown>> {
    return this.request('GET', `/api/equipment/${enc(id)}/status`);
  }

  connect(
    request: ConnectRequest,
  ): Promise<{ equipment_id: string; status: string; equipment: EquipmentDetail }> {
    return this.request('POST', '/api/equipment/connect', { body: request });
  }

  /** Puts outputs in a safe state, then disconnects. */
  disconnect(id: string): Promise<{ equipment_id: string; status: 'disconnected' }> {
    return this.request('POST', `/api/equipment/disconnect/${enc(id)}`, {
      query: { session_id: this.sessionId },
    });
  }

  async setNickname(id: string, nickname: string | null): Promise<EquipmentDetail> {
    const body = await this.request<{ equipment: EquipmentDetail }>('PATCH', `/api/equipment/${enc(id)}`, {
      body: { nickname },
    });
    return body.equipment;
  }

  /** Fresh readings (power supply channel, load, multimeter); 501 for an oscilloscope. */
  readings<T extends Readings = Readings>(id: string, channel?: number): Promise<T> {
    return this.request('GET', `/api/equipment/${enc(id)}/readings`, { query: { channel } });
  }

  /** Runs a named command (set_voltage, set_output, get_waveform …) and resolves with its result. */
  async command<T = unknown>(
    id: string,
    action: string,
    parameters: Record<string, unknown> = {},
  ): Promise<T> {
    return (await this.commandResponse<T>(id, action, parameters)).data;
  }

  /** As `command`, with the whole reply (command_id, server timestamp). */
  commandResponse<T = unknown>(
    id: string,
    action: string,
    parameters: Record<string, unknown> = {},
  ): Promise<CommandResponse<T>> {
    return this.request('POST', `/api/equipment/${enc(id)}/command`, {
      body: { action, parameters, session_id: this.sessionId },
    });
  }

  /** One raw SCPI command; resolves with the reply of a query, null for a write. */
  async scpi(id: string, command: string): Promise<string | null> {
    const body = await this.request<{ command: string; reply: string | null }>(
      'POST',
      `/api/equipment/${enc(id)}/scpi`,
      {
        body: { command, session_id: this.sessionId },
      },
    );
    return body.reply;
  }

  /** The commands the instrument accepts, with their parameters, and the limits in force. */
  commands(id: string): Promise<{ commands: CommandInfo[]; limits: EquipmentLimits['limits'] }> {
    return this.request('GET', `/api/equipment/${enc(id)}/commands`);
  }

  discover(): Promise<{ devices: DiscoveredDevice[] }> {
    return this.request('POST', '/api/equipment/discover');
  }

  // ---- safety -----------------------------------------------------------------------------------------------------

  /** Turns every output and load input off, everywhere, and blocks turning any on until cleared. */
  emergencyStop(): Promise<EmergencyStopStatus> {
    return this.request('POST', '/api/safety/emergency-stop/activate');
  }

  /** Clears the emergency stop; outputs stay off. */
  clearEmergencyStop(): Promise<EmergencyStopStatus> {
    return this.request('POST', '/api/safety/emergency-stop/deactivate');
  }

  emergencyStopStatus(): Promise<EmergencyStopStatus> {
    return this.request('GET', '/api/safety/emergency-stop/status');
  }

  safetyStatus(): Promise<SafetyStatus> {
    return this.request('GET', '/api/safety/status');
  }

  limits(id: string): Promise<EquipmentLimits> {
    return this.request('GET', `/api/safety/limits/${enc(id)}`);
  }

  /** Lowers the limits of one channel (default 1); a limit above the rating is a 422 LabLinkError. */
  setLimits(id: string, limits: LimitsUpdate): Promise<EquipmentLimits> {
    return this.request('PUT', `/api/safety/limits/${enc(id)}`, { body: limits });
  }

  // ---- locks (for this client's session) --------------------------------------------------------------------------

  acquireLock(equipmentId: string, options: LockRequest = {}): Promise<AcquireLockResult> {
    return this.request('POST', '/api/locks/acquire', {
      body: { equipment_id: equipmentId, session_id: this.sessionId, ...options },
    });
  }

  releaseLock(equipmentId: string, options: { force?: boolean } = {}): Promise<ReleaseLockResult> {
    return this.request('POST', '/api/locks/release', {
      body: { equipment_id: equipmentId, session_id: this.sessionId, ...options },
    });
  }

  lockStatus(equipmentId: string): Promise<LockStatus> {
    return this.request('GET', `/api/locks/status/${enc(equipmentId)}`);
  }

  // ---- profiles ---------------------------------------------------------------------------------------------------

  async listProfiles(equipmentType?: string): Promise<Profile[]> {
    const body = await this.request<{ profiles: Profile[] }>('GET', '/api/profiles/list', {
      query: { equipment_type: equipmentType },
    });
    return body.profiles;
  }

  /** Sets the instrument as the profile says, through locks, e-stop and limits; the first refusal stops it. */
  applyProfile(
    name: string,
    equipmentId: string,
    options: { channel?: number } = {},
  ): Promise<ApplyProfileResult> {
    return this.request('POST', `/api/profiles/${enc(name)}/apply/${enc(equipmentId)}`, {
      body: { session_id: this.sessionId, ...options },
    });
  }

  // ---- alarms -----------------------------------------------------------------------------------------------------

  /** Creates an alarm definition; a bad one is a 400/404/422 LabLinkError whose `field` names what is wrong. */
  async createAlarm(definition: AlarmDefinition): Promise<AlarmConfig> {
    return (await this.request<{ alarm: AlarmConfig }>('POST', '/api/alarms/create', { body: definition }))
      .alarm;
  }

  async listAlarms(query: AlarmListQuery = {}): Promise<AlarmConfig[]> {
    return (await this.request<{ alarms: AlarmConfig[] }>('GET', '/api/alarms', { query: { ...query } }))
      .alarms;
  }

  async getAlarm(alarmId: string): Promise<AlarmConfig> {
    return (await this.request<{ alarm: AlarmConfig }>('GET', `/api/alarms/${enc(alarmId)}`)).alarm;
  }

  /** Changes any writable fields of a definition. */
  async updateAlarm(alarmId: string, changes: AlarmUpdate): Promise<AlarmConfig> {
    return (
      await this.request<{ alarm: AlarmConfig }>('PUT', `/api/alarms/${enc(alarmId)}`, { body: changes })
    ).alarm;
  }

  /** Deletes a definition; its open event is cleared. */
  deleteAlarm(alarmId: string): Promise<{ success: boolean; message: string }> {
    return this.request('DELETE', `/api/alarms/${enc(alarmId)}`);
  }

  async enableAlarm(alarmId: string): Promise<AlarmConfig> {
    return (await this.request<{ alarm: AlarmConfig }>('POST', `/api/alarms/${enc(alarmId)}/enable`)).alarm;
  }

  async disableAlarm(alarmId: string): Promise<AlarmConfig> {
    return (await this.request<{ alarm: AlarmConfig }>('POST', `/api/alarms/${enc(alarmId)}/disable`)).alarm;
  }

  /** Clears the alarm's open event by hand; 404 when it has none. */
  async clearAlarm(alarmId: string, clearedBy?: string): Promise<AlarmEvent> {
    const body = clearedBy === undefined ? {} : { cleared_by: clearedBy };
    return (await this.request<{ event: AlarmEvent }>('POST', `/api/alarms/${enc(alarmId)}/clear`, { body }))
      .event;
  }

  /** Feeds one value from outside (an alarm on something LabLink does not read itself). */
  checkAlarm(alarmId: string, value: number): Promise<AlarmCheckResult> {
    return this.request('POST', '/api/alarms/check', { body: { alarm_id: alarmId, value } });
  }

  /** Raises a custom or system alarm through REST. */
  async raiseAlarm(alarmId: string, options: { value?: number; message?: string } = {}): Promise<AlarmEvent> {
    return (
      await this.request<{ event: AlarmEvent }>('POST', '/api/alarms/raise', {
        body: { alarm_id: alarmId, ...options },
      })
    ).event;
  }

  /** Every event not cleared: active, acknowledged, returned, shelved and suppressed ones. */
  async activeAlarmEvents(): Promise<AlarmEvent[]> {
    return (await this.request<{ events: AlarmEvent[] }>('GET', '/api/alarms/events/active')).events;
  }

  /** History, newest first, with filters and paging (`total` counts every match). */
  alarmHistory(query: AlarmHistoryQuery = {}): Promise<AlarmHistoryPage> {
    return this.request('GET', '/api/alarms/events', { query: { ...query } });
  }

  async getAlarmEvent(eventId: string): Promise<AlarmEvent> {
    return (await this.request<{ event: AlarmEvent }>('GET', `/api/alarms/events/${enc(eventId)}`)).event;
  }

  async acknowledgeAlarm(
    eventId: string,
    options: { acknowledged_by?: string; note?: string } = {},
  ): Promise<AlarmEvent> {
    return (
      await this.request<{ event: AlarmEvent }>('POST', '/api/alarms/events/acknowledge', {
        body: { event_id: eventId, ...options },
      })
    ).event;
  }

  /** Hides an event for `durationSeconds` (1 s – 24 h); it comes back if still in alarm then. */
  async shelveAlarm(
    eventId: string,
    durationSeconds: number,
    options: { shelved_by?: string; note?: string } = {},
  ): Promise<AlarmEvent> {
    return (
      await this.request<{ event: AlarmEvent }>('POST', `/api/alarms/events/${enc(eventId)}/shelve`, {
        body: { duration_seconds: durationSeconds, ...options },
      })
    ).event;
  }

  /** Ends the shelving now: the event is acknowledged if still in alarm, cleared if not. */
  async unshelveAlarm(eventId: string, options: { unshelved_by?: string } = {}): Promise<AlarmEvent> {
    return (
      await this.request<{ event: AlarmEvent }>('POST', `/api/alarms/events/${enc(eventId)}/unshelve`, {
        body: { ...options },
      })
    ).event;
  }

  /** Counts, the most frequent alarms and the alarm-load figures of the last 24 h. */
  alarmStatistics(): Promise<AlarmStatistics> {
    return this.request('GET', '/api/alarms/statistics');
  }

  /** The reading fields (and channels) an alarm can watch on this instrument. */
  alarmParameters(equipmentId: string): Promise<AlarmParameters> {
    return this.request('GET', `/api/alarms/parameters/${enc(equipmentId)}`);
  }

  // ---- acquisition ------------------------------------------------------------------------------------------------

  /** Creates a session (state `idle`); a bad setting is a 4xx LabLinkError whose `field` names it. */
  createAcquisition(request: AcquisitionSessionRequest): Promise<AcquisitionCreated> {
    return this.request('POST', '/api/acquisition/session/create', { body: request });
  }

  startAcquisition(id: string): Promise<AcquisitionActionResult> {
    return this.request('POST', `/api/acquisition/session/${enc(id)}/start`);
  }

  stopAcquisition(id: string): Promise<AcquisitionActionResult> {
    return this.request('POST', `/api/acquisition/session/${enc(id)}/stop`);
  }

  pauseAcquisition(id: string): Promise<AcquisitionActionResult> {
    return this.request('POST', `/api/acquisition/session/${enc(id)}/pause`);
  }

  resumeAcquisition(id: string): Promise<AcquisitionActionResult> {
    return this.request('POST', `/api/acquisition/session/${enc(id)}/resume`);
  }

  /** Fires an `external` trigger. */
  triggerAcquisition(id: string): Promise<AcquisitionActionResult> {
    return this.request('POST', `/api/acquisition/session/${enc(id)}/trigger`);
  }

  acquisitionStatus(id: string): Promise<AcquisitionStatus> {
    return this.request('GET', `/api/acquisition/session/${enc(id)}/status`);
  }

  /** Stored samples (all, or the last `num_samples`), of one channel or all. */
  acquisitionData(id: string, options: AcquisitionDataQuery = {}): Promise<AcquisitionData> {
    return this.request('GET', `/api/acquisition/session/${enc(id)}/data`, { query: { ...options } });
  }

  listAcquisitions(): Promise<AcquisitionSessionList> {
    return this.request('GET', '/api/acquisition/sessions');
  }

  deleteAcquisition(id: string): Promise<{ success: boolean; message: string }> {
    return this.request('DELETE', `/api/acquisition/session/${enc(id)}`);
  }

  createSyncGroup(options: { name?: string; group_id?: string } = {}): Promise<SyncGroupStatus> {
    return this.request('POST', '/api/acquisition/sync/group/create', { body: options });
  }

  addToSyncGroup(groupId: string, acquisitionId: string, equipmentId?: string): Promise<SyncGroupAck> {
    return this.request('POST', `/api/acquisition/sync/group/${enc(groupId)}/add`, {
      body: { acquisition_id: acquisitionId, ...(equipmentId ? { equipment_id: equipmentId } : {}) },
    });
  }

  /** Starts, stops, pauses or resumes every member of a sync group together. */
  syncGroupAction(groupId: string, action: 'start' | 'stop' | 'pause' | 'resume'): Promise<SyncGroupAck> {
    return this.request('POST', `/api/acquisition/sync/group/${enc(groupId)}/${action}`);
  }

  syncGroupStatus(groupId: string): Promise<SyncGroupStatus> {
    return this.request('GET', `/api/acquisition/sync/group/${enc(groupId)}/status`);
  }

  /** Each member's samples, with times relative to the group's start. */
  syncGroupData(groupId: string): Promise<SyncGroupData> {
    return this.request('GET', `/api/acquisition/sync/group/${enc(groupId)}/data`);
  }

  listSyncGroups(): Promise<SyncGroupList> {
    return this.request('GET', '/api/acquisition/sync/groups');
  }

  deleteSyncGroup(groupId: string): Promise<{ success: boolean; message: string }> {
    return this.request('DELETE', `/api/acquisition/sync/group/${enc(groupId)}`);
  }

  /** Exports a session; the server names the file in its data dir. `state: "running"` → follow exportProgress. */
  exportAcquisition(id: string, format: ExportFormat): Promise<AcquisitionExport> {
    return this.request('POST', '/api/acquisition/export', { body: { acquisition_id: id, format } });
  }

  exportProgress(exportId: string): Promise<AcquisitionExportProgress> {
    return this.request('GET', `/api/acquisition/exports/${enc(exportId)}`);
  }

  /** The absolute URL of an export's file (a `download_url` from the server is relative to it). */
  downloadUrl(downloadUrl: string): string {
    if (/^https?:\/\//.test(downloadUrl)) return downloadUrl;
    return this.baseUrl + (downloadUrl.startsWith('/') ? '' : '/') + downloadUrl;
  }

  /**
   * Statistics of a channel over its stored samples: rolling, fft, trend, quality, peaks, crossings. The figures
   * come under the kind's key (`stats` for rolling), as LabLink 1.x wraps them.
   */
  acquisitionStats(id: string, kind: StatsKind, options: StatsOptions): Promise<StatsResult> {
    return this.request('GET', `/api/acquisition/session/${enc(id)}/stats/${kind}`, {
      query: { ...options },
    });
  }
  // ---- scheduler --------------------------------------------------------------------------------------------------

  /** Creates a scheduled job; a bad one is a 4xx LabLinkError whose `field` names what is wrong (nothing stored). */
  async createJob(definition: JobDefinition): Promise<ScheduledJob> {
    return (
      await this.request<{ job: ScheduledJob }>('POST', '/api/scheduler/jobs/create', { body: definition })
    ).job;
  }

  async listJobs(query: JobListQuery = {}): Promise<ScheduledJob[]> {
    return (
      await this.request<{ jobs: ScheduledJob[] }>('GET', '/api/scheduler/jobs', { query: { ...query } })
    ).jobs;
  }

  async getJob(jobId: string): Promise<ScheduledJob> {
    return (await this.request<{ job: ScheduledJob }>('GET', `/api/scheduler/jobs/${enc(jobId)}`)).job;
  }

  /** Edits a job (any writable fields); a changed trigger starts afresh from now. */
  async updateJob(jobId: string, changes: JobUpdate): Promise<ScheduledJob> {
    return (
      await this.request<{ job: ScheduledJob }>('PUT', `/api/scheduler/jobs/${enc(jobId)}`, { body: changes })
    ).job;
  }

  /** Deletes a job and its history; a running run is cancelled. */
  deleteJob(jobId: string): Promise<{ success: boolean; message: string }> {
    return this.request('DELETE', `/api/scheduler/jobs/${enc(jobId)}`);
  }

  async pauseJob(jobId: string): Promise<ScheduledJob> {
    return (await this.request<{ job: ScheduledJob }>('POST', `/api/scheduler/jobs/${enc(jobId)}/pause`)).job;
  }

  async resumeJob(jobId: string): Promise<ScheduledJob> {
    return (await this.request<{ job: ScheduledJob }>('POST', `/api/scheduler/jobs/${enc(jobId)}/resume`))
      .job;
  }

  /** Starts a run now and resolves with its execution id at once; job_started and job_completed/failed follow. */
  async runJob(jobId: string): Promise<string> {
    return (await this.request<{ execution_id: string }>('POST', `/api/scheduler/jobs/${enc(jobId)}/run`))
      .execution_id;
  }

  /** Runs, newest scheduled time first. */
  async listExecutions(query: ExecutionListQuery = {}): Promise<JobExecution[]> {
    return (
      await this.request<{ executions: JobExecution[] }>('GET', '/api/scheduler/executions', {
        query: { ...query },
      })
    ).executions;
  }

  /** A run (one in progress with its output so far). */
  async getExecution(executionId: string): Promise<JobExecution> {
    return (
      await this.request<{ execution: JobExecution }>('GET', `/api/scheduler/executions/${enc(executionId)}`)
    ).execution;
  }

  async jobHistory(jobId: string): Promise<JobHistory> {
    return (await this.request<{ history: JobHistory }>('GET', `/api/scheduler/jobs/${enc(jobId)}/history`))
      .history;
  }

  async runningJobs(): Promise<RunningJob[]> {
    return (await this.request<{ running_jobs: RunningJob[] }>('GET', '/api/scheduler/running')).running_jobs;
  }

  async schedulerStatistics(): Promise<ScheduleStatistics> {
    return (await this.request<{ statistics: ScheduleStatistics }>('GET', '/api/scheduler/statistics'))
      .statistics;
  }

  /** A trigger in words and its next five run times, without creating anything. */
  previewTrigger(trigger: TriggerPreviewRequest): Promise<TriggerPreview> {
    return this.request('POST', '/api/scheduler/triggers/preview', { body: trigger });
  }
}

const enc = encodeURIComponent;

function reason(err: unknown): string {
  // undici's "fetch failed" hides the useful part (ECONNREFUSED …) in `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.code ?? cause?.message ?? message;
}
