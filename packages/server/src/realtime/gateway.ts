// The real-time gateway: accepts WebSocket clients and fans bus messages out to those that want them. The
// fan-out never waits for a client: it hands each subscriber's writer a shared, already encoded frame and moves
// on, so a slow client cannot delay the others (the original awaited each send in turn).

import { randomUUID } from 'node:crypto';
import {
  CLOSE_CODES,
  EVENT_TOPICS,
  type EventTopic,
  LIMITS,
  PROTOCOL_VERSION,
  timestamp,
} from '@lablink/protocol';
import type { ConnectionStats, PollerStats } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import { OPEN_PRINCIPAL, type Principal, type Revocation, revokes } from '../auth/service.js';
import type { Bus, Published } from '../bus.js';
import type { Claim, ClaimRequest } from '../readings/pipeline.js';
import { AddressLimits, THROTTLE_MS } from './address-limits.js';
import { Connection } from './connection.js';
import {
  type AcquisitionSubscription,
  FrameCache,
  type StreamSubscription,
  type Subscription,
} from './frames.js';
import { clientFrameBytes, InputBudget } from './input-budget.js';
import { OPEN, type WireSocket } from './socket.js';
import { type Corkable, TurnCork, type WriterLimits } from './writer.js';

export interface GatewayOptions extends WriterLimits {
  heartbeatMs: number;
  maxMessageBytes: number;
  /** Simultaneous connections; the plugin refuses more with HTTP 503 at the upgrade, accept() with 1013. */
  maxConnections: number;
  /** Client input received but not yet a whole message, across all connections (input-budget.ts). */
  maxInputBytes: number;
  /** Connections one client address may hold (address-limits.ts); 0: only maxConnections applies. */
  maxConnectionsPerAddress: number;
  /** Messages per second one client address may send, with a burst of 5 s worth; 0: no limit. */
  messageRatePerAddress: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  heartbeatMs: LIMITS.heartbeatMs,
  maxMessageBytes: LIMITS.maxMessageBytes,
  maxQueuedEvents: LIMITS.maxQueuedEvents,
  // About 1 s of a 10-stream waveform load on a LAN; beyond it the client is slow and data coalesces.
  highWaterBytes: 256 * 1024,
  maxConnections: 2000,
  // 64 clients each in the middle of a 1 MB message; requests of the protocol are a few hundred bytes.
  maxInputBytes: 64 * 1024 * 1024,
  // Half the connections: one address can never hold them all.
  maxConnectionsPerAddress: 1000,
  // Far above a person's or a script's needs (the web app sends a few a second), far below a flood.
  messageRatePerAddress: 1000,
};

/**
 * The TCP socket under a WebSocket (request.raw.socket): the gateway counts the bytes that arrive on it, and the
 * connection's writer sends shared frames through it (writer.ts).
 */
export interface InputSource extends Corkable {
  prependListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface GatewayDeps {
  bus: Bus;
  /** The readings pipeline (the one of the service container, shared with alarms, acquisitions and jobs). */
  readings: { claim(request: ClaimRequest): Claim; list?(): PollerStats[] };
  /** The acquisition service, once it exists: the gateway only asks whether an acquisition exists. */
  acquisitions?: {
    find(id: string): unknown;
    /** The ring's rows already published, as one message numbered like the topic's latest: a late joiner's first. */
    snapshot?(id: string): Published | null;
  };
  logger: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  /** Signs in a connection by the token of its hello; without it (a gateway alone, in tests) nobody can. */
  auth?: { verifyToken(token: string): Principal | null };
  /**
   * The view of an event for one signed-in client (auth/hook.ts lockEventView: lock session ids are shown to their
   * holder only). Without it every client gets the shared frame.
   */
  eventView?: (message: Published, viewer: Principal) => Published;
}

/** How long a connection that is not signed in has to send a hello with its token. */
export const SIGN_IN_MS = 5000;

export class Gateway {
  /** Changes at each server start: sequence numbers start again, so clients know resume is impossible. */
  readonly instance = randomUUID();
  readonly options: GatewayOptions;
  private readonly connections = new Set<Connection>();
  private readonly subscribers = new Map<string, Map<Connection, Subscription>>();
  /** The reading being delivered and its encoded frames, shared by the clients it is delivered to. */
  private streamFrames: { message: Published; frames: FrameCache } | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribeBus: () => void;
  private nextId = 1;
  private closing = false;
  private readonly input: InputBudget<Connection>;
  private readonly inputSources = new Map<Connection, InputSource>();
  /** Each client address's share of connections and message rate. */
  readonly addresses: AddressLimits;
  /** Addresses past their rate, not read until their pause ends (throttle). */
  private readonly throttled = new Set<string>();
  /** Holds each client's writes of an event-loop turn, to send them in one system call (writer.ts). */
  readonly turns = new TurnCork();

