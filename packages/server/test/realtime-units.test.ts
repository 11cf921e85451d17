// Unit tests of the per-client writer's queue, which needs no network (the readings pipeline's scheduling is in
// readings-pipeline.test.ts).

import type { Writable } from 'node:stream';
import { CLOSE_CODES } from '@lablink/protocol';
import { describe, expect, it, vi } from 'vitest';
import * as ws from 'ws';
import { FrameCache, wsFrame } from '../src/realtime/frames.js';
import type { WireSocket } from '../src/realtime/socket.js';
import { type Frame, TurnCork, Writer } from '../src/realtime/writer.js';

/** A socket whose kernel buffer the test fills and drains by hand. */
class FakeSocket implements WireSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: (string | Uint8Array)[] = [];
  callbacks: ((err?: Error) => void)[] = [];
  closed: { code?: number; reason?: string } | null = null;
  send(data: string | Uint8Array, options: { binary: boolean }, cb?: (err?: Error) => void) {
    // What the client reads: text frames as text, whether the writer had them as a string or as UTF-8 bytes.
    this.sent.push(options.binary || typeof data === 'string' ? data : Buffer.from(data).toString());
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
    socket.send = (data, options, cb) => {
      send(data, options, cb);
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

/** ws's own frame parser (the one its clients read with), which ws exports at run time without a type. */
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => Writable };

/**
 * A WebSocket and the TCP socket under it, as one wire: what ws sends (replies) and what the writer writes to the
 * TCP socket itself (shared, pre-framed messages) land in one byte stream, decoded here as a client would.
 */
class FakeWire {
  readonly ws = new FakeSocket();
  corked = 0;
  /** Bytes written to the TCP socket while corked, not yet "sent". */
  private held: Buffer[] = [];
  /** Each system call's worth of bytes (one per uncork, one per write while not corked). */
  readonly writes: Buffer[] = [];
  readonly tcp = {
    cork: () => {
      this.corked += 1;
    },
    uncork: () => {
      this.corked -= 1;
      if (this.corked === 0 && this.held.length > 0) this.writes.push(Buffer.concat(this.held.splice(0)));
    },
    write: (data: Uint8Array, callback: (err?: Error | null) => void) => {
      this.put(Buffer.from(data));
      this.ws.bufferedAmount += data.length;
      this.ws.callbacks.push((err) => callback(err));
      return true;
    },
  };

  constructor() {
    // ws frames what it sends (unmasked, as a server does) and writes it to the same TCP socket.
    this.ws.send = (data, options, cb) => {
      const payload = typeof data === 'string' ? Buffer.from(data) : data;
      this.tcp.write(wsFrame(payload, options.binary), (err) => cb?.(err ?? undefined));
    };
  }

  private put(bytes: Buffer): void {
    if (this.corked > 0) this.held.push(bytes);
    else this.writes.push(bytes);
  }

  /** The messages in the byte stream so far, in order, as the client's WebSocket library reads them. */
  messages(): Promise<string[]> {
    const receiver = new Receiver({ isServer: false });
    const out: string[] = [];
    receiver.on('message', (data: Buffer, isBinary: boolean) =>
      out.push(isBinary ? `binary:${data.toString('hex')}` : data.toString()),
    );
    return new Promise((resolve, reject) => {
      receiver.on('error', reject);
      receiver.write(Buffer.concat(this.writes), () => resolve(out));
    });
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Shared frames and one write per client per turn', () => {
  const limits = { highWaterBytes: 100_000, maxQueuedEvents: 3 };

  it('frames a message as ws would, whatever its length', async () => {
    for (const length of [0, 125, 126, 65_535, 65_536, 200_000]) {
      const text = 'x'.repeat(length);
      const wire = new FakeWire();
      wire.writes.push(wsFrame(Buffer.from(text), false), wsFrame(Buffer.from([1, 2, 255]), true));
      expect(await wire.messages()).toEqual([text, 'binary:0102ff']);
    }
  });

  it('gives every client the same encoded bytes of a reading, each with the reading’s own seq', async () => {
    const published = {
      topic: 'stream:psu:readings:1',
      type: 'stream_data' as const,
      seq: 41,
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { voltage: 5 },
    };
    const sub = { kind: 'stream', equipment_id: 'psu', stream_type: 'readings', channel: 1 } as const;
    const frames = new FrameCache(published, { ...sub, binary: false });
    const turns = new TurnCork();
    const wires = [new FakeWire(), new FakeWire(), new FakeWire()];
    for (const [i, wire] of wires.entries()) {
      const writer = new Writer(wire.ws, limits, { tcp: wire.tcp, turns });
      // The third client asked for a slower rate: its frame says what it skipped, the others share theirs.
      writer.push(frames.for({ ...sub, binary: false }, i === 2 ? 39 : undefined));
    }
    expect(frames.for({ ...sub, binary: false })).toBe(frames.for({ ...sub, binary: true })); // no arrays
    await nextTurn();
    const got = await Promise.all(wires.map(async (w) => JSON.parse((await w.messages())[0] as string)));
    expect(got.map((m) => [m.seq, m.prev_seq, m.topic, m.data.voltage])).toEqual([
      [41, undefined, published.topic, 5],
      [41, undefined, published.topic, 5],
      [41, 39, published.topic, 5],
    ]);
  });

  it('holds a turn’s frames, replies and events in order, and writes them in one go at the end of the turn', async () => {
    const wire = new FakeWire();
    const turns = new TurnCork();
    const writer = new Writer(wire.ws, limits, { tcp: wire.tcp, turns });
    const frame = (text: string, topic?: string, coalesce?: boolean): Frame => ({
      data: text,
      wire: wsFrame(Buffer.from(text), false),
      topic,
      coalesce,
    });
    writer.push(frame('r1', 'a', true));
    writer.push({ data: 'reply' }); // through ws.send, not pre-framed
    writer.push(frame('r2', 'b', true));
    writer.push(frame('event', 'alarms'));
    expect(wire.writes).toEqual([]);
    await nextTurn();
    expect(wire.writes).toHaveLength(1);
    expect(await wire.messages()).toEqual(['r1', 'reply', 'r2', 'event']);
    writer.push(frame('r3', 'a', true));
    await nextTurn();
    expect(wire.writes).toHaveLength(2);
    expect(wire.corked).toBe(0);
  });

  it('still coalesces a slow client’s shared frames to the latest reading, and keeps its events in order', async () => {
    const wire = new FakeWire();
    const turns = new TurnCork();
    const writer = new Writer(wire.ws, { highWaterBytes: 10, maxQueuedEvents: 3 }, { tcp: wire.tcp, turns });
    const frame = (text: string, topic: string, coalesce?: boolean): Frame => ({
      data: text,
      wire: wsFrame(Buffer.from(text), false),
      topic,
      coalesce,
    });
    writer.push(frame('first-reading-fills-the-buffer', 'a', true));
    for (let n = 1; n <= 20; n++) {
      writer.push(frame(`a${n}`, 'a', true));
      writer.push(frame(`b${n}`, 'b', true));
      if (n === 10) writer.push(frame('event', 'alarms'));
    }
    expect(writer.queued).toBe(3); // a, b, the event; each topic's reading replaced by its newest
    for (let turn = 0; turn < 10 && writer.queued > 0; turn++) {
      await nextTurn();
      wire.ws.drain(); // the client reads: the socket's callbacks resume the writer
    }
    await nextTurn();
    expect(await wire.messages()).toEqual(['first-reading-fills-the-buffer', 'a20', 'b20', 'event']);
  });
});
