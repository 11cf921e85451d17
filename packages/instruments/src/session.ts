/**
 * ScpiSession: the only way drivers talk to an instrument.
 *
 *   const session = await ScpiSession.open('TCPIP0::192.168.1.50::5025::SOCKET', { timeoutMs: 2000 });
 *   await session.write('VOLT 5');                     // sends "VOLT 5" + write terminator, reads nothing
 *   const volts = await session.query('MEAS:VOLT?');   // one reply, trimmed of its terminator ("\n" or "\r\n")
 *   const bytes = await session.queryBlock(':WAV:DATA?'); // IEEE 488.2 block #<n><len><bytes> (or #0<bytes>\n)
 *   const data = await session.queryUntil('GETD', 'OK\r'); // replies ending in a fixed marker (BK serial protocol);
 *   await session.queryUntil('VOLT050', 'OK\r');        //   a bare acknowledgement is consumed and returns ''
 *   const idn = await session.identify();              // *IDN? → InstrumentIdentity
 *   const off = session.onStateChange((state, reason) => …);  session.state;  session.stats;
 *   await session.close();
 *
 * - One queue per session: a command is written only after the previous one is answered (or failed), exactly as
 *   given plus the write terminator; a command containing a line break is refused.
 * - Every command has a timeout (options.timeoutMs, default 2000 ms, overridable per call).
 * - After a timeout or an I/O error the link is dropped and reopened with exponential backoff, so a late reply
 *   is never taken for the next command's (a new TCP connection starts clean; a serial port is reopened with its
 *   input flushed). Until then commands fail at once with InstrumentIOError ("not connected: reconnecting,
 *   last error …") instead of waiting behind a hung instrument.
 *   With `reconnect: false`, or once `maxAttempts` are spent, the session stays in 'error'.
 * - Bytes that arrive while no command waits for a reply are discarded, and line breaks before a reply are
 *   skipped (a block's optional terminator may arrive late), so an empty reply line is never a reply.
 * - `checkErrors`: after each write, SYST:ERR? is read until `0,…`; queued errors fail the write with
 *   InstrumentError carrying the instrument's messages.
 * - `open()` rejects if the first connection fails; the session then does not exist, so it never shows
 *   'connecting' (a caller waiting on open() can). Listeners hear every later change with a reason.
 */

import { InstrumentError, InstrumentIOError, InstrumentTimeoutError, ParameterError } from './errors.js';
import { type Framer, InputBuffer, ieeeBlock, untilMarker } from './transport/framing.js';
import { openTransport, type Transport, type TransportOptions } from './transport/index.js';
import type { InstrumentIdentity, SessionState, SessionStats } from './types.js';
import { type ParsedResource, parseResource } from './visa.js';

export interface ReconnectOptions {
  /** Wait before the first attempt; doubles after each failure. Default 200 ms. */
  initialDelayMs?: number;
  /** Ceiling of the wait between attempts. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Attempts before the session gives up and stays in 'error'. Default unlimited. */
  maxAttempts?: number;
}

export interface SessionOptions extends TransportOptions {
  /** Appended to every command. Default "\n". */
  writeTerminator?: string;
  /** Ends each reply of query(). Default "\n"; with it, replies ending in "\r\n" are accepted too. */
  readTerminator?: string;
  /** Per-command timeout. Default 2000 ms. */
  timeoutMs?: number;
  /** Drain SYST:ERR? after every write. Default false. */
  checkErrors?: boolean;
  /** Default: reconnect with backoff forever. */
  reconnect?: ReconnectOptions | false;
}

export interface CommandOptions {
  timeoutMs?: number;
}

export interface WriteOptions extends CommandOptions {
  checkErrors?: boolean;
}

export type StateListener = (state: SessionState, reason: string) => void;

/** The command waiting for its reply. */
interface Pending {
  framer: Framer | null;
  settle(error: Error | null, reply?: Buffer): void;
}

/** SYST:ERR? is read at most this often after one write; an instrument repeating errors forever is broken. */
const MAX_DRAINED_ERRORS = 32;

