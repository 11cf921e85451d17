// Shapes of the REST API's bodies, as the server's route schemas define them (packages/server/src/routes/*.ts,
// also at /docs). Readings and events keep the original LabLink's field names (reference §2.2).

export type EquipmentType = 'oscilloscope' | 'power_supply' | 'electronic_load' | 'multimeter' | 'generic';
export type EquipmentState = 'connecting' | 'connected' | 'reconnecting' | 'error' | 'disconnected';
export type StreamType = 'readings' | 'measurements' | 'waveform';

/** GET /health */
export interface Health {
  status: 'healthy';
  connected_devices: number;
}

/** GET /api */
export interface ServerInfo {
  name: string;
  version: string;
  hostname: string;
  status: 'running';
  security_enabled: boolean;
}

/** An item of GET /api/equipment/list (the original's EquipmentInfo). */
export interface EquipmentInfo {
  id: string;
  type: EquipmentType;
  manufacturer: string;
  model: string;
  serial_number: string | null;
  connection_type: 'ethernet' | 'serial' | 'usb' | 'gpib';
  resource_string: string;
  nickname: string | null;
}

export interface ChannelRating {
  channel: number;
  max_voltage: number;
  max_current: number;
  max_power: number;
}

/** GET /api/equipment/{id}: the info plus live state. */
export interface EquipmentDetail extends EquipmentInfo {
  state: EquipmentState;
  /** Why the instrument is in error or reconnecting. */
  error: string | null;
  firmware_version: string | null;
  channels: number;
  ratings: ChannelRating[];
  capabilities: Record<string, unknown>;
  /** What `realtime.stream()` can ask of this instrument. */
  stream_types: StreamType[];
}

export interface ConnectRequest {
  /** VISA resource, e.g. TCPIP0::192.168.1.50::5025::SOCKET or ASRL/dev/ttyUSB0::INSTR. */
  resource_string: string;
  equipment_type?: EquipmentType;
  /** Needed for instruments without *IDN? (B&K 1685B/1902B). */
  model?: string;
  nickname?: string;
}

export interface PowerSupplyReadings {
  equipment_id: string;
  timestamp: string;
  channel: number;
  voltage_set: number;
  current_set: number;
  voltage_actual: number;
  current_actual: number;
  output_enabled: boolean;
  in_cv_mode: boolean;
  in_cc_mode: boolean;
}

export interface ElectronicLoadReadings {
  equipment_id: string;
  timestamp: string;
  mode: 'CC' | 'CV' | 'CR' | 'CP';
  setpoint: number;
  voltage: number;
  current: number;
  power: number;
  load_enabled: boolean;
}

export interface MultimeterReadings {
  equipment_id: string;
  timestamp: string;
  function: string;
  range: number | 'AUTO';
  value: number | null;
  unit: string;
}

export type Readings = PowerSupplyReadings | ElectronicLoadReadings | MultimeterReadings;

/** Scope measurements in SI units; null where the instrument could not measure. */
export interface ScopeMeasurements {
  vpp: number | null;
  vmax: number | null;
  vmin: number | null;
  vavg: number | null;
  vrms: number | null;
  freq: number | null;
  period: number | null;
  [extra: string]: number | null;
}

export interface Waveform {
  equipment_id?: string;
  timestamp: string;
  channel: number;
  sample_rate: number;
  time_scale: number;
  voltage_scale: number;
  voltage_offset: number;
  num_samples: number;
  x_increment: number;
  x_origin: number;
  /** Volts; null where a sample was not a number. */
  samples: (number | null)[];
}

export type ParamSpec =
  | {
      type: 'number';
      min?: number;
      max?: number;
      unit?: string;
      optional?: boolean;
      default?: number;
      keywords?: string[];
    }
  | { type: 'integer'; min?: number; max?: number; optional?: boolean; default?: number }
  | { type: 'boolean'; optional?: boolean; default?: boolean }
  | { type: 'enum'; values: string[]; optional?: boolean; default?: string };

