// The Fastify plugin of the real-time gateway: WebSocket at /ws on the server's port, and a diagnostics route
// (in the manner of pvws's /socket page) showing each client's queue and each poller's counters.

import { Type } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import { LIMITS } from '@lablink/protocol';
import type { FastifyInstance } from 'fastify';
import { Gateway, type GatewayDeps, type GatewayOptions } from './gateway.js';

export interface RealtimeOptions extends Omit<GatewayDeps, 'logger'>, Partial<GatewayOptions> {
  /** Gives the gateway to the caller (tests, other plugins). */
  onGateway?: (gateway: Gateway) => void;
}

const Stats = Type.Object({
  server_instance: Type.String(),
  connections: Type.Array(
    Type.Object({
      id: Type.Integer(),
      remote: Type.String(),
      connected_at: Type.String(),
      ready_state: Type.Integer({ description: '1 open, 2 closing' }),
      topics: Type.Array(Type.String()),
      streams: Type.Array(Type.String()),
      queued: Type.Integer({ description: 'Frames waiting in the writer' }),
      buffered_bytes: Type.Integer({ description: 'Bytes handed to the socket, not yet to the kernel' }),
      sent: Type.Integer(),
      coalesced: Type.Integer({ description: 'Stream frames replaced by a newer reading while queued' }),
      received: Type.Integer(),
    }),
  ),
  pollers: Type.Array(Type.Record(Type.String(), Type.Unknown())),
});

export async function realtimePlugin(app: FastifyInstance, options: RealtimeOptions): Promise<void> {
  const { onGateway, bus, pollers, acquisitions, ...limits } = options;
  const gateway = new Gateway({ bus, pollers, acquisitions, logger: app.log }, limits);
  onGateway?.(gateway);
  // Before @fastify/websocket's own preClose: clients get 1001 "going away" and a bounded wait, not 30 s.
  app.addHook('preClose', () => gateway.close());

  await app.register(websocket, {
    options: {
      // Above this ws refuses the frame without reading it and closes with 1009 (docs/protocol.md).
      maxPayload: LIMITS.maxPayloadBytes,
      // Measured (docs/protocol.md): not worth its CPU and per-connection memory for our frames.
      perMessageDeflate: false,
    },
    // ws closes the connection itself on protocol errors (1009 too big, 1007 bad UTF-8, 1002); no need to log them
    // as server errors or to cut the socket before its close frame is out.
    errorHandler: (err, socket, request) => {
      request.log.debug({ err }, 'websocket protocol error');
      if (socket.readyState === 1) socket.close(1011, 'internal error');
    },
  });

  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket, request) => {
    gateway.accept(socket, request.ip);
  });

  app.get(
    '/api/realtime/stats',
    {
      schema: {
        tags: ['realtime'],
        summary:
          'WebSocket clients (queues, coalesced frames) and stream pollers (reads, errors, skipped ticks)',
        response: { 200: Stats },
      },
    },
    async () => ({
      server_instance: gateway.instance,
      connections: gateway.stats(),
      pollers: (pollers.list?.() ?? []) as unknown as Record<string, unknown>[],
    }),
  );
}
