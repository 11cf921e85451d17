// JSON schemas (TypeBox) of every WebSocket message, with their TypeScript types. Client messages accept extra
// fields (older and newer clients send some: priority, compression, num_samples …) so that they are ignored, not
// refused; server messages are exact, payloads included (payloads.ts: each event type's `data`, each reading
// kind's), and the tests validate every message the server sends against them.

import { type TSchema, Type } from 'typebox';
import {
  BATCH_TYPE,
  ERROR_CODES,
  EVENT_TOPIC_OF,
  EVENT_TOPICS,
  type EventType,
  LIMITS,
  STREAM_TYPES,
  type StreamType,
} from './const.js';
import { AcquisitionBlock, EventPayloads, ReadingPayloads } from './payloads.js';
import { Me } from './rest/auth.js';

const literals = <const T extends string[]>(values: readonly [...T]) => Type.Enum<T>(values);

/** Sequence numbers and integer request ids stay within the integers JSON and JavaScript hold exactly. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const RequestId = Type.Union(
  [Type.String({ maxLength: 128 }), Type.Integer({ minimum: -MAX_SAFE, maximum: MAX_SAFE })],
  {
    description:
      'Any string (128 characters at most) or safe integer; echoed in the reply so a client can match it to its request',
  },
);
/** A topic's last seq a client saw (0: none yet). */
const ResumeSeq = Type.Integer({ minimum: 0, maximum: MAX_SAFE });
const Timestamp = Type.String({ description: 'Server time, ISO-8601 UTC with Z', pattern: 'Z$' });
const Seq = Type.Integer({ minimum: 1, description: 'Per topic, +1 for each message published on it' });
const StreamTypeSchema = literals(STREAM_TYPES);
const EventTopicSchema = literals(EVENT_TOPICS);
const Channel = Type.Integer({ minimum: 1, maximum: 64 });
const Interval = Type.Integer({ minimum: LIMITS.intervalMs.min, maximum: LIMITS.intervalMs.max });
const EquipmentId = Type.String({ minLength: 1, maxLength: 200 });

// ---------------------------------------------------------------------------------------------- client → server

const request = <P extends Record<string, Parameters<typeof Type.Object>[0][string]>, T extends string>(
  type: T,
  properties: P,
) => Type.Object({ type: Type.Literal(type), request_id: Type.Optional(RequestId), ...properties });

export const ClientMessages = {
  start_stream: request('start_stream', {
    equipment_id: EquipmentId,
    stream_type: Type.Optional(StreamTypeSchema),
    interval_ms: Type.Optional(Interval),
    channel: Type.Optional(Channel),
    /** Send sample arrays of this stream as binary frames (see docs/protocol.md). */
    binary: Type.Optional(Type.Boolean()),
    /** The last seq this client saw on the stream's topic: missed messages are replayed first. */
    resume_from: Type.Optional(ResumeSeq),
  }),
  stop_stream: request('stop_stream', {
    equipment_id: EquipmentId,
    stream_type: Type.Optional(StreamTypeSchema),
    channel: Type.Optional(Channel),
  }),
  start_acquisition_stream: request('start_acquisition_stream', {
    acquisition_id: Type.String({ minLength: 1, maxLength: 200 }),
    interval_ms: Type.Optional(Interval),
    num_samples: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxSamples })),
    binary: Type.Optional(Type.Boolean()),
    resume_from: Type.Optional(ResumeSeq),
  }),
  stop_acquisition_stream: request('stop_acquisition_stream', {
    acquisition_id: Type.String({ minLength: 1, maxLength: 200 }),
  }),
  ping: request('ping', {}),
  hello: request('hello', {
    binary: Type.Optional(Type.Boolean()),
    /** Gather this connection's stream_data and send them as one `batch` frame every batch_ms (docs/protocol.md). */
    batch_ms: Type.Optional(Type.Integer({ minimum: LIMITS.batchMs.min, maximum: LIMITS.batchMs.max })),
    client: Type.Optional(Type.String({ maxLength: 200 })),
    /** An API token (ll_…), when the connection has no session cookie; never put it in the URL. */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  }),
  subscribe: request('subscribe', {
    topics: Type.Array(EventTopicSchema, { minItems: 1, maxItems: 16 }),
    /** Last seq seen per topic; events published after it are replayed before live ones. */
    resume_from: Type.Optional(Type.Record(Type.String(), ResumeSeq, { maxProperties: 16 })),
  }),
  unsubscribe: request('unsubscribe', {
    topics: Type.Array(EventTopicSchema, { minItems: 1, maxItems: 16 }),
  }),
} as const;

