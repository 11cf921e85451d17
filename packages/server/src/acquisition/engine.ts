// The acquisition engine: recorded sessions from one or many instruments.
//
// - Readings: like the alarm engine, a consumer of the readings pipeline. A session claims each (instrument, kind,
//   channel) its channels read, once, at its own rate; the pipeline's pollers run on fixed deadlines, so the rate
//   does not drift, and each sample's timestamp is its reading's server timestamp. The first polled key paces the
//   session: each of its readings makes one row, with the latest reading of every other key (at most one and a half
//   periods old, else NaN) — several instruments aligned on one timestamp per row.
// - Block sources: a scope's waveform captures, claimed as the pipeline's `waveform` kind, stored whole.
// - Triggers: immediate, level, edge (on a polled channel, evaluated on every row while waiting, the last
//   pre_trigger_samples rows kept and recorded before the triggering one), time (a timer), external (REST).
// - States end right: single_shot after num_samples rows (triggered: after pre + num_samples), any mode after
//   duration_seconds, each `stopped` with final stats and a stop_reason. Persist, then publish.
// - Storage: a ring in memory for the live view; every row in chunk files (store.ts) flushed every FLUSH_MS; the
//   session row in SQLite. After a restart a session that was running is `stopped`, "server restarted", its data
//   kept and counted.
// - Live: every LIVE_MS the rows new since the last block are published as `acquisition_stream` on
//   `acquisition:<id>` (the bus numbers them); a client that joins gets the ring's rows up to that block first.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { acquisitionTopic } from '@lablink/protocol';
import type {
  AcquisitionData,
  AcquisitionMode,
  AcquisitionState,
  AcquisitionStatus,
  AcquisitionSummary,
  CreateAcquisitionRequest,
  TriggerConfig,
} from '@lablink/protocol/rest';
import { ACQUISITION_LIMITS } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import { fieldValue } from '../alarms/parameters.js';
import type { Bus, Published } from '../bus.js';
import type { EquipmentView } from '../equipment/types.js';
import { DomainError, notFound } from '../errors.js';
import type { Claim, ClaimRequest } from '../readings/pipeline.js';
import type { Db } from '../storage/database.js';
import type { BlockRecord, SessionReader } from './reader.js';
import { SampleRing } from './ring.js';
import { type BlockChannel, type PolledChannel, resolveSources } from './sources.js';
import { countStored, FLUSH_MS, readBlocks, readChunks, SampleStore } from './store.js';
import { edgeCrossed, levelReached } from './triggers.js';

/** How often live blocks go out. */
export const LIVE_MS = 100;
const DEFAULT_BUFFER = 10_000;
const DEFAULT_DATA_SAMPLES = 1000;
const LIVE_STATES: AcquisitionState[] = ['waiting_trigger', 'acquiring', 'paused'];
export const RESTART_REASON = 'server restarted';
/** Sessions kept (stored); delete old ones to make room. */
export const MAX_SESSIONS = 10_000;
/** Sessions recording or waiting at once. */
export const MAX_RUNNING = 100;
/** Values one session's ring may hold in memory (8 bytes each). */
export const MAX_RING_VALUES = 4_000_000;

export interface AcquisitionDeps {
  db: Db;
  bus: Bus;
  logger: Logger;
  dataDir: string;
  equipment: {
    find(id: string): EquipmentView | null | undefined;
    /** The last value of each setting the instrument took (setpoints, ranges …), for the settings snapshot. */
    lastSettings?(id: string): Record<string, unknown>;
  };
  readings: { claim(request: ClaimRequest): Claim };
}

interface ChannelStats {
  n: number;
  sum: number;
  min: number;
  max: number;
}

interface SessionRow {
  acquisition_id: string;
  equipment_id: string | null;
  name: string | null;
  mode: string;
  state: string;
  config: string;
  channels: string;
  stats: string;
  instruments: string;
  total_samples: number;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
  stop_reason: string | null;
}

interface Config {
  equipment_id: string | null;
  name: string | null;
  description: string | null;
  mode: AcquisitionMode;
  sample_rate: number;
  num_samples: number | null;
  duration_seconds: number | null;
  channels: string[];
  sources: CreateAcquisitionRequest['sources'] | null;
  trigger_config: TriggerConfig & { trigger_type: TriggerConfig['trigger_type'] };
  buffer_size: number;
  metadata: Record<string, unknown>;
}

