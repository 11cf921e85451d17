// Unit tests of the readings pipeline on a virtual clock (no wall-clock time is asserted): fixed-rate scheduling,
// one poller per key at the fastest rate claimed, each claim at its own rate, claims that wait for their
// instrument, and the end of the claims that ask for it.

import { ERROR_CODES, type ProtocolError } from '@lablink/protocol';
import { describe, expect, it } from 'vitest';
import { Bus, type Published } from '../src/bus.js';
import type { EquipmentView } from '../src/equipment/types.js';
import {
  CATCH_UP_MS,
  type ClaimRequest,
  type Clock,
  type Freshness,
  nextTick,
  type ReadingSource,
  ReadingsPipeline,
} from '../src/readings/pipeline.js';

/** A virtual clock: timers fire in deadline order as time is advanced, with async work settled in between. */
class VirtualClock implements Clock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = () => this.time;
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  get pending(): number {
    return this.timers.length;
  }
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

type View = Pick<EquipmentView, 'state' | 'stream_types' | 'model'>;

function bench(clock: VirtualClock, readMs = 0) {
  const views = new Map<string, View>([
    ['psu', { state: 'connected', stream_types: ['readings'], model: null }],
    ['scope', { state: 'connected', stream_types: ['measurements', 'waveform'], model: null }],
  ]);
  const readStarts: number[] = [];
  let failing = false;
  const read = (id: string) => {
    readStarts.push(clock.now());
    return new Promise<unknown>((resolve, reject) => {
      const done = () =>
        failing ? reject(new Error('timeout')) : resolve({ equipment_id: id, v: clock.now() });
      if (readMs === 0) done();
      else clock.setTimer(done, readMs);
    });
  };
  const source: ReadingSource = {
    find: (id) => views.get(id),
    readings: read,
    measurements: read,
    waveform: read,
  };
  const bus = new Bus();
  const published: Published[] = [];
  bus.subscribe('*', (m) => published.push(m));
  const pipeline = new ReadingsPipeline({ bus, equipment: source, clock });
  return {
    views,
    readStarts,
    bus,
    published,
    pipeline,
    claim: (request: Omit<ClaimRequest, 'consumer'> & { consumer?: string }) =>
      pipeline.claim({ consumer: 'test', ...request }),
    fail(on: boolean) {
      failing = on;
    },
  };
}

const psu = { equipment_id: 'psu', kind: 'readings', channel: 1 } as const;

describe('nextTick (fixed-rate schedule)', () => {
  it('counts deadlines from the anchor, not from the end of the last read', () => {
    expect(nextTick(0, 100, -1, 0)).toEqual({ tick: 0, deadline: 0, skipped: 0 });
    expect(nextTick(0, 100, 0, 30)).toEqual({ tick: 1, deadline: 100, skipped: 0 });
    expect(nextTick(0, 100, 1, 200)).toEqual({ tick: 2, deadline: 200, skipped: 0 });
    expect(nextTick(1000, 100, 4, 1401)).toEqual({ tick: 5, deadline: 1500, skipped: 0 });
  });

  it('runs a deadline passed a moment ago at once', () => {
    expect(nextTick(0, 100, -1, 0.01)).toEqual({ tick: 0, deadline: 0, skipped: 0 });
    expect(nextTick(0, 100, 2, 300.5)).toEqual({ tick: 3, deadline: 300, skipped: 0 });
  });

  it('catches up deadlines passed during a short stall, one at a time', () => {
    expect(nextTick(0, 100, 0, 250)).toEqual({ tick: 1, deadline: 100, skipped: 0 });
    expect(nextTick(0, 20, 3, 400)).toEqual({ tick: 4, deadline: 80, skipped: 0 });
    expect(nextTick(0, 100, 0, 100 + CATCH_UP_MS)).toEqual({ tick: 1, deadline: 100, skipped: 0 });
  });

  it('after a long stall runs only the latest of the missed deadlines, and counts the others', () => {
    expect(nextTick(0, 100, 0, 101 + CATCH_UP_MS)).toEqual({ tick: 6, deadline: 600, skipped: 5 });
    expect(nextTick(0, 100, 0, 3000)).toEqual({ tick: 30, deadline: 3000, skipped: 29 });
  });
});