export type ClientMessageMap = {
  [K in keyof typeof ClientMessages]: Type.Static<(typeof ClientMessages)[K]>;
};
export type ClientMessage = ClientMessageMap[keyof ClientMessageMap];

// ---------------------------------------------------------------------------------------------- server → client

const reply = <P extends Record<string, Parameters<typeof Type.Object>[0][string]>, T extends string>(
  type: T,
  properties: P,
) =>
  Type.Object(
    { type: Type.Literal(type), request_id: Type.Optional(RequestId), ...properties },
    { additionalProperties: false },
  );

const StreamKey = { equipment_id: EquipmentId, stream_type: StreamTypeSchema, channel: Channel };

/** Describes one sample array moved out of `data` into the binary part of a frame (docs/protocol.md). */
export const BinaryArray = Type.Object(
  {
    /** Path of the array inside `data`, e.g. ["samples"] or ["values", "1"]. */
    path: Type.Array(Type.String(), { minItems: 1 }),
    count: Type.Integer({ minimum: 0 }),
    dtype: Type.Literal('float32'),
  },
  { additionalProperties: false },
);

/** Fields every data and event message carries. */
const published = { topic: Type.String(), seq: Seq, timestamp: Timestamp };

/** An event message: its topic is the one EVENT_TYPES gives its type, its `data` the type's payload schema. */
const event = <T extends EventType>(type: T) =>
  Type.Object(
    {
      type: Type.Literal(type),
      ...published,
      topic: Type.Literal(EVENT_TOPIC_OF[type]),
      data: EventPayloads[type] as (typeof EventPayloads)[T],
    },
    { additionalProperties: false },
  );

export const EventMessages = Object.fromEntries(
  (Object.keys(EVENT_TOPIC_OF) as EventType[]).map((t) => [t, event(t)]),
) as { [T in EventType]: ReturnType<typeof event<T>> };

/** stream_data of one reading kind: `data` is that kind's payload (payloads.ts). */
const streamData = <K extends StreamType>(kind: K) =>
  reply('stream_data', {
    ...published,
    ...StreamKey,
    stream_type: Type.Literal(kind),
    /**
     * The seq of the message this client was sent before this one, when it is not seq − 1: the client asked for a
     * slower rate than the instrument is read at. A client missed something only when its last seq is below it.
     */
    prev_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    data: ReadingPayloads[kind] as (typeof ReadingPayloads)[K],
    /** Only in the JSON header of a binary frame. */
    binary: Type.Optional(Type.Array(BinaryArray)),
  });

/** One stream_data schema per reading kind, keyed by `stream_type`. */
export const StreamDataMessages = {
  readings: streamData('readings'),
  measurements: streamData('measurements'),
  waveform: streamData('waveform'),
} as const satisfies Record<StreamType, TSchema>;

const StreamDataMessage = Type.Union([
  StreamDataMessages.readings,
  StreamDataMessages.measurements,
  StreamDataMessages.waveform,
]);

/**
 * Several stream_data messages in one text frame, sent every `batch_ms` to a client that asked for it in hello.
 * The messages are exactly those it would have received one frame each, oldest first.
 */
const BatchMessage = Type.Object(
  { type: Type.Literal(BATCH_TYPE), messages: Type.Array(StreamDataMessage, { minItems: 1 }) },
  { additionalProperties: false },
);

const TopicSeqs = Type.Record(Type.String(), Type.Integer({ minimum: 0 }));

