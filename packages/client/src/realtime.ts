// The real-time side of the SDK: one WebSocket to /ws that survives the network. It reconnects with backoff and
// jitter, restarts each stream after a reconnect from the last `seq` it delivered (the server replays what was
// missed, within its window), replays missed events the same way, polls REST for stream data while the socket
// is down, and says at all times which of these it is doing (`mode`). This is what the original clients only
// promised (reference §6.4, §10.13): theirs reconnected every 5 s without jitter, lost acquisition streams, and
// listened for messages the server never sent.

import {
  acquisitionTopic,
  ERROR_CODES,
  LIMITS,
  type ServerMessageMap,
  STOP_REASONS,
  streamTopic,
} from '@lablink/protocol';
import type { BackoffOptions } from './backoff.js';
import { Connection, type ServerEvent, type Welcome } from './connection.js';
import { poll } from './polling.js';
import { type Mode, type Quality, QualityMeter } from './quality.js';
import { LabLinkError, type RestApi } from './rest.js';
import type { WebSocketConstructor } from './socket.js';
import type { StreamType } from './types.js';

export type { ServerEvent } from './connection.js';

export interface StreamRequest {
  equipment_id: string;
  stream_type?: StreamType;
  channel?: number;
  /** Requested period; the server reads at the fastest period any of its clients asked for. */
  interval_ms?: number;
}

export interface StreamMessage<T = Record<string, unknown>> {
  data: T;
  /** Server time of the reading (ISO-8601 UTC). */
  timestamp: string;
  /** The topic's sequence number; polled data has none of its own and carries the last one seen. */
  seq: number;
  source: 'ws' | 'poll';
  /** How old the reading was when it was handed out (ms, on the server's clock). See `freshness` for later. */
  age_ms: number;
  /** Older than STALE_PERIODS of the stream's periods (at least STALE_MIN_MS) when handed out. */
  stale: boolean;
}

/** A reading is stale once it is older than this many periods of its stream … */
export const STALE_PERIODS = 3;
/** … and at least this old (ms): a fast stream's jitter is not staleness. */
export const STALE_MIN_MS = 1000;

/** How old a reading is and whether it is stale. */
export interface Freshness {
  age_ms: number;
  stale: boolean;
}

/**
 * The age of a reading stamped `timestamp` (server time) at `serverNow` (ms since the epoch, on the server's clock:
 * RealtimeClient.serverNow()), and whether it is stale for a stream of period `intervalMs`. A reading without a
 * valid timestamp is of unknown age: stale.
 */
export function freshness(timestamp: string, intervalMs: number, serverNow: number): Freshness {
  const at = Date.parse(timestamp);
  const age = Number.isFinite(at) ? Math.max(0, serverNow - at) : Number.POSITIVE_INFINITY;
  return { age_ms: age, stale: age > Math.max(STALE_PERIODS * intervalMs, STALE_MIN_MS) };
}

/**
 * Whether the server can be reached, as far as this client can tell: any WebSocket message and any answered REST
 * call (polls, and the probes the SDK sends while the socket is down) count as contact; a REST call that cannot
 * reach the server at all counts against it.
 */
export interface Reachability {
  reachable: boolean;
  /** When the server stopped answering (ms since the epoch, this machine's clock); null while reachable. */
  since: number | null;
  /** The last contact with the server (ms since the epoch, this machine's clock); null before the first. */
  lastContact: number | null;
}

/** While the socket is down, the server is probed (GET /health) after this long, doubling up to PROBE_MAX_MS. */
const PROBE_MIN_MS = 500;
const PROBE_MAX_MS = 5000;
/** A probe unanswered for this long counts as the server being unreachable. */
const PROBE_TIMEOUT_MS = 5000;

/** One `acquisition_stream` message: the samples new since the previous one, with the session's state and stats. */
export interface AcquisitionStreamMessage {
  acquisition_id: string;
  /** The topic's sequence number (+1 per block published): a jump means blocks were missed. */
  seq: number;
  /**
   * For a client that asked for its own pace (`interval_ms`), the server merges the blocks published meanwhile
   * into one: this is the seq of the block this client was sent before, when it is not seq − 1.
   */
  prev_seq?: number;
  /** Server time of the block (ISO-8601 UTC). */
  timestamp: string;
  state: string;
  stats: Record<string, unknown>;
  /** null for a block without samples (a state change). */
  data: {
    count: number;
    values: Record<string, (number | null)[]>;
    timestamps?: string[];
  } | null;
}

