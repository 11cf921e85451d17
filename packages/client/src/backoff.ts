// Reconnect delays: exponential backoff with "full jitter" (AWS architecture blog, "Exponential Backoff And
// Jitter"): the n-th delay is uniform in [0, min(cap, base·2^n)]. The jitter matters on a lab network: when the
// server restarts, every open browser reconnects at once, and fixed delays (the original's 5 s) make them all
// knock at the same instant, again and again.

export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. */
  baseMs?: number;
  /** No delay is ever longer than this, in ms. */
  maxMs?: number;
  /** Uniform random number in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor({ baseMs = 500, maxMs = 30_000, random = Math.random }: BackoffOptions = {}) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    // 2^attempt is capped before multiplying so that a long outage cannot overflow to Infinity.
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  /** After a successful connection: the next outage starts again from the base delay. */
  reset(): void {
    this.attempt = 0;
  }
}