export const ServerMessages = {
  welcome: reply('welcome', {
    protocol_version: Type.Integer(),
    /** Changes when the server restarts: sequence numbers start again, so resume is impossible. */
    server_instance: Type.String(),
    timestamp: Timestamp,
    heartbeat_interval_ms: Type.Integer(),
    max_message_bytes: Type.Integer(),
    max_payload_bytes: Type.Integer(),
    interval_ms: Type.Object(
      { min: Type.Integer(), max: Type.Integer(), default: Type.Integer() },
      { additionalProperties: false },
    ),
    topics: Type.Array(EventTopicSchema),
    /** Current seq of each event topic, so a client can resume from here later. */
    seq: TopicSeqs,
  }),
  hello_ok: reply('hello_ok', {
    /** Who the connection acts as (open mode: the admin `local`); the role decides what it may send. */
    user: Me,
    binary: Type.Boolean(),
    /** Present when stream data is batched: the period asked for. */
    batch_ms: Type.Optional(Type.Integer()),
  }),
  pong: reply('pong', { timestamp: Timestamp }),
  subscribed: reply('subscribed', { topics: Type.Array(EventTopicSchema), seq: TopicSeqs }),
  unsubscribed: reply('unsubscribed', { topics: Type.Array(EventTopicSchema) }),
  stream_started: reply('stream_started', {
    ...StreamKey,
    /** What this client asked for. */
    interval_ms: Interval,
    /** The shared poller's period: the fastest any subscriber asked for. */
    effective_interval_ms: Interval,
    topic: Type.String(),
    /** The topic's current seq; the next stream_data has a larger one. */
    seq: Type.Integer({ minimum: 0 }),
    binary: Type.Boolean(),
  }),
  stream_stopped: reply('stream_stopped', {
    ...StreamKey,
    topic: Type.String(),
    reason: Type.String(),
    detail: Type.Optional(Type.String()),
    timestamp: Timestamp,
  }),
  stream_data: StreamDataMessage,
  acquisition_stream_started: reply('acquisition_stream_started', {
    acquisition_id: Type.String(),
    topic: Type.String(),
    seq: Type.Integer({ minimum: 0 }),
    binary: Type.Boolean(),
  }),
  acquisition_stream_stopped: reply('acquisition_stream_stopped', {
    acquisition_id: Type.String(),
    reason: Type.String(),
  }),
  acquisition_stream: reply('acquisition_stream', {
    ...published,
    acquisition_id: Type.String(),
    ...AcquisitionBlock.properties,
    /** The seq of the block sent before, when blocks were merged in between (the client asked for a slower pace). */
    prev_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    binary: Type.Optional(Type.Array(BinaryArray)),
  }),
  resync_required: reply('resync_required', {
    topic: Type.String(),
    /** too_old: the missed messages are no longer kept; seq_ahead: the server restarted. */
    reason: literals(['too_old', 'seq_ahead'] as const),
    /** The topic's current seq. */
    seq: Type.Integer({ minimum: 0 }),
    timestamp: Timestamp,
  }),
  error: reply('error', {
    code: literals(Object.values(ERROR_CODES)),
    detail: Type.String(),
    /** The offending field, for missing_field and invalid_field. */
    field: Type.Optional(Type.String()),
  }),
  batch: BatchMessage,
  ...EventMessages,
} as const;

export type ServerMessageMap = {
  [K in keyof typeof ServerMessages]: Type.Static<(typeof ServerMessages)[K]>;
};
export type ServerMessage = ServerMessageMap[keyof ServerMessageMap];
export type ErrorMessage = ServerMessageMap['error'];
export type StreamDataMessage = ServerMessageMap['stream_data'];
export type BatchMessage = ServerMessageMap['batch'];

/** One schema for any server message (a union keyed by `type`), for clients that validate what they receive. */
export const ServerMessage = Type.Union(Object.values(ServerMessages));
export const ClientMessage = Type.Union(Object.values(ClientMessages));