  constructor(
    private readonly deps: GatewayDeps,
    options: Partial<GatewayOptions> = {},
  ) {
    this.options = { ...DEFAULT_GATEWAY_OPTIONS, ...options };
    this.input = new InputBudget(this.options.maxInputBytes, (conn, held) => this.evict(conn, held));
    const rate = this.options.messageRatePerAddress;
    this.addresses = new AddressLimits({
      maxConnections: this.options.maxConnectionsPerAddress,
      messageRate: rate,
      burst: rate * 5,
    });
    this.unsubscribeBus = deps.bus.subscribe('*', (message) => this.fanOut(message));
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  get bus(): Bus {
    return this.deps.bus;
  }
  get readings(): GatewayDeps['readings'] {
    return this.deps.readings;
  }
  get acquisitions(): GatewayDeps['acquisitions'] {
    return this.deps.acquisitions;
  }
  get auth(): GatewayDeps['auth'] {
    return this.deps.auth;
  }
  get logger(): GatewayDeps['logger'] {
    return this.deps.logger;
  }

  /** Open connections (and those closing, until their socket is gone). */
  get size(): number {
    return this.connections.size;
  }

  /** Client input received but not yet a whole message, across all connections. */
  get inputHeld(): number {
    return this.input.held;
  }

  /** Whether another connection would pass the cap (the plugin asks before upgrading). */
  get full(): boolean {
    return this.connections.size >= this.options.maxConnections;
  }

  /** Whether another connection from `remote` would pass its address's share. */
  fullFor(remote: string): boolean {
    return this.addresses.full(remote);
  }

  /**
   * A new client. `principal` is who its upgrade request was signed as (cookie, or open mode); null when it must
   * still send a hello with its token (within SIGN_IN_MS): until then it receives no event.
   */
  accept(
    socket: WireSocket,
    remote = '',
    input?: InputSource,
    principal: Principal | null | undefined = OPEN_PRINCIPAL,
  ): Connection {
    const conn = new Connection(this.nextId++, socket, this, remote, principal, input);
    if (this.closing) {
      socket.close(CLOSE_CODES.goingAway, 'server shutting down');
      return conn;
    }
    if (this.full || this.fullFor(remote)) {
      // Upgrades that raced past the plugin's 503/429 check.
      socket.close(CLOSE_CODES.tryAgainLater, 'too many connections');
      return conn;
    }
    this.connections.add(conn);
    this.addresses.connected(remote);
    if (principal) this.signedIn(conn);
    else conn.awaitSignIn(SIGN_IN_MS);
    if (input) this.countInput(conn, socket, input);
    socket.on('close', () => this.drop(conn));
    socket.on('error', (err) => this.logger.debug({ err, connection: conn.id }, 'websocket error'));
    conn.send({
      type: 'welcome',
      protocol_version: PROTOCOL_VERSION,
      server_instance: this.instance,
      timestamp: timestamp(),
      heartbeat_interval_ms: this.options.heartbeatMs,
      max_message_bytes: this.options.maxMessageBytes,
      max_payload_bytes: LIMITS.maxPayloadBytes,
      interval_ms: { ...LIMITS.intervalMs },
      topics: [...EVENT_TOPICS],
      seq: this.seqs(EVENT_TOPICS),
    });
    return conn;
  }

  /** The connection is signed in: it receives events from now on. */
  signedIn(conn: Connection): void {
    for (const topic of conn.topics) this.subscribe(conn, topic, { kind: 'event' });
  }

  /** Closes at once, with 4401 "revoked", the connections of a revoked token, a deleted user, an ended session. */
  revoke(revocation: Revocation): void {
    for (const conn of this.connections) {
      if (conn.principal && revokes(revocation, conn.principal)) conn.refuse('revoked');
    }
  }

  subscribe(conn: Connection, topic: string, sub: Subscription): void {
    let subs = this.subscribers.get(topic);
    if (!subs) {
      subs = new Map();
      this.subscribers.set(topic, subs);
    }
    subs.set(conn, sub);
  }

  subscription(conn: Connection, topic: string): Subscription | undefined {
    return this.subscribers.get(topic)?.get(conn);
  }

  unsubscribe(conn: Connection, topic: string): void {
    const subs = this.subscribers.get(topic);
    if (subs?.delete(conn) && subs.size === 0) this.subscribers.delete(topic);
  }

  seqs(topics: Iterable<EventTopic>): Record<string, number> {
    return Object.fromEntries([...topics].map((t) => [t, this.bus.seq(t)]));
  }

  /**
   * Sends what `conn` missed on `topic` after `afterSeq`, oldest first, or a resync_required notice when the
   * bus no longer keeps it (too old) or never published it (the server restarted and numbers began again).
   */
  replay(
    conn: Connection,
    topic: string,
    afterSeq: number,
    sub: Subscription,
    requestId?: string | number,
  ): void {
    const current = this.bus.seq(topic);
    const missed = afterSeq > current ? null : this.bus.since(topic, afterSeq);
    if (missed === null) {
      const reason = afterSeq > current ? 'seq_ahead' : 'too_old';
      conn.send(
        { type: 'resync_required', topic, reason, seq: current, timestamp: timestamp() },
        requestId,
        topic,
      );
      this.sendLatest(conn, topic, sub);
      return;
    }
    for (const message of missed) this.push(conn, message, sub);
  }

  /**
   * One reading for one client's stream, handed over by the readings pipeline at that client's own rate; stream
   * topics are not fanned out from the bus. Clients of the same stream and rate share one encoded frame.
   */
  deliverStream(conn: Connection, message: Published, sub: StreamSubscription): void {
    // The pipeline hands one reading to all its claims in a row: one slot caches its frames for all of them.
    if (this.streamFrames?.message !== message) {
      this.streamFrames = { message, frames: new FrameCache(message, sub) };
    }
    this.push(conn, message, sub, this.streamFrames.frames);
  }

  private push(
    conn: Connection,
    message: Published,
    sub: Subscription,
    frames = new FrameCache(message, sub),
  ) {
    if (sub.kind === 'acquisition' && sub.interval_ms !== undefined) {
      this.pushAcquisition(conn, message, sub);
      return;
    }
    if (sub.kind !== 'stream') {
      const view = this.viewFor(conn, message);
      conn.writer.push(view === message ? frames.for(sub) : new FrameCache(view, sub).for(sub));
      return;
    }
    const previous = sub.lastSeq;
    conn.writer.push(
      frames.for(sub, previous !== undefined && previous !== message.seq - 1 ? previous : undefined),
    );
    sub.lastSeq = message.seq;
  }

  /**
   * An acquisition block for a client that asked for a pace of its own: blocks are merged (samples appended, the
   * latest state and stats) until its interval has passed or the state changes; then one goes, with prev_seq.
   */
  private pushAcquisition(conn: Connection, message: Published, sub: AcquisitionSubscription): void {
    if (carriesCapture(message)) {
      // A block capture goes whole and at once, never merged: the rows gathered before it go first.
      if (sub.pending) this.sendAcquisition(conn, sub.pending, sub, blockState(sub.pending));
      sub.pending = undefined;
      this.sendAcquisition(conn, message, sub, blockState(message));
      return;
    }
    const merged = sub.pending ? mergeBlocks(sub.pending, message) : message;
    const state = blockState(message);
    const due =
      sub.lastSent === undefined ||
      Date.now() - sub.lastSent >= (sub.interval_ms ?? 0) - ACQUISITION_JITTER_MS ||
      state !== sub.lastState;
    if (!due) {
      sub.pending = merged;
      return;
    }
    sub.pending = undefined;
    this.sendAcquisition(conn, merged, sub, state);
  }

  private sendAcquisition(
    conn: Connection,
    message: Published,
    sub: AcquisitionSubscription,
    state: string,
  ): void {
    sub.lastSent = Date.now();
    sub.lastState = state;
    const prev = sub.lastSeq;
    sub.lastSeq = message.seq;
    conn.writer.push(
      new FrameCache(message, sub).for(
        sub,
        prev !== undefined && prev !== message.seq - 1 ? prev : undefined,
      ),
    );
  }

  /** One message of a topic for one client (an acquisition's ring snapshot for a late joiner). */
  sendMessage(conn: Connection, message: Published, sub: Subscription): void {
    this.push(conn, message, sub);
  }

  /** The topic's latest message, at once (a stream's current value for a client that joins a running poller). */
  sendLatest(conn: Connection, topic: string, sub: Subscription): void {
    if (sub.kind === 'event') return; // events are facts, not state: they are not re-sent as if new
    const latest = this.bus.latest(topic);
    if (latest) this.push(conn, latest, sub);
  }

  stats(): ConnectionStats[] {
    return [...this.connections].map((c) => ({
      id: c.id,
      remote: c.remote,
      connected_at: c.connectedAt.toISOString(),
      ready_state: c.socket.readyState,
      topics: [...c.topics],
      streams: [...c.streams.keys()],
      queued: c.writer.queued,
      buffered_bytes: c.socket.bufferedAmount,
      sent: c.writer.stats.sent,
      coalesced: c.writer.stats.coalesced,
      received: c.received,
    }));
  }

  /** Closes every client with 1001 and waits up to `graceMs` for them to go; the rest are cut. */
  async close(graceMs = 1000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeat);
    this.unsubscribeBus();
    const open = [...this.connections];
    const gone = Promise.all(
      open.map((c) => new Promise<void>((resolve) => c.socket.on('close', () => resolve()))),
    );
    for (const conn of open) {
      conn.writer.close();
      conn.socket.close(CLOSE_CODES.goingAway, 'server shutting down');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([gone, timeout]);
    clearTimeout(timer);
    for (const conn of this.connections) conn.socket.terminate();
  }

  private fanOut(message: Published): void {
    // Readings reach their streams through the streams' claims, each at its client's rate (deliverStream).
    if (message.type === 'stream_data') return;
    const subs = this.subscribers.get(message.topic);
    if (!subs) return;
    let frames: FrameCache | undefined;
    for (const [conn, sub] of subs) {
      if (sub.kind === 'acquisition' && sub.interval_ms !== undefined) {
        this.pushAcquisition(conn, message, sub);
        continue;
      }
      const view = this.viewFor(conn, message);
      if (view !== message) {
        conn.writer.push(new FrameCache(view, sub).for(sub));
        continue;
      }
      frames ??= new FrameCache(message, sub);
      conn.writer.push(frames.for(sub));
    }
  }

  /**
   * `conn`'s address sent past its rate: the message is dropped; the first of a pause is answered rate_limited,
   * and the address's connections are not read for THROTTLE_MS, so what it keeps sending waits on its side.
   */
  throttle(conn: Connection, text: Buffer): void {
    const address = conn.remote;
    if (this.throttled.has(address)) return;
    this.throttled.add(address);
    conn.rateLimited(text);
    const paused = [...this.connections].filter((c) => c.remote === address);
    for (const c of paused) this.inputSources.get(c)?.pause();
    this.logger.warn(
      { remote: address, connections: paused.length },
      'websocket client past its message rate',
    );
    setTimeout(() => {
      this.throttled.delete(address);
      for (const c of paused) if (this.connections.has(c)) this.inputSources.get(c)?.resume();
    }, THROTTLE_MS).unref();
  }

  /** The message as `conn` may see it: its own view of an event (eventView), or the shared one. */
  private viewFor(conn: Connection, message: Published): Published {
    const view = this.deps.eventView;
    return view && conn.principal ? view(message, conn.principal) : message;
  }

  /** Counts `conn`'s input against the budget: TCP chunks in, whole frames out (input-budget.ts). */
  private countInput(conn: Connection, socket: WireSocket, input: InputSource): void {
    this.inputSources.set(conn, input);
    // Before ws's own listener, so a chunk is counted before the messages it completes are taken off. Once the
    // connection is closing ws reads no more messages worth counting (after a 1009 it discards what arrives).
    input.prependListener('data', (chunk) => {
      if (socket.readyState === OPEN) this.input.received(conn, chunk.length);
      else this.input.forget(conn);
    });
    const consumed = (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Array.isArray(data)
        ? data.reduce((n, b) => n + b.length, 0)
        : (data as Buffer | ArrayBuffer).byteLength;
      this.input.consumed(conn, clientFrameBytes(bytes));
    };
    socket.on('message', consumed);
    socket.on('ping', consumed);
    socket.on('pong', consumed);
  }

  /** The connection holding the most of a spent input budget: closed with 1009 and cut, freeing what it held. */
  private evict(conn: Connection, held: number): void {
    this.logger.warn(
      {
        connection: conn.id,
        remote: conn.remote,
        held_bytes: held,
        budget_bytes: this.options.maxInputBytes,
      },
      'websocket input budget spent: closing the connection holding the most',
    );
    conn.writer.close();
    conn.socket.close(CLOSE_CODES.tooBig, 'server input budget spent');
    // Read nothing more from it; cut it once the client has had a moment to read the close frame (the client,
    // busy sending, would answer the close handshake late), which frees the partial message it held.
    this.inputSources.get(conn)?.pause();
    setTimeout(() => conn.socket.terminate(), 1000).unref();
  }

  private drop(conn: Connection): void {
    this.input.forget(conn);
    this.inputSources.delete(conn);
    if (!this.connections.delete(conn)) return;
    this.addresses.disconnected(conn.remote);
    for (const [topic, subs] of this.subscribers) {
      if (subs.delete(conn) && subs.size === 0) this.subscribers.delete(topic);
    }
    conn.dispose();
  }

  /** Protocol-level ping; a client that answered nothing since the previous beat is dead and is cut. */
  private beat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.logger.info({ connection: conn.id }, 'websocket client missed its heartbeat; closing');
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.socket.ping();
      } catch {
        // Not open (closing): the close event cleans up.
      }
    }
  }
}

