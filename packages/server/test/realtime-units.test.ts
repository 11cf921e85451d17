// Unit tests of the real-time parts that need no network: fixed-rate scheduling and reference counting of
// pollers (on a virtual clock, so no wall-clock time is asserted), and the per-client writer's queue.

import { CLOSE_CODES, ERROR_CODES, type ProtocolError } from '@lablink/protocol';
import { describe, expect, it, vi } from 'vitest';
import { Bus, type Published } from '../src/bus.js';
import type { EquipmentView } from '../src/equipment/types.js';
import { type Clock, nextTick, PollerRegistry, type StreamSource } from '../src/realtime/poller.js';
import type { WireSocket } from '../src/realtime/socket.js';
import { Writer } from '../src/realtime/writer.js';

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
  const source: StreamSource = {
    find: (id) => views.get(id),
    readings: read,
    measurements: read,
    waveform: read,
  };
  const bus = new Bus();
  const published: Published[] = [];
  bus.subscribe('*', (m) => published.push(m));
  const registry = new PollerRegistry({ bus, equipment: source, clock });
  return {
    views,
    readStarts,
    bus,
    published,
    registry,
    fail(on: boolean) {
      failing = on;
    },
  };
}

const psu = { equipment_id: 'psu', stream_type: 'readings', channel: 1 } as const;

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

  it('runs only the latest of several missed deadlines, and counts the others', () => {
    expect(nextTick(0, 100, 0, 250)).toEqual({ tick: 2, deadline: 200, skipped: 1 });
    expect(nextTick(0, 100, 0, 1000)).toEqual({ tick: 10, deadline: 1000, skipped: 9 });
  });
});

