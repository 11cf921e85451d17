// What a driver offers its users. Drivers are declarative tables (DESIGN.md §6): a model description plus a
// table of named commands, each with validated parameters. The server never sends SCPI except through them
// (and the explicit raw passthrough).

import type {
  ChannelRating,
  CommandInfo,
  EquipmentType,
  InstrumentIdentity,
  ReadingKind,
  Readings,
  SessionState,
  SessionStats,
} from './types.js';

export interface ModelInfo {
  type: EquipmentType;
  manufacturer: string;
  model: string;
  /** Output channels (PSU), inputs (load: 1), analog channels (scope), 1 for a DMM, 0 for generic. */
  channels: number;
  /** Present for output-bearing instruments (PSU, load): one entry per channel. */
  ratings: ChannelRating[];
  /** Free-form facts shown to users: bandwidth, sample rate, memory depth, modes … */
  capabilities: Record<string, unknown>;
}

/**
 * 'query': reads only. 'acting_query': a query that acts (self-test, calibration, erasing stored data: `*TST?`,
 * `*CAL?` and those the driver declares). 'write': everything else, chained program messages included.
 */
export type RawKind = 'query' | 'acting_query' | 'write';

export interface RawOptions {
  /** Timeout of this command. Default: the session's. */
  timeoutMs?: number;
}

export interface Driver {
  readonly info: ModelInfo;
  readonly identity: InstrumentIdentity;
  /** Every command this driver accepts by name (the original's action names: set_voltage, get_readings …). */
  readonly commands: readonly CommandInfo[];
  /** What it can be polled for over time (the readings pipeline's kinds). */
  readonly readingKinds: readonly ReadingKind[];
  /** The session's state and statistics (connected, reconnecting …). */
  readonly state: SessionState;
  readonly stats: SessionStats;
  /**
   * Runs a named command. Parameters are validated first (ParameterError / OutOfRangeError naming the field,
   * UnknownCommandError for a name the driver lacks) so a bad request sends nothing to the instrument.
   */
  execute(command: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Current readings for a channel (PSU, load, DMM); undefined for instruments that have none (scope, generic). */
  readings?(channel?: number): Promise<Readings>;
  /** Turns every output / load input off. Must work whatever state the instrument is in. */
  safeState(): Promise<void>;
  /**
   * What a raw command would do, so its caller can apply the rules of writes to it: see RawKind. Sends nothing.
   */
  rawKind(command: string): RawKind;
  /**
   * Raw SCPI passthrough for advanced users: a query when the command's header ends in '?'. A query left
   * unanswered fails with InstrumentTimeoutError after `timeoutMs` and the link is resynchronised, not dropped.
   */
  raw(command: string, options?: RawOptions): Promise<string | undefined>;
  /** Subscribes to session state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: SessionState, reason: string | null) => void): () => void;
  close(): Promise<void>;
}
