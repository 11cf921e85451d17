// The readings pipeline: the only code that reads instruments for anyone who wants a reading over time — WebSocket
// streams, the alarm engine, acquisitions, jobs. A consumer claims (instrument, reading kind, channel) at a rate;
// there is one poller per key, running at the fastest rate claimed, and each consumer gets the rate it asked for.
// Pollers are scheduled at a fixed rate against a clock: each deadline is computed from the start time, never as
// "sleep after the read", so the period does not drift by the read time. Deadlines passed during a short stall are
// caught up (read at once, in turn); after a long one (a hung instrument) they are skipped and counted, not burst.
// Every reading is stamped with its real time and published on the bus under the key's topic.
//
// A claim outlives the instrument's absences: while it is not connected (not yet, reconnecting, disconnected by a
// user) the claim waits, is told its data is not fresh, and resumes by itself when the instrument answers again.
// Only a WebSocket stream, whose protocol promises a `stream_stopped`, asks to be ended when a user disconnects the
// instrument (`onEnd`).

import { STOP_REASONS, type StreamType, streamTopic } from '@lablink/protocol';
import type { PollerStats } from '@lablink/protocol/rest';
import type { Bus, Published } from '../bus.js';
import type { EquipmentView } from '../equipment/types.js';
import { DomainError } from '../errors.js';

/** What the pipeline needs from the equipment service. */
export interface ReadingSource {
  find(id: string): Pick<EquipmentView, 'state' | 'stream_types' | 'model'> | null | undefined;
  readings(id: string, channel?: number): Promise<unknown>;
  measurements(id: string, channel: number): Promise<unknown>;
  waveform(id: string, channel: number): Promise<unknown>;
}

/** Monotonic time and timers, injectable so scheduling can be tested without waiting. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * How far behind a poller catches up. A stall shorter than this (the event loop busy, a slow read) loses no
 * sample: the deadlines it passed are read at once, one after another, each stamped with its real time. A longer
 * one (a hung instrument, a read slower than the period for good) is not burst: the missed deadlines are skipped
 * and counted, and the poller goes on from the latest.
 */
export const CATCH_UP_MS = 500;

/**
 * The next tick of a fixed-rate schedule (tick k is due at anchor + k·interval), after `lastTick`: the next one
 * when it is due now or later, or passed less than CATCH_UP_MS ago (run at once, late); else the latest deadline
 * already passed, `skipped` counting those in between.
 */
export function nextTick(
  anchor: number,
  interval: number,
  lastTick: number,
  now: number,
): { tick: number; deadline: number; skipped: number } {
  const following = lastTick + 1;
  const latestDue = Math.floor((now - anchor) / interval);
  const behind = now - (anchor + following * interval);
  const tick = behind <= CATCH_UP_MS ? following : Math.max(following, latestDue);
  return { tick, deadline: anchor + tick * interval, skipped: tick - following };
}

/**
 * The first multiple of `interval` on the clock at or after `now`. New pollers of one period start on the same
 * grid, so their deadlines fall on the same instants: their timers fire in one turn, their instruments are asked
 * together, and readings that arrive together leave together — one socket write per client carries several of
 * them (realtime/writer.ts), where pollers at scattered phases cost one write per reading.
 */
export function nextGridPoint(now: number, interval: number): number {
  const past = now % interval;
  return past === 0 ? now : now - past + interval;
}

/** The longest period whose pollers start on the grid; a slower one's first read would wait too long. */
export const ALIGN_MAX_MS = 1000;

/**
 * How fresh a claim's data is: `live` after a reading; `waiting` while the instrument is not connected; `stale`
 * while it is connected but no reading has succeeded for STALE_PERIODS periods.
 */
export type Freshness = 'live' | 'waiting' | 'stale';

/** Periods without a reading before data counts as stale. */
export const STALE_PERIODS = 3;

/** The shortest and longest period a claim may ask for. */
export const MIN_INTERVAL_MS = 1;
export const MAX_INTERVAL_MS = 86_400_000;

