// The SDK's entry point: one object per LabLink server, holding the REST API and the real-time client that
// share its base URL and session.

import type { BackoffOptions } from './backoff.js';
import { RealtimeClient } from './realtime.js';
import { RestApi } from './rest.js';
import type { WebSocketConstructor } from './socket.js';

export interface LabLinkClientOptions {
  /** The server, e.g. http://127.0.0.1:8000 (in the web app: location.origin). */
  baseUrl: string;
  /** Defaults to the global fetch (browsers, Node ≥ 18). */
  fetch?: typeof fetch;
  /** Defaults to the global WebSocket (browsers). Node 20 has none: pass the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  /** Shortest period of REST polling while the WebSocket is down, in ms (default 1000). */
  pollIntervalMs?: number;
  /**
   * An API token (`lablink token create`, or the admin page): sent as "Authorization: Bearer <token>" on REST and
   * in the WebSocket's hello (never in a URL). Browsers sign in with `rest.login()` instead.
   */
  token?: string;
  /** Lock session for control commands, locks and profiles (default: a random id per client). */
  sessionId?: string;
  /** Reconnect delays: full jitter up to min(maxMs, baseMs·2^attempt) (default 500 ms, 30 s). */
  reconnect?: BackoffOptions;
  /** App-level ping period in ms (default 15 000); a socket silent for two periods is replaced. */
  heartbeatMs?: number;
  /**
   * Ask the server to batch stream data: one frame per this many ms (20–1000) with every reading due, which
   * the SDK unpacks; handlers see the same messages. Saves frames with many streams; default off.
   */
  batchMs?: number;
}

export class LabLinkClient {
  readonly rest: RestApi;
  readonly realtime: RealtimeClient;
  readonly baseUrl: string;

  constructor(options: LabLinkClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new Error(`baseUrl must be an http(s) URL, not ${options.baseUrl}`);
    }
    this.baseUrl = base.origin + base.pathname.replace(/\/+$/, '');
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.rest = new RestApi(this.baseUrl, fetchImpl, options.sessionId ?? randomId(), options.token);
    const wsUrl = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${this.baseUrl.slice(base.origin.length)}/ws`;
    this.realtime = new RealtimeClient({
      url: wsUrl,
      WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
      rest: this.rest,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.batchMs ? { batchMs: options.batchMs } : {}),
      ...(options.token ? { token: options.token } : {}),
    });
  }

  /** The lock session this client acts for. */
  get sessionId(): string {
    return this.rest.sessionId;
  }

  /** Stops the real-time client (socket, polling, timers). REST calls still work afterwards. */
  close(): void {
    this.realtime.stop();
  }
}

/**
 * A random session id. crypto.getRandomValues exists in every browser context, unlike crypto.randomUUID, which
 * browsers offer only on https or localhost, and a bench server is usually plain http on the lab network.
 */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `sdk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