export interface AcquisitionStreamOptions {
  /** How often the server sends a block (ms; default 100, i.e. 10 Hz). */
  interval_ms?: number;
  /** Sample arrays as float32 binary frames (a third of the bytes, no number parsing). */
  binary?: boolean;
  /** Called once if the stream ends for good (the session is unknown, or was deleted); `reason` says why. */
  onStopped?: (reason: string) => void;
  /** Blocks were lost beyond the server's replay window: re-read the session's data over REST if it matters. */
  onResync?: (missed: number) => void;
}

interface AcquisitionFollow {
  acquisition_id: string;
  topic: string;
  onBlock: (message: AcquisitionStreamMessage) => void;
  options: AcquisitionStreamOptions;
  /** Confirmed by the server on the current socket. */
  active: boolean;
  /** Last seq delivered: replays after a reconnect start after it, duplicates are dropped. */
  lastSeq: number | null;
}

export interface RealtimeOptions {
  /** ws:// or wss:// URL of the gateway. */
  url: string;
  WebSocket: WebSocketConstructor | undefined;
  rest: RestApi;
  /** Shortest period of REST polling while the socket is down. */
  pollIntervalMs: number;
  reconnect?: BackoffOptions;
  /** Period of the app-level ping; a socket silent for two periods is declared dead. */
  heartbeatMs?: number;
  /** A socket that has not said `welcome` within this time is given up and retried. */
  connectTimeoutMs?: number;
  /**
   * Ask the server to gather stream data into one `batch` frame per this many ms (LIMITS.batchMs: 20–1000).
   * Fewer frames for many streams, at up to this much added latency. Off by default.
   */
  batchMs?: number;
  /** An API token, sent in the hello that opens each socket (the server closes with 4401 without it). */
  token?: string;
}

interface Listener {
  intervalMs: number;
  onData: (message: StreamMessage) => void;
  onStopped: ((reason: string) => void) | undefined;
}

/** One server stream (equipment, type, channel) shared by every local listener of it. */
interface Stream {
  topic: string;
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
  listeners: Set<Listener>;
  /**
   * idle: not requested on the current socket; starting: start_stream sent; active: confirmed; waiting: the
   * instrument was not connected, start_stream is sent again when it is.
   */
  status: 'idle' | 'starting' | 'active' | 'waiting';
  /** The interval of the last start_stream sent on this socket. */
  sentInterval: number | null;
  /** Last seq seen, for resume and gap counting; null before the first message and after a server restart. */
  lastSeq: number | null;
  /** Messages up to this seq were published before the stream started here (replays): no latency sample. */
  liveAfter: number;
  /** Newest timestamp delivered (ms): listeners never get data older than what they already have. */
  lastDelivered: number;
  /** Stops REST polling for this stream, while it polls. */
  poll: (() => void) | null;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const QUALITY_PERIOD_MS = 1000;

export class RealtimeClient {
  private connection: Connection | null = null;
  private started = false;
  /** A connection attempt has failed or dropped since start(): no longer "connecting" but "reconnecting". */
  private hadOutage = false;
  private everLive = false;
  private currentMode: Mode = 'closed';
  /** Changes when the server restarts; sequence numbers start again then, so nothing can be resumed. */
  private serverInstance: string | null = null;
  /** Last seq seen per event topic, to resume events after a reconnect. */
  private readonly eventSeq = new Map<string, number>();
  private readonly streams = new Map<string, Stream>();
  private readonly acquisitions = new Map<string, AcquisitionFollow>();
  private readonly handlers = new Map<string, Set<(message: ServerEvent) => void>>();
  private readonly modeListeners = new Set<(mode: Mode) => void>();
  private readonly qualityListeners = new Set<(quality: Quality) => void>();
  private readonly meter = new QualityMeter();
  private qualityTimer: ReturnType<typeof setInterval> | undefined;
  private reach: Reachability = { reachable: true, since: null, lastContact: null };
  private readonly reachListeners = new Set<(reachability: Reachability) => void>();
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private probeDelay = PROBE_MIN_MS;

  constructor(private readonly options: RealtimeOptions) {}

  // ---- lifecycle --------------------------------------------------------------------------------------------------

