// The server's budget for client input not yet turned into messages. Each connection may hold at most one
// message of LIMITS.maxPayloadBytes (1 MB) in progress (ws refuses a longer frame from its header), so the
// connection cap alone bounds buffered input at connections × 1 MB; this budget bounds it across all of them at
// a figure a small machine can afford. When received-but-incomplete input passes the budget, the connection
// holding the most is evicted: a client sending the few-hundred-byte requests of the protocol never holds
// enough to be that connection.
//
// Counting is by bytes off the wire: a connection's count grows with each TCP chunk and falls by the size of each
// frame ws turns into a message, ping or pong. It can differ from ws's own buffers by a frame's header bytes
// (a client that fragments its messages is counted a little more than it holds), never by a message.

export class InputBudget<K> {
  private readonly pending = new Map<K, number>();
  private total = 0;

  constructor(
    readonly maxBytes: number,
    /** Called with the connection to evict; it must stop reading it (terminate) and then call forget(). */
    private readonly evict: (key: K, held: number) => void,
  ) {}

  /** Bytes held across all connections. */
  get held(): number {
    return this.total;
  }

  heldBy(key: K): number {
    return this.pending.get(key) ?? 0;
  }

  /** `bytes` arrived from `key`'s socket. */
  received(key: K, bytes: number): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + bytes);
    this.total += bytes;
    while (this.total > this.maxBytes) {
      const [largest, held] = this.largest();
      if (largest === undefined || held === 0) break;
      this.forget(largest); // whatever evict does, its bytes no longer count
      this.evict(largest, held);
    }
  }

  /** ws turned `bytes` of `key`'s input into a message or control frame. */
  consumed(key: K, bytes: number): void {
    const held = this.pending.get(key);
    if (held === undefined) return;
    const left = Math.max(0, held - bytes);
    this.total -= held - left;
    this.pending.set(key, left);
  }

  /** The connection is gone. */
  forget(key: K): void {
    this.total -= this.pending.get(key) ?? 0;
    this.pending.delete(key);
  }

  private largest(): [K | undefined, number] {
    let found: K | undefined;
    let most = 0;
    for (const [key, held] of this.pending) {
      if (held > most) {
        found = key;
        most = held;
      }
    }
    return [found, most];
  }
}

/** Bytes a client frame of `payloadBytes` takes on the wire (clients mask: 4 bytes of key). */
export function clientFrameBytes(payloadBytes: number): number {
  const length = payloadBytes < 126 ? 0 : payloadBytes < 65536 ? 2 : 8;
  return 2 + length + 4 + payloadBytes;
}
