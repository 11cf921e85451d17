// @lablink/client: a TypeScript SDK for LabLink servers, for browsers and Node (README.md).

export type * from './acquisition.js';
export type * from './alarms.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { LabLinkClient, type LabLinkClientOptions } from './client.js';
export type { Mode, Quality } from './quality.js';
export {
  type AcquisitionStreamMessage,
  type AcquisitionStreamOptions,
  type Freshness,
  freshness,
  type Reachability,
  RealtimeClient,
  type RealtimeOptions,
  type ServerEvent,
  STALE_MIN_MS,
  STALE_PERIODS,
  type StreamMessage,
  type StreamRequest,
} from './realtime.js';
export { LabLinkError, type RequestOptions, RestApi } from './rest.js';
export type * from './scheduler.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type * from './types.js';
