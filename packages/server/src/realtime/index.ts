// The real-time side of the server: pollers (shared instrument reads, published on the bus) and the WebSocket
// gateway that fans bus messages out to clients.

export { DEFAULT_GATEWAY_OPTIONS, Gateway, type GatewayDeps, type GatewayOptions } from './gateway.js';
export { type RealtimeOptions, realtimePlugin } from './plugin.js';
export {
  type Clock,
  nextTick,
  type PollerHandle,
  PollerRegistry,
  type PollerStats,
  type StreamRequest,
  type StreamSource,
  systemClock,
} from './poller.js';
export type { WireSocket } from './socket.js';
export { type Frame, Writer, type WriterLimits } from './writer.js';
