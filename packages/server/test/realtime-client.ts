// A WebSocket test client for the realtime suites. It records every frame it receives and validates each one
// against the protocol schemas (binary frames: their JSON header), so a suite can assert that nothing the
// server sent was malformed.

import { decodeBinary, toJsonForm, validateServerMessage } from '@lablink/protocol';
import WebSocket from 'ws';

// biome-ignore lint/suspicious/noExplicitAny: messages are checked field by field by the assertions
export type Msg = any;

/** Every schema violation seen by any client of the process: the suites assert it stays empty. */
export const invalidMessages: string[] = [];
/** How many server messages were validated (so a suite can show it validated something). */
export const validation = { count: 0 };

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly messages: Msg[] = [];
  /** Binary frames received (their messages are in `messages` too, in JSON form, with `_binary: true`). */
  binaryFrames = 0;
  readonly closed: Promise<Closed>;
  private waiters = new Set<() => void>();
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('error', () => {}); // e.g. 1009 from the client's own side; `closed` reports it
    ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let message: Msg;
      if (isBinary) {
        this.binaryFrames += 1;
        const decoded = decodeBinary(new Uint8Array(buffer));
        check(decoded.header);
        message = { ...toJsonForm(decoded), _binary: true, _samples: decoded.arrays };
      } else {
        message = JSON.parse(buffer.toString('utf8'));
        check(message);
      }
      this.messages.push(message);
      this.wake();
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { maxPayload: 64 * 1024 * 1024, ...options });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(message: Msg): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** Sends a request with a fresh request_id and resolves with the reply (or error) carrying it. */
  async request(message: Msg): Promise<Msg> {
    const request_id = `r${this.nextId++}`;
    this.send({ ...message, request_id });
    return this.waitFor((m) => m.request_id === request_id);
  }

  /** The first message (from index `from`) matching `match`, waiting for it if needed. */
  async waitFor(match: (m: Msg) => boolean, { from = 0, timeoutMs = 10_000 } = {}): Promise<Msg> {
    let next = from;
    let found: Msg;
    await this.until(() => {
      for (; next < this.messages.length; next++) {
        if (match(this.messages[next])) {
          found = this.messages[next];
          return true;
        }
      }
      return false;
    }, timeoutMs);
    return found;
  }

  /** Waits until `count` messages match (counting each message once). */
  async waitForCount(match: (m: Msg) => boolean, count: number, timeoutMs = 10_000): Promise<Msg[]> {
    const matched: Msg[] = [];
    let next = 0;
    await this.until(() => {
      for (; next < this.messages.length; next++)
        if (match(this.messages[next])) matched.push(this.messages[next]);
      return matched.length >= count;
    }, timeoutMs);
    return matched;
  }

  /** Resolves once `condition` holds, checking it now and at each message received. */
  until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const look = () => {
        if (condition()) {
          done();
          resolve();
        } else if (this.ws.readyState === WebSocket.CLOSED) {
          done();
          reject(
            new Error(
              `connection closed while waiting; last: ${JSON.stringify(this.messages.at(-1)).slice(0, 500)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out waiting; last messages: ${JSON.stringify(this.messages.slice(-3)).slice(0, 1500)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(look);
      };
      this.waiters.add(look);
      look();
    });
  }

  /** Sends a ping and waits for its pong: proves the connection is up and everything before it was handled. */
  async roundTrip(): Promise<void> {
    const pong = await this.request({ type: 'ping' });
    if (pong.type !== 'pong') throw new Error(`ping answered with ${JSON.stringify(pong)}`);
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function check(message: unknown): void {
  validation.count += 1;
  const problems = validateServerMessage(message);
  if (problems.length > 0)
    invalidMessages.push(`${JSON.stringify(message).slice(0, 300)}: ${problems.join('; ')}`);
}

/** Stream data of one equipment/stream, as `seq` numbers. */
export const seqsOf = (messages: Msg[], topic: string): number[] =>
  messages.filter((m) => m.type === 'stream_data' && m.topic === topic).map((m) => m.seq);