/** The oldest poll REST readings answer with instead of reading the instrument again. */
const FRESH_FOR_MS = 1000;

export interface ClaimRequest {
  equipment_id: string;
  kind: StreamType;
  channel: number;
  interval_ms: number;
  /** Who claims, for statistics: `ws#12`, `alarms`, `acquisition:…`. */
  consumer: string;
  /** Each reading, at the claim's own rate (the poller may run faster for another consumer). */
  onReading?: (message: Published) => void;
  /** Freshness changes, with the reason (the instrument's state or the last read error). */
  onFreshness?: (freshness: Freshness, reason: string) => void;
  /**
   * Ends the claim, once, when a user disconnects the instrument or the server shuts down; without it the claim
   * waits for the instrument to come back. Not called after release().
   */
  onEnd?: (reason: string) => void;
}

export interface Claim {
  /** The bus topic the readings are published on. */
  readonly topic: string;
  readonly interval_ms: number;
  /** True when the poller was already running for someone else (its latest value is current). */
  readonly shared: boolean;
  /** The shared poller's period right now. */
  effectiveInterval(): number;
  freshness(): Freshness;
  /** Why the data is not live (the instrument's state, the last read error); '' when live. */
  reason(): string;
  /** Gives up this claim; the poller stops with its last claim. Idempotent. */
  release(): void;
}

interface ClaimState {
  request: ClaimRequest;
  /** Deadline of the tick whose reading was last handed to this claim. */
  lastDelivered: number;
  freshness: Freshness;
  reason: string;
}

type Key = Pick<ClaimRequest, 'equipment_id' | 'kind' | 'channel'>;

class Poller {
  readonly topic: string;
  readonly claims = new Map<number, ClaimState>();
  interval = 0;
  private anchor = 0;
  private lastTick = -1;
  private timer: unknown;
  private reading = false;
  /** Clock time of the last successful read (or of the start, before any). */
  private lastRead: number;
  stopped = false;
  readonly stats = { reads: 0, errors: 0, skipped: 0, not_connected: 0, last_error: null as string | null };

  constructor(
    readonly key: Key,
    private readonly deps: {
      bus: Bus;
      source: ReadingSource;
      clock: Clock;
      /** The instrument is gone (removed, disconnected by a user). */
      onGone: (p: Poller) => void;
    },
  ) {
    this.topic = streamTopic(key.equipment_id, key.kind, key.channel);
    this.lastRead = deps.clock.now();
  }

  /**
   * Re-derives the period from the claims. A change re-anchors the schedule: a new poller of a period up to
   * ALIGN_MAX_MS starts at the next point of its period's grid (gridPoint), any other at once; a running one reads
   * one period later.
   */
  retime(): void {
    const fastest = Math.min(...[...this.claims.values()].map((c) => c.request.interval_ms));
    if (fastest === this.interval) return;
    const now = this.deps.clock.now();
    const fresh = this.interval === 0;
    this.lastTick = fresh ? -1 : 0;
    this.interval = fastest;
    this.anchor = fresh && fastest <= ALIGN_MAX_MS ? nextGridPoint(now, fastest) : now;
    if (!this.reading) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimer(this.timer);
  }

  private schedule(): void {
    const { clock } = this.deps;
    clock.clearTimer(this.timer); // one timer at a time, whoever reschedules
    const next = nextTick(this.anchor, this.interval, this.lastTick, clock.now());
    this.stats.skipped += next.skipped;
    this.timer = clock.setTimer(() => void this.fire(next.tick), Math.max(0, next.deadline - clock.now()));
  }