describe('PollerRegistry', () => {
  it('reads at a fixed rate without drift when reads take time', async () => {
    const clock = new VirtualClock();
    const b = bench(clock, 30);
    b.registry.acquire({ ...psu, interval_ms: 100 });
    await clock.advance(1000);
    // Sleep-after-read would start at 0, 130, 260 …; a fixed rate starts every 100.
    expect(b.readStarts).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(b.published.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.published.every((m) => m.topic === 'stream:psu:readings:1' && m.type === 'stream_data')).toBe(
      true,
    );
  });

  it('skips ticks when a read overruns the period, and counts them', async () => {
    const clock = new VirtualClock();
    const b = bench(clock, 250);
    b.registry.acquire({ ...psu, interval_ms: 100 });
    await clock.advance(1100);
    // Each read ends past two deadlines: the next read starts at once for the latest, never twice in a row.
    expect(b.readStarts).toEqual([0, 250, 500, 750, 1000]);
    expect(b.registry.list()[0]).toMatchObject({ reads: 4, skipped: 6, errors: 0 });
  });

  it('runs one poller per stream at the fastest interval asked, and stops with its last share', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const slow = b.registry.acquire({ ...psu, interval_ms: 500 });
    const fast = b.registry.acquire({ ...psu, interval_ms: 100 });
    expect(slow.shared).toBe(false);
    expect(fast.shared).toBe(true);
    expect(b.registry.list()).toHaveLength(1);
    expect(fast.effectiveInterval()).toBe(100);
    await clock.advance(1000);
    expect(b.readStarts.length).toBeGreaterThanOrEqual(10);

    fast.release();
    fast.release(); // idempotent: must not release the other share
    expect(b.registry.list()[0]).toMatchObject({ interval_ms: 500, subscribers: 1 });
    b.readStarts.length = 0;
    await clock.advance(1000);
    expect(b.readStarts).toHaveLength(2);

    slow.release();
    expect(b.registry.list()).toEqual([]);
    expect(clock.pending).toBe(0);
    b.readStarts.length = 0;
    await clock.advance(1000);
    expect(b.readStarts).toEqual([]);
  });

  it('refuses unknown equipment, unsupported streams, channels it lacks and disconnected instruments', () => {
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
    expect(code(() => b.registry.acquire({ ...psu, equipment_id: 'nope', interval_ms: 100 }))).toBe(
      ERROR_CODES.unknownEquipment,
    );
    expect(code(() => b.registry.acquire({ ...psu, equipment_id: 'scope', interval_ms: 100 }))).toBe(
      ERROR_CODES.unsupportedStream,
    );
    b.views.set('psu', {
      state: 'connected',
      stream_types: ['readings'],
      model: { channels: 3 } as View['model'],
    });
    expect(code(() => b.registry.acquire({ ...psu, channel: 4, interval_ms: 100 }))).toBe(
      ERROR_CODES.invalidField,
    );
    b.views.set('psu', { state: 'reconnecting', stream_types: ['readings'], model: null });
    expect(code(() => b.registry.acquire({ ...psu, interval_ms: 100 }))).toBe(ERROR_CODES.notConnected);
    expect(b.registry.list()).toEqual([]);
  });

  it('counts failed reads and publishes nothing for them', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    b.registry.acquire({ ...psu, interval_ms: 100 });
    b.fail(true);
    await clock.advance(450);
    expect(b.published).toEqual([]);
    expect(b.registry.list()[0]).toMatchObject({ errors: 5, reads: 0, last_error: 'timeout' });
    b.fail(false);
    await clock.advance(100);
    expect(b.published).toHaveLength(1);
  });

  it('pauses reads while the instrument reconnects', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    b.registry.acquire({ ...psu, interval_ms: 100 });
    await clock.advance(50);
    b.views.set('psu', { state: 'reconnecting', stream_types: ['readings'], model: null });
    await clock.advance(300);
    expect(b.readStarts).toEqual([0]);
    expect(b.registry.list()[0]).toMatchObject({ not_connected: 3 });
  });

  it('ends the streams of a disconnected instrument with a reason, once', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const ends: string[] = [];
    b.registry.acquire({ ...psu, interval_ms: 100, onEnd: (r) => ends.push(`a:${r}`) });
    const h = b.registry.acquire({ ...psu, interval_ms: 200, onEnd: (r) => ends.push(`b:${r}`) });
    b.registry.acquire({ equipment_id: 'scope', stream_type: 'waveform', channel: 1, interval_ms: 100 });
    await clock.advance(150);
    b.bus.publish('equipment', 'equipment_disconnected', { equipment_id: 'psu' });
    expect(ends).toEqual(['a:equipment_disconnected', 'b:equipment_disconnected']);
    expect(b.registry.list().map((p) => p.equipment_id)).toEqual(['scope']);
    h.release(); // a late release of an ended stream is harmless
    b.registry.acquire({ ...psu, interval_ms: 100 }); // and the stream can start again
    expect(b.registry.list()).toHaveLength(2);
  });

  it('ends a stream whose instrument was removed, at its next tick', async () => {
    const clock = new VirtualClock();
    const b = bench(clock);
    const ends: string[] = [];
    b.registry.acquire({ ...psu, interval_ms: 100, onEnd: (r) => ends.push(r) });
    await clock.advance(50);
    b.views.delete('psu');
    await clock.advance(100);
    expect(ends).toEqual(['equipment_disconnected']);
    expect(b.registry.list()).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

/** A socket whose kernel buffer the test fills and drains by hand. */
class FakeSocket implements WireSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: (string | Uint8Array)[] = [];
  callbacks: ((err?: Error) => void)[] = [];
  closed: { code?: number; reason?: string } | null = null;
  send(data: string | Uint8Array, cb?: (err?: Error) => void) {
    this.sent.push(data);
    if (cb) this.callbacks.push(cb);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  terminate() {
    this.readyState = 3;
  }
  ping() {}
  on() {
    return this;
  }
  /** The client stops reading: the frame in flight stays unwritten and the buffer is over any high-water mark. */
  stall(writer: Writer) {
    writer.push({ data: 'in-flight' });
    this.bufferedAmount = 5000;
    this.sent.length = 0;
  }
  /** The kernel took everything: buffers are empty and every pending send completes. */
  drain() {
    this.bufferedAmount = 0;
    const cbs = this.callbacks.splice(0);
    for (const cb of cbs) cb();
  }
}

describe('Writer', () => {
  const limits = { highWaterBytes: 1000, maxQueuedEvents: 3 };

  it('sends at once while the socket keeps up', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    writer.push({ data: 'a', topic: 't', coalesce: true });
    writer.push({ data: 'b', topic: 't', coalesce: true });
    writer.push({ data: 'e' });
    expect(socket.sent).toEqual(['a', 'b', 'e']);
    expect(writer.queued).toBe(0);
  });

  it('coalesces a slow client’s stream data into the latest reading, per topic, and keeps events', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    socket.stall(writer);
    for (let i = 1; i <= 100; i++) {
      writer.push({ data: `x${i}`, topic: 'x', coalesce: true });
      writer.push({ data: `y${i}`, topic: 'y', coalesce: true });
    }
    writer.push({ data: 'event1', topic: 'equipment' });
    expect(writer.queued).toBe(3);
    expect(writer.stats.coalesced).toBe(198);
    socket.drain();
    expect(socket.sent).toEqual(['x100', 'y100', 'event1']);
  });

  it('never lets later data jump ahead of an event of the same topic', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    socket.stall(writer);
    writer.push({ data: 'd1', topic: 's', coalesce: true });
    writer.push({ data: 'stopped', topic: 's' });
    writer.push({ data: 'd2', topic: 's', coalesce: true });
    writer.push({ data: 'd3', topic: 's', coalesce: true });
    socket.drain();
    expect(socket.sent).toEqual(['d1', 'stopped', 'd3']);
  });

  it('does not change a frame shared with other clients when it coalesces', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    socket.stall(writer);
    const first = { data: 'first', topic: 's', coalesce: true };
    writer.push(first);
    writer.push({ data: 'second', topic: 's', coalesce: true });
    expect(first.data).toBe('first');
  });

  it('closes with 4008 when a slow client’s events overflow, never dropping one silently', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    socket.stall(writer);
    for (let i = 0; i < 3; i++) writer.push({ data: `e${i}`, topic: 'alarms' });
    expect(socket.closed).toBeNull();
    writer.push({ data: 'e3', topic: 'alarms' });
    expect(socket.closed).toEqual({ code: CLOSE_CODES.cannotKeepUp, reason: 'cannot keep up, resync' });
    expect(writer.queued).toBe(0); // memory is given back at once
    writer.push({ data: 'later' });
    socket.drain();
    expect(socket.sent).toEqual([]);
  });

  it('stops feeding the socket at the high-water mark and resumes from send callbacks', () => {
    const socket = new FakeSocket();
    const writer = new Writer(socket, limits);
    const send = socket.send.bind(socket);
    socket.send = (data, cb) => {
      send(data, cb);
      socket.bufferedAmount += data.length;
    };
    const big = 'z'.repeat(600);
    for (let i = 0; i < 3; i++) writer.push({ data: `${big}${i}` });
    expect(socket.sent).toHaveLength(2); // 0 → 601 → 1202: over 1000 after the second
    expect(writer.queued).toBe(1);
    socket.drain();
    expect(socket.sent).toHaveLength(3);
  });
});

