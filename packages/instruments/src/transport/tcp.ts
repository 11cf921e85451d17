// Raw SCPI over TCP (the instrument's socket port, usually 5025).

import { createConnection, isIPv6, type Socket } from 'node:net';
import { InstrumentIOError } from '../errors.js';
import type { Transport, TransportHandlers } from './types.js';

export async function openTcp(
  host: string,
  port: number,
  handlers: TransportHandlers,
  connectTimeoutMs = 5000,
): Promise<Transport> {
  const peer = peerName(host, port);
  return socketTransport(await connectSocket(host, port, peer, connectTimeoutMs), peer, handlers);
}

/** `host:port`, an IPv6 host in brackets: how errors name an instrument's TCP peer. */
export function peerName(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A connected TCP socket to an instrument (raw SCPI, VXI-11's RPC channels, HiSLIP's two channels), or an
 * InstrumentIOError naming `peer` once `timeoutMs` passes without a connection.
 */
export function connectSocket(host: string, port: number, peer: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // A port out of range makes Node throw at once; it can come from the network (a portmapper's answer), not only
    // from a parsed address, so it is the instrument's error here, never the server's.
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      reject(new InstrumentIOError(`cannot connect to ${peer}: port ${port} is not in 1..65535`));
      return;
    }
    // No Nagle delay: commands are tiny and each waits for its reply. Keep-alive notices an instrument switched off.
    const socket = createConnection({
      host,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 10_000,
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(new InstrumentIOError(`cannot connect to ${peer}: ${error.message}`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

function socketTransport(socket: Socket, peer: string, handlers: TransportHandlers): Transport {
  let closing = false;
  let failure: Error | null = null;
  socket.on('data', handlers.data);
  // 'close' follows every 'error', so the link's end is reported once, from 'close'.
  socket.on('error', (error) => {
    failure = error;
  });
  socket.on('close', () => {
    if (closing) return;
    const why = failure ? `failed: ${failure.message}` : 'closed by the instrument';
    handlers.closed(new InstrumentIOError(`connection to ${peer} ${why}`));
  });
  return {
    peer,
    write: (bytes) =>
      new Promise((resolve, reject) => {
        socket.write(bytes, (error) =>
          error ? reject(new InstrumentIOError(`write to ${peer} failed: ${error.message}`)) : resolve(),
        );
      }),
    close: () => {
      closing = true;
      if (socket.closed) return Promise.resolve();
      return new Promise((resolve) => socket.destroy().once('close', () => resolve()));
    },
  };
}