  private async fire(tick: number): Promise<void> {
    const { bus, source, clock } = this.deps;
    const { equipment_id, kind, channel } = this.key;
    this.lastTick = tick;
    // The tick's deadline, not the read's end, times each claim's deliveries: read durations vary, deadlines not.
    const due = this.anchor + tick * this.interval;
    const view = source.find(equipment_id);
    if (!view || view.state === 'disconnected') this.deps.onGone(this);
    if (this.stopped) return;
    if (view?.state !== 'connected') {
      // Reads would only queue behind the reconnect; claims wait, told that their data is not fresh.
      this.stats.not_connected += 1;
      this.setFreshness('waiting', `equipment "${equipment_id}" is ${view?.state ?? 'disconnected'}`);
    } else {
      this.reading = true;
      try {
        const data = await source[kind](equipment_id, channel);
        this.stats.reads += 1;
        this.lastRead = clock.now();
        // ReadingSource returns unknown: the reading is the key's kind (the equipment service's typed methods).
        if (!this.stopped)
          this.deliver(bus.publishReading(this.key, data as Parameters<Bus['publishReading']>[1]), due);
      } catch (err) {
        this.stats.errors += 1;
        this.stats.last_error = err instanceof Error ? err.message : String(err);
        if (clock.now() - this.lastRead >= STALE_PERIODS * this.interval) {
          this.setFreshness('stale', this.stats.last_error);
        }
      } finally {
        this.reading = false;
      }
    }
    if (!this.stopped) this.schedule();
  }

  /** Hands the reading to each claim whose own period has come (half a poller period of tolerance for jitter). */
  private deliver(message: Published, due: number): void {
    for (const claim of this.claims.values()) {
      if (claim.freshness !== 'live') this.setClaimFreshness(claim, 'live', 'reading');
      if (due - claim.lastDelivered < claim.request.interval_ms - this.interval / 2) continue;
      claim.lastDelivered = due;
      claim.request.onReading?.(message);
    }
  }

  private setFreshness(freshness: Freshness, reason: string): void {
    for (const claim of this.claims.values()) this.setClaimFreshness(claim, freshness, reason);
  }

  private setClaimFreshness(claim: ClaimState, freshness: Freshness, reason: string): void {
    if (claim.freshness === freshness) return;
    claim.freshness = freshness;
    claim.reason = freshness === 'live' ? '' : reason;
    claim.request.onFreshness?.(freshness, reason);
  }
}

export class ReadingsPipeline {
  private readonly pollers = new Map<string, Poller>();
  private nextClaim = 1;
  private readonly unsubscribe: () => void;
  private readonly clock: Clock;

  constructor(private readonly deps: { bus: Bus; equipment: ReadingSource; clock?: Clock }) {
    this.clock = deps.clock ?? systemClock;
    // A user's disconnect ends the claims that asked for it now, not at their next tick.
    this.unsubscribe = deps.bus.subscribe('equipment', (message) => {
      const data = message.data as { equipment_id?: string; state?: string } | null;
      const gone =
        message.type === 'equipment_disconnected' ||
        (message.type === 'equipment_state' && data?.state === 'disconnected');
      if (gone && data?.equipment_id) this.instrumentGone(data.equipment_id);
    });
  }

