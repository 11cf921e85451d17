// Failed logins, limited per username and per client address over a sliding window: guessing passwords costs
// hours, while a person who mistypes a few times is not locked out for long (the window slides).

export interface LoginLimits {
  perUser: number;
  perAddress: number;
  windowMs: number;
}

export const LOGIN_LIMITS: LoginLimits = { perUser: 5, perAddress: 20, windowMs: 15 * 60 * 1000 };

export class LoginRateLimit {
  /** Times of recent failures, by `u:<username>` and `a:<address>`. */
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: LoginLimits = LOGIN_LIMITS) {}

  /** Seconds until a login may be tried again, or 0 when it may be now. */
  retryAfter(username: string, address: string, at = Date.now()): number {
    const wait = Math.max(
      this.wait(`u:${username.toLowerCase()}`, this.limits.perUser, at),
      this.wait(`a:${address}`, this.limits.perAddress, at),
    );
    return Math.ceil(wait / 1000);
  }

  fail(username: string, address: string, at = Date.now()): void {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const times = this.recent(key, at);
      times.push(at);
      this.failures.set(key, times);
    }
  }

  /** A success clears the username's failures (not the address's: one address may try many names). */
  succeed(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }

  private wait(key: string, max: number, at: number): number {
    const times = this.recent(key, at);
    if (times.length === 0) this.failures.delete(key);
    if (times.length < max) return 0;
    // The oldest failure that keeps the count at the limit must leave the window.
    return (times[times.length - max] as number) + this.limits.windowMs - at;
  }

  private recent(key: string, at: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => at - t < this.limits.windowMs);
  }
}
