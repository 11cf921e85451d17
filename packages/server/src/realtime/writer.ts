// One writer per client (the pvws pattern), behind a bounded queue. The fan-out hands it frames and returns at
// once; the writer feeds the socket only while the socket's own buffer is below a high-water mark, and resumes
// from send callbacks. While a client is slow, stream data of a topic is coalesced (a queued frame takes the
// newest reading, so the client gets the latest value, never a backlog) and events queue up to a limit; past
// it the client is closed with 4008 and resyncs. Events are never dropped silently. Memory per client is
// bounded by highWaterBytes + one frame per stream topic + maxQueuedEvents frames.

import { CLOSE_CODES } from '@lablink/protocol';
import { OPEN, type WireSocket } from './socket.js';

export interface Frame {
  data: string | Uint8Array;
  /** The topic the frame belongs to, if any. */
  topic?: string;
  /** Stream data: a newer frame of the same topic replaces this one while it is still queued. */
  coalesce?: boolean;
}

export interface WriterLimits {
  highWaterBytes: number;
  maxQueuedEvents: number;
}

export class Writer {
  private readonly queue: Frame[] = [];
  /** The queued, not yet sent stream frame of each topic. */
  private readonly pending = new Map<string, Frame>();
  private events = 0;
  private closed = false;
  readonly stats = { sent: 0, coalesced: 0, bytes: 0 };

  constructor(
    private readonly socket: WireSocket,
    private readonly limits: WriterLimits,
  ) {}

  /** Queues a frame (the writer keeps its own copy: frames are shared by every client of a message). */
  push(shared: Frame): void {
    if (this.closed) return;
    const frame = { ...shared };
    const queued = frame.coalesce && frame.topic ? this.pending.get(frame.topic) : undefined;
    if (queued) {
      queued.data = frame.data; // keeps its place in the queue, carries the newest reading
      this.stats.coalesced += 1;
      return;
    }
    if (frame.coalesce && frame.topic) this.pending.set(frame.topic, frame);
    else {
      if (frame.topic) this.pending.delete(frame.topic); // later data must not jump ahead of this event
      if (++this.events > this.limits.maxQueuedEvents) {
        this.overflow();
        return;
      }
    }
    this.queue.push(frame);
    this.flush();
  }

  /** Frames waiting in this writer (not yet handed to the socket). */
  get queued(): number {
    return this.queue.length;
  }

  private readonly flush = (): void => {
    const { socket } = this;
    while (
      this.queue.length > 0 &&
      socket.readyState === OPEN &&
      socket.bufferedAmount < this.limits.highWaterBytes
    ) {
      const frame = this.queue.shift() as Frame;
      if (!frame.coalesce) this.events -= 1;
      else if (frame.topic && this.pending.get(frame.topic) === frame) this.pending.delete(frame.topic);
      this.stats.sent += 1;
      this.stats.bytes += frame.data.length;
      // The callback fires once ws has written the frame: the moment to look at the buffer again.
      socket.send(frame.data, (err) => !err && this.flush());
    }
  };

  private overflow(): void {
    this.close();
    this.socket.close(CLOSE_CODES.cannotKeepUp, 'cannot keep up, resync');
  }

  /** Drops everything queued; later pushes are ignored. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.pending.clear();
  }
}
