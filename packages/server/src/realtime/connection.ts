// One WebSocket client: its writer, its streams (which belong to it alone: its stop_stream or its disconnect
// releases its shares, never anyone else's), its event subscriptions and its capabilities.

import {
  CLOSE_CODES,
  ERROR_CODES,
  type ErrorCode,
  EVENT_TOPICS,
  type EventTopic,
  encode,
  ProtocolError,
  parseClientMessage,
  type ServerMessageMap,
  type StreamType,
  timestamp,
} from '@lablink/protocol';
import { allows, WS_ROLES } from '../auth/roles.js';
import type { Principal } from '../auth/service.js';
import { DomainError } from '../errors.js';
import type { Claim } from '../readings/pipeline.js';
import { THROTTLE_MS } from './address-limits.js';
import { wsErrorCode } from './errors.js';
import type { Gateway } from './gateway.js';
import { handlers } from './handlers.js';
import type { WireSocket } from './socket.js';
import { type Corkable, Writer } from './writer.js';

export interface OwnedStream {
  handle: Claim;
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
}

type Reply = {
  [K in keyof ServerMessageMap]: Omit<ServerMessageMap[K], 'request_id'>;
}[keyof ServerMessageMap];

export class Connection {
  readonly writer: Writer;
  /** Streams this client started, by topic. */
  readonly streams = new Map<string, OwnedStream>();
  /** Acquisition topics this client follows, by acquisition id. */
  readonly acquisitions = new Map<string, string>();
  /** Event topics received. Until the client subscribes explicitly, all of them (the seed's broadcast). */
  readonly topics = new Set<EventTopic>(EVENT_TOPICS);
  explicitTopics = false;
  /** Send sample arrays as binary frames (hello {binary:true}); start_stream may override per stream. */
  binary = false;
  /** Cleared at each heartbeat, set by any pong or message: a client that stays silent for a period is dead. */
  alive = true;
  readonly connectedAt = new Date();
  received = 0;
  private signInTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly socket: WireSocket,
    readonly gateway: Gateway,
    readonly remote: string,
    /** Who the connection acts as; null until a hello signs it in with a token. */
    public principal: Principal | null,
    /** The TCP socket under `socket`: the writer holds each turn's frames in it and sends them together. */
    tcp?: Corkable,
  ) {
    this.writer = new Writer(socket, gateway.options, tcp && { tcp, turns: gateway.turns });
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
  }

  /** Sends a reply or notice (never coalesced, never dropped), echoing the request's request_id. */
  send(message: Reply, requestId?: string | number, topic?: string): void {
    const body = requestId === undefined ? message : { ...message, request_id: requestId };
    this.writer.push({ data: encode(body), topic });
  }

  error(code: ErrorCode, detail: string, requestId?: string | number, field?: string): void {
    this.send({ type: 'error', code, detail, ...(field ? { field } : {}) }, requestId);
  }

  /** A refusal from domain code (the readings pipeline …), with its WebSocket error code (realtime/errors.ts). */
  private domainError(err: DomainError, requestId?: string | number): void {
    const code = wsErrorCode(err);
    if (!code) {
      // No WebSocket request should meet this code; answer anyway, and say so in the log.
      this.gateway.logger.error({ err, connection: this.id }, 'domain error with no WebSocket error code');
    }
    this.error(code ?? ERROR_CODES.internal, err.detail, requestId, err.field);
  }

  /** A stream of this client ended on the server side (instrument gone, shutdown). */
  streamEnded(topic: string, reason: string): void {
    const stream = this.streams.get(topic);
    if (!stream) return;
    this.streams.delete(topic);
    this.gateway.unsubscribe(this, topic);
    const { equipment_id, stream_type, channel } = stream;
    this.send(
      { type: 'stream_stopped', equipment_id, stream_type, channel, topic, reason, timestamp: timestamp() },
      undefined,
      topic,
    );
  }

  /** Closes the connection unless a hello with a valid token signs it in within `ms`. */
  awaitSignIn(ms: number): void {
    this.signInTimer = setTimeout(() => this.refuse('authentication required'), ms);
    this.signInTimer.unref();
  }

  /** Closes with 4401: not signed in, a wrong token, or revoked. */
  refuse(reason: 'authentication required' | 'revoked'): void {
    clearTimeout(this.signInTimer);
    this.writer.close();
    this.socket.close(CLOSE_CODES.unauthenticated, reason);
  }

  /** Releases everything this client holds. */
  dispose(): void {
    clearTimeout(this.signInTimer);
    for (const stream of this.streams.values()) stream.handle.release();
    this.streams.clear();
    this.writer.close();
  }

  /** Answers the first message past its address's rate (gateway.throttle): not handled, with its request_id. */
  rateLimited(text: Buffer): void {
    let requestId: string | number | undefined;
    try {
      requestId = parseClientMessage(text.toString('utf8')).requestId;
    } catch (err) {
      if (err instanceof ProtocolError) requestId = err.requestId;
    }
    const rate = this.gateway.options.messageRatePerAddress;
    const pause = THROTTLE_MS / 1000;
    const detail = `more than ${rate} messages a second from ${this.remote || 'this address'}: this one and those sent in the next ${pause} s were not handled; slow down`;
    this.error(ERROR_CODES.rateLimited, detail, requestId);
  }

  private receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.alive = true;
    this.received += 1;
    if (isBinary) {
      this.error(ERROR_CODES.binaryNotAccepted, 'clients send JSON text frames only');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const { maxMessageBytes } = this.gateway.options;
    if (text.length > maxMessageBytes) {
      const detail = `message of ${text.length} bytes; requests are at most ${maxMessageBytes} bytes`;
      this.error(ERROR_CODES.frameTooLarge, detail);
      return;
    }
    if (!this.gateway.addresses.take(this.remote)) {
      this.gateway.throttle(this, text);
      return;
    }
    let requestId: string | number | undefined;
    try {
      const parsed = parseClientMessage(text.toString('utf8'));
      requestId = parsed.requestId;
      const { type } = parsed.message;
      if (!this.principal) {
        // The first message of a connection without a session cookie signs it in, or it is closed.
        const token = type === 'hello' ? parsed.message.token : undefined;
        const principal = token ? (this.gateway.auth?.verifyToken(token) ?? null) : null;
        if (!principal) {
          this.refuse('authentication required');
          return;
        }
        this.principal = principal;
        clearTimeout(this.signInTimer);
        this.gateway.signedIn(this);
      }
      const needed = WS_ROLES[type];
      if (!allows(this.principal.role, needed)) {
        const detail = `${type} needs the role ${needed}; ${this.principal.username} is ${this.principal.role}`;
        throw new ProtocolError(ERROR_CODES.forbidden, detail, 'type');
      }
      const handle = handlers[parsed.message.type] as (c: Connection, m: typeof parsed.message) => void;
      handle(this, parsed.message);
    } catch (err) {
      // Before sign-in, anything but a valid hello with a valid token ends the connection.
      if (!this.principal) {
        this.refuse('authentication required');
        return;
      }
      if (err instanceof ProtocolError)
        this.error(err.code, err.message, err.requestId ?? requestId, err.field);
      else if (err instanceof DomainError) this.domainError(err, requestId);
      else {
        this.gateway.logger.error({ err, connection: this.id }, 'websocket handler failed');
        this.error(ERROR_CODES.internal, 'internal error; the request had no effect', requestId);
      }
    }
  }
}
