// From a bus message to the frame a subscriber receives. Each published message is encoded at most once per
// form (JSON text, binary) however many clients receive it: the fan-out shares the encoded frame.

import { encode, encodeBinary, type StreamType } from '@lablink/protocol';
import type { Published } from '../bus.js';
import type { Frame } from './writer.js';

/** How a connection receives a topic. */
export type Subscription =
  | { kind: 'event' }
  | { kind: 'stream'; equipment_id: string; stream_type: StreamType; channel: number; binary: boolean }
  | { kind: 'acquisition'; acquisition_id: string; binary: boolean };

/** The wire message for a published bus message, as `sub` receives it. */
export function toWire(published: Published, sub: Subscription): { data: unknown } & Record<string, unknown> {
  const { topic, seq, timestamp } = published;
  switch (sub.kind) {
    case 'event':
      return { type: published.type, topic, seq, timestamp, data: published.data ?? {} };
    case 'stream': {
      const { equipment_id, stream_type, channel } = sub;
      // The original wrapped a non-object result as {"value": …}; clients still read it that way.
      const data = isObject(published.data) ? published.data : { value: published.data };
      return { type: 'stream_data', topic, seq, timestamp, equipment_id, stream_type, channel, data };
    }
    case 'acquisition': {
      const block = isObject(published.data) ? published.data : {};
      return {
        type: 'acquisition_stream',
        topic,
        seq,
        timestamp,
        acquisition_id: sub.acquisition_id,
        state: String(block.state ?? 'unknown'),
        stats: isObject(block.stats) ? block.stats : {},
        data: isObject(block.data) ? block.data : null,
      };
    }
  }
}

/** Lazily encodes one published message for its subscribers: JSON once, binary once. */
export class FrameCache {
  private json?: Frame;
  /** null: the message has no sample arrays, so binary subscribers get the JSON frame too. */
  private binary?: Frame | null;

  constructor(
    private readonly published: Published,
    private readonly representative: Subscription,
  ) {}

  for(sub: Subscription): Frame {
    const coalesce = sub.kind === 'stream';
    if ('binary' in sub && sub.binary) {
      if (this.binary === undefined) this.binary = this.encodeBinary(coalesce);
      if (this.binary) return this.binary;
    }
    this.json ??= {
      data: encode(toWire(this.published, this.representative)),
      topic: this.published.topic,
      coalesce,
    };
    return this.json;
  }

  private encodeBinary(coalesce: boolean): Frame | null {
    const bytes = encodeBinary(toWire(this.published, this.representative));
    return bytes ? { data: bytes, topic: this.published.topic, coalesce } : null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