  /** Opens the WebSocket and keeps it open until stop(). Streams and handlers may be added before or after. */
  start(): void {
    if (this.started) return;
    const { WebSocket, url, reconnect } = this.options;
    if (!WebSocket) {
      throw new Error(
        'LabLink realtime needs a WebSocket: none is global here (Node 20); pass one, e.g. `new LabLinkClient({ baseUrl, WebSocket })` with `import WebSocket from "ws"`',
      );
    }
    this.connection ??= new Connection(
      {
        url,
        WebSocket,
        ...(reconnect ? { reconnect } : {}),
        heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      },
      {
        welcome: (welcome) => this.onWelcome(welcome),
        message: (message) => {
          this.contact();
          this.receive(message);
        },
        down: () => this.onDown(),
        clock: (sentAt, serverTime, receivedAt) => {
          this.contact();
          this.meter.clockSample(sentAt, serverTime, receivedAt);
        },
      },
    );
    this.started = true;
    this.hadOutage = false;
    this.qualityTimer = setInterval(() => this.reportQuality(), QUALITY_PERIOD_MS);
    this.updateMode();
    this.connection.start();
  }

  /** Closes the socket and stops polling. Streams and handlers stay registered: start() resumes them. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.qualityTimer);
    this.connection?.stop();
    this.onDown();
  }

  get mode(): Mode {
    return this.currentMode;
  }

  /** Now on the server's clock (ms since the epoch): this machine's clock corrected by the measured offset. */
  serverNow(): number {
    return Date.now() + this.meter.clockOffsetMs;
  }

  /** How old `message` is now, and whether it is stale for a stream of period `intervalMs` (say, each second). */
  freshness(message: Pick<StreamMessage, 'timestamp'>, intervalMs: number): Freshness {
    return freshness(message.timestamp, intervalMs, this.serverNow());
  }

  /** Whether the server answers, since when it does not, and the last contact with it. */
  get reachability(): Reachability {
    return this.reach;
  }

  /**
   * Called when the server stops or starts answering. While the socket is down the SDK probes the server over
   * REST (with backoff, at most every 5 s) and polls streams, so an unreachable server is noticed within about a
   * second of the socket closing, and a server back is noticed as soon as a probe, a poll or the socket gets through.
   */
  onReachability(cb: (reachability: Reachability) => void): () => void {
    this.reachListeners.add(cb);
    return () => this.reachListeners.delete(cb);
  }

  onMode(cb: (mode: Mode) => void): () => void {
    this.modeListeners.add(cb);
    return () => this.modeListeners.delete(cb);
  }

  get quality(): Quality {
    return this.meter.snapshot(this.currentMode);
  }

  /** Called about once a second with the link quality. */
  onQuality(cb: (quality: Quality) => void): () => void {
    this.qualityListeners.add(cb);
    return () => this.qualityListeners.delete(cb);
  }

  // ---- streams ----------------------------------------------------------------------------------------------------

  /**
   * Streams an instrument's readings, measurements or waveform until the returned function is called. Survives
   * reconnects (resumed from the last seq) and polls REST while the socket is down. `onStopped` is called once
   * if the stream ends for good: the instrument was disconnected or cannot serve it (the reason says which).
   */
  stream<T = Record<string, unknown>>(
    request: StreamRequest,
    onData: (message: StreamMessage<T>) => void,
    onStopped?: (reason: string) => void,
  ): () => void {
    const stream_type = request.stream_type ?? 'readings';
    const channel = request.channel ?? 1;
    const topic = streamTopic(request.equipment_id, stream_type, channel);
    let stream = this.streams.get(topic);
    if (!stream) {
      stream = {
        topic,
        equipment_id: request.equipment_id,
        stream_type,
        channel,
        listeners: new Set(),
        status: 'idle',
        sentInterval: null,
        lastSeq: null,
        liveAfter: 0,
        lastDelivered: Number.NEGATIVE_INFINITY,
        poll: null,
      };
      this.streams.set(topic, stream);
    }
    const listener: Listener = {
      intervalMs: request.interval_ms ?? LIMITS.intervalMs.default,
      onData: onData as Listener['onData'],
      onStopped,
    };
    stream.listeners.add(listener);
    this.retime(stream);
    this.updateMode(); // polls for the new stream if the socket is down
    const owned = stream;
    return () => {
      if (!owned.listeners.delete(listener)) return;
      if (owned.listeners.size > 0) {
        this.retime(owned);
        return;
      }
      this.streams.delete(owned.topic);
      stopPolling(owned);
      if (owned.status === 'starting' || owned.status === 'active') {
        // The reply (stream_stopped, or not_streaming if it ended meanwhile) needs no handling.
        const { equipment_id, stream_type, channel } = owned;
        this.connection?.send({ type: 'stop_stream', equipment_id, stream_type, channel });
      }
      this.updateMode();
    };
  }

