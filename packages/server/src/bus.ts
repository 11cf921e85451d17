// The in-process bus. Readings and events are published once, here, and fanned out to every subscriber: the
// WebSocket gateway, alarms, acquisitions, bridges. Each message gets its topic's next sequence number and a
// server timestamp; the last messages of each topic are kept so a client can resume after a reconnect.

export interface Published<T = unknown> {
  topic: string;
  type: string;
  /** Per topic, +1 for each message published on it, starting at 1. */
  seq: number;
  /** Server time, ISO-8601 UTC with Z. */
  timestamp: string;
  data: T;
}

export type Handler = (message: Published) => void;

interface TopicState {
  seq: number;
  /** Ring of the last `replayDepth` messages, oldest first. */
  recent: Published[];
}

export class Bus {
  private readonly topics = new Map<string, TopicState>();
  private readonly exact = new Map<string, Set<Handler>>();
  private readonly wildcard = new Set<Handler>();

  constructor(
    private readonly replayDepth = 256,
    private readonly onHandlerError: (err: unknown, message: Published) => void = () => {},
  ) {}

  publish<T>(topic: string, type: string, data: T): Published<T> {
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

  /** The topic's current sequence number (0 when nothing was published). */
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

  private deliver(handler: Handler, message: Published): void {
    try {
      handler(message);
    } catch (err) {
      this.onHandlerError(err, message);
    }
  }
}
