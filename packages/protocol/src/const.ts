// Every constant of the LabLink WebSocket protocol in one place (in the manner of Home Assistant's
// websocket_api/const.py): message types, error codes, close codes, topics and limits. The server, the client
// SDK, the web app and docs/protocol.md all read them from here, so a name is spelled exactly once.

/** Bumped when a message changes incompatibly; sent in `welcome`. */
export const PROTOCOL_VERSION = 1;

/** Messages a client sends. The first five are the original LabLink's, spelled as its clients spell them. */
export const CLIENT_TYPES = {
  startStream: 'start_stream',
  stopStream: 'stop_stream',
  startAcquisitionStream: 'start_acquisition_stream',
  stopAcquisitionStream: 'stop_acquisition_stream',
  ping: 'ping',
  /** Declares client capabilities (binary frames, batching of stream data). */
  hello: 'hello',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
} as const;
export type ClientType = (typeof CLIENT_TYPES)[keyof typeof CLIENT_TYPES];

/**
 * Replies and notices the server sends. Events are listed in EVENT_TYPES; a topic's data comes in `stream_data`,
 * `acquisition_stream` and `batch` messages.
 */
export const REPLY_TYPES = {
  welcome: 'welcome',
  helloOk: 'hello_ok',
  pong: 'pong',
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  streamStarted: 'stream_started',
  streamStopped: 'stream_stopped',
  acquisitionStreamStarted: 'acquisition_stream_started',
  acquisitionStreamStopped: 'acquisition_stream_stopped',
  resyncRequired: 'resync_required',
  error: 'error',
} as const;

/** Several stream_data messages in one frame, for a client that asked for batching (hello batch_ms). */
export const BATCH_TYPE = 'batch';

/** Event topics a client may subscribe to. A client that never sends `subscribe` receives all of them. */
export const TOPICS = {
  /** Instruments connected, disconnected, in error, back; emergency stop; locks. */
  equipment: 'equipment',
  alarms: 'alarms',
  scheduler: 'scheduler',
  /** A hub's benches (`lablink hub`, docs/mqtt.md): their status, instruments, readings, alarms and jobs. */
  hub: 'hub',
} as const;
export type EventTopic = (typeof TOPICS)[keyof typeof TOPICS];
export const EVENT_TOPICS: readonly EventTopic[] = Object.values(TOPICS);

/** Event messages, by topic. `type` is the event's name, `data` its payload. */
export const EVENT_TYPES = {
  equipment: [
    'equipment_connected',
    'equipment_disconnected',
    'equipment_state',
    'emergency_stop_activated',
    'emergency_stop_deactivated',
    'lock_acquired',
    'lock_released',
    'lock_expired',
  ],
  alarms: ['alarm_event', 'alarm_updated', 'alarm_cleared'],
  scheduler: [
    'job_created',
    'job_updated',
    'job_deleted',
    'job_started',
    'job_completed',
    'job_failed',
    'job_progress',
  ],
  hub: ['bench_status', 'bench_equipment', 'bench_reading', 'bench_alarm', 'bench_job'],
} as const satisfies Record<EventTopic, readonly string[]>;

/** Every event type (the `type` of an event message). */
export type EventType = (typeof EVENT_TYPES)[EventTopic][number];

/** The topic an event type is published on, as a type: `EventTopicOf<'alarm_event'>` is `'alarms'`. */
export type EventTopicOf<T extends EventType> = {
  [K in EventTopic]: T extends (typeof EVENT_TYPES)[K][number] ? K : never;
}[EventTopic];

/**
 * The topic of each event type, from EVENT_TYPES: one lookup, so an event can never be published on another
 * topic than the one its clients subscribe to (the server's bus takes only the type).
 */
export const EVENT_TOPIC_OF = Object.freeze(
  Object.fromEntries(EVENT_TOPICS.flatMap((topic) => EVENT_TYPES[topic].map((type) => [type, topic]))),
) as { readonly [T in EventType]: EventTopicOf<T> };

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_TOPIC_OF, value);
}

export const STREAM_TYPES = ['readings', 'measurements', 'waveform'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];

/** Topic of one instrument stream: `stream:<equipment_id>:<stream_type>:<channel>`. */
export function streamTopic(equipmentId: string, streamType: string, channel: number): string {
  return `stream:${equipmentId}:${streamType}:${channel}`;
}

/** Topic an acquisition publishes its `acquisition_stream` blocks on. */
export function acquisitionTopic(acquisitionId: string): string {
  return `acquisition:${acquisitionId}`;
}