interface Persisted {
  config: Config;
  polled: PolledChannel[];
  blocks: BlockChannel[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const keyOf = (c: { equipment_id: string; kind: string; channel: number }) =>
  `${c.equipment_id}|${c.kind}|${c.channel}`;

export class AcquisitionSession {
  state: AcquisitionState = 'idle';
  started_at: string | null = null;
  stopped_at: string | null = null;
  stop_reason: string | null = null;
  sync_group_id: string | null = null;
  /** ms since the epoch at which the sync group started its members. */
  sync_start: number | null = null;
  instruments: Record<string, unknown> = {};
  ring: SampleRing;
  store: SampleStore;
  readonly channelStats: ChannelStats[];
  blockCount = 0;
  firstTimestamp: number | null = null;
  lastTimestamp: number | null = null;
  triggerInfo: { time: string; index: number; value: number | null } | null = null;
  /** Rows recorded since the trigger (or since the start). */
  postTrigger = 0;
  /** Deadlines the instruments could not keep (a read slower than the period): rows that are not there. */
  missed = 0;
  /** Missed deadlines before the last pause. */
  missedBefore = 0;
  /** The deadline grid since the start or the last resume: its first row's timestamp, rows since. */
  gridStart: number | null = null;
  gridRows = 0;
  /** Timestamp of the first row after the trigger: duration_seconds counts from it. */
  durationStart: number | null = null;
  /** Ring index up to which rows have gone out live. */
  published = 0;
  stateDirty = false;
  statsDirty = false;
  claims: Claim[] = [];
  latest = new Map<string, { t: number; data: Record<string, unknown> }>();
  pre: { t: number; row: Float64Array }[] = [];
  prevTriggerValue = Number.NaN;
  timers: NodeJS.Timeout[] = [];

  constructor(
    readonly acquisition_id: string,
    readonly config: Config,
    readonly polled: PolledChannel[],
    readonly blocks: BlockChannel[],
    readonly created_at: string,
    dir: string,
    existing?: { rows: number; blocks: number },
  ) {
    this.ring = new SampleRing(config.buffer_size, polled.length);
    this.store = new SampleStore(dir, existing);
    this.blockCount = existing?.blocks ?? 0;
    this.channelStats = polled.map(() => ({
      n: 0,
      sum: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
    }));
  }

  get channels(): string[] {
    return [...this.polled.map((c) => c.name), ...this.blocks.map((b) => b.name)];
  }

  get polledNames(): string[] {
    return this.polled.map((c) => c.name);
  }

  get equipment_id(): string | null {
    return this.config.equipment_id ?? this.polled[0]?.equipment_id ?? this.blocks[0]?.equipment_id ?? null;
  }

  get total(): number {
    return this.store.count;
  }

  stats(): Record<string, unknown> {
    const names = this.polledNames;
    const per = (f: (s: ChannelStats) => number | null) =>
      Object.fromEntries(names.map((n, i) => [n, f(this.channelStats[i] as ChannelStats)]));
    const duration =
      this.firstTimestamp !== null && this.lastTimestamp !== null
        ? (this.lastTimestamp - this.firstTimestamp) / 1000
        : 0;
    return {
      total_samples: this.total,
      samples_per_channel: per((s) => s.n),
      total_blocks: this.blockCount,
      start_time: this.firstTimestamp === null ? null : iso(this.firstTimestamp),
      end_time: this.lastTimestamp === null ? null : iso(this.lastTimestamp),
      duration_seconds: duration,
      actual_sample_rate: duration > 0 ? (this.total - 1) / duration : 0,
      buffer_overruns: this.ring.overruns,
      missed_samples: this.missed,
      buffer: {
        size: this.ring.capacity,
        count: this.ring.count,
        utilization: this.ring.count / this.ring.capacity,
      },
      min_values: per((s) => (s.n > 0 ? s.min : null)),
      max_values: per((s) => (s.n > 0 ? s.max : null)),
      mean_values: per((s) => (s.n > 0 ? s.sum / s.n : null)),
      trigger: this.triggerInfo,
    };
  }
}

export class AcquisitionService {
  private readonly sessions = new Map<string, AcquisitionSession>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly liveTimer: NodeJS.Timeout;
  private closed = false;
  /** Called when a session is deleted (sync groups drop it). */
  onDelete: ((id: string) => void) | null = null;

  constructor(private readonly deps: AcquisitionDeps) {
    this.flushTimer = setInterval(() => this.flushAll(), FLUSH_MS);
    this.liveTimer = setInterval(() => this.publishAll(), LIVE_MS);
    this.flushTimer.unref();
    this.liveTimer.unref();
  }

  private dir(id: string): string {
    return join(this.deps.dataDir, 'acquisitions', id);
  }

  /** Loads the stored sessions; one that was running when the server stopped is `stopped`, its data counted. */
  async open(): Promise<void> {
    const rows = this.deps.db
      .prepare('SELECT * FROM acquisition_sessions ORDER BY created_at')
      .all() as SessionRow[];
    for (const row of rows) {
      const persisted = JSON.parse(row.config) as Persisted;
      const counted = await countStored(this.dir(row.acquisition_id));
      const session = new AcquisitionSession(
        row.acquisition_id,
        persisted.config,
        persisted.polled,
        persisted.blocks,
        row.created_at,
        this.dir(row.acquisition_id),
        counted,
      );
      const saved = JSON.parse(row.stats) as Record<string, unknown>;
      session.state = row.state as AcquisitionState;
      session.started_at = row.started_at;
      session.stopped_at = row.stopped_at;
      session.stop_reason = row.stop_reason;
      session.instruments = JSON.parse(row.instruments);
      restoreStats(session, saved);
      if (LIVE_STATES.includes(session.state)) {
        session.state = 'stopped';
        session.stop_reason = RESTART_REASON;
        session.stopped_at =
          session.lastTimestamp !== null ? iso(session.lastTimestamp) : new Date().toISOString();
        this.deps.logger.info({ acquisition_id: row.acquisition_id }, 'acquisition was running: stopped');
      }
      this.sessions.set(row.acquisition_id, session);
      this.save(session);
    }
  }

  // ------------------------------------------------------------------------------------------------- sessions

  /**
   * Creates a session. `feeds` (in-process callers only, never REST) adds block sources of those names that an
   * in-process producer fills through feed(): a digitizer driver that pushes its captures, the throughput
   * benchmark's generator. A session may have feeds and no instrument.
   */
  create(body: CreateAcquisitionRequest, options: { feeds?: readonly string[] } = {}): AcquisitionSession {
    const trigger: Config['trigger_config'] = { trigger_type: 'immediate', ...(body.trigger_config ?? {}) };
    const mode = body.mode ?? 'continuous';
    const feeds = options.feeds ?? [];
    const sources =
      feeds.length > 0 && !body.equipment_id && !body.sources?.length
        ? { polled: [], blocks: [] }
        : resolveSources((id) => this.deps.equipment.find(id), body);
    for (const name of feeds) sources.blocks.push({ name, equipment_id: '', channel: 0, fed: true });
    if (sources.polled.length > 0 && body.sample_rate > ACQUISITION_LIMITS.maxPolledRate) {
      throw new DomainError(
        'invalid_request',
        `sample_rate of polled sources is at most ${ACQUISITION_LIMITS.maxPolledRate} Hz`,
        'sample_rate',
      );
    }
    if (mode === 'single_shot' && body.num_samples === undefined) {
      throw new DomainError('invalid_request', 'a single_shot session needs num_samples', 'num_samples');
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      throw new DomainError(
        'too_many_sessions',
        `at most ${MAX_SESSIONS} sessions are kept: delete old ones`,
      );
    }
    if ((body.buffer_size ?? DEFAULT_BUFFER) * Math.max(1, sources.polled.length) > MAX_RING_VALUES) {
      throw new DomainError(
        'invalid_request',
        `buffer_size × channels is at most ${MAX_RING_VALUES} values in memory`,
        'buffer_size',
      );
    }
    const names = sources.polled.map((c) => c.name);
    if (trigger.trigger_type === 'level' || trigger.trigger_type === 'edge') {
      if (trigger.level === undefined) {
        throw new DomainError(
          'invalid_request',
          `a ${trigger.trigger_type} trigger needs a level`,
          'trigger_config.level',
        );
      }
      if (names.length === 0) {
        throw new DomainError(
          'invalid_request',
          'level and edge triggers watch a polled channel',
          'trigger_config.channel',
        );
      }
      if (trigger.channel !== undefined && !names.includes(trigger.channel)) {
        throw new DomainError(
          'invalid_field',
          `trigger channel "${trigger.channel}" is not one of the session's channels (${names.join(', ')})`,
          'trigger_config.channel',
        );
      }
      if (trigger.trigger_type === 'edge') trigger.edge ??= 'rising';
    }
    if (trigger.trigger_type === 'time') {
      const at = trigger.start_time === undefined ? Number.NaN : Date.parse(trigger.start_time);
      if (!Number.isFinite(at) || at - Date.now() > ACQUISITION_LIMITS.maxDurationSeconds * 1000) {
        throw new DomainError(
          'invalid_request',
          'a time trigger needs start_time, an ISO-8601 time within a week',
          'trigger_config.start_time',
        );
      }
    }
    if ((trigger.pre_trigger_samples ?? 0) > (body.buffer_size ?? DEFAULT_BUFFER)) {
      throw new DomainError(
        'invalid_request',
        'pre_trigger_samples exceeds buffer_size',
        'trigger_config.pre_trigger_samples',
      );
    }
    const config: Config = {
      equipment_id: body.equipment_id ?? null,
      name: body.name ?? null,
      description: body.description ?? null,
      mode,
      sample_rate: body.sample_rate,
      num_samples: body.num_samples ?? null,
      duration_seconds: body.duration_seconds ?? null,
      channels:
        names.length > 0 || sources.blocks.length > 0 ? [...names, ...sources.blocks.map((b) => b.name)] : [],
      sources: body.sources ?? null,
      trigger_config: trigger,
      buffer_size: body.buffer_size ?? DEFAULT_BUFFER,
      metadata: body.metadata ?? {},
    };
    const id = randomUUID();
    const session = new AcquisitionSession(
      id,
      config,
      sources.polled,
      sources.blocks,
      new Date().toISOString(),
      this.dir(id),
    );
    this.deps.db
      .prepare(
        `INSERT INTO acquisition_sessions (acquisition_id, equipment_id, name, mode, state, config, channels, stats,
           created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        session.equipment_id,
        config.name,
        mode,
        'idle',
        JSON.stringify({ config, polled: sources.polled, blocks: sources.blocks } satisfies Persisted),
        JSON.stringify(session.channels),
        JSON.stringify(session.stats()),
        session.created_at,
      );
    this.sessions.set(id, session);
    return session;
  }

  find(id: string): AcquisitionSession | undefined {
    return this.sessions.get(id);
  }

  get(id: string): AcquisitionSession {
    const session = this.sessions.get(id);
    if (!session) throw notFound(`Acquisition ${id}`);
    return session;
  }

  list(): AcquisitionSummary[] {
    return [...this.sessions.values()].map((s) => ({
      acquisition_id: s.acquisition_id,
      equipment_id: s.equipment_id,
      name: s.config.name,
      state: s.state,
      mode: s.config.mode,
      created_at: s.created_at,
      total_samples: s.total,
    }));
  }

  status(id: string): AcquisitionStatus {
    const s = this.get(id);
    return {
      acquisition_id: s.acquisition_id,
      equipment_id: s.equipment_id,
      name: s.config.name,
      state: s.state,
      mode: s.config.mode,
      channels: s.channels,
      config: s.config as unknown as Record<string, unknown>,
      stats: s.stats(),
      created_at: s.created_at,
      started_at: s.started_at,
      stopped_at: s.stopped_at,
      stop_reason: s.stop_reason,
      sync_group_id: s.sync_group_id,
    };
  }

  /** Starts an idle session: claims its readings; waits for its trigger or records at once. */
  start(id: string, syncStart?: number): { success: boolean; message: string } {
    const s = this.get(id);
    if (s.state === 'acquiring' || s.state === 'waiting_trigger' || s.state === 'paused') {
      return { success: false, message: 'Already running' };
    }
    if (s.state !== 'idle') return { success: false, message: `Cannot start a session that is ${s.state}` };
    const running = [...this.sessions.values()].filter((x) => LIVE_STATES.includes(x.state)).length;
    if (running >= MAX_RUNNING) {
      throw new DomainError('too_many_sessions', `at most ${MAX_RUNNING} sessions run at once`);
    }
    const intervalMs = 1000 / s.config.sample_rate;
    const seen = new Set<string>();
    try {
      for (const c of s.polled) {
        const key = keyOf(c);
        if (seen.has(key)) continue;
        seen.add(key);
        const primary = seen.size === 1;
        s.claims.push(
          this.deps.readings.claim({
            equipment_id: c.equipment_id,
            kind: c.kind,
            channel: c.channel,
            interval_ms: intervalMs,
            consumer: `acquisition:${id}`,
            onReading: (message) => this.onReading(s, key, primary, message),
          }),
        );
      }
      for (const b of s.blocks) {
        if (b.fed) continue;
        s.claims.push(
          this.deps.readings.claim({
            equipment_id: b.equipment_id,
            kind: 'waveform',
            channel: b.channel,
            interval_ms: Math.max(intervalMs, 50),
            consumer: `acquisition:${id}`,
            onReading: (message) => this.onBlock(s, b, message),
          }),
        );
      }
    } catch (err) {
      for (const claim of s.claims) claim.release();
      s.claims = [];
      throw err;
    }
    const instruments = [...s.polled, ...s.blocks.filter((b) => !b.fed)].map((c) => c.equipment_id);
    for (const eq of new Set(instruments)) {
      const view = this.deps.equipment.find(eq);
      s.instruments[eq] = view
        ? {
            info: view.info,
            model: view.model,
            firmware_version: view.firmware_version,
            state: view.state,
            settings: this.deps.equipment.lastSettings?.(eq) ?? {},
          }
        : null;
    }
    s.started_at = iso(syncStart ?? Date.now());
    s.sync_start = syncStart ?? null;
    const trigger = s.config.trigger_config;
    if (trigger.trigger_type === 'immediate') {
      this.setState(s, 'acquiring');
      s.triggerInfo = null;
    } else {
      this.setState(s, 'waiting_trigger');
      if (trigger.trigger_type === 'time') {
        const delay = Math.max(0, Date.parse(trigger.start_time as string) - Date.now());
        s.timers.push(setTimeout(() => this.fireTrigger(s, null), delay));
      }
    }
    return { success: true, message: 'Acquisition started' };
  }

  stop(id: string, reason = 'stopped by request'): { success: boolean; message: string } {
    const s = this.get(id);
    if (s.state === 'idle' || s.state === 'stopped' || s.state === 'error') {
      return { success: false, message: `Not running (${s.state})` };
    }
    this.finish(s, reason);
    return { success: true, message: 'Acquisition stopped' };
  }

  pause(id: string): { success: boolean; message: string } {
    const s = this.get(id);
    if (s.state !== 'acquiring' && s.state !== 'waiting_trigger')
      return { success: false, message: 'Not acquiring' };
    s.gridStart = null;
    s.missedBefore = s.missed;
    this.setState(s, 'paused');
    return { success: true, message: 'Acquisition paused' };
  }

  resume(id: string): { success: boolean; message: string } {
    const s = this.get(id);
    if (s.state !== 'paused') return { success: false, message: 'Not paused' };
    const triggered = s.config.trigger_config.trigger_type === 'immediate' || s.triggerInfo !== null;
    this.setState(s, triggered ? 'acquiring' : 'waiting_trigger');
    return { success: true, message: 'Acquisition resumed' };
  }

  /** An external trigger (or any trigger forced by hand) while waiting. */
  trigger(id: string): { success: boolean; message: string } {
    const s = this.get(id);
    if (s.state !== 'waiting_trigger')
      return { success: false, message: `Not waiting for a trigger (${s.state})` };
    this.fireTrigger(s, null);
    return { success: true, message: 'Triggered' };
  }

  delete(id: string): void {
    const s = this.get(id);
    this.release(s);
    s.state = 'stopped';
    s.store.remove();
    this.deps.db.prepare('DELETE FROM acquisition_sessions WHERE acquisition_id = ?').run(id);
    this.sessions.delete(id);
    this.deps.bus.retire(acquisitionTopic(id));
    this.onDelete?.(id);
  }

  // ---------------------------------------------------------------------------------------------------- data

  reader(id: string): SessionReader {
    const s = this.get(id);
    this.flush(s);
    const dir = s.store.dir;
    const names = s.polledNames;
    const count = s.total;
    return {
      acquisition_id: id,
      channels: names,
      count,
      chunks: (options) => readChunks(dir, names, count, options),
      blocks: (options) => readBlocks(dir, options?.channel),
      metadata: () => ({
        config: s.config,
        stats: s.stats(),
        instruments: s.instruments,
        created_at: s.created_at,
        started_at: s.started_at,
        stopped_at: s.stopped_at,
      }),
    };
  }

  /** The last num_samples rows (or from start_index), from storage. */
  async data(
    id: string,
    query: { num_samples?: number; channel?: string; start_index?: number },
  ): Promise<AcquisitionData> {
    const s = this.get(id);
    if (query.channel !== undefined && !s.polledNames.includes(query.channel)) {
      throw new DomainError(
        'invalid_field',
        `no channel "${query.channel}" in this session (${s.polledNames.join(', ')})`,
        'channel',
      );
    }
    const reader = this.reader(id);
    const n = query.num_samples ?? DEFAULT_DATA_SAMPLES;
    const from = query.start_index ?? Math.max(0, reader.count - n);
    const timestamps: string[] = [];
    const relative: number[] = [];
    const channels = query.channel !== undefined ? [query.channel] : s.polledNames;
    const values: Record<string, (number | null)[]> = Object.fromEntries(channels.map((c) => [c, []]));
    for await (const chunk of reader.chunks({ fromIndex: from, toIndex: from + n, channel: query.channel })) {
      for (let i = 0; i < chunk.timestamps.length; i++) {
        const t = chunk.timestamps[i] as number;
        timestamps.push(iso(t));
        if (s.sync_start !== null) relative.push((t - s.sync_start) / 1000);
        for (const c of channels) {
          const v = chunk.values[c]?.[i] ?? Number.NaN;
          values[c]?.push(Number.isFinite(v) ? v : null);
        }
      }
    }
    return {
      acquisition_id: id,
      channels,
      data: { timestamps, ...(s.sync_start !== null ? { relative_times: relative } : {}), values },
      count: timestamps.length,
      start_index: from,
      total_samples: reader.count,
    };
  }

  /** The ring's rows already sent live, as one `acquisition_stream` message, for a client that joins now. */
  snapshot(id: string): Published | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    const topic = acquisitionTopic(id);
    const seq = this.deps.bus.seq(topic);
    if (seq === 0) return null;
    const rows = s.ring.since(0);
    const keep = Math.max(0, s.published - rows.first);
    return {
      topic,
      type: 'acquisition_stream',
      seq,
      timestamp: new Date().toISOString(),
      data: this.block(
        s,
        rows.timestamps.slice(0, keep),
        rows.values.map((v) => v.slice(0, keep)),
        rows.first,
      ),
    } as Published;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    clearInterval(this.liveTimer);
    for (const s of this.sessions.values()) {
      // A running session stays running in storage: the next start marks it stopped, "server restarted".
      for (const t of s.timers) clearTimeout(t);
      for (const claim of s.claims) claim.release();
      s.claims = [];
      this.flush(s);
      this.save(s);
    }
  }

  // ------------------------------------------------------------------------------------------------ internals

  private onReading(s: AcquisitionSession, key: string, primary: boolean, message: Published): void {
    const t = Date.parse(message.timestamp);
    s.latest.set(key, { t, data: (message.data ?? {}) as Record<string, unknown> });
    if (!primary || (s.state !== 'acquiring' && s.state !== 'waiting_trigger')) return;
    const maxAge = 1.5 * (1000 / s.config.sample_rate) + 50;
    const row = new Float64Array(s.polled.length);
    s.polled.forEach((c, i) => {
      const latest = s.latest.get(keyOf(c));
      const v = latest && Math.abs(t - latest.t) <= maxAge ? fieldValue(latest.data, c.field) : null;
      row[i] = v ?? Number.NaN;
    });
    if (s.state === 'waiting_trigger') {
      const trigger = s.config.trigger_config;
      const ti = trigger.channel !== undefined ? s.polledNames.indexOf(trigger.channel) : 0;
      const value = row[ti] ?? Number.NaN;
      const level = trigger.level as number;
      const fired =
        (trigger.trigger_type === 'level' && levelReached(value, level, trigger.edge)) ||
        (trigger.trigger_type === 'edge' &&
          edgeCrossed(s.prevTriggerValue, value, level, trigger.edge ?? 'rising'));
      s.prevTriggerValue = value;
      if (!fired) {
        const pre = trigger.pre_trigger_samples ?? 0;
        if (pre > 0) {
          s.pre.push({ t, row });
          if (s.pre.length > pre) s.pre.shift();
        }
        return;
      }
      this.fireTrigger(s, { t, value });
    }
    this.record(s, t, row);
  }

  /** Starts recording: the kept pre-trigger rows first. */
  private fireTrigger(s: AcquisitionSession, at: { t: number; value: number } | null): void {
    if (s.state !== 'waiting_trigger') return;
    const pre = s.pre;
    s.pre = [];
    for (const p of pre) this.record(s, p.t, p.row, true);
    s.triggerInfo = {
      time: iso(at?.t ?? Date.now()),
      index: s.total,
      value: at && Number.isFinite(at.value) ? at.value : null,
    };
    s.postTrigger = 0;
    this.setState(s, 'acquiring');
  }

  private record(s: AcquisitionSession, t: number, row: Float64Array, preTrigger = false): void {
    const duration = s.config.duration_seconds;
    if (!preTrigger) {
      if (s.durationStart === null) {
        s.durationStart = t;
        if (duration !== null) {
          // Rows end the run by their timestamps; the timer only ends one whose readings stopped coming.
          const grace = 3 * (1000 / s.config.sample_rate) + 1000;
          s.timers.push(setTimeout(() => this.finish(s, 'duration reached'), duration * 1000 + grace));
        }
      }
      if (duration !== null && t - s.durationStart >= duration * 1000) {
        this.finish(s, 'duration reached');
        return;
      }
    }
    if (!preTrigger) {
      // Each row is due on the grid start + k periods; the deadlines passed that no row answers are missed (rows
      // read late after a stall, caught up, answer theirs).
      if (s.gridStart === null) {
        s.gridStart = t;
        s.gridRows = 0;
      } else s.gridRows += 1;
      const due = Math.round(((t - s.gridStart) * s.config.sample_rate) / 1000);
      s.missed = s.missedBefore + Math.max(0, due - s.gridRows);
    }
    s.ring.push(t, row);
    if (!this.stored(s, () => s.store.append(t, row))) return;
    s.firstTimestamp ??= t;
    s.lastTimestamp = t;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      const st = s.channelStats[i];
      if (v === undefined || !Number.isFinite(v) || !st) continue;
      st.n += 1;
      st.sum += v;
      if (v < st.min) st.min = v;
      if (v > st.max) st.max = v;
    }
    s.statsDirty = true;
    if (preTrigger) return;
    s.postTrigger += 1;
    const limit = s.config.num_samples;
    if (limit !== null && s.config.mode !== 'continuous' && s.postTrigger >= limit)
      this.finish(s, 'completed');
  }

  private onBlock(s: AcquisitionSession, b: BlockChannel, message: Published): void {
    const w = message.data as { x_increment?: number; x_origin?: number; samples?: (number | null)[] };
    if (!Array.isArray(w?.samples)) return;
    this.capture(s, {
      channel: b.name,
      timestamp: Date.parse(message.timestamp),
      x_increment: w.x_increment ?? 0,
      x_origin: w.x_origin ?? 0,
      samples: Float32Array.from(w.samples, (v) => (v === null ? Number.NaN : v)),
    });
  }

  /**
   * Hands a capture to a session's fed block source `channel` (see create's `feeds`): recorded and sent live like
   * a scope's. False when the session is not acquiring (a capture before the start or after the stop is dropped).
   */
  feed(id: string, capture: BlockRecord): boolean {
    const s = this.get(id);
    if (!s.blocks.some((b) => b.fed && b.name === capture.channel)) {
      throw new DomainError(
        'invalid_field',
        `session ${id} has no fed source "${capture.channel}"`,
        'channel',
      );
    }
    return this.capture(s, capture);
  }

  /** Stores a block capture and publishes it at once, whole, in an acquisition_stream of its own. */
  private capture(s: AcquisitionSession, capture: BlockRecord): boolean {
    if (s.state !== 'acquiring') return false;
    if (!this.stored(s, () => s.store.appendBlock(capture))) return false;
    const index = s.blockCount;
    s.blockCount += 1;
    s.statsDirty = true;
    const { channel, timestamp, x_increment, x_origin, samples } = capture;
    this.deps.bus.publishAcquisitionBlock(s.acquisition_id, {
      state: s.state,
      stats: s.stats(),
      data: {
        count: 0,
        start_index: s.published, // no rows: the next rows message starts there too
        values: {},
        // The Float32Array itself: the binary frame copies it once; a JSON client gets it as an array.
        capture: {
          channel,
          index,
          timestamp: iso(timestamp),
          x_increment,
          x_origin,
          samples: samples as never,
        },
      },
    });
    const limit = s.config.num_samples;
    if (s.polled.length === 0 && limit !== null && s.config.mode !== 'continuous' && s.blockCount >= limit) {
      this.finish(s, 'completed');
    }
    return true;
  }

  private release(s: AcquisitionSession): void {
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
    for (const claim of s.claims) claim.release();
    s.claims = [];
  }

  /** Ends a run: claims released, samples flushed, `stopped` with final stats persisted, then published. */
  private finish(s: AcquisitionSession, reason: string): void {
    if (s.state === 'stopped' || s.state === 'idle' || s.state === 'error') return;
    this.release(s);
    if (!this.flush(s)) return;
    s.stopped_at = new Date().toISOString();
    s.stop_reason = reason;
    this.setState(s, 'stopped');
  }

  /** Persist, then publish: the new state (with the rows not yet sent) goes out at once. */
  private setState(s: AcquisitionSession, state: AcquisitionState): void {
    s.state = state;
    this.save(s);
    this.publish(s, true);
  }

  private save(s: AcquisitionSession): void {
    s.statsDirty = false;
    this.deps.db
      .prepare(
        `UPDATE acquisition_sessions SET state = ?, stats = ?, instruments = ?, total_samples = ?, started_at = ?,
           stopped_at = ?, stop_reason = ? WHERE acquisition_id = ?`,
      )
      .run(
        s.state,
        JSON.stringify({ ...s.stats(), durationStart: s.durationStart, channelStats: s.channelStats }),
        JSON.stringify(s.instruments),
        s.total,
        s.started_at,
        s.stopped_at,
        s.stop_reason,
        s.acquisition_id,
      );
  }

  /** Writes a session's pending samples; false when storage failed (the run then ends in `error`). */
  private flush(s: AcquisitionSession): boolean {
    return this.stored(s, () => s.store.flush());
  }

  /**
   * Runs a write to the session's storage. When it fails (disk full, the directory removed) the run ends in
   * `error` with the reason, rather than buffering samples it can never write: what was written before is kept.
   */
  private stored(s: AcquisitionSession, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.logger.error({ err, acquisition_id: s.acquisition_id }, 'acquisition storage failed');
      s.store.discardPending();
      if (s.state !== 'error') {
        this.release(s);
        s.stopped_at = new Date().toISOString();
        s.stop_reason = `storage failed (${message}): recording stopped`;
        this.setState(s, 'error');
      }
      return false;
    }
  }

  private flushAll(): void {
    for (const s of this.sessions.values()) {
      if (!LIVE_STATES.includes(s.state)) continue;
      if (this.flush(s) && s.statsDirty) this.save(s);
    }
  }

  private publishAll(): void {
    for (const s of this.sessions.values()) {
      if (s.ring.total > s.published) this.publish(s, false);
    }
  }

  private block(s: AcquisitionSession, timestamps: number[], values: number[][], startIndex: number) {
    const count = timestamps.length;
    return {
      state: s.state,
      stats: s.stats(),
      data:
        count === 0
          ? null
          : {
              count,
              start_index: startIndex,
              timestamps: timestamps.map(iso),
              values: Object.fromEntries(
                s.polledNames.map((n, c) => [
                  n,
                  (values[c] ?? []).map((v) => (Number.isFinite(v) ? v : null)),
                ]),
              ),
            },
    };
  }

  private publish(s: AcquisitionSession, force: boolean): void {
    const rows = s.ring.since(s.published);
    if (rows.timestamps.length === 0 && !force) return;
    s.published = s.ring.total;
    this.deps.bus.publishAcquisitionBlock(
      s.acquisition_id,
      this.block(s, rows.timestamps, rows.values, rows.first),
    );
  }
}

function restoreStats(s: AcquisitionSession, saved: Record<string, unknown>): void {
  const cs = saved.channelStats as ChannelStats[] | undefined;
  if (Array.isArray(cs)) {
    cs.forEach((c, i) => {
      if (s.channelStats[i] && c) Object.assign(s.channelStats[i], c);
    });
  }
  const start = saved.start_time;
  const end = saved.end_time;
  if (typeof start === 'string') s.firstTimestamp = Date.parse(start);
  if (typeof end === 'string') s.lastTimestamp = Date.parse(end);
  s.blockCount = Math.max(s.blockCount, Number(saved.total_blocks ?? 0) || 0);
  if (typeof saved.durationStart === 'number') s.durationStart = saved.durationStart;
  if (typeof saved.missed_samples === 'number') s.missed = s.missedBefore = saved.missed_samples;
  const trigger = saved.trigger;
  if (trigger && typeof trigger === 'object') s.triggerInfo = trigger as AcquisitionSession['triggerInfo'];
}