  /**
   * Follows an acquisition session live (start_acquisition_stream): each block carries only the samples new since
   * the previous one, in order, never twice. A late joiner gets the server's ring first. After a reconnect the
   * stream resumes from the last seq delivered (the server replays what was missed, within its window; beyond it
   * `onResync` is called). Call the returned function to stop.
   */
  acquisitionStream(
    acquisitionId: string,
    onBlock: (message: AcquisitionStreamMessage) => void,
    options: AcquisitionStreamOptions = {},
  ): () => void {
    const previous = this.acquisitions.get(acquisitionId);
    if (previous) this.stopAcquisitionOnServer(previous);
    const follow: AcquisitionFollow = {
      acquisition_id: acquisitionId,
      topic: acquisitionTopic(acquisitionId),
      onBlock,
      options,
      active: false,
      lastSeq: null,
    };
    this.acquisitions.set(acquisitionId, follow);
    if (this.live) this.startAcquisitionOnServer(follow);
    return () => {
      if (this.acquisitions.get(acquisitionId) !== follow) return;
      this.acquisitions.delete(acquisitionId);
      this.stopAcquisitionOnServer(follow);
    };
  }

  // ---- events -----------------------------------------------------------------------------------------------------

  /**
   * Calls `cb` for each server message of this type: events (equipment_*, emergency_stop_*, lock_*, alarm_*,
   * job_*), and notices such as `welcome` (each (re)connection), `resync_required`, `stream_stopped` or an
   * `error` that answers no request. '*' receives every event (messages of the equipment, alarms and scheduler
   * topics). Events missed while the socket was down are replayed after the reconnect, in order, without
   * duplicates, as far as the server still keeps them.
   */
  on(eventType: string, cb: (message: ServerEvent) => void): () => void {
    let set = this.handlers.get(eventType);
    if (!set) {
      set = new Set();
      this.handlers.set(eventType, set);
    }
    set.add(cb);
    return () => set.delete(cb);
  }

  // ---- connection -------------------------------------------------------------------------------------------------

  private get live(): boolean {
    return this.connection?.live ?? false;
  }

  private onWelcome(welcome: Welcome): void {
    const restarted = this.serverInstance !== null && welcome.server_instance !== this.serverInstance;
    this.serverInstance = welcome.server_instance;
    if (restarted) {
      // Sequence numbers began again: resuming from old ones would skip or misorder everything.
      this.eventSeq.clear();
      for (const stream of this.streams.values()) stream.lastSeq = null;
      for (const follow of this.acquisitions.values()) follow.lastSeq = null;
    }
    this.contact();
    if (this.everLive) this.meter.reconnected();
    this.everLive = true;
    this.updateMode(); // live: REST polling stops
    const connection = this.connection as Connection;
    // Before any start_stream, so that every stream's data comes batched. The SDK unpacks batches itself.
    // The token signs the socket in: the hello goes first.
    const { batchMs, token } = this.options;
    if (batchMs || token) {
      connection.send({
        type: 'hello',
        ...(batchMs ? { batch_ms: batchMs } : {}),
        ...(token ? { token } : {}),
      });
    }
    if (this.eventSeq.size > 0) {
      // Same server as before the outage: ask for the events published since the last ones seen.
      connection.send({
        type: 'subscribe',
        topics: welcome.topics,
        resume_from: Object.fromEntries(this.eventSeq),
      });
    } else {
      for (const [topic, seq] of Object.entries(welcome.seq)) this.eventSeq.set(topic, seq);
    }
    for (const stream of this.streams.values()) this.startOnServer(stream);
    for (const follow of this.acquisitions.values()) this.startAcquisitionOnServer(follow);
    this.emit('welcome', welcome as unknown as ServerEvent);
  }

  /** The socket is down (or the client stopped): streams must be started again on the next one. */
  private onDown(): void {
    if (this.started) this.hadOutage = true;
    this.meter.resetLatency();
    for (const stream of this.streams.values()) {
      stream.status = 'idle';
      stream.sentInterval = null;
    }
    for (const follow of this.acquisitions.values()) follow.active = false;
    this.updateMode();
  }

