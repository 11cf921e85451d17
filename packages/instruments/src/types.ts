// The contracts shared by transports, sessions, drivers and their users (the server, the CLI).
// Field names of readings follow the original LabLink so its clients keep working (reference §2.2).

export type EquipmentType =
  | 'oscilloscope'
  | 'power_supply'
  | 'electronic_load'
  | 'multimeter'
  | 'smu'
  | 'generic';

export type ConnectionType = 'ethernet' | 'serial' | 'usb' | 'gpib';

/** What `*IDN?` (or the model's fixed identity, for instruments without it) tells. */
export interface InstrumentIdentity {
  manufacturer: string;
  model: string;
  serial_number: string | null;
  firmware_version: string | null;
}

/** Ratings of one output channel (PSU) or of the input (load): the hard ceiling any limit may lower. */
export interface ChannelRating {
  channel: number;
  max_voltage: number;
  max_current: number;
  max_power: number;
}

/** Per-instrument statistics kept by a SCPI session. */
export interface SessionStats {
  commands: number;
  errors: number;
  timeouts: number;
  reconnects: number;
  /** Mean and last round-trip latency of queries, in milliseconds. */
  mean_latency_ms: number;
  last_latency_ms: number;
  last_error: string | null;
}

/**
 * 'connected' only while the instrument answers; 'not_responding' when the link is up (a TCP connect succeeds) but
 * the instrument leaves a command or the session's probe unanswered; 'reconnecting' while the link cannot be opened.
 */
export type SessionState =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'not_responding'
  | 'error'
  | 'closed';

/** A parameter of a driver command; drivers validate every parameter before anything is sent. */
export type ParamSpec =
  | {
      type: 'number';
      min?: number;
      max?: number;
      unit?: string;
      optional?: boolean;
      default?: number;
      /** Words accepted instead of a number, e.g. AUTO for a multimeter range. */
      keywords?: readonly string[];
    }
  | { type: 'integer'; min?: number; max?: number; optional?: boolean; default?: number }
  | { type: 'boolean'; optional?: boolean; default?: boolean }
  | { type: 'enum'; values: readonly string[]; optional?: boolean; default?: string };

/** A quantity safety limits bound: a setpoint command declares which one it sets. */
export type SetpointQuantity = 'voltage' | 'current' | 'power' | 'resistance';

/** What a driver can be polled for over time: the readings pipeline's kinds. */
export type ReadingKind = 'readings' | 'measurements' | 'waveform';

export interface CommandInfo {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  /** True when the command changes the instrument (needs the lock, passes safety, blocked by e-stop if it enables). */
  control: boolean;
  /** The limited quantity this command sets, and the parameter that carries it: limits and ramps apply to it. */
  sets?: { quantity: SetpointQuantity; param: string };
  /** The boolean parameter that turns an output or input on when true: refused while the emergency stop is on. */
  enables?: string;
}

export interface PowerSupplyReadings {
  equipment_id?: string;
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

export type LoadMode = 'CC' | 'CV' | 'CR' | 'CP';

export interface ElectronicLoadReadings {
  equipment_id?: string;
  timestamp: string;
  mode: LoadMode;
  setpoint: number;
  voltage: number;
  current: number;
  power: number;
  load_enabled: boolean;
}

/** What a source-measure unit sources: a voltage or a current. */
export type SourceFunction = 'VOLT' | 'CURR';

export interface SmuReadings {
  equipment_id?: string;
  timestamp: string;
  source_function: SourceFunction;
  voltage_set: number;
  current_set: number;
  voltage_compliance: number;
  current_compliance: number;
  /** Measured at the terminals; 0 while the output is off. */
  voltage: number;
  current: number;
  /** V/I when the instrument computes it; null otherwise. */
  resistance: number | null;
  output_enabled: boolean;
  /** The output is held at its compliance, not at its source level. */
  in_compliance: boolean;
}

export interface MultimeterReadings {
  equipment_id?: string;
  timestamp: string;
  function: string;
  range: number | 'AUTO';
  value: number | null;
  unit: string;
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
  /** Seconds between samples and the time of the first sample relative to the trigger. */
  x_increment: number;
  x_origin: number;
  /** The samples in volts. */
  samples: number[];
}

/** Scope measurements in SI units; null where the instrument could not measure (e.g. no edges for FREQ). */
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

export type Readings = PowerSupplyReadings | ElectronicLoadReadings | MultimeterReadings | SmuReadings;