describe('ReadingsPipeline', () => {
  it('reads at a fixed rate without drift when reads take time', async () => {
    const clock = new VirtualClock();
    const b = bench(clock, 30);
    b.claim({ ...psu, interval_ms: 100 });
    await clock.advance(1000);
    // Sleep-after-read would start at 0, 130, 260 …; a fixed rate starts every 100.
    expect(b.readStarts).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(b.published.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.published.every((m) => m.topic === 'stream:psu:readings:1' && m.type === 'stream_data')).toBe(
      true,
    );
  });

  it('puts every poller of one period on the same grid: instruments claimed at different times are read together', async () => {
    const clock = new VirtualClock();
    const b = bench(clock, 5);
    b.claim({ ...psu, interval_ms: 100 });
    await clock.advance(130);
    b.claim({ equipment_id: 'scope', kind: 'measurements', channel: 1, interval_ms: 100 });
    await clock.advance(300);
    // The scope's poller starts at the next point of the supply's grid (200, not 130), and reads with it after.
    expect(b.readStarts).toEqual([0, 100, 200, 200, 300, 300, 400, 400]);
    const scope = b.published.filter((m) => m.topic === 'stream:scope:measurements:1');
    expect(scope.map((m) => m.seq)).toEqual([1, 2, 3]);
    // A slow period starts at once: its first reading does not wait for a grid point up to a day away.
    const claimedAt = clock.now();
    b.claim({ equipment_id: 'scope', kind: 'waveform', channel: 1, interval_ms: 86_400_000 });
    await clock.advance(10);
    expect(b.readStarts.at(-1)).toBe(claimedAt);
  });

  it('reads back to back while a read overruns the period, then skips the deadlines it cannot catch up', async () => {
    const clock = new VirtualClock();
    const b = bench(clock, 250);
    b.claim({ ...psu, interval_ms: 100 });
    await clock.advance(1100);
    // Each read ends past the next deadlines: ticks 1-3 are caught up at once, in turn; at 1000 the poller is more
    // than CATCH_UP_MS behind tick 4, so it goes on from tick 10 and counts 4-9 as skipped.
    expect(b.readStarts).toEqual([0, 250, 500, 750, 1000]);
    expect(b.pipeline.list()[0]).toMatchObject({ reads: 4, skipped: 6, errors: 0 });
  });

  it('runs one poller per stream at the fastest interval asked, and stops with its last share', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const slow = b.claim({ ...psu, interval_ms: 500 });
    const fast = b.claim({ ...psu, interval_ms: 100 });
    expect(slow.shared).toBe(false);
    expect(fast.shared).toBe(true);
    expect(b.pipeline.list()).toHaveLength(1);
    expect(fast.effectiveInterval()).toBe(100);
    await clock.advance(1000);
    expect(b.readStarts.length).toBeGreaterThanOrEqual(10);

    fast.release();
    fast.release(); // idempotent: must not release the other share
    expect(b.pipeline.list()[0]).toMatchObject({ interval_ms: 500, subscribers: 1 });
    b.readStarts.length = 0;
    await clock.advance(1000);
    expect(b.readStarts).toHaveLength(2);

    slow.release();
    expect(b.pipeline.list()).toEqual([]);
    expect(clock.pending).toBe(0);
    b.readStarts.length = 0;
    await clock.advance(1000);
    expect(b.readStarts).toEqual([]);
  });

  it('refuses unknown equipment, unsupported streams and channels it lacks; a claim on a disconnected instrument waits', () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as ProtocolError).code;
      }
      return 'accepted';
    };
    expect(code(() => b.claim({ ...psu, equipment_id: 'nope', interval_ms: 100 }))).toBe(
      ERROR_CODES.unknownEquipment,
    );
    expect(code(() => b.claim({ ...psu, equipment_id: 'scope', interval_ms: 100 }))).toBe(
      ERROR_CODES.unsupportedStream,
    );
    b.views.set('psu', {
      state: 'connected',
      stream_types: ['readings'],
      model: { channels: 3 } as View['model'],
    });
    expect(code(() => b.claim({ ...psu, channel: 4, interval_ms: 100 }))).toBe(ERROR_CODES.invalidField);
    expect(b.pipeline.list()).toEqual([]);
    b.views.set('psu', { state: 'reconnecting', stream_types: ['readings'], model: null });
    const waiting = b.claim({ ...psu, interval_ms: 100 });
    expect(waiting.freshness()).toBe('waiting');
    expect(waiting.reason()).toBe('equipment "psu" is reconnecting');
  });

  it('counts failed reads and publishes nothing for them', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    b.claim({ ...psu, interval_ms: 100 });
    b.fail(true);
    await clock.advance(450);
    expect(b.published).toEqual([]);
    expect(b.pipeline.list()[0]).toMatchObject({ errors: 5, reads: 0, last_error: 'timeout' });
    b.fail(false);
    await clock.advance(100);
    expect(b.published).toHaveLength(1);
  });

  it('pauses reads while the instrument reconnects', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    b.claim({ ...psu, interval_ms: 100 });
    await clock.advance(50);
    b.views.set('psu', { state: 'reconnecting', stream_types: ['readings'], model: null });
    await clock.advance(300);
    expect(b.readStarts).toEqual([0]);
    expect(b.pipeline.list()[0]).toMatchObject({ not_connected: 3 });
  });

  it('ends the streams of a disconnected instrument with a reason, once', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const ends: string[] = [];
    b.claim({ ...psu, interval_ms: 100, onEnd: (r) => ends.push(`a:${r}`) });
    const h = b.claim({ ...psu, interval_ms: 200, onEnd: (r) => ends.push(`b:${r}`) });
    b.claim({ equipment_id: 'scope', kind: 'waveform', channel: 1, interval_ms: 100 });
    await clock.advance(150);
    b.bus.publishEvent('equipment_disconnected', { equipment_id: 'psu', reason: 'disconnected by user' });
    expect(ends).toEqual(['a:equipment_disconnected', 'b:equipment_disconnected']);
    expect(b.pipeline.list().map((p) => p.equipment_id)).toEqual(['scope']);
    h.release(); // a late release of an ended stream is harmless
    b.claim({ ...psu, interval_ms: 100 }); // and the stream can start again
    expect(b.pipeline.list()).toHaveLength(2);
  });

  it('ends a stream whose instrument was removed, at its next tick', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const ends: string[] = [];
    b.claim({ ...psu, interval_ms: 100, onEnd: (r) => ends.push(r) });
    await clock.advance(50);
    b.views.delete('psu');
    await clock.advance(100);
    expect(ends).toEqual(['equipment_disconnected']);
    expect(b.pipeline.list()).toEqual([]);
    expect(clock.pending).toBe(0);
  });
  it('gives each claim its own rate from one poller: 10 Hz and 2 Hz share the 10 Hz reads', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const fast: number[] = [];
    const slow: number[] = [];
    b.claim({ ...psu, interval_ms: 100, onReading: (m) => fast.push(m.seq) });
    b.claim({ ...psu, interval_ms: 500, onReading: (m) => slow.push(m.seq) });
    await clock.advance(1950);
    expect(b.pipeline.list()).toHaveLength(1);
    expect(b.readStarts).toHaveLength(20); // the instrument is read at 10 Hz, not 12
    expect(fast).toHaveLength(20);
    expect(slow).toEqual([1, 6, 11, 16]);
  });

  it('keeps an internal claim at its rate while stream claims come and go', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const times: number[] = [];
    b.claim({ ...psu, interval_ms: 200, consumer: 'alarms', onReading: () => times.push(clock.now()) });
    await clock.advance(1000);
    const ws = b.claim({ ...psu, interval_ms: 20, consumer: 'ws#1', onEnd: () => {} });
    await clock.advance(1000);
    ws.release();
    await clock.advance(1000);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(times.length).toBeGreaterThanOrEqual(14);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(220);
    expect(b.pipeline.list()[0]).toMatchObject({ interval_ms: 200, consumers: ['alarms'] });
  });

  it('a claim waits through an absence and resumes by itself, told when its data is not fresh', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    b.views.set('psu', { state: 'connecting', stream_types: ['readings'], model: null });
    const changes: [Freshness, string][] = [];
    let readings = 0;
    const claim = b.claim({
      ...psu,
      interval_ms: 100,
      onReading: () => readings++,
      onFreshness: (f, why) => changes.push([f, why]),
    });
    await clock.advance(500);
    expect(readings).toBe(0);
    b.views.set('psu', { state: 'connected', stream_types: ['readings'], model: null });
    await clock.advance(500);
    expect(readings).toBe(5);
    expect(claim.freshness()).toBe('live');
    // Dropped, then gone from the list (a user disconnected it): the claim without onEnd keeps waiting.
    b.views.set('psu', { state: 'reconnecting', stream_types: ['readings'], model: null });
    await clock.advance(300);
    b.views.delete('psu');
    b.bus.publishEvent('equipment_disconnected', { equipment_id: 'psu', reason: 'disconnected by user' });
    await clock.advance(300);
    expect(claim.freshness()).toBe('waiting');
    b.views.set('psu', { state: 'connected', stream_types: ['readings'], model: null });
    await clock.advance(300);
    expect(readings).toBe(8);
    expect(changes.map(([f]) => f)).toEqual(['live', 'waiting', 'live']);
    expect(changes[1]?.[1]).toBe('equipment "psu" is reconnecting');
  });

  it('calls data stale when reads keep failing on a connected instrument', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const changes: Freshness[] = [];
    b.claim({ ...psu, interval_ms: 100, onFreshness: (f) => changes.push(f) });
    await clock.advance(50);
    b.fail(true);
    await clock.advance(200);
    expect(changes).toEqual([]); // two failed reads are not yet three periods
    await clock.advance(200);
    expect(changes).toEqual(['stale']);
    b.fail(false);
    await clock.advance(100);
    expect(changes).toEqual(['stale', 'live']);
  });
  it('refuses a period no timer can keep (a rate of 1e-20 Hz would poll at once, in a loop)', () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    for (const interval_ms of [1e23, 2 ** 31, 0.5, Number.NaN]) {
      let code: unknown;
      try {
        b.claim({ ...psu, interval_ms });
      } catch (err) {
        code = (err as { code?: string }).code;
      }
      expect(code, String(interval_ms)).toBe('invalid_field');
    }
    expect(b.pipeline.list()).toEqual([]);
  });
});
