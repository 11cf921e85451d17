// The per-address WebSocket budget on its own, with a clock the test moves: a drained burst survives a reconnect.

import { describe, expect, it } from 'vitest';
import { AddressLimits } from '../src/realtime/address-limits.js';

describe('AddressLimits', () => {
  it('keeps a drained bucket across a reconnect until it has refilled, then forgets it', () => {
    let now = 0;
    const limits = new AddressLimits({ maxConnections: 10, messageRate: 10, burst: 5 }, () => now);
    limits.connected('10.0.0.9');
    for (let i = 0; i < 5; i++) expect(limits.take('10.0.0.9')).toBe(true);
    expect(limits.take('10.0.0.9')).toBe(false);
    // Reconnecting at once buys no fresh burst.
    limits.disconnected('10.0.0.9');
    limits.connected('10.0.0.9');
    expect(limits.take('10.0.0.9')).toBe(false);
    // A second later the bucket is full again, as it would be anyway.
    now += 1000;
    limits.disconnected('10.0.0.9');
    limits.connected('10.0.0.9');
    for (let i = 0; i < 5; i++) expect(limits.take('10.0.0.9')).toBe(true);
    expect(limits.take('10.0.0.9')).toBe(false);
  });
});