export interface CommandInfo {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  /** Changes the instrument: needs the lock, passes the safety limits, refused by the e-stop if it enables. */
  control: boolean;
}

/** POST /api/equipment/{id}/command */
export interface CommandResponse<T = unknown> {
  command_id: string;
  success: boolean;
  data: T;
  error: null;
  /** Server time of the reply. */
  timestamp: string;
}

/** Limits in force on one channel: the user's, capped by the ratings. Unset slew rates are null. */
export interface ChannelLimits {
  channel: number;
  max_voltage: number;
  min_voltage: number;
  max_current: number;
  min_current: number;
  max_power: number;
  voltage_slew_rate: number | null;
  current_slew_rate: number | null;
}

export interface LimitsUpdate {
  channel?: number;
  max_voltage?: number;
  min_voltage?: number;
  max_current?: number;
  min_current?: number;
  max_power?: number;
  voltage_slew_rate?: number;
  current_slew_rate?: number;
}

export interface EquipmentLimits {
  equipment_id: string;
  limits: ChannelLimits[];
}

export interface EmergencyStopStatus {
  success: boolean;
  message: string;
  active: boolean;
  stop_time: string | null;
  equipment_count: number;
  /** Instruments whose outputs could not be turned off (activate only). */
  failed?: { equipment_id: string; error: string }[];
}

export interface SafetyStatus {
  emergency_stop_active: boolean;
  stopped_equipment: string[];
  equipment_with_safety: string[];
  total_equipment: number;
}

export type LockMode = 'exclusive' | 'observer';

export interface Lock {
  lock_id: string;
  equipment_id: string;
  session_id: string;
  lock_mode: LockMode;
  acquired_at: string;
  last_activity: string;
  timeout_seconds: number;
  expires_at: string | null;
}

export interface LockRequest {
  lock_mode?: LockMode;
  /** Released after this many seconds without activity; 0 = never (server default 300). */
  timeout_seconds?: number;
  /** Wait in the queue instead of a 409 when another session holds the lock. */
  queue_if_busy?: boolean;
}

export type AcquireLockResult =
  | { success: true; status: 'locked' | 'refreshed'; lock: Lock }
  | { success: true; status: 'observer'; observer_count: number }
  | {
      success: false;
      status: 'queued';
      message: string;
      current_lock: Lock;
      queue_entry: {
        queue_id: string;
        equipment_id: string;
        session_id: string;
        lock_mode: LockMode;
        queued_at: string;
        position: number;
      };
    };

export type ReleaseLockResult =
  | { success: true; status: 'released'; was_forced: boolean }
  | { success: true; status: 'observer_released' }
  | { success: false; status: 'not_locked'; message: string };

export interface LockStatus {
  equipment_id: string;
  locked: boolean;
  lock_mode: LockMode | null;
  session_id: string | null;
  lock_id: string | null;
  acquired_at: string | null;
  /** Seconds until the lock expires without activity; null: never. */
  time_remaining: number | null;
  observer_count: number;
  observer_sessions: string[];
  queue_length: number;
}

export interface Profile {
  name: string;
  description: string | null;
  equipment_type: string;
  model: string;
  settings: Record<string, unknown>;
  created_at: string;
  modified_at: string;
  tags: string[];
}

export interface ApplyProfileResult {
  success: true;
  message: string;
  /** The commands sent, in order. */
  applied: { setting: string; action: string; params: Record<string, unknown> }[];
  /** Settings this instrument has no command for. */
  skipped: { setting: string; reason: string }[];
}

/** An item of POST /api/equipment/discover. */
export interface DiscoveredDevice {
  device_id: string;
  resource_name: string;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  firmware_version: string | null;
  discovery_method: string;
  discovered_at: string;
  is_connected: boolean;
  /** The id it has when already connected. */
  equipment_id: string | null;
  status: 'available' | 'connected' | 'unreachable' | 'unprobed';
  error: string | null;
  response_time_ms: number | null;
}