  /**
   * Claims readings of (instrument, kind, channel) at a rate, starting the key's poller if needed. The instrument
   * must be known (connected now or earlier); it need not be connected. Throws DomainError (unknown_equipment,
   * unsupported_stream, invalid_field) when the claim can never be served.
   */
  claim(request: ClaimRequest): Claim {
    const { equipment_id, kind, channel, interval_ms } = request;
    // A timer cannot wait longer than 2^31 − 1 ms (Node fires such a timer at once: a runaway poller), and a
    // period below a millisecond is no schedule at all.
    if (!(interval_ms >= MIN_INTERVAL_MS && interval_ms <= MAX_INTERVAL_MS)) {
      throw new DomainError(
        'invalid_field',
        `interval_ms must be from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (a day), not ${interval_ms}`,
        'interval_ms',
      );
    }
    const view = this.deps.equipment.find(equipment_id);
    if (!view) throw new DomainError('unknown_equipment', `no equipment "${equipment_id}"`, 'equipment_id');
    if (!view.stream_types.includes(kind)) {
      throw new DomainError(
        'unsupported_stream',
        `equipment "${equipment_id}" cannot stream ${kind} (it can stream: ${view.stream_types.join(', ') || 'nothing'})`,
        'stream_type',
      );
    }
    const channels = view.model?.channels ?? 0;
    if (channels > 0 && channel > channels) {
      throw new DomainError(
        'invalid_field',
        `equipment "${equipment_id}" has channels 1–${channels}, not ${channel}`,
        'channel',
      );
    }
    const topic = streamTopic(equipment_id, kind, channel);
    let poller = this.pollers.get(topic);
    const shared = poller !== undefined;
    if (!poller) {
      poller = new Poller(
        { equipment_id, kind, channel },
        {
          bus: this.deps.bus,
          source: this.deps.equipment,
          clock: this.clock,
          onGone: (p) => this.endClaims(p, STOP_REASONS.equipmentDisconnected, true),
        },
      );
      this.pollers.set(topic, poller);
    }
    const id = this.nextClaim++;
    const state: ClaimState = {
      request,
      lastDelivered: Number.NEGATIVE_INFINITY,
      freshness: view.state === 'connected' ? 'live' : 'waiting',
      reason: view.state === 'connected' ? '' : `equipment "${equipment_id}" is ${view.state}`,
    };
    poller.claims.set(id, state);
    poller.retime();
    const owner = poller;
    return {
      topic,
      interval_ms,
      shared,
      effectiveInterval: () => owner.interval,
      freshness: () => state.freshness,
      reason: () => state.reason,
      release: () => {
        if (!owner.claims.delete(id) || owner.stopped) return;
        if (owner.claims.size === 0) this.stop(owner);
        else owner.retime();
      },
    };
  }

  /**
   * An instrument's readings now: the latest poll when a poller runs for it and its reading is fresh (younger than
   * one and a half of its periods, and than FRESH_FOR_MS), otherwise a read of the instrument. A request for
   * readings never costs a second query while someone already polls them.
   */
  async current(equipmentId: string, channel?: number): Promise<unknown> {
    const topic = streamTopic(equipmentId, 'readings', channel ?? 1);
    const poller = this.pollers.get(topic);
    const latest = poller ? this.deps.bus.latest(topic) : undefined;
    if (poller && latest) {
      const age = Date.now() - Date.parse(latest.timestamp);
      if (age <= Math.min(1.5 * poller.interval, FRESH_FOR_MS)) return latest.data;
    }
    return this.deps.equipment.readings(equipmentId, channel);
  }

  list(): PollerStats[] {
    return [...this.pollers.values()].map((p) => ({
      topic: p.topic,
      equipment_id: p.key.equipment_id,
      stream_type: p.key.kind,
      channel: p.key.channel,
      interval_ms: p.interval,
      subscribers: p.claims.size,
      consumers: [...p.claims.values()].map((c) => c.request.consumer),
      ...p.stats,
    }));
  }

  /** Stops every poller, telling each claim that asked why. */
  close(): void {
    this.unsubscribe();
    for (const poller of [...this.pollers.values()])
      this.endClaims(poller, STOP_REASONS.serverShutdown, false);
  }

  private instrumentGone(equipmentId: string): void {
    for (const poller of [...this.pollers.values()]) {
      if (poller.key.equipment_id === equipmentId)
        this.endClaims(poller, STOP_REASONS.equipmentDisconnected, true);
    }
  }

  /** Ends the claims that asked to be ended (all of them at shutdown); the poller stops when none is left. */
  private endClaims(poller: Poller, reason: string, onlyThoseAsking: boolean): void {
    if (poller.stopped) return;
    const ended: ClaimState[] = [];
    for (const [id, claim] of poller.claims) {
      if (onlyThoseAsking && !claim.request.onEnd) continue;
      poller.claims.delete(id);
      ended.push(claim);
    }
    if (poller.claims.size === 0) this.stop(poller);
    else poller.retime();
    for (const claim of ended) claim.request.onEnd?.(reason);
  }

  private stop(poller: Poller): void {
    poller.stop();
    this.pollers.delete(poller.topic);
  }
}
