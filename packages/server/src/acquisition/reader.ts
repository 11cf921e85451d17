// How recorded acquisition data is read back: the only way export, statistics and the REST data route see a
// session's samples. Samples are persisted in chunk files under <dataDir>/acquisitions/<acquisition_id>/ (see
// store.ts); a reader streams them chunk by chunk, so an hours-long session is never loaded whole.

/** Consecutive samples of a session: one timestamp per sample, one value per channel per sample. */
export interface SampleChunk {
  /** ms since the epoch, server time. */
  timestamps: Float64Array;
  /** By channel name; NaN = missing (a read that failed, a channel without a value at that instant). */
  values: Record<string, Float64Array>;
}

/** One block capture (a scope's waveform), whole, with its time base. */
export interface BlockRecord {
  channel: string;
  /** ms since the epoch, server time of the capture. */
  timestamp: number;
  x_increment: number;
  x_origin: number;
  samples: Float32Array;
}

export interface SessionMetadata {
  config: unknown;
  stats: unknown;
  /** Settings snapshot per instrument, by equipment id, taken when the session started. */
  instruments: Record<string, unknown>;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
}

export interface ChunkOptions {
  /** Only this channel in `values`. */
  channel?: string;
  /** First sample index (0-based, inclusive). */
  fromIndex?: number;
  /** Last sample index (exclusive). */
  toIndex?: number;
  /** Samples per chunk yielded (default 10 000). */
  chunkSize?: number;
}

export interface SessionReader {
  readonly acquisition_id: string;
  /** Polled channel names, in order (`CH1` … for 1.x sessions, `<equipment_id>.<field>[.<channel>]` for sources). */
  readonly channels: readonly string[];
  /** Samples recorded (per channel) so far. */
  readonly count: number;
  chunks(options?: ChunkOptions): AsyncIterable<SampleChunk>;
  /** Scope waveform captures, whole. */
  blocks(options?: { channel?: string }): AsyncIterable<BlockRecord>;
  metadata(): SessionMetadata;
}
