// Unit tests of the per-client writer's queue, which needs no network (the readings pipeline's scheduling is in
// readings-pipeline.test.ts).

import { CLOSE_CODES } from '@lablink/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { WireSocket } from '../src/realtime/socket.js';
import { Writer } from '../src/realtime/writer.js';

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