  private receive(message: ServerEvent): void {
    switch (message.type) {
      case 'stream_data':
        this.onStreamData(message as unknown as ServerMessageMap['stream_data']);
        return;
      case 'acquisition_stream':
        this.onAcquisitionBlock(message);
        return;
      case 'stream_stopped':
        this.onStreamStopped(message as unknown as ServerMessageMap['stream_stopped']);
        break;
      case 'resync_required':
        this.onResync(message as unknown as ServerMessageMap['resync_required']);
        break;
      default:
        if (typeof message.topic === 'string' && typeof message.seq === 'number') {
          if (!this.acceptEvent(message.topic, message.seq)) return;
          this.retryWaiting(message);
          this.emit('*', message);
        }
    }
    this.emit(message.type, message);
  }

  /** Drops an event already seen (replays overlap) and counts the ones missed. */
  private acceptEvent(topic: string, seq: number): boolean {
    const last = this.eventSeq.get(topic);
    if (last !== undefined && seq <= last) return false;
    if (last !== undefined && seq > last + 1) this.meter.gap(seq - last - 1);
    this.eventSeq.set(topic, seq);
    return true;
  }

  private onStreamData(message: ServerMessageMap['stream_data']): void {
    const stream = this.streams.get(message.topic);
    if (!stream) return; // a frame that crossed our stop_stream
    const { seq } = message;
    if (stream.lastSeq !== null && seq <= stream.lastSeq) return;
    // prev_seq: this client's previous message when it asked for a slower rate than the poller's; skipping the
    // readings in between is its rate, not a loss.
    const previous = message.prev_seq ?? seq - 1;
    if (stream.lastSeq !== null && stream.lastSeq < previous) {
      this.meter.gap(message.prev_seq === undefined ? previous - stream.lastSeq : 1);
    }
    stream.lastSeq = seq;
    if (seq > stream.liveAfter) this.meter.latencySample(message.timestamp);
    this.deliver(stream, { data: message.data, timestamp: message.timestamp, seq, source: 'ws' });
  }

  private onStreamStopped(message: ServerMessageMap['stream_stopped']): void {
    const stream = this.streams.get(message.topic);
    if (!stream) return;
    if (message.reason === STOP_REASONS.serverShutdown) {
      // The socket closes next; the stream is started again on the next server.
      stream.status = 'idle';
      return;
    }
    this.end(stream, message.detail ? `${message.reason}: ${message.detail}` : message.reason);
  }

  /** The server cannot replay what was missed: count it as lost and carry on from the current seq. */
  private onResync(message: ServerMessageMap['resync_required']): void {
    const follow = this.acquisitionOf(message.topic);
    if (follow) {
      const missed =
        follow.lastSeq !== null && message.seq > follow.lastSeq ? message.seq - follow.lastSeq : 0;
      if (missed > 0) this.meter.gap(missed);
      follow.lastSeq = message.seq;
      if (follow.options.onResync) guard(() => follow.options.onResync?.(missed));
      return;
    }
    const stream = this.streams.get(message.topic);
    const last = stream ? stream.lastSeq : this.eventSeq.get(message.topic);
    if (last !== null && last !== undefined && message.seq > last) this.meter.gap(message.seq - last);
    if (stream) stream.lastSeq = message.seq;
    else this.eventSeq.set(message.topic, message.seq);
  }

  // ---- acquisition streams ----------------------------------------------------------------------------------------

  private acquisitionOf(topic: string): AcquisitionFollow | undefined {
    for (const follow of this.acquisitions.values()) if (follow.topic === topic) return follow;
    return undefined;
  }

  private onAcquisitionBlock(message: ServerEvent): void {
    const id = message.acquisition_id;
    const follow = typeof id === 'string' ? this.acquisitions.get(id) : undefined;
    const seq = message.seq;
    if (!follow || typeof seq !== 'number') return; // a block that crossed our stop
    if (follow.lastSeq !== null && seq <= follow.lastSeq) return; // a replay overlapping what we have
    // A merged block (the client's own pace) covers prev_seq+1 … seq: skipping those is its rate, not a loss.
    const previous = typeof message.prev_seq === 'number' ? message.prev_seq : seq - 1;
    if (follow.lastSeq !== null && previous > follow.lastSeq) this.meter.gap(previous - follow.lastSeq);
    follow.lastSeq = seq;
    const timestamp = String(message.timestamp);
    this.meter.latencySample(timestamp);
    this.meter.countDelivered();
    const block: AcquisitionStreamMessage = {
      acquisition_id: follow.acquisition_id,
      seq,
      ...(typeof message.prev_seq === 'number' ? { prev_seq: message.prev_seq } : {}),
      timestamp,
      state: String(message.state ?? 'unknown'),
      stats: (message.stats ?? {}) as Record<string, unknown>,
      data: (message.data ?? null) as AcquisitionStreamMessage['data'],
    };
    guard(() => follow.onBlock(block));
  }

