// One WebSocket at a time to the gateway, kept open: connect, wait for `welcome`, ping, and after any loss wait
// a backoff delay (full jitter) and connect again. It matches replies to requests by request_id and hands every
// other message on. What the messages mean (streams, events) is the RealtimeClient's business.

import { decodeBinary, type ServerMessageMap, toJsonForm } from '@lablink/protocol';
import { Backoff, type BackoffOptions } from './backoff.js';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './socket.js';

/** Any message the server sends, as parsed JSON (`type` tells which; see @lablink/protocol's ServerMessageMap). */
export type ServerEvent = { type: string; [field: string]: unknown };

export type Welcome = ServerMessageMap['welcome'];

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  reconnect?: BackoffOptions;
  /** Period of the app-level ping; a socket silent for two periods is declared dead. */
  heartbeatMs: number;
  /** A socket that has not said `welcome` within this time is given up and retried. */
  connectTimeoutMs: number;
}

export interface ConnectionEvents {
  /** A socket is open and the server said welcome: requests may be sent. */
  welcome(welcome: Welcome): void;
  /** A message that answers no pending request (data, events, notices). */
  message(message: ServerEvent): void;
  /** The socket was lost or could not be opened; the next attempt is scheduled. */
  down(): void;
  /** A ping's round trip: the server's clock read `serverTime` between `sentAt` and `receivedAt`. */
  clock(sentAt: number, serverTime: string, receivedAt: number): void;
}

type Reply = (message: ServerEvent) => void;

/** Close code for sockets the client gives up on (4000–4999 are free for applications). */
const CLOSE_DEAD = 4000;

export class Connection {
  private socket: WebSocketLike | null = null;
  private welcomed = false;
  private running = false;
  private readonly backoff: Backoff;
  private readonly pending = new Map<string, Reply>();
  private nextRequest = 1;
  private lastReceived = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.backoff = new Backoff(options.reconnect);
  }

  /** Open and said welcome. */
  get live(): boolean {
    return this.welcomed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.forget();
    if (socket) closeQuietly(socket, 1000, 'client stopped');
    this.backoff.reset();
  }

  /** Sends a request on a live socket; `reply` gets the message that echoes its request_id (the reply or an error). */
  send(message: Record<string, unknown>, reply: Reply = () => {}): void {
    const socket = this.socket;
    if (!socket || !this.welcomed || socket.readyState !== OPEN) return;
    const request_id = `r${this.nextRequest++}`;
    this.pending.set(request_id, reply);
    socket.send(JSON.stringify({ ...message, request_id }));
  }

  private connect(): void {
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.options.url);
    } catch {
      // A malformed URL throws at once in browsers; treat it like a failed connection.
      this.lost();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = () => {
      if (this.socket === socket) this.lost();
    };
    // The close event follows every error; that is where the loss is handled.
    socket.onerror = () => {};
    this.connectTimer = setTimeout(() => {
      if (this.socket === socket && !this.welcomed) this.abandon(socket, 'no welcome from the server');
    }, this.options.connectTimeoutMs);
  }

  /** The socket is gone (closed, failed, or abandoned): try again after a backoff delay. */
  private lost(): void {
    this.forget();
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
    this.events.down();
  }

  /** Forgets the current socket and everything tied to it: its timers and its unanswered requests. */
  private forget(): void {
    const socket = this.socket;
    this.socket = null;
    this.welcomed = false;
    if (socket) socket.onmessage = socket.onclose = null;
    clearTimeout(this.connectTimer);
    clearInterval(this.heartbeatTimer);
    this.pending.clear();
  }

  /**
   * Gives up on a socket that is open but says nothing (a dead peer behind a NAT, a laptop that slept). Its
   * close handshake could take as long as the silence, so it is dropped now and the outage begins at once.
   */
  private abandon(socket: WebSocketLike, why: string): void {
    closeQuietly(socket, CLOSE_DEAD, why);
    this.lost();
  }

  private onWelcome(welcome: Welcome): void {
    clearTimeout(this.connectTimer);
    this.welcomed = true;
    this.backoff.reset();
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.events.welcome(welcome);
    this.ping(); // an early clock sample, so latency is right from the first readings
  }

  private beat(): void {
    const socket = this.socket;
    if (!socket || !this.welcomed) return;
    if (Date.now() - this.lastReceived > 2 * this.options.heartbeatMs)
      this.abandon(socket, 'heartbeat timeout');
    else this.ping();
  }

  private ping(): void {
    const sentAt = Date.now();
    this.send({ type: 'ping' }, (pong) => {
      if (pong.type === 'pong') this.events.clock(sentAt, pong.timestamp as string, Date.now());
    });
  }

  private receive(raw: unknown): void {
    this.lastReceived = Date.now();
    let message: ServerEvent;
    try {
      // Binary frames carry sample arrays as float32 (docs/protocol.md); the JSON form is the same message.
      message = (
        typeof raw === 'string' ? JSON.parse(raw) : toJsonForm(decodeBinary(raw as ArrayBuffer))
      ) as ServerEvent;
    } catch {
      return; // not a LabLink message; nothing sensible to do with it
    }
    if (message.type === 'batch' && Array.isArray(message.messages)) {
      // Stream data gathered by the server (hello batch_ms): each one as if it had come in its own frame.
      for (const inner of message.messages as ServerEvent[]) this.events.message(inner);
      return;
    }
    const requestId = message.request_id;
    const reply = typeof requestId === 'string' ? this.pending.get(requestId) : undefined;
    // A resync notice also echoes the request_id of the start_stream or subscribe that caused it, after the
    // reply proper; it is a notice, not the reply.
    if (reply && message.type !== 'resync_required') {
      this.pending.delete(requestId as string);
      reply(message);
    } else if (message.type === 'welcome') {
      this.onWelcome(message as unknown as Welcome);
    } else {
      this.events.message(message);
    }
  }
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  socket.onmessage = socket.onclose = null;
  try {
    socket.close(code, reason);
  } catch {
    // Already closing or closed.
  }
}
