// The freshness rules of the web app: what an instrument's badge says, why its controls are disabled, how a
// reading's age reads, when values are greyed, and when an emergency stop is sent again.

import { describe, expect, it } from 'vitest';
import {
  ageText,
  controlsBlocked,
  durationText,
  estopShouldRetry,
  instrumentBadge,
  plural,
  readingsStale,
} from '../src/lib/freshness';

describe('instrument badge', () => {
  it('says Unknown whenever the server cannot be reached, whatever the last known state', () => {
    for (const state of ['connected', 'reconnecting', 'error', 'not_responding']) {
      expect(instrumentBadge({ state, reachable: false })).toMatchObject({ text: 'Unknown', tone: 'muted' });
      expect(instrumentBadge({ state, reachable: false, stale: true }).text).toBe('Unknown');
    }
    expect(instrumentBadge({ state: 'not_responding', reachable: false }).title).toMatch(
      /last known: not responding/,
    );
  });

  it('says Stale for a connected instrument whose readings stopped', () => {
    expect(instrumentBadge({ state: 'connected', reachable: true, stale: true })).toMatchObject({
      text: 'Stale',
      tone: 'warn',
    });
  });

  it('otherwise says the state; a stream of a reconnecting instrument does not hide it', () => {
    expect(instrumentBadge({ state: 'connected', reachable: true })).toMatchObject({
      text: 'Connected',
      tone: 'ok',
    });
    expect(instrumentBadge({ state: 'reconnecting', reachable: true, stale: true }).text).toBe(
      'Reconnecting…',
    );
    expect(instrumentBadge({ state: 'not_responding', reachable: true }).tone).toBe('bad');
    expect(instrumentBadge({ state: 'something_new', reachable: true }).text).toBe('something_new');
  });
});

describe('controls', () => {
  it('are disabled, with the reason, while the server is unreachable or the instrument not connected', () => {
    expect(controlsBlocked({ state: 'connected', reachable: false })).toBe(
      'Server unreachable — controls disabled',
    );
    expect(controlsBlocked({ state: 'not_responding', reachable: true })).toBe(
      'Controls are paused while the instrument is not responding',
    );
    expect(controlsBlocked({ state: 'error', reachable: true })).toBe(
      'Controls are paused while the instrument is in error',
    );
    expect(controlsBlocked({ state: 'connected', reachable: true })).toBeNull();
  });
});

describe('readings', () => {
  it('are greyed when stale, when the instrument is not connected, or when the server is unreachable', () => {
    expect(readingsStale({ reachable: true, online: true, stale: false })).toBe(false);
    expect(readingsStale({ reachable: true, online: true, stale: true })).toBe(true);
    expect(readingsStale({ reachable: true, online: false, stale: false })).toBe(true);
    expect(readingsStale({ reachable: false, online: true, stale: false })).toBe(true);
  });

  it('say their age in words', () => {
    expect(ageText(400)).toBe('0.4 s old');
    expect(ageText(12_300)).toBe('12 s old');
    expect(ageText(185_000)).toBe('3 min old');
    expect(ageText(3 * 3600_000)).toBe('3 h old');
    expect(ageText(Number.POSITIVE_INFINITY)).toBe('age unknown');
    expect(ageText(-5)).toBe('0.0 s old');
    expect(durationText(8_900)).toBe('8 s');
    expect(durationText(600_000)).toBe('10 min');
  });
});

describe('counts', () => {
  it('say "1 instrument" and "4 instruments"', () => {
    expect(plural(1, 'instrument')).toBe('1 instrument');
    expect(plural(4, 'instrument')).toBe('4 instruments');
    expect(plural(0, 'instrument')).toBe('0 instruments');
  });
});

describe('emergency stop', () => {
  it('is sent again when no server answered or one could not pass it on, not when a server refused it', () => {
    expect(estopShouldRetry({ status: 0 })).toBe(true);
    expect(estopShouldRetry({ status: 502 })).toBe(true);
    expect(estopShouldRetry({ status: 503 })).toBe(true);
    expect(estopShouldRetry(new TypeError('Failed to fetch'))).toBe(true);
    expect(estopShouldRetry({ status: 400 })).toBe(false);
    expect(estopShouldRetry({ status: 423 })).toBe(false);
  });
});