  private startAcquisitionOnServer(follow: AcquisitionFollow): void {
    const { acquisition_id, options } = follow;
    this.connection?.send(
      {
        type: 'start_acquisition_stream',
        acquisition_id,
        interval_ms: options.interval_ms ?? LIMITS.intervalMs.default,
        binary: options.binary ?? false,
        ...(follow.lastSeq !== null ? { resume_from: follow.lastSeq } : {}),
      },
      (reply) => {
        if (this.acquisitions.get(acquisition_id) !== follow) return;
        if (reply.type === 'acquisition_stream_started') {
          follow.active = true;
          return;
        }
        const error = reply as unknown as ServerMessageMap['error'];
        this.acquisitions.delete(acquisition_id);
        if (options.onStopped) guard(() => options.onStopped?.(`${error.code}: ${error.detail}`));
      },
    );
  }

  private stopAcquisitionOnServer(follow: AcquisitionFollow): void {
    if (!this.live) return;
    this.connection?.send({ type: 'stop_acquisition_stream', acquisition_id: follow.acquisition_id });
  }

  // ---- streams on the server --------------------------------------------------------------------------------------

  /** After a listener came or went: on a live socket, restart the server stream if the fastest interval changed. */
  private retime(stream: Stream): void {
    if (this.live && stream.status !== 'waiting' && stream.sentInterval !== fastest(stream))
      this.startOnServer(stream);
  }

  private startOnServer(stream: Stream): void {
    const interval_ms = fastest(stream);
    stream.status = 'starting';
    stream.sentInterval = interval_ms;
    this.connection?.send(
      {
        type: 'start_stream',
        equipment_id: stream.equipment_id,
        stream_type: stream.stream_type,
        channel: stream.channel,
        interval_ms,
        // Sample arrays travel as float32 instead of JSON text: a third of the bytes, no number parsing.
        binary: stream.stream_type === 'waveform',
        ...(stream.lastSeq !== null ? { resume_from: stream.lastSeq } : {}),
      },
      (reply) => this.onStartReply(stream, reply),
    );
  }

  private onStartReply(stream: Stream, reply: ServerEvent): void {
    if (this.streams.get(stream.topic) !== stream) return; // unsubscribed meanwhile
    if (reply.type === 'stream_started') {
      stream.status = 'active';
      stream.liveAfter = reply.seq as number;
      return;
    }
    const error = reply as unknown as ServerMessageMap['error'];
    if (error.code === ERROR_CODES.notConnected) {
      // The instrument is reconnecting: start again when it is back (retryWaiting), rather than give up.
      stream.status = 'waiting';
      stream.sentInterval = null;
      return;
    }
    this.end(stream, `${error.code}: ${error.detail}`);
  }

  /** An equipment event saying an instrument is connected again restarts its waiting streams. */
  private retryWaiting(event: ServerEvent): void {
    const data = event.data as { equipment_id?: string; state?: string } | undefined;
    const back =
      event.type === 'equipment_connected' ||
      (event.type === 'equipment_state' && data?.state === 'connected');
    if (!back || !this.live) return;
    for (const stream of this.streams.values()) {
      if (stream.status === 'waiting' && stream.equipment_id === data?.equipment_id)
        this.startOnServer(stream);
    }
  }

  /** The stream is over for good: tell its listeners and forget it. */
  private end(stream: Stream, reason: string): void {
    this.streams.delete(stream.topic);
    stopPolling(stream);
    for (const listener of stream.listeners)
      if (listener.onStopped) guard(() => listener.onStopped?.(reason));
    stream.listeners.clear();
    this.updateMode();
  }

  /**
   * Hands a message to the stream's listeners unless it is older than one they already have: after an outage
   * the server's replay can overlap what REST polling delivered meanwhile, and a chart must not go back in time.
   */
  private deliver(stream: Stream, message: Omit<StreamMessage, keyof Freshness>): void {
    const at = Date.parse(message.timestamp);
    if (at < stream.lastDelivered) return;
    stream.lastDelivered = at;
    this.meter.countDelivered();
    const now = this.serverNow();
    for (const listener of stream.listeners) {
      guard(() => listener.onData({ ...message, ...freshness(message.timestamp, listener.intervalMs, now) }));
    }
  }

