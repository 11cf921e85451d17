// Pollers: the only code that reads instruments for streams. One poller per (instrument, stream type, channel),
// shared by everyone who needs it (WebSocket clients, alarms, acquisitions), reference-counted, running at the
// fastest interval any of them asked for, and scheduled at a fixed rate against a clock: each deadline is
// computed from the start time, never as "sleep after the read", so the period does not drift by the read time
// (the original's 100 ms stream measured 202 ms). Deadlines missed during a slow read are skipped, not burst.

import { ERROR_CODES, ProtocolError, STOP_REASONS, type StreamType, streamTopic } from '@lablink/protocol';
import type { Bus } from '../bus.js';
import type { EquipmentView } from '../equipment/types.js';

/** What pollers need from the equipment service. */
export interface StreamSource {
  find(id: string): Pick<EquipmentView, 'state' | 'stream_types' | 'model'> | null | undefined;
  readings(id: string, channel: number): Promise<unknown>;
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
 * The next tick of a fixed-rate schedule (tick k is due at anchor + k·interval), after `lastTick`: the latest
 * deadline already passed (run at once, late), else the next one. When several deadlines passed during a slow
 * read, only the latest runs: `skipped` counts the others.
 */
export function nextTick(
  anchor: number,
  interval: number,
  lastTick: number,
  now: number,
): { tick: number; deadline: number; skipped: number } {
  const latestDue = Math.floor((now - anchor) / interval);
  const tick = Math.max(lastTick + 1, latestDue);
  return { tick, deadline: anchor + tick * interval, skipped: tick - lastTick - 1 };
}

export interface StreamRequest {
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
  interval_ms: number;
  /** Called once if the stream ends on the server side (instrument gone, shutdown); not after release(). */
  onEnd?: (reason: string, detail?: string) => void;
}

export interface PollerHandle {
  /** The bus topic the readings are published on. */
  readonly topic: string;
  readonly interval_ms: number;
  /** True when the poller was already running for someone else (its latest value is current). */
  readonly shared: boolean;
  /** The shared poller's period right now. */
  effectiveInterval(): number;
  /** Gives up this share; the poller stops with its last share. Idempotent. */
  release(): void;
}

export interface PollerStats {
  topic: string;
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
  interval_ms: number;
  subscribers: number;
  reads: number;
  /** Failed reads: nothing was published for them. */
  errors: number;
  /** Deadlines skipped because a read overran. */
  skipped: number;
  /** Ticks without a read because the instrument was not connected (error, reconnecting). */
  not_connected: number;
  last_error: string | null;
}

interface Claim {
  interval: number;
  onEnd?: StreamRequest['onEnd'];
}

class Poller {
  readonly topic: string;
  readonly claims = new Map<number, Claim>();
  interval = 0;
  private anchor = 0;
  private lastTick = -1;
  private timer: unknown;
  private reading = false;
  stopped = false;
  readonly stats = { reads: 0, errors: 0, skipped: 0, not_connected: 0, last_error: null as string | null };

  constructor(
    readonly key: Pick<StreamRequest, 'equipment_id' | 'stream_type' | 'channel'>,
    private readonly deps: { bus: Bus; source: StreamSource; clock: Clock; onEnd: (p: Poller) => void },
  ) {
    this.topic = streamTopic(key.equipment_id, key.stream_type, key.channel);
  }

  /**
   * Re-derives the period from the claims. A change re-anchors the schedule at now: a new poller reads at once,
   * a running one one period later.
   */
  retime(): void {
    const fastest = Math.min(...[...this.claims.values()].map((c) => c.interval));
    if (fastest === this.interval) return;
    this.lastTick = this.interval === 0 ? -1 : 0;
    this.interval = fastest;
    this.anchor = this.deps.clock.now();
    if (!this.reading) {
      this.deps.clock.clearTimer(this.timer);
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimer(this.timer);
  }

  private schedule(): void {
    const { clock } = this.deps;
    const next = nextTick(this.anchor, this.interval, this.lastTick, clock.now());
    this.stats.skipped += next.skipped;
    this.timer = clock.setTimer(() => void this.fire(next.tick), Math.max(0, next.deadline - clock.now()));
  }

  private async fire(tick: number): Promise<void> {
    const { bus, source } = this.deps;
    const { equipment_id, stream_type, channel } = this.key;
    this.lastTick = tick;
    const view = source.find(equipment_id);
    if (!view || view.state === 'disconnected') {
      this.deps.onEnd(this);
      return;
    }
    if (view.state !== 'connected') {
      // Reads would only queue behind the reconnect; the client sees the equipment_state event instead.
      this.stats.not_connected += 1;
    } else {
      this.reading = true;
      try {
        const data = await source[stream_type](equipment_id, channel);
        this.stats.reads += 1;
        if (!this.stopped) bus.publish(this.topic, 'stream_data', data);
      } catch (err) {
        this.stats.errors += 1;
        this.stats.last_error = err instanceof Error ? err.message : String(err);
      } finally {
        this.reading = false;
      }
    }
    if (!this.stopped) this.schedule();
  }
}

export class PollerRegistry {
  private readonly pollers = new Map<string, Poller>();
  private nextClaim = 1;
  private readonly unsubscribe: () => void;
  private readonly clock: Clock;

