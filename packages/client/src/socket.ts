// The slice of a WebSocket the SDK uses. Both the browser's WebSocket and the `ws` package's satisfy it, so the
// SDK imports neither: browsers use the global one, Node users pass `ws` (Node 20 has no global WebSocket).

/**
 * A callback property typed as a method, so that TypeScript compares its parameter bivariantly: the browser's
 * `(ev: MessageEvent) => any` and ws's `(event: WebSocket.MessageEvent) => void` both fit the shapes below.
 */
type Listener<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: Listener<unknown> | null;
  onmessage: Listener<{ data: unknown }> | null;
  onclose: Listener<{ code: number; reason: string }> | null;
  onerror: Listener<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** readyState of an open socket (the same constant in browsers and ws). */
export const OPEN = 1;
