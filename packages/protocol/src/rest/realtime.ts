// The real-time gateway's diagnostics route, GET /api/realtime/stats (in the manner of pvws's /socket page): each
// WebSocket client's queue and counters, and each reading poller's. The server's gateway and readings pipeline
// return these types; benchmarks and tests read them.

import { type Static, Type } from 'typebox';
import type { StreamType } from '../const.js';

/** One WebSocket connection: its subscriptions and what its writer has done. */
export const ConnectionStats = Type.Object({
  id: Type.Integer(),
  remote: Type.String(),
  connected_at: Type.String(),
  /** ws readyState: 1 open, 2 closing (e.g. closed with 4008, waiting for the client's close frame). */
  ready_state: Type.Integer({ description: '1 open, 2 closing' }),
  topics: Type.Array(Type.String()),
  streams: Type.Array(Type.String()),
  queued: Type.Integer({ description: 'Frames waiting in the writer' }),
  buffered_bytes: Type.Integer({ description: 'Bytes handed to the socket, not yet to the kernel' }),
  sent: Type.Integer(),
  coalesced: Type.Integer({ description: 'Stream frames replaced by a newer reading while queued' }),
  received: Type.Integer(),
});
export type ConnectionStats = Static<typeof ConnectionStats>;

/** One poller of the readings pipeline: its key, its claims and its counters. */
export const PollerStats = Type.Object({
  /** The bus topic its readings are published on. */
  topic: Type.String(),
  equipment_id: Type.String(),
  stream_type: Type.Unsafe<StreamType>(Type.String()),
  channel: Type.Integer(),
  /** The poller's period: the fastest claimed rate. */
  interval_ms: Type.Number(),
  /** Claims on it. */
  subscribers: Type.Integer(),
  /** Who claims, one per claim: `ws#12`, `alarms`, `acquisition:…`. */
  consumers: Type.Array(Type.String()),
  reads: Type.Integer(),
  /** Failed reads: nothing was published for them. */
  errors: Type.Integer(),
  /** Deadlines skipped because a read overran. */
  skipped: Type.Integer(),
  /** Ticks without a read because the instrument was not connected (error, reconnecting, disconnected). */
  not_connected: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
});
export type PollerStats = Static<typeof PollerStats>;

/** GET /api/realtime/stats */
export const RealtimeStats = Type.Object({
  server_instance: Type.String(),
  connections: Type.Array(ConnectionStats),
  pollers: Type.Unsafe<PollerStats[]>(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  max_connections: Type.Integer({ description: 'More WebSocket clients are refused with HTTP 503' }),
  input: Type.Object(
    {
      held_bytes: Type.Integer({ description: 'Client input received but not yet a whole message' }),
      max_bytes: Type.Integer({ description: 'Beyond it the connection holding the most is closed (1009)' }),
    },
    { description: 'The budget for incomplete client messages, across all connections' },
  ),
});
export type RealtimeStats = Static<typeof RealtimeStats>;
