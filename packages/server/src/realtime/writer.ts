// One writer per client (the pvws pattern), behind a bounded queue. The fan-out hands it frames and returns at
// once. While the socket keeps up (nothing queued, its buffer below a high-water mark) a frame goes straight to it,
// shared with every other client of the message: no copy, no allocation. Otherwise the writer queues, feeds the
// socket only while its buffer is below the mark, and resumes from send callbacks. While a client is slow, stream
// data of a topic is coalesced (a queued frame takes the newest reading, so the client gets the latest value, never
// a backlog) and events queue up to a limit; past it the client is closed with 4008 and resyncs. Events are never
// dropped silently. Memory per client is bounded by highWaterBytes + one frame per stream topic + maxQueuedEvents
// frames.
//
// Writes to a client's TCP socket are held (corked) until the end of the event-loop turn (TurnCork): every frame
// a client gets in one turn (readings of several instruments that answered together, an event and its reply)
// leaves in one system call instead of one each, which is most of what a frame costs the server.
//
// Batching (hello batch_ms): JSON stream data is not queued frame by frame but gathered, and every batch_ms the
// gathered messages go out as one `{"type":"batch","messages":[…]}` frame: one socket write instead of one per
// reading. While the writer is backed up the batch is held back, and a newer message of a topic replaces that
// topic's newest one in it (the same coalescing as above); otherwise every message is kept. Anything that is not
// batched (replies, events, binary frames) first queues the pending batch, so the client sees the same order.

import { CLOSE_CODES } from '@lablink/protocol';
import { OPEN, type WireSocket } from './socket.js';

export interface Frame {
  /** JSON text, or a binary frame. */
  data: string | Uint8Array;
  /**
   * The whole WebSocket frame of `data` (frames.ts wsFrame), built once for every client of a shared message:
   * written to the TCP socket as it is, without ws framing it again for each client.
   */
  wire?: Uint8Array;
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

/** The TCP socket under a WebSocket: writes to it can be held and then sent together. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  write(data: Uint8Array, callback: (err?: Error | null) => void): unknown;
}

/**
 * Holds the sockets written to during one event-loop turn corked, and uncorks them all once the turn's I/O
 * callbacks and their promises have run (setImmediate): one writev per client per turn. A long turn (many
 * readings arriving together) does not hold its first frames until its end: past MAX_HOLD_MS they go out, and
 * the writers written to after that are held anew. One per gateway.
 */
export class TurnCork {
  private held: Writer[] = [];
  private since = 0;
  private scheduled = false;
  private readonly release = (): void => {
    this.scheduled = false;
    const held = this.held;
    this.held = [];
    for (const writer of held) writer.uncork();
  };

  hold(writer: Writer): void {
    if (this.held.length === 0) this.since = performance.now();
    else if (performance.now() - this.since > MAX_HOLD_MS) {
      this.release();
      this.since = performance.now();
    }
    this.held.push(writer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }
}

/** The longest a frame waits in a held socket for others to join it. */
const MAX_HOLD_MS = 5;

const TEXT = { binary: false };
const BINARY = { binary: true };

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
  /** Whether the TCP socket is corked for the rest of this turn. */
  private corked = false;
  readonly stats = { sent: 0, coalesced: 0, bytes: 0, batched: 0 };

  constructor(
    private readonly socket: WireSocket,
    private readonly limits: WriterLimits,
    /** The TCP socket under `socket` and the gateway's TurnCork; without them each frame is written at once. */
    private readonly output?: { tcp: Corkable; turns: TurnCork },
  ) {}

  /** Sends or queues a frame. Frames are shared by every client of a message: the writer never changes one. */
  push(shared: Frame): void {
    if (this.closed) return;
    if (this.batchMs > 0) {
      if (shared.coalesce && shared.topic && typeof shared.data === 'string') {
        this.gather(shared.topic, shared.data);
        return;
      }
      this.queueBatch(); // what was gathered before this frame goes out before it
    }
    // The fast path: nothing waits before this frame (so no frame of its topic either) and the socket takes it.
    if (this.queue.length === 0 && this.writable) {
      this.send(shared);
      return;
    }
    const frame = { ...shared }; // queued: coalescing may replace its data
    const queued = frame.coalesce && frame.topic ? this.pending.get(frame.topic) : undefined;
    if (queued) {
      // Keeps its place in the queue, carries the newest reading (in both forms).
      queued.data = frame.data;
      queued.wire = frame.wire;
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

  /** The socket is open and its buffer below the high-water mark. */
  private get writable(): boolean {
    return this.socket.readyState === OPEN && this.socket.bufferedAmount < this.limits.highWaterBytes;
  }

  /** The socket cannot take more now, or frames are already waiting for it. */
  private get backedUp(): boolean {
    return this.queue.length > 0 || !this.writable;
  }

  /** Frames waiting in this writer (not yet handed to the socket). */
  get queued(): number {
    return this.queue.length;
  }

  private flush(): void {
    while (this.queue.length > 0 && this.writable) {
      const frame = this.queue.shift() as Frame;
      if (!frame.coalesce && !frame.batch) this.events -= 1;
      else if (frame.topic && this.pending.get(frame.topic) === frame) this.pending.delete(frame.topic);
      this.send(frame);
    }
  }

  private send(frame: Frame): void {
    if (this.output && !this.corked) {
      this.corked = true;
      this.output.tcp.cork();
      this.output.turns.hold(this);
    }
    this.stats.sent += 1;
    this.stats.bytes += frame.data.length;
    // A framed shared message goes to the TCP socket as it is. ws writes there too (replies, pings, close), each
    // of its frames whole and at once (no compression: perMessageDeflate is off), so the order is the calls'.
    if (frame.wire && this.output) this.output.tcp.write(frame.wire, this.afterSend);
    else this.socket.send(frame.data, typeof frame.data === 'string' ? TEXT : BINARY, this.afterSend);
  }

  /** Once a frame is written (one callback for all of them, not a closure per frame): look at the queue. */
  private readonly afterSend = (err?: Error | null): void => {
    if (!err && this.queue.length > 0) this.flush();
  };

  /** The end of the turn (TurnCork): what this turn wrote goes to the kernel, in one writev. */
  uncork(): void {
    this.corked = false;
    this.output?.tcp.uncork();
  }

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
