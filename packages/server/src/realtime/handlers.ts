// One handler per client message type. A handler validates what the schema cannot (instrument, stream type,
// acquisition), acts, and replies; it throws ProtocolError for a refused request, which the connection turns
// into an `error` reply with the request's request_id. A DomainError from the services it calls (the readings
// pipeline refusing a claim) gets its WebSocket error code there too (realtime/errors.ts). The message has already
// passed its schema.

import {
  acquisitionTopic,
  type ClientMessageMap,
  ERROR_CODES,
  type EventTopic,
  LIMITS,
  ProtocolError,
  STOP_REASONS,
  streamTopic,
  timestamp,
} from '@lablink/protocol';
import type { Me } from '@lablink/protocol/rest';
import { OPEN_PRINCIPAL, type Principal } from '../auth/service.js';
import type { Connection } from './connection.js';
import type { AcquisitionSubscription, StreamSubscription } from './frames.js';

type Handlers = { [K in keyof ClientMessageMap]: (conn: Connection, message: ClientMessageMap[K]) => void };

export const handlers: Handlers = {
  ping(conn, { request_id }) {
    conn.send({ type: 'pong', timestamp: timestamp() }, request_id);
  },

  hello(conn, { request_id, binary, batch_ms }) {
    conn.binary = binary ?? conn.binary;
    // The schema has checked the range; batching stays on for the connection once asked for.
    if (batch_ms !== undefined) conn.writer.setBatch(batch_ms);
    const batching = conn.writer.batching;
    conn.send(
      {
        type: 'hello_ok',
        user: whoIs(conn.principal),
        binary: conn.binary,
        ...(batching > 0 ? { batch_ms: batching } : {}),
      },
      request_id,
    );
  },

  subscribe(conn, { request_id, topics, resume_from }) {
    const { gateway } = conn;
    if (!conn.explicitTopics) {
      // The first subscribe replaces the default "everything" with exactly what the client names.
      conn.explicitTopics = true;
      for (const topic of conn.topics) if (!topics.includes(topic)) gateway.unsubscribe(conn, topic);
      conn.topics.clear();
    }
    for (const topic of topics) {
      conn.topics.add(topic);
      gateway.subscribe(conn, topic, { kind: 'event' });
    }
    conn.send({ type: 'subscribed', topics: [...conn.topics], seq: gateway.seqs(conn.topics) }, request_id);
    for (const topic of topics) {
      const from = resume_from?.[topic];
      if (from !== undefined) gateway.replay(conn, topic, from, { kind: 'event' }, request_id);
    }
  },

  unsubscribe(conn, { request_id, topics }) {
    conn.explicitTopics = true;
    for (const topic of topics) {
      conn.topics.delete(topic);
      conn.gateway.unsubscribe(conn, topic);
    }
    conn.send({ type: 'unsubscribed', topics: [...conn.topics] as EventTopic[] }, request_id);
  },

  start_stream(conn, message) {
    const { gateway } = conn;
    const { request_id, equipment_id } = message;
    const stream_type = message.stream_type ?? 'readings';
    const channel = message.channel ?? 1;
    const interval_ms = message.interval_ms ?? LIMITS.intervalMs.default;
    const binary = message.binary ?? conn.binary;
    const topic = streamTopic(equipment_id, stream_type, channel);
    const previous = conn.streams.get(topic);
    const sub: StreamSubscription = { kind: 'stream', equipment_id, stream_type, channel, binary };
    // Claim anew before releasing the old claim, so a restart (new interval) never stops the poller.
    const handle = gateway.readings.claim({
      equipment_id,
      kind: stream_type,
      channel,
      interval_ms,
      consumer: `ws#${conn.id}`,
      onReading: (message) => gateway.deliverStream(conn, message, sub),
      onEnd: (reason) => conn.streamEnded(topic, reason),
    });
    // A WebSocket stream starts only on a connected instrument (the SDK waits for it and asks again).
    if (handle.freshness() === 'waiting') {
      handle.release();
      throw new ProtocolError(ERROR_CODES.notConnected, handle.reason(), 'equipment_id');
    }
    previous?.handle.release();
    // A restarted stream continues its sequence: the next message says what was sent before it.
    const before = previous ? gateway.subscription(conn, topic) : undefined;
    if (before?.kind === 'stream') sub.lastSeq = before.lastSeq;
    conn.streams.set(topic, { handle, equipment_id, stream_type, channel });
    gateway.subscribe(conn, topic, sub);
    conn.send(
      {
        type: 'stream_started',
        equipment_id,
        stream_type,
        channel,
        interval_ms,
        effective_interval_ms: handle.effectiveInterval(),
        topic,
        seq: gateway.bus.seq(topic),
        binary,
      },
      request_id,
    );
    if (message.resume_from !== undefined) gateway.replay(conn, topic, message.resume_from, sub, request_id);
    else if (handle.shared && !previous) gateway.sendLatest(conn, topic, sub);
  },

  stop_stream(conn, { request_id, equipment_id, stream_type = 'readings', channel = 1 }) {
    const topic = streamTopic(equipment_id, stream_type, channel);
    const stream = conn.streams.get(topic);
    if (!stream) {
      throw new ProtocolError(
        ERROR_CODES.notStreaming,
        `this connection has no ${stream_type} stream of "${equipment_id}" channel ${channel}`,
      );
    }
    conn.streams.delete(topic);
    conn.gateway.unsubscribe(conn, topic);
    stream.handle.release();
    const reason = STOP_REASONS.requested;
    conn.send(
      { type: 'stream_stopped', equipment_id, stream_type, channel, topic, reason, timestamp: timestamp() },
      request_id,
      topic,
    );
  },

  start_acquisition_stream(conn, { request_id, acquisition_id, resume_from, binary, interval_ms }) {
    const { gateway } = conn;
    if (!gateway.acquisitions?.find(acquisition_id)) {
      throw new ProtocolError(
        ERROR_CODES.unknownAcquisition,
        `no acquisition "${acquisition_id}"`,
        'acquisition_id',
      );
    }
    // The acquisition service publishes its blocks on this topic; the gateway only forwards them.
    const topic = acquisitionTopic(acquisition_id);
    // Without interval_ms, every block as the session publishes it (about 10 per second).
    const sub: AcquisitionSubscription = {
      kind: 'acquisition',
      acquisition_id,
      binary: binary ?? conn.binary,
      ...(interval_ms !== undefined ? { interval_ms } : {}),
    };
    conn.acquisitions.set(acquisition_id, topic);
    gateway.subscribe(conn, topic, sub);
    const seq = gateway.bus.seq(topic);
    conn.send(
      { type: 'acquisition_stream_started', acquisition_id, topic, seq, binary: sub.binary },
      request_id,
    );
    if (resume_from !== undefined) gateway.replay(conn, topic, resume_from, sub, request_id);
    else {
      // A late joiner gets the ring's worth first, numbered as the latest block: the next block follows it.
      const snapshot = gateway.acquisitions?.snapshot?.(acquisition_id);
      if (snapshot) gateway.sendMessage(conn, snapshot, sub);
      else gateway.sendLatest(conn, topic, sub);
    }
  },

  stop_acquisition_stream(conn, { request_id, acquisition_id }) {
    const topic = conn.acquisitions.get(acquisition_id);
    if (!topic) {
      throw new ProtocolError(
        ERROR_CODES.notStreaming,
        `this connection does not follow acquisition "${acquisition_id}"`,
      );
    }
    conn.acquisitions.delete(acquisition_id);
    conn.gateway.unsubscribe(conn, topic);
    conn.send(
      { type: 'acquisition_stream_stopped', acquisition_id, reason: STOP_REASONS.requested },
      request_id,
    );
  },
};

/** Who a connection acts as, as hello_ok tells it (never the token or session behind it). */
function whoIs(principal: Principal | null): Me {
  const { username, role, kind } = principal ?? OPEN_PRINCIPAL;
  return { username, role, kind };
}
