// Shapes of the alarm REST API (docs/alarms.md): definitions, their events (one occurrence each, with its
// ISA-18.2 state), history, statistics with the alarm-load figures, and the reading fields an alarm can watch.
// Written against the alarms contract until @lablink/protocol/rest defines them; then these become re-exports.

export type AlarmSeverity = 'info' | 'warning' | 'error' | 'critical';
export type AlarmType =
  | 'threshold'
  | 'deviation'
  | 'rate_of_change'
  | 'equipment_error'
  | 'communication'
  | 'safety'
  | 'system'
  | 'custom';
export type AlarmCondition =
  | 'greater_than'
  | 'less_than'
  | 'equal_to'
  | 'not_equal_to'
  | 'in_range'
  | 'out_of_range'
  | 'rising_edge'
  | 'falling_edge';
export type AlarmState = 'active' | 'acknowledged' | 'returned' | 'shelved' | 'suppressed' | 'cleared';
export type AlarmNotificationMethod = 'websocket' | 'webhook' | 'email';

/** An alarm definition as stored. */
export interface AlarmConfig {
  alarm_id: string;
  name: string;
  description: string | null;
  equipment_id: string | null;
  channel: number | null;
  parameter: string;
  alarm_type: AlarmType;
  condition: AlarmCondition;
  severity: AlarmSeverity;
  threshold: number | null;
  threshold_high: number | null;
  threshold_low: number | null;
  reference: number | null;
  window_seconds: number;
  deadband: number;
  delay_seconds: number;
  count: number | null;
  count_window_seconds: number | null;
  auto_clear: boolean;
  enabled: boolean;
  notifications: AlarmNotificationMethod[];
  interval_ms: number;
  tags: string[];
  /** True for the definitions LabLink makes itself (communication per instrument, safety). */
  builtin: boolean;
  created_at: string;
  created_by: string | null;
  updated_at: string;
}

/** The writable fields of a definition: POST /api/alarms/create needs `name` and `parameter`. */
export type AlarmDefinition = Partial<
  Omit<
    AlarmConfig,
    'alarm_id' | 'builtin' | 'created_at' | 'created_by' | 'updated_at' | 'name' | 'parameter'
  >
> &
  Pick<AlarmConfig, 'name' | 'parameter'>;

/** PUT /api/alarms/{alarm_id}: any writable fields. */
export type AlarmUpdate = Partial<AlarmDefinition>;

/** One occurrence of an alarm, from raised to cleared. */
export interface AlarmEvent {
  event_id: string;
  alarm_id: string;
  alarm_name: string;
  alarm_type: AlarmType;
  severity: AlarmSeverity;
  state: AlarmState;
  equipment_id: string | null;
  channel: number | null;
  parameter: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
  /** Whether the condition still holds (a shelved or suppressed alarm is still evaluated). */
  in_alarm: boolean;
  triggered_at: string;
  returned_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledgment_note: string | null;
  shelved_until: string | null;
  shelved_by: string | null;
  cleared_at: string | null;
  cleared_by: string | null;
}

export interface AlarmListQuery {
  equipment_id?: string;
  enabled?: boolean;
  alarm_type?: AlarmType;
  severity?: AlarmSeverity;
}

export interface AlarmHistoryQuery {
  state?: AlarmState;
  severity?: AlarmSeverity;
  equipment_id?: string;
  alarm_id?: string;
  /** ISO-8601 times bounding triggered_at. */
  since?: string;
  until?: string;
  /** Page size (default 100). */
  limit?: number;
  offset?: number;
}

export interface AlarmHistoryPage {
  success: boolean;
  /** Events on this page. */
  count: number;
  /** Events matching the filters, over all pages. */
  total: number;
  events: AlarmEvent[];
}

export interface AlarmCount {
  alarm_id: string;
  alarm_name: string;
  count: number;
}

/** The alarm-load figures after ISA-18.2 / EEMUA 191. */
export interface AlarmLoad {
  /** The last 24 h in 10-minute bins. */
  alarms_per_10_min: { start: string; count: number }[];
  /** Average alarms per 10 minutes over the last 24 h (EEMUA 191: about 1 is manageable). */
  average_per_10_min: number;
  /** Share of the last 24 h spent in flood (more than 10 alarms in 10 minutes), in percent. */
  flood_time_percent: number;
  /** The ten alarms raised most often. */
  bad_actors: AlarmCount[];
  /** Alarms raised 3 times or more within a minute. */
  chattering: AlarmCount[];
  /** Alarms active for more than 24 h. */
  stale: { event_id: string; alarm_name: string; since: string }[];
}

export interface AlarmStatistics {
  success: boolean;
  total_active: number;
  total_acknowledged: number;
  total_returned: number;
  total_shelved: number;
  total_suppressed: number;
  total_cleared: number;
  by_severity: Record<string, number>;
  by_equipment: Record<string, number>;
  most_frequent: AlarmCount[];
  load: AlarmLoad;
}

/** A reading field an alarm can watch on one instrument. */
export interface AlarmParameter {
  name: string;
  unit: string;
  description: string;
  /** For deviation alarms: the field holding its setpoint (voltage_set for voltage_actual), if any. */
  setpoint: string | null;
}

export interface AlarmParameters {
  equipment_id: string;
  equipment_type: string;
  /** Channels to choose from (1 when the instrument has one or none). */
  channels: number;
  parameters: AlarmParameter[];
}

export interface AlarmCheckResult {
  success: boolean;
  triggered: boolean;
  event: AlarmEvent | null;
}
