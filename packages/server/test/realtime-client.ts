// A WebSocket test client for the realtime suites. It records every frame it receives and validates each one
// against the protocol schemas — the envelope and the payload: an event's `data` against its event type's schema,
// a stream_data's against its reading kind's (binary frames: their JSON header, with the arrays they carry) — so
// every suite checks contents. A client that received an invalid message fails the test's next wait at once;
// `invalidMessages` gathers the problems of every client of the process (RawWebSocket's and the SDK's
// ValidatingWebSocket's too) for suites to assert it stays empty.

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
  /** Schema violations in what this client received (also in `invalidMessages`). */
  readonly problems: string[] = [];
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
      if (isBinary) this.binaryFrames += 1;
      const { message, problems } = checkServerFrame(buffer, isBinary);
      this.problems.push(...problems);
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
        if (this.problems.length > 0) {
          done();
          reject(new Error(`the server sent an invalid message: ${this.problems[0]}`));
        } else if (condition()) {
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

/**
 * Decodes and validates one frame the server sent: a JSON text frame, or a binary frame (its header, whose
 * sample arrays the validator puts back). Problems are added to `invalidMessages` and returned. A binary frame's
 * message is in JSON form, with `_binary: true` and `_samples` (the Float32Arrays).
 */
export function checkServerFrame(frame: Buffer, isBinary: boolean): { message: Msg; problems: string[] } {
  let message: Msg;
  let checked: unknown;
  try {
    if (isBinary) {
      const decoded = decodeBinary(new Uint8Array(frame));
      checked = decoded.header;
      message = { ...toJsonForm(decoded), _binary: true, _samples: decoded.arrays };
    } else {
      message = JSON.parse(frame.toString('utf8'));
      checked = message;
    }
  } catch (err) {
    const problem = `undecodable ${isBinary ? 'binary' : 'text'} frame: ${(err as Error).message}`;
    invalidMessages.push(problem);
    return { message: { type: '_undecodable' }, problems: [problem] };
  }
  validation.count += 1;
  const found = validateServerMessage(checked);
  const problems = found.length > 0 ? [`${JSON.stringify(checked).slice(0, 300)}: ${found.join('; ')}`] : [];
  invalidMessages.push(...problems);
  return { message, problems };
}

/**
 * Node's `ws` WebSocket validating every frame the server sends (into `invalidMessages`): the WebSocket to give
 * the client SDK in suites, so what reaches the SDK is checked too.
 */
export class ValidatingWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(address, protocols, options);
    this.on('message', (data, isBinary) => {
      checkServerFrame(
        Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer),
        isBinary,
      );
    });
  }
}

/** Stream data of one equipment/stream, as `seq` numbers. */
export const seqsOf = (messages: Msg[], topic: string): number[] =>
  messages.filter((m) => m.type === 'stream_data' && m.topic === topic).map((m) => m.seq);