  // ---- REST polling while the socket is down ----------------------------------------------------------------------

  private startPolling(stream: Stream): void {
    if (stream.poll) return;
    stream.poll = poll({
      rest: this.options.rest,
      equipment_id: stream.equipment_id,
      stream_type: stream.stream_type,
      channel: stream.channel,
      periodMs: () => Math.max(fastest(stream), this.options.pollIntervalMs),
      onData: ({ data, timestamp }) => {
        this.contact();
        this.deliver(stream, { data, timestamp, seq: stream.lastSeq ?? 0, source: 'poll' });
      },
      onError: (error) => this.answered(error),
      onFatal: (error) => this.end(stream, `${error.code}: ${error.detail}`),
    });
  }

  // ---- reachability -----------------------------------------------------------------------------------------------

  /** The server answered (a socket message, a REST reply of any status). */
  private contact(): void {
    const wasReachable = this.reach.reachable;
    this.reach = { reachable: true, since: null, lastContact: Date.now() };
    if (!wasReachable) {
      this.probeDelay = PROBE_MIN_MS;
      this.emitReach();
    }
  }

  /** A REST call failed: an HTTP status is still an answer; status 0 (no answer at all) is an unreachable server. */
  private answered(error: unknown): void {
    if (error instanceof LabLinkError && error.status === 0) this.unreachable();
    else if (error instanceof LabLinkError) this.contact();
  }

  private unreachable(): void {
    if (!this.reach.reachable || this.live) return;
    this.reach = { ...this.reach, reachable: false, since: Date.now() };
    this.emitReach();
  }

  private emitReach(): void {
    const reach = this.reach;
    for (const cb of this.reachListeners) guard(() => cb(reach));
  }

  /** While started and the socket is down, asks GET /health now and then whether the server answers. */
  private updateProbe(): void {
    const wanted = this.started && !this.live;
    if (!wanted) {
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.probeDelay = PROBE_MIN_MS;
      return;
    }
    if (this.probeTimer !== undefined) return;
    // The first probe goes at once when the socket drops: a stopped server is seen as such within moments.
    const delay = this.hadOutage && this.probeDelay === PROBE_MIN_MS ? 0 : this.probeDelay;
    this.probeTimer = setTimeout(() => void this.probe(), delay);
  }

  private async probe(): Promise<void> {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.options.rest.health(),
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new LabLinkError(0, 'unreachable', 'the server did not answer')),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
      this.contact();
    } catch (err) {
      this.answered(err);
    } finally {
      clearTimeout(timeout);
    }
    this.probeDelay = this.reach.reachable ? PROBE_MAX_MS : Math.min(PROBE_MAX_MS, this.probeDelay * 2);
    this.probeTimer = undefined;
    this.updateProbe();
  }

  // ---- mode and quality -------------------------------------------------------------------------------------------

  private updateMode(): void {
    let mode: Mode;
    if (!this.started) mode = 'closed';
    else if (this.live) mode = 'live';
    else if (!this.hadOutage) mode = 'connecting';
    else mode = this.streams.size > 0 ? 'polling' : 'reconnecting';
    for (const stream of this.streams.values()) {
      if (mode === 'polling') this.startPolling(stream);
      else stopPolling(stream);
    }
    this.updateProbe();
    if (mode === this.currentMode) return;
    this.currentMode = mode;
    for (const cb of this.modeListeners) guard(() => cb(mode));
  }

  private reportQuality(): void {
    this.meter.tick();
    const quality = this.quality;
    for (const cb of this.qualityListeners) guard(() => cb(quality));
  }

  private emit(type: string, message: ServerEvent): void {
    for (const cb of this.handlers.get(type) ?? []) guard(() => cb(message));
  }
}

/** The fastest interval any listener of the stream asked for. */
function fastest(stream: Stream): number {
  return Math.min(...[...stream.listeners].map((l) => l.intervalMs));
}

function stopPolling(stream: Stream): void {
  stream.poll?.();
  stream.poll = null;
}

/** A listener that throws must not break the SDK's bookkeeping for the others. */
function guard(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error('LabLink listener failed:', err);
  }
}