/** Tolerance of an acquisition client's interval: blocks come every 100 ms, give or take a timer's jitter. */
const ACQUISITION_JITTER_MS = 20;

function blockState(message: Published): string {
  return String((message.data as { state?: unknown } | null)?.state ?? '');
}

function carriesCapture(message: Published): boolean {
  return Boolean((message.data as { data?: { capture?: unknown } | null } | null)?.data?.capture);
}

/** Two acquisition blocks as one: the samples of both, in order; the later one's state, stats, seq and time. */
function mergeBlocks(a: Published, b: Published): Published {
  type Samples = {
    count: number;
    start_index?: number;
    timestamps?: string[];
    values: Record<string, unknown[]>;
  };
  const da = (a.data as { data?: Samples | null } | null)?.data ?? null;
  const db = (b.data as { data?: Samples | null } | null)?.data ?? null;
  let data: Samples | null = db ?? da;
  if (da && db) {
    data = {
      count: da.count + db.count,
      ...(da.start_index !== undefined ? { start_index: da.start_index } : {}),
      ...(da.timestamps && db.timestamps ? { timestamps: [...da.timestamps, ...db.timestamps] } : {}),
      values: Object.fromEntries(
        Object.entries(db.values).map(([k, v]) => [k, [...(da.values[k] ?? []), ...v]]),
      ),
    };
  }
  return { ...b, data: { ...(b.data as object), data } } as Published;
}