/** `code` of an `error` message. The connection stays open after every one of them. */
export const ERROR_CODES = {
  /** The text frame is not JSON, or not a JSON object. */
  invalidJson: 'invalid_json',
  /** `type` names no client message. */
  unknownType: 'unknown_type',
  /** A required field is absent (`field` names it). */
  missingField: 'missing_field',
  /** A field has the wrong type or is out of range (`field` names it). */
  invalidField: 'invalid_field',
  unknownEquipment: 'unknown_equipment',
  /** The instrument cannot serve this stream type (e.g. `readings` from an oscilloscope). */
  unsupportedStream: 'unsupported_stream',
  /** The instrument exists but is not connected right now (error, reconnecting, not responding, connecting). */
  notConnected: 'not_connected',
  /** `stop_stream` for a stream this connection did not start (or that already ended). */
  notStreaming: 'not_streaming',
  unknownAcquisition: 'unknown_acquisition',
  /**
   * A text frame above maxMessageBytes: the connection stays. Also sent just before the connection is closed with
   * 1009 when a frame announces more than maxPayloadBytes (that frame is never read).
   */
  frameTooLarge: 'frame_too_large',
  /** The client sent a binary frame; clients send JSON text only. */
  binaryNotAccepted: 'binary_not_accepted',
  /** The connection's role does not allow that message (the error names the role needed); the socket stays. */
  forbidden: 'forbidden',
  /** The client's address sent more messages a second than the server allows; the message was not handled. */
  rateLimited: 'rate_limited',
  /** A bug on the server; the request had no effect. */
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** WebSocket close codes the server uses. */
export const CLOSE_CODES = {
  normal: 1000,
  /** The server is shutting down; reconnect with backoff. */
  goingAway: 1001,
  /**
   * RFC 6455 "message too big": a frame announcing more than maxPayloadBytes (refused from its header, never
   * read), or a connection holding the most of the server's input budget when that budget is spent.
   */
  tooBig: 1009,
  internalError: 1011,
  /**
   * RFC 6455 "try again later": the server has its maximum number of WebSocket connections (normally refused
   * earlier, with HTTP 503 at the upgrade).
   */
  tryAgainLater: 1013,
  /** The client read too slowly and its queue of events overflowed: reconnect, resume or resync over REST. */
  cannotKeepUp: 4008,
  /**
   * "authentication required" (or "revoked"): no session cookie at the upgrade and no valid token in a hello within
   * 5 s, a wrong token, or the token revoked / the user deleted while connected. Reconnecting will not help until
   * the client has a valid token or session.
   */
  unauthenticated: 4401,
  /**
   * "forbidden": reserved. A message the role does not allow is answered with a `forbidden` error instead and the
   * connection stays.
   */
  forbidden: 4403,
} as const;

/** Why a stream ended, in `stream_stopped.reason`. */
export const STOP_REASONS = {
  /** The client asked (stop_stream). */
  requested: 'requested',
  /** The instrument was disconnected or removed. */
  equipmentDisconnected: 'equipment_disconnected',
  /** The server is shutting down. */
  serverShutdown: 'server_shutdown',
} as const;

export const LIMITS = {
  /** Accepted range of `batch_ms` in hello: stream data is gathered and sent as one `batch` frame per period. */
  batchMs: { min: 20, max: 1000 },
  /** Accepted range and default of `interval_ms` in start_stream. */
  intervalMs: { min: 20, max: 60_000, default: 100 },
  /**
   * The largest client message the server reads. A frame announcing more is refused from its header, before any
   * of it is buffered: `frame_too_large`, then close 1009. No request needs more than a few hundred bytes.
   */
  maxPayloadBytes: 1024 * 1024,
  /** Client messages above this (and up to maxPayloadBytes) get `frame_too_large`; the connection stays. */
  maxMessageBytes: 64 * 1024,
  /** Server protocol-level ping period; a peer that has not answered the previous ping is dropped. */
  heartbeatMs: 30_000,
  /** Events queued for one slow client before it is closed with 4008 (Home Assistant's PENDING_MSG_PEAK). */
  maxQueuedEvents: 1024,
  /**
   * Messages of a topic kept for resume (the bus's replay depth, per topic). A topic that ends for good (a
   * finished acquisition) is retired and keeps nothing.
   */
  replayDepth: 256,
  /** Largest `num_samples` a start_acquisition_stream may ask for in one block. */
  maxSamples: 1_000_000,
} as const;
