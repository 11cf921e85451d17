// The in-process bus. Readings and events are published once, here, and fanned out to every subscriber: the
// WebSocket gateway, alarms, acquisitions, bridges. Each message gets its topic's next sequence number and a
// server timestamp; the last messages of each topic (LIMITS.replayDepth) are kept so a client can resume after a
// reconnect.
//
// Publishing is typed by @lablink/protocol, so a topic and a type cannot disagree and a payload that drifts from
// its schema does not compile:
// - `publishEvent(type, data)`: the topic comes from the protocol's table (EVENT_TOPIC_OF), `data` is the type's
//   payload (EventPayload<type>);
// - `publishReading({equipment_id, kind, channel}, reading)`: stream_data on the key's stream topic, the reading of
//   that kind (ReadingOf<kind>);
// - `publishAcquisitionBlock(acquisition_id, block)`: acquisition_stream on the acquisition's topic.
//
// Topics that end for good are retired (`retire`): their ring and sequence are dropped, so a finished acquisition
// leaves nothing behind. A later publish on a retired topic starts it afresh, as a topic never seen: seq 1, an
// empty ring. A client resuming from a seq of its earlier life is ahead of it and finds nothing kept: the gateway
// answers `resync_required` (seq_ahead), as after a server restart. Only topics that do not come back are retired
// (acquisition ids are never reused), so a replay never mixes two lives of a topic. Event topics cannot be retired;
// stream topics need not be (bounded by instruments × kinds × channels, and their numbering must go on for resume).

import {
  type AcquisitionBlock,
  acquisitionTopic,
  EVENT_TOPIC_OF,
  EVENT_TOPICS,
  type EventPayload,
  type EventType,
  LIMITS,
  type ReadingOf,
  type StreamType,
  streamTopic,
} from '@lablink/protocol';

/** The `type` of a bus message: an event's, or a stream's data. */
export type PublishedType = EventType | 'stream_data' | 'acquisition_stream';

export interface Published<T = unknown> {
  topic: string;
  type: PublishedType;
  /** Per topic, +1 for each message published on it, starting at 1. */
  seq: number;
  /** Server time, ISO-8601 UTC with Z. */
  timestamp: string;
  data: T;
}

export type Handler = (message: Published) => void;

/** One instrument stream: its readings are published on `streamTopic(equipment_id, kind, channel)`. */
export interface ReadingKey<K extends StreamType = StreamType> {
  equipment_id: string;
  kind: K;
  channel: number;
}

interface TopicState {
  seq: number;
  /** Ring of the last `replayDepth` messages, oldest first. */
  recent: Published[];
}

const EVENT_TOPIC_SET: ReadonlySet<string> = new Set(EVENT_TOPICS);

export class Bus {
  private readonly topics = new Map<string, TopicState>();
  private readonly exact = new Map<string, Set<Handler>>();
  private readonly wildcard = new Set<Handler>();

  constructor(
    private readonly replayDepth: number = LIMITS.replayDepth,
    private readonly onHandlerError: (err: unknown, message: Published) => void = () => {},
  ) {}

  /** Publishes an event on its type's topic (`equipment`, `alarms`, `scheduler`). */
  publishEvent<T extends EventType>(type: T, data: EventPayload<T>): Published<EventPayload<T>> {
    return this.publish(EVENT_TOPIC_OF[type], type, data);
  }

  /** Publishes one reading of an instrument stream as `stream_data` on the key's topic. */
  publishReading<K extends StreamType>(key: ReadingKey<K>, data: ReadingOf<K>): Published<ReadingOf<K>> {
    return this.publish(streamTopic(key.equipment_id, key.kind, key.channel), 'stream_data', data);
  }

  /** Publishes a block of an acquisition as `acquisition_stream` on `acquisition:<id>`. */
  publishAcquisitionBlock(acquisitionId: string, block: AcquisitionBlock): Published<AcquisitionBlock> {
    return this.publish(acquisitionTopic(acquisitionId), 'acquisition_stream', block);
  }

  /** Subscribes to one topic, or to every topic with '*'. Returns the unsubscribe function. */
  subscribe(topic: string, handler: Handler): () => void {
    if (topic === '*') {
      this.wildcard.add(handler);
      return () => this.wildcard.delete(handler);
    }
    let handlers = this.exact.get(topic);
    if (!handlers) {
      handlers = new Set();
      this.exact.set(topic, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.exact.delete(topic);
    };
  }

  latest(topic: string): Published | undefined {
    return this.topics.get(topic)?.recent.at(-1);
  }

  /** The topic's current sequence number (0 when nothing was published, or since it was retired). */
  seq(topic: string): number {
    return this.topics.get(topic)?.seq ?? 0;
  }

  /**
   * Messages published on `topic` after `afterSeq`, oldest first; null when some of them are no longer kept
   * (the caller must resynchronise another way, e.g. over REST).
   */
  since(topic: string, afterSeq: number): Published[] | null {
    const state = this.topics.get(topic);
    if (!state || afterSeq >= state.seq) return [];
    const oldest = state.recent[0]?.seq ?? state.seq + 1;
    if (afterSeq + 1 < oldest) return null;
    return state.recent.filter((m) => m.seq > afterSeq);
  }

  /**
   * Forgets a topic that has ended for good (a finished acquisition): its kept messages and its sequence number. Subscriptions stay (their owners end them). A later publish starts the topic
   * afresh at seq 1. Returns whether the topic had state. Event topics cannot be retired: clients resume them.
   */
  retire(topic: string): boolean {
    if (EVENT_TOPIC_SET.has(topic)) throw new Error(`event topic "${topic}" cannot be retired`);
    return this.topics.delete(topic);
  }

  /** Topics with state (published on and not retired): what the bus holds in memory. */
  get size(): number {
    return this.topics.size;
  }

  private publish<T>(topic: string, type: PublishedType, data: T): Published<T> {
    let state = this.topics.get(topic);
    if (!state) {
      state = { seq: 0, recent: [] };
      this.topics.set(topic, state);
    }
    state.seq += 1;
    const message: Published<T> = { topic, type, seq: state.seq, timestamp: new Date().toISOString(), data };
    state.recent.push(message);
    if (state.recent.length > this.replayDepth) state.recent.shift();
    for (const handler of this.exact.get(topic) ?? []) this.deliver(handler, message);
    for (const handler of this.wildcard) this.deliver(handler, message);
    return message;
  }

  private deliver(handler: Handler, message: Published): void {
    try {
      handler(message);
    } catch (err) {
      this.onHandlerError(err, message);
    }
  }
}
