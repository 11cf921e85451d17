// Link quality as a lab user wants to see it: how many messages arrive per second, how old a reading is when it
// arrives (server timestamp to client receipt), how many messages were lost (gaps in `seq`), how often the link
// was re-established, and which mode the client is in. The original's "latency" was now − the time it had just
// stored, always ~0 ms; here it is measured against the server's clock.

export type Mode = 'connecting' | 'live' | 'polling' | 'reconnecting' | 'closed';

export interface Quality {
  /** Data messages delivered to stream listeners in the last second (WebSocket and polled). */
  messagesPerSecond: number;
  /** Server timestamp → receipt of live stream data, smoothed; null until measured and while not live. */
  latencyMs: number | null;
  /** Messages missed, counted from jumps in `seq` (coalesced for a slow client, or beyond the resume window). */
  gaps: number;
  /** Times the WebSocket was re-established after being live. */
  reconnects: number;
  mode: Mode;
}

/** Weight of a new latency sample in the moving average: smooth enough for a display, quick to follow a change. */
const LATENCY_ALPHA = 0.2;
/** Clock samples kept; the one with the shortest round trip gives the offset (as NTP filters its samples). */
const CLOCK_SAMPLES = 8;

export class QualityMeter {
  private delivered = 0;
  private windowStart: number;
  private rate = 0;
  private latency: number | null = null;
  private gapCount = 0;
  private reconnectCount = 0;
  private readonly clock: { rtt: number; offset: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {
    this.windowStart = now();
  }

  /** One data message handed to listeners. */
  countDelivered(): void {
    this.delivered += 1;
  }

  gap(missed: number): void {
    this.gapCount += missed;
  }

  reconnected(): void {
    this.reconnectCount += 1;
  }

  /**
   * A ping/pong round trip: the server stamped `serverTime` somewhere between `sentAt` and `receivedAt`, so
   * the server clock is ahead of ours by about serverTime − midpoint (error at most half the round trip).
   */
  clockSample(sentAt: number, serverTime: string, receivedAt: number): void {
    const server = Date.parse(serverTime);
    if (Number.isNaN(server)) return;
    this.clock.push({ rtt: receivedAt - sentAt, offset: server - (sentAt + receivedAt) / 2 });
    if (this.clock.length > CLOCK_SAMPLES) this.clock.shift();
  }

  /**
   * Server clock minus ours, in ms. An estimate within its own error (half the round trip, plus the 1 ms
   * resolution of timestamps) is taken as 0: the clocks agree as far as can be told (the same host, or NTP on
   * both), and a spurious offset would bias the sub-millisecond latencies of a LAN.
   */
  get clockOffsetMs(): number {
    let best: { rtt: number; offset: number } | undefined;
    for (const sample of this.clock) if (!best || sample.rtt < best.rtt) best = sample;
    return best && Math.abs(best.offset) > best.rtt / 2 + 1 ? best.offset : 0;
  }

  /** A live message stamped `serverTime` by the server arrived now. */
  latencySample(serverTime: string): void {
    const stamped = Date.parse(serverTime);
    if (Number.isNaN(stamped)) return;
    // Clamped at 0: the offset estimate can be off by up to half a round trip.
    const sample = Math.max(0, this.now() - (stamped - this.clockOffsetMs));
    this.latency = this.latency === null ? sample : this.latency + LATENCY_ALPHA * (sample - this.latency);
  }

  /** The link went down: the last latency says nothing about the next connection. */
  resetLatency(): void {
    this.latency = null;
  }

  /** Closes the current rate window (called about once a second). */
  tick(): void {
    const now = this.now();
    const elapsed = (now - this.windowStart) / 1000;
    if (elapsed <= 0) return;
    this.rate = this.delivered / elapsed;
    this.delivered = 0;
    this.windowStart = now;
  }

  snapshot(mode: Mode): Quality {
    return {
      messagesPerSecond: Math.round(this.rate * 10) / 10,
      latencyMs: this.latency === null ? null : Math.round(this.latency * 10) / 10,
      gaps: this.gapCount,
      reconnects: this.reconnectCount,
      mode,
    };
  }
}