export class ScpiSession {
  private currentState: SessionState = 'connected';
  private transport: Transport | null = null;
  private readonly input = new InputBuffer();
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<StateListener>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private queries = 0;
  private readonly counters: SessionStats = {
    commands: 0,
    errors: 0,
    timeouts: 0,
    reconnects: 0,
    mean_latency_ms: 0,
    last_latency_ms: 0,
    last_error: null,
  };
  private readonly writeTerminator: string;
  private readonly readTerminator: Buffer;
  private readonly timeoutMs: number;

  private constructor(
    readonly resource: ParsedResource,
    private readonly options: SessionOptions,
  ) {
    this.writeTerminator = options.writeTerminator ?? '\n';
    this.readTerminator = Buffer.from(options.readTerminator ?? '\n');
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /**
   * Connects to the instrument. Rejects with ResourceSyntaxError, UnsupportedInterfaceError (USBTMC, VXI-11,
   * GPIB) or InstrumentIOError.
   */
  static async open(resource: string | ParsedResource, options: SessionOptions = {}): Promise<ScpiSession> {
    const session = new ScpiSession(
      typeof resource === 'string' ? parseResource(resource) : resource,
      options,
    );
    session.transport = await session.connect();
    return session;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** A snapshot. `commands` counts commands written to the instrument; `errors` includes timeouts. */
  get stats(): SessionStats {
    return { ...this.counters };
  }

  /** Returns the function that unsubscribes. Listeners must not throw. */
  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(command: string, options: WriteOptions = {}): Promise<void> {
    return this.enqueue(command, async () => {
      await this.exchange(command, null, options);
      if (options.checkErrors ?? this.options.checkErrors) await this.drainErrors(command, options);
    });
  }

  query(command: string, options: CommandOptions = {}): Promise<string> {
    return this.enqueue(command, async () =>
      text(await this.exchange(command, untilMarker(this.readTerminator), options)),
    );
  }

  queryBlock(command: string, options: CommandOptions = {}): Promise<Buffer> {
    return this.enqueue(command, () => this.exchange(command, ieeeBlock, options));
  }

  /** For protocols whose every reply ends in `marker`: returns the text before it, trimmed. */
  queryUntil(command: string, marker: string, options: CommandOptions = {}): Promise<string> {
    return this.enqueue(command, async () =>
      text(await this.exchange(command, untilMarker(Buffer.from(marker)), options)),
    );
  }

  async identify(): Promise<InstrumentIdentity> {
    return parseIdentity(await this.query('*IDN?'));
  }

  /** Ends the link at once: the command in flight and those queued fail with InstrumentIOError. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const transport = this.transport;
    this.transport = null;
    this.pending?.settle(new InstrumentIOError('session closed'));
    this.setState('closed', 'closed by its owner');
    await transport?.close();
  }

  private connect(): Promise<Transport> {
    return openTransport(
      this.resource,
      { data: (chunk) => this.received(chunk), closed: (error) => this.linkLost(error) },
      this.options,
    );
  }

  private enqueue<T>(command: string, job: () => Promise<T>): Promise<T> {
    if (command === '' || /[\r\n]/.test(command)) {
      return Promise.reject(
        new ParameterError('command', 'a command is one non-empty line without line breaks'),
      );
    }
    const run = this.queue.then(job);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Writes one command and, given a framer, waits for its reply. Only ever called from the queue. */
  private async exchange(command: string, framer: Framer | null, options: CommandOptions): Promise<Buffer> {
    const transport = this.transport;
    if (!transport) throw this.notConnected();
    this.input.clear(); // nothing received before the command is written can be its reply
    this.counters.commands++;
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            this.linkLost(
              new InstrumentTimeoutError(`no reply to ${JSON.stringify(command)} within ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
        this.pending = {
          framer,
          settle: (error, reply = Buffer.alloc(0)) => {
            clearTimeout(timer);
            this.pending = null;
            if (error) reject(error);
            else resolve(reply);
          },
        };
        transport.write(Buffer.from(command + this.writeTerminator)).then(
          () => {
            if (!framer) this.pending?.settle(null);
          },
          (error: Error) => {
            if (this.transport === transport) this.linkLost(error);
          },
        );
      });
      if (framer) this.recordLatency(performance.now() - started);
      return reply;
    } catch (error) {
      this.counters.errors++;
      if (error instanceof InstrumentTimeoutError) this.counters.timeouts++;
      this.counters.last_error = (error as Error).message;
      throw error;
    }
  }

  private received(chunk: Buffer): void {
    const pending = this.pending;
    if (!pending?.framer) return; // unsolicited: no command is waiting for it
    this.input.append(chunk);
    try {
      const reply = pending.framer(this.input);
      if (reply) pending.settle(null, reply);
    } catch (error) {
      this.input.clear();
      pending.settle(error as Error);
    }
  }

  /** Reads the instrument's error queue until it reports `0,…`; throws if anything was queued. */
  private async drainErrors(command: string, options: CommandOptions): Promise<void> {
    const queued: string[] = [];
    for (let i = 0; i < MAX_DRAINED_ERRORS; i++) {
      const reply = text(await this.exchange('SYST:ERR?', untilMarker(this.readTerminator), options));
      if (/^\+?0\s*(,|$)/.test(reply)) break;
      queued.push(reply);
    }
    if (queued.length === 0) return;
    const error = new InstrumentError(`${command}: the instrument reported ${queued.join('; ')}`);
    this.counters.errors++;
    this.counters.last_error = error.message;
    throw error;
  }

  private recordLatency(ms: number): void {
    this.queries++;
    this.counters.last_latency_ms = ms;
    this.counters.mean_latency_ms += (ms - this.counters.mean_latency_ms) / this.queries;
  }

  private notConnected(): InstrumentIOError {
    if (this.currentState === 'closed') return new InstrumentIOError('session closed');
    return new InstrumentIOError(
      `not connected: ${this.currentState}, last error ${this.counters.last_error}`,
    );
  }

  /** Drops the link after a timeout or an I/O error, fails the command in flight, and starts reconnecting. */
  private linkLost(error: Error): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = null;
    void transport.close();
    this.counters.last_error = error.message;
    this.pending?.settle(error);
    if (this.options.reconnect === false) {
      this.setState('error', error.message);
      return;
    }
    this.setState('reconnecting', error.message);
    this.scheduleReconnect(0);
  }

  private scheduleReconnect(attempt: number): void {
    const {
      initialDelayMs = 200,
      maxDelayMs = 10_000,
      maxAttempts = Infinity,
    } = this.options.reconnect || {};
    if (attempt >= maxAttempts) {
      this.setState(
        'error',
        `gave up after ${attempt} reconnect attempts, last error ${this.counters.last_error}`,
      );
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** attempt, maxDelayMs);
    this.reconnectTimer = setTimeout(() => void this.reconnect(attempt), delay);
    this.reconnectTimer.unref(); // a session its owner forgot to close must not keep the process alive
  }

  private async reconnect(attempt: number): Promise<void> {
    this.reconnectTimer = null;
    try {
      const transport = await this.connect();
      if (this.currentState !== 'reconnecting') {
        await transport.close(); // closed while connecting
        return;
      }
      this.transport = transport;
      this.counters.reconnects++;
      this.setState('connected', `reconnected to ${transport.peer}`);
    } catch (error) {
      if (this.currentState !== 'reconnecting') return;
      this.counters.last_error = (error as Error).message;
      this.scheduleReconnect(attempt + 1);
    }
  }

  private setState(state: SessionState, reason: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const listener of this.listeners) {
      try {
        listener(state, reason);
      } catch (error) {
        // A listener's bug must not break the session's bookkeeping; it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** Parses `manufacturer,model,serial,firmware`; a serial of "0" or "" means none. */
export function parseIdentity(reply: string): InstrumentIdentity {
  const [manufacturer = '', model = '', serial = '', ...firmware] = reply
    .split(',')
    .map((field) => field.trim());
  if (manufacturer === '' || model === '') {
    throw new InstrumentError(
      `unexpected *IDN? reply ${JSON.stringify(reply)}: expected manufacturer,model,serial,firmware`,
    );
  }
  return {
    manufacturer,
    model,
    serial_number: serial === '' || serial === '0' ? null : serial,
    firmware_version: firmware.join(',') || null,
  };
}

function text(reply: Buffer): string {
  return reply.toString('utf8').trim();
}
