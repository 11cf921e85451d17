// The Fastify plugin of the real-time gateway: WebSocket at /ws on the server's port, and a diagnostics route
// (in the manner of pvws's /socket page) showing each client's queue and each poller's counters.

import type { EventEmitter } from 'node:events';
import websocket from '@fastify/websocket';
import { ERROR_CODES, encode, LIMITS } from '@lablink/protocol';
import { RealtimeStats } from '@lablink/protocol/rest';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AuthService } from '../auth/service.js';
import { Gateway, type GatewayDeps, type GatewayOptions } from './gateway.js';
import { OPEN } from './socket.js';

export interface RealtimeOptions extends Omit<GatewayDeps, 'logger' | 'auth'>, Partial<GatewayOptions> {
  /** Signs connections in by token and closes those of revoked principals; without it every client is admitted. */
  auth?: AuthService;
  /** Gives the gateway to the caller (tests, other plugins). */
  onGateway?: (gateway: Gateway) => void;
}

export async function realtimePlugin(app: FastifyInstance, options: RealtimeOptions): Promise<void> {
  const { onGateway, bus, readings, acquisitions, auth, eventView, ...limits } = options;
  const gateway = new Gateway({ bus, readings, acquisitions, auth, eventView, logger: app.log }, limits);
  onGateway?.(gateway);
  // A revoked token, a deleted user, an ended session: their connections close at once.
  const stopRevocations = auth?.onRevoke((r) => gateway.revoke(r));
  app.addHook('onClose', async () => stopRevocations?.());
  // Before @fastify/websocket's own preClose: clients get 1001 "going away" and a bounded wait, not 30 s.
  app.addHook('preClose', () => gateway.close());

  await app.register(websocket, {
    options: {
      // Above this ws refuses the frame from its header, before buffering any of it, and closes with 1009
      // (docs/protocol.md); the welcome announces the same figure.
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

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { hide: true },
      // The cap, before the upgrade: a plain HTTP answer the client can read (accept() has a 1013 backstop).
      onRequest: async (request, reply) => {
        if (!request.ws) return;
        if (gateway.fullFor(request.ip)) {
          request.log.warn({ remote: request.ip }, 'websocket connection refused: the address has its share');
          return reply
            .status(429)
            .header('retry-after', '5')
            .send({
              detail: `${request.ip} has ${gateway.options.maxConnectionsPerAddress} WebSocket connections open, the most one address may hold; close some or try again later`,
              code: 'too_many_connections',
            });
        }
        if (!gateway.full) return;
        request.log.warn({ connections: gateway.size }, 'websocket connection refused: at the maximum');
        return reply
          .status(503)
          .header('retry-after', '5')
          .send({
            detail: `LabLink has its maximum of ${gateway.options.maxConnections} WebSocket connections; try again later`,
            code: 'too_many_connections',
          });
      },
    },
    (socket, request) => {
      announceTooBig(socket);
      // Signed by its session cookie (or open mode) at the upgrade; else its hello must carry a token.
      // (Without the auth hook — the plugin alone, in tests — `principal` is undefined and the client admitted.)
      gateway.accept(socket, request.ip, request.raw.socket, request.principal);
    },
  );

  app.get(
    '/api/realtime/stats',
    {
      schema: {
        tags: ['realtime'],
        summary:
          'WebSocket clients (queues, coalesced frames) and stream pollers (reads, errors, skipped ticks)',
        response: { 200: RealtimeStats },
      },
    },
    async () => ({
      server_instance: gateway.instance,
      connections: gateway.stats(),
      pollers: readings.list?.() ?? [],
      max_connections: gateway.options.maxConnections,
      input: { held_bytes: gateway.inputHeld, max_bytes: gateway.options.maxInputBytes },
    }),
  );
}

/**
 * A frame announcing more than maxPayload is refused by ws from its header: it emits the error on its receiver and
 * closes with 1009 right after. A listener placed before ws's own can still send a typed `frame_too_large`, which
 * the client reads just before the close frame. `_receiver` is internal to ws 8; without it the client gets the
 * 1009 alone (the realtime tests would notice).
 */
function announceTooBig(socket: WebSocket): void {
  const receiver = (socket as unknown as { _receiver?: EventEmitter })._receiver;
  receiver?.prependListener('error', (err: Error & { code?: string }) => {
    if (err.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || socket.readyState !== OPEN) return;
    const detail = `message too large: requests are at most ${LIMITS.maxPayloadBytes} bytes (max_payload_bytes); closing with 1009`;
    socket.send(encode({ type: 'error', code: ERROR_CODES.frameTooLarge, detail }));
  });
}