describe('Writer with batching', () => {
  const limits = { highWaterBytes: 1000, maxQueuedEvents: 3 };
  const data = (topic: string, n: number) => ({ data: `{"t":"${topic}","n":${n}}`, topic, coalesce: true });

  it('gathers stream data for batch_ms and sends it as one batch frame, keeping every message', () => {
    vi.useFakeTimers();
    try {
      const socket = new FakeSocket();
      const writer = new Writer(socket, limits);
      writer.setBatch(100);
      for (let n = 1; n <= 3; n++) {
        writer.push(data('x', n));
        writer.push(data('y', n));
      }
      expect(socket.sent).toEqual([]);
      vi.advanceTimersByTime(100);
      expect(socket.sent).toHaveLength(1);
      const batch = JSON.parse(socket.sent[0] as string);
      expect(batch.type).toBe('batch');
      expect(batch.messages.map((m: { t: string; n: number }) => `${m.t}${m.n}`)).toEqual([
        'x1',
        'y1',
        'x2',
        'y2',
        'x3',
        'y3',
      ]);
      expect(writer.stats).toMatchObject({ sent: 1, coalesced: 0, batched: 6 });
      vi.advanceTimersByTime(1000);
      expect(socket.sent).toHaveLength(1); // no empty batches
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends the pending batch before an event or reply, and binary frames on their own', () => {
    vi.useFakeTimers();
    try {
      const socket = new FakeSocket();
      const writer = new Writer(socket, limits);
      writer.setBatch(100);
      writer.push(data('x', 1));
      writer.push({ data: 'event', topic: 'alarms' });
      writer.push(data('x', 2));
      writer.push({ data: new Uint8Array([1, 2]), topic: 'w', coalesce: true });
      writer.push(data('x', 3));
      vi.advanceTimersByTime(100);
      expect(socket.sent).toEqual([
        '{"type":"batch","messages":[{"t":"x","n":1}]}',
        'event',
        '{"type":"batch","messages":[{"t":"x","n":2}]}',
        new Uint8Array([1, 2]),
        '{"type":"batch","messages":[{"t":"x","n":3}]}',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds the batch while the client is backed up, keeping only the newest message per topic', () => {
    vi.useFakeTimers();
    try {
      const socket = new FakeSocket();
      const writer = new Writer(socket, limits);
      writer.setBatch(100);
      socket.stall(writer);
      for (let n = 1; n <= 50; n++) {
        writer.push(data('x', n));
        writer.push(data('y', n));
      }
      vi.advanceTimersByTime(500);
      expect(socket.sent).toEqual([]);
      expect(writer.stats.coalesced).toBe(98);
      socket.drain();
      vi.advanceTimersByTime(100);
      expect(socket.sent).toEqual(['{"type":"batch","messages":[{"t":"x","n":50},{"t":"y","n":50}]}']);
      writer.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