  constructor(private readonly deps: { bus: Bus; equipment: StreamSource; clock?: Clock }) {
    this.clock = deps.clock ?? systemClock;
    // An instrument that is disconnected ends its streams now, not at their next tick.
    this.unsubscribe = deps.bus.subscribe('equipment', (message) => {
      const data = message.data as { equipment_id?: string; state?: string } | null;
      const gone =
        message.type === 'equipment_disconnected' ||
        (message.type === 'equipment_state' && data?.state === 'disconnected');
      if (gone && data?.equipment_id) this.endAll(data.equipment_id, STOP_REASONS.equipmentDisconnected);
    });
  }

  /**
   * Claims a share of the poller for this stream, starting it if needed. Throws ProtocolError
   * (unknown_equipment, unsupported_stream, not_connected, invalid_field) when it cannot be served.
   */
  acquire(request: StreamRequest): PollerHandle {
    const { equipment_id, stream_type, channel, interval_ms } = request;
    const view = this.deps.equipment.find(equipment_id);
    if (!view)
      throw new ProtocolError(ERROR_CODES.unknownEquipment, `no equipment "${equipment_id}"`, 'equipment_id');
    if (!view.stream_types.includes(stream_type)) {
      throw new ProtocolError(
        ERROR_CODES.unsupportedStream,
        `equipment "${equipment_id}" cannot stream ${stream_type} (it can stream: ${view.stream_types.join(', ') || 'nothing'})`,
        'stream_type',
      );
    }
    const channels = view.model?.channels ?? 0;
    if (channels > 0 && channel > channels) {
      throw new ProtocolError(
        ERROR_CODES.invalidField,
        `equipment "${equipment_id}" has channels 1–${channels}, not ${channel}`,
        'channel',
      );
    }
    if (view.state !== 'connected') {
      throw new ProtocolError(
        ERROR_CODES.notConnected,
        `equipment "${equipment_id}" is ${view.state}`,
        'equipment_id',
      );
    }
    const topic = streamTopic(equipment_id, stream_type, channel);
    let poller = this.pollers.get(topic);
    const shared = poller !== undefined;
    if (!poller) {
      poller = new Poller(
        { equipment_id, stream_type, channel },
        {
          bus: this.deps.bus,
          source: this.deps.equipment,
          clock: this.clock,
          onEnd: (p) => this.end(p, STOP_REASONS.equipmentDisconnected),
        },
      );
      this.pollers.set(topic, poller);
    }
    const id = this.nextClaim++;
    poller.claims.set(id, { interval: interval_ms, onEnd: request.onEnd });
    poller.retime();
    const owner = poller;
    return {
      topic,
      interval_ms,
      shared,
      effectiveInterval: () => owner.interval,
      release: () => {
        if (!owner.claims.delete(id) || owner.stopped) return;
        if (owner.claims.size === 0) {
          owner.stop();
          this.pollers.delete(owner.topic);
        } else owner.retime();
      },
    };
  }

  list(): PollerStats[] {
    return [...this.pollers.values()].map((p) => ({
      topic: p.topic,
      ...p.key,
      interval_ms: p.interval,
      subscribers: p.claims.size,
      ...p.stats,
    }));
  }

  /** Stops every poller, telling each holder why. */
  close(): void {
    this.unsubscribe();
    for (const poller of [...this.pollers.values()]) this.end(poller, STOP_REASONS.serverShutdown);
  }

  private endAll(equipmentId: string, reason: string): void {
    for (const poller of [...this.pollers.values()]) {
      if (poller.key.equipment_id === equipmentId) this.end(poller, reason);
    }
  }

  private end(poller: Poller, reason: string): void {
    if (poller.stopped) return;
    poller.stop();
    this.pollers.delete(poller.topic);
    for (const claim of poller.claims.values()) claim.onEnd?.(reason);
    poller.claims.clear();
  }
}
