// What one network address may take of the WebSocket: a share of the connections, and a rate of messages. A
// client that floods (connections or requests) from one address is held to its share, so the streams of everyone
// else keep their rate. Counted per address, not per connection: opening more connections buys no more rate.

/**
 * How long the server stops reading an address that passed its rate. The messages it sent meanwhile wait in its
 * own socket buffers (TCP pushes back on it), so a flood costs the server nothing while it waits; those that had
 * already arrived are dropped unread, the first one answered `rate_limited`.
 */
export const THROTTLE_MS = 1000;

export interface AddressLimitOptions {
  /** Connections one address may hold at once; 0: no limit of its own (the server's cap still applies). */
  maxConnections: number;
  /** Messages per second one address may send across its connections; 0: no limit. */
  messageRate: number;
  /** Messages an address may send in a burst above its rate (a page opening a dozen streams at once). */
  burst: number;
}

/** A token bucket: `tokens` refill at the rate up to the burst; each message takes one. */
interface Bucket {
  tokens: number;
  at: number;
}

export class AddressLimits {
  private readonly connections = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  /** Messages refused per address since start (shown in the realtime stats). */
  private readonly refused = new Map<string, number>();

  constructor(
    readonly options: AddressLimitOptions,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Whether `address` already holds its share of connections. */
  full(address: string): boolean {
    const max = this.options.maxConnections;
    return max > 0 && (this.connections.get(address) ?? 0) >= max;
  }

  connected(address: string): void {
    this.connections.set(address, (this.connections.get(address) ?? 0) + 1);
  }

  disconnected(address: string): void {
    const left = (this.connections.get(address) ?? 1) - 1;
    if (left > 0) {
      this.connections.set(address, left);
      return;
    }
    // Its last connection is gone. Its bucket stays until it has refilled, or reconnecting would be a way to a
    // fresh burst; refilled buckets of addresses without connections are dropped then.
    this.connections.delete(address);
    this.refused.delete(address);
    for (const [other, bucket] of this.buckets) {
      if (!this.connections.has(other) && this.refill(bucket) >= this.options.burst)
        this.buckets.delete(other);
    }
  }

  /** The tokens a bucket holds now. */
  private refill(bucket: Bucket): number {
    const at = this.now();
    bucket.tokens = Math.min(
      this.options.burst,
      bucket.tokens + ((at - bucket.at) / 1000) * this.options.messageRate,
    );
    bucket.at = at;
    return bucket.tokens;
  }

  /** Whether one more message from `address` may be handled now; false counts a refusal. */
  take(address: string): boolean {
    const { messageRate, burst } = this.options;
    if (messageRate <= 0) return true;
    const at = this.now();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      bucket = { tokens: burst, at };
      this.buckets.set(address, bucket);
    }
    if (this.refill(bucket) >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.refused.set(address, (this.refused.get(address) ?? 0) + 1);
    return false;
  }

  refusedFrom(address: string): number {
    return this.refused.get(address) ?? 0;
  }
}
