// One writer per client (the pvws pattern), behind a bounded queue. The fan-out hands it frames and returns at
// once; the writer feeds the socket only while the socket's own buffer is below a high-water mark, and resumes
// from send callbacks. While a client is slow, stream data of a topic is coalesced (a queued frame takes the
// newest reading, so the client gets the latest value, never a backlog) and events queue up to a limit; past
// it the client is closed with 4008 and resyncs. Events are never dropped silently. Memory per client is
// bounded by highWaterBytes + one frame per stream topic + maxQueuedEvents frames.
//
// Batching (hello batch_ms): JSON stream data is not queued frame by frame but gathered, and every batch_ms the
// gathered messages go out as one `{"type":"batch","messages":[…]}` frame: one socket write instead of one per
// reading. While the writer is backed up the batch is held back, and a newer message of a topic replaces that
// topic's newest one in it (the same coalescing as above); otherwise every message is kept. Anything that is not
// batched (replies, events, binary frames) first queues the pending batch, so the client sees the same order.

import { CLOSE_CODES } from '@lablink/protocol';
import { OPEN, type WireSocket } from './socket.js';

export interface Frame {
  data: string | Uint8Array;
  /** The topic the frame belongs to, if any. */
  topic?: string;
  /** Stream data: a newer frame of the same topic replaces this one while it is still queued. */
  coalesce?: boolean;
  /** A batch frame: counts neither as an event nor as stream data in the queue. */
  batch?: boolean;
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
  /** Period of batching; 0: every frame goes out on its own. */
  private batchMs = 0;
  /** Encoded stream_data messages waiting for the next batch, oldest first. */
  private batch: string[] = [];
  /** Index in `batch` of each topic's newest message (for coalescing while backed up). */
  private batchIndex = new Map<string, number>();
  private batchTimer: NodeJS.Timeout | undefined;
  readonly stats = { sent: 0, coalesced: 0, bytes: 0, batched: 0 };

  constructor(
    private readonly socket: WireSocket,
    private readonly limits: WriterLimits,
  ) {}

  /** Queues a frame (the writer keeps its own copy: frames are shared by every client of a message). */
  push(shared: Frame): void {
    if (this.closed) return;
    if (this.batchMs > 0) {
      if (shared.coalesce && shared.topic && typeof shared.data === 'string') {
        this.gather(shared.topic, shared.data);
        return;
      }
      this.queueBatch(); // what was gathered before this frame goes out before it
    }
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

  /** Gathers JSON stream data into batch frames sent every `ms` (0: stops batching, sending what is gathered). */
  setBatch(ms: number): void {
    if (ms === this.batchMs) return;
    this.queueBatch();
    this.batchMs = ms;
  }

  get batching(): number {
    return this.batchMs;
  }

  private gather(topic: string, data: string): void {
    const at = this.batchIndex.get(topic);
    if (at !== undefined && this.backedUp) {
      this.batch[at] = data; // the client is behind: keep the topic's newest reading only
      this.stats.coalesced += 1;
      return;
    }
    this.batchIndex.set(topic, this.batch.length);
    this.batch.push(data);
    this.stats.batched += 1;
    this.batchTimer ??= setTimeout(this.onBatchTimer, this.batchMs);
  }

  private readonly onBatchTimer = (): void => {
    this.batchTimer = undefined;
    if (this.batch.length === 0 || this.closed) return;
    // Backed up: hold the batch (coalescing in it) and look again next period.
    if (this.backedUp) this.batchTimer = setTimeout(this.onBatchTimer, this.batchMs);
    else this.queueBatch();
  };

  /** Queues the gathered messages as one batch frame. */
  private queueBatch(): void {
    if (this.batch.length === 0) return;
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const data = `{"type":"batch","messages":[${this.batch.join(',')}]}`;
    this.batch = [];
    this.batchIndex.clear();
    this.queue.push({ data, batch: true });
    this.flush();
  }

  /** The socket cannot take more now, or frames are already waiting for it. */
  private get backedUp(): boolean {
    return (
      this.queue.length > 0 ||
      this.socket.readyState !== OPEN ||
      this.socket.bufferedAmount >= this.limits.highWaterBytes
    );
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
      if (!frame.coalesce && !frame.batch) this.events -= 1;
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
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.batch = [];
    this.batchIndex.clear();
  }
}
