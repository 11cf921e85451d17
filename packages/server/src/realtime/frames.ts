// From a bus message to the frame a subscriber receives. Each published message is encoded at most once per
// form (JSON text, binary) however many clients receive it: the fan-out shares the encoded frame, down to the
// WebSocket frame's bytes (wsFrame), which the writers hand to their TCP sockets as they are.

import { encode, encodeBinary, type StreamType } from '@lablink/protocol';
import type { Published } from '../bus.js';
import type { Frame } from './writer.js';

/** A connection's stream: what it asked for, and the seq of the last message handed to its writer. */
export interface StreamSubscription {
  kind: 'stream';
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
  binary: boolean;
  lastSeq?: number;
}

/** How a connection receives a topic. */
export type Subscription = { kind: 'event' } | StreamSubscription | AcquisitionSubscription;

/**
 * A connection's acquisition stream. With `interval_ms` above the session's own pace, blocks are merged and sent
 * at most once per interval (at once on a state change); `lastSeq` is the seq of the last one sent.
 */
export interface AcquisitionSubscription {
  kind: 'acquisition';
  acquisition_id: string;
  binary: boolean;
  interval_ms?: number;
  lastSeq?: number;
  lastSent?: number;
  lastState?: string;
  /** Blocks received and not yet sent, merged into one. */
  pending?: Published;
}

/**
 * The wire message for a published bus message, as `sub` receives it; `prevSeq` is the stream message sent to it
 * before, when that is not seq − 1 (it asked for a slower rate than the poller's).
 */
export function toWire(
  published: Published,
  sub: Subscription,
  prevSeq?: number,
): { data: unknown } & Record<string, unknown> {
  const { topic, seq, timestamp } = published;
  switch (sub.kind) {
    case 'event':
      return { type: published.type, topic, seq, timestamp, data: published.data ?? {} };
    case 'stream': {
      const { equipment_id, stream_type, channel } = sub;
      // The original wrapped a non-object result as {"value": …}; clients still read it that way.
      const data = isObject(published.data) ? published.data : { value: published.data };
      const wire = { type: 'stream_data', topic, seq, timestamp, equipment_id, stream_type, channel, data };
      return prevSeq === undefined ? wire : { ...wire, prev_seq: prevSeq };
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
        ...(prevSeq === undefined ? {} : { prev_seq: prevSeq }),
      };
    }
  }
}

/**
 * Lazily encodes one published message for its subscribers: JSON once, binary once (and once more per distinct
 * `prevSeq`, for streams at slower rates than their poller's).
 */
export class FrameCache {
  /** The JSON frame without prev_seq: what nearly every subscriber gets (kept apart from the map: no key to build). */
  private json: Frame | undefined;
  /** Other forms, by form and prevSeq; null: no sample arrays, so binary subscribers get the JSON frame. */
  private readonly frames = new Map<string, Frame | null>();

  constructor(
    private readonly published: Published,
    private readonly representative: Subscription,
  ) {}

  for(sub: Subscription, prevSeq?: number): Frame {
    if ('binary' in sub && sub.binary) {
      const binary = this.encoded(`b${prevSeq ?? ''}`, prevSeq, true);
      if (binary) return binary;
    }
    if (prevSeq === undefined) {
      this.json ??= this.encode(undefined, false) as Frame;
      return this.json;
    }
    return this.encoded(`j${prevSeq}`, prevSeq, false) as Frame;
  }

  private encoded(key: string, prevSeq: number | undefined, binary: boolean): Frame | null {
    let frame = this.frames.get(key);
    if (frame === undefined) {
      frame = this.encode(prevSeq, binary);
      this.frames.set(key, frame);
    }
    return frame;
  }

  private encode(prevSeq: number | undefined, binary: boolean): Frame | null {
    const wire = toWire(this.published, this.representative, prevSeq);
    const data = binary ? encodeBinary(wire) : encode(wire);
    if (!data) return null;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    const coalesce = this.representative.kind === 'stream';
    return { data, wire: wsFrame(payload, binary), topic: this.published.topic, coalesce };
  }
}

/**
 * A whole WebSocket message as a server sends it (RFC 6455 §5.2): one final frame, text or binary, unmasked, not
 * compressed, its payload copied after the header. Built once per message, it is the same bytes for every client.
 */
export function wsFrame(payload: Uint8Array, binary: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | (binary ? 0x2 : 0x1); // FIN, opcode
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(payload, headerLength);
  return frame;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
