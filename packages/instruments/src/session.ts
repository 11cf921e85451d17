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
 *   input flushed). Until then commands fail at once with InstrumentIOError ("not connected: not_responding,
 *   last error …") instead of waiting behind a hung instrument.
 *   With `reconnect: false`, or once `maxAttempts` are spent, the session stays in 'error'.
 * - 'connected' means "answers", not "the link opened": a TCP connect to a hung instrument succeeds (the kernel
 *   accepts it), so a reopened link is 'connected' only once the instrument answers the probe (`*IDN?` by
 *   default; the B&K serial protocol's own query for those supplies). A timeout, or a reopened link whose probe
 *   goes unanswered, is 'not_responding'; a link that cannot be opened at all is 'reconnecting'. The session
 *   keeps trying with backoff and is 'connected' again by itself once the instrument answers.
 * - `heartbeatMs`: an instrument nobody talks to is probed after that long, so one that stops answering is
 *   noticed even when idle.
 * - `onTimeout: 'resync'` (per command, for raw queries the instrument may simply never answer, such as an
 *   unknown header): a timeout keeps the link. There is no device clear on a raw socket or a serial line, so the
 *   session resynchronises instead: it sends the probe and discards every reply before the probe's (a late reply
 *   to the timed-out query), with nothing else interleaved. Only if the probe goes unanswered too is the link
 *   dropped as above. The error queue is left alone (no *CLS): it tells the user why there was no answer.
 * - Bytes that arrive while no command waits for a reply are discarded, and line breaks before a reply are
 *   skipped (a block's optional terminator may arrive late), so an empty reply line is never a reply.
 * - `checkErrors`: after each write, SYST:ERR? is read until `0,…`; queued errors fail the write with
 *   InstrumentError carrying the instrument's messages.
 * - A reopened link must lead back to the same instrument: with the `*IDN?` probe, a reply naming another
 *   manufacturer, model or serial than the one this session first identified (another instrument given the
 *   address, a DHCP lease that moved) is refused; the link is closed unused and the session keeps looking
 *   ('reconnecting', saying what answers instead), so commands meant for one instrument never reach another.
 * - `open()` rejects if the first connection fails; the session then does not exist, so it never shows
 *   'connecting' (a caller waiting on open() can). Listeners hear every later change with a reason.
 */

import { InstrumentError, InstrumentIOError, InstrumentTimeoutError, ParameterError } from './errors.js';
import { type Framer, InputBuffer, ieeeBlock, untilMarker } from './transport/framing.js';
import { openTransport, type Transport, type TransportOptions } from './transport/index.js';
import type { InstrumentIdentity, SessionState, SessionStats } from './types.js';
import { type ParsedResource, parseResource } from './visa.js';

/**
 * The one reconnect policy: wait 200 ms, doubling after each failure, at most 10 s between attempts. Sessions use
 * it for a link that dropped; the server uses it for an instrument it could not open at all.
 */
export const RECONNECT_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 } as const;

/** The wait before reconnect attempt `attempt` (0 first) under a backoff policy. */
export function reconnectDelay(
  attempt: number,
  policy: { initialDelayMs: number; maxDelayMs: number } = RECONNECT_BACKOFF,
): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.min(attempt, 30), policy.maxDelayMs);
}

export interface ReconnectOptions {
  /** Wait before the first attempt; doubles after each failure. Default 200 ms. */
  initialDelayMs?: number;
  /** Ceiling of the wait between attempts. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Attempts before the session gives up and stays in 'error'. Default unlimited. */
  maxAttempts?: number;
}

/** A query the instrument always answers the same way and that changes nothing: how the session checks the link. */
export interface Probe {
  command: string;
  /** What ends its reply. Default: the read terminator. */
  marker?: string;
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
  /** How the session checks that the instrument answers. Default `*IDN?`; false: a reopened link counts as
   *  connected without a check, and a resync cannot be done (a timeout always drops the link). */
  probe?: Probe | false;
  /** Probe the instrument after this long without any command. Default 0: never. */
  heartbeatMs?: number;
}

export interface CommandOptions {
  timeoutMs?: number;
  /**
   * What a timeout costs. 'reconnect' (default): the link is dropped and reopened. 'resync': the link is kept and
   * resynchronised with the probe (late replies before the probe's are discarded); it is dropped only if the
   * probe goes unanswered too.
   */
  onTimeout?: 'reconnect' | 'resync';
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
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Jobs queued or running; the heartbeat waits for an idle session. */
  private busy = 0;
  /** The probe's last reply: what a resync waits for. */
  private probeReply: string | undefined;
  /** Manufacturer, model and serial from the first *IDN? reply: what a reopened link must answer again. */
  private identityKey: string | undefined;
  private lastReason = '';
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
  private readonly probe: Required<Probe> | null;

  private constructor(
    readonly resource: ParsedResource,
    private readonly options: SessionOptions,
  ) {
    this.writeTerminator = options.writeTerminator ?? '\n';
    this.readTerminator = Buffer.from(options.readTerminator ?? '\n');
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.probe =
      options.probe === false
        ? null
        : {
            command: options.probe?.command ?? '*IDN?',
            marker: options.probe?.marker ?? options.readTerminator ?? '\n',
          };
  }

  /**
   * Connects to the instrument. Rejects with ResourceSyntaxError, UnsupportedInterfaceError (GPIB) or
   * InstrumentIOError.
   */
  static async open(resource: string | ParsedResource, options: SessionOptions = {}): Promise<ScpiSession> {
    const session = new ScpiSession(
      typeof resource === 'string' ? parseResource(resource) : resource,
      options,
    );
    session.transport = await session.connect();
    session.armHeartbeat();
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
      this.noteProbeReply(
        command,
        this.readTerminator,
        text(await this.exchange(command, untilMarker(this.readTerminator), options)),
      ),
    );
  }

  queryBlock(command: string, options: CommandOptions = {}): Promise<Buffer> {
    return this.enqueue(command, () => this.exchange(command, ieeeBlock, options));
  }

  /** For protocols whose every reply ends in `marker`: returns the text before it, trimmed. */
  queryUntil(command: string, marker: string, options: CommandOptions = {}): Promise<string> {
    return this.enqueue(command, async () =>
      this.noteProbeReply(
        command,
        Buffer.from(marker),
        text(await this.exchange(command, untilMarker(Buffer.from(marker)), options)),
      ),
    );
  }

  /**
   * For replies that neither a terminator nor a bare block frames (a Korad supply's fixed-width replies, a Siglent
   * waveform block behind its response header): `framer` cuts the reply out of the input. One framer per call.
   */
  queryFramed(command: string, framer: Framer, options: CommandOptions = {}): Promise<Buffer> {
    return this.enqueue(command, () => this.exchange(command, framer, options));
  }

  /**
   * Sends the probe now (through the queue) and resolves with its reply; a probe that goes unanswered fails like
   * any command, and the session goes 'not_responding'. For connect code that wants the link checked at once.
   */
  verify(): Promise<string> {
    if (!this.probe) return Promise.reject(new ParameterError('probe', 'this session has no probe'));
    return this.enqueue(this.probe.command, () => this.runProbe(false));
  }

  async identify(): Promise<InstrumentIdentity> {
    return parseIdentity(await this.query('*IDN?'));
  }

  /** Ends the link at once: the command in flight and those queued fail with InstrumentIOError. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
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
    this.busy++;
    const run = this.queue.then(job).finally(() => {
      this.busy--;
      if (this.busy === 0) this.armHeartbeat();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Writes one command and, given a framer, waits for its reply. Only ever called from the queue. A probe
   * (`probing`) may run while the session is not 'connected' (it decides whether it is) and is not counted as a
   * command.
   */
  private async exchange(
    command: string,
    framer: Framer | null,
    options: CommandOptions,
    probing = false,
  ): Promise<Buffer> {
    const transport = this.transport;
    if (!transport || (!probing && this.currentState !== 'connected')) throw this.notConnected();
    this.input.clear(); // nothing received before the command is written can be its reply
    if (!probing) this.counters.commands++;
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    // A resync needs to know the probe's reply to tell it from a late one; until then a timeout drops the link.
    const resync = options.onTimeout === 'resync' && this.probe !== null && this.probeReply !== undefined;
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => {
          const error = new InstrumentTimeoutError(
            `no reply to ${JSON.stringify(command)} within ${timeoutMs} ms`,
          );
          if (resync) this.pending?.settle(error);
          else this.linkLost(error);
        }, timeoutMs);
        this.pending = {
          framer,
          settle: (error, reply = Buffer.alloc(0)) => {
            clearTimeout(timer);
            this.pending = null;
            if (error) reject(error);
            else resolve(reply);
          },
        };
        transport.write(Buffer.from(command + this.writeTerminator), framer !== null).then(
          () => {
            if (!framer) this.pending?.settle(null);
          },
          (error: Error) => {
            if (this.transport === transport) this.linkLost(error);
          },
        );
      });
      if (framer && !probing) this.recordLatency(performance.now() - started);
      return reply;
    } catch (error) {
      this.counters.errors++;
      if (error instanceof InstrumentTimeoutError) this.counters.timeouts++;
      this.counters.last_error = (error as Error).message;
      // The link is still up: resynchronise it (or drop it if the probe goes unanswered too).
      if (resync && error instanceof InstrumentTimeoutError && this.transport === transport) {
        const resynced = await this.runProbe(true).then(
          () => true,
          () => false,
        );
        if (resynced) this.counters.last_error = (error as Error).message;
      }
      throw error;
    }
  }

  /**
   * Sends the probe and waits for its reply. With `expectSame`, replies other than the probe's last one are late
   * replies to an earlier command and are discarded (a resync). Only ever called from the queue.
   */
  private async runProbe(expectSame: boolean): Promise<string> {
    const probe = this.probe as Required<Probe>;
    const marker = Buffer.from(probe.marker);
    const expected = expectSame ? this.probeReply : undefined;
    let line = untilMarker(marker);
    const framer: Framer = (input) => {
      for (let reply = line(input); reply !== null; reply = line(input)) {
        if (expected === undefined || text(reply) === expected) return reply;
        line = untilMarker(marker); // a late reply: discarded; search the rest afresh
      }
      return null;
    };
    const reply = text(await this.exchange(probe.command, framer, {}, true));
    this.recordProbeReply(reply);
    return reply;
  }

  private recordProbeReply(reply: string): void {
    this.probeReply = reply;
    if (this.probe?.command === '*IDN?') this.identityKey ??= identityKeyOf(reply);
  }

  /** Why a reopened link is not the instrument this session belongs to; null when it is (or cannot be told). */
  private foreignIdentity(reply: string, peer: string): string | null {
    if (this.probe?.command !== '*IDN?' || this.identityKey === undefined) return null;
    const found = identityKeyOf(reply);
    if (found === this.identityKey) return null;
    return `${peer} now answers as ${found}, not ${this.identityKey}: refusing a different instrument`;
  }

  /** A reply to the probe's own command, sent by a user, is as good as a probe's (identify() sends *IDN?). */
  private noteProbeReply(command: string, marker: Buffer, reply: string): string {
    if (this.probe && command === this.probe.command && marker.equals(Buffer.from(this.probe.marker))) {
      this.recordProbeReply(reply);
    }
    return reply;
  }

  /** (Re)starts the idle timer: a session without commands for heartbeatMs gets probed. */
  private armHeartbeat(): void {
    const every = this.options.heartbeatMs ?? 0;
    if (!(every > 0) || !this.probe || this.currentState !== 'connected') return;
    if (this.heartbeatTimer) {
      this.heartbeatTimer.refresh();
      return;
    }
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      if (this.currentState !== 'connected' || !this.transport) return;
      if (this.busy > 0) return; // the commands under way check the link; the queue re-arms when idle
      void this.verify().catch(() => undefined);
    }, every);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
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

  /**
   * Drops the link after a timeout or an I/O error, fails the command in flight, and starts reconnecting: the
   * session is 'not_responding' after a timeout (the link was up, the instrument did not answer), 'reconnecting'
   * after an I/O error.
   */
  private linkLost(error: Error): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = null;
    this.stopHeartbeat();
    void transport.close();
    this.counters.last_error = error.message;
    this.pending?.settle(error);
    // A reopened link whose probe failed: reconnect() carries on from there.
    if (this.currentState !== 'connected') return;
    if (this.options.reconnect === false) {
      this.setState('error', error.message);
      return;
    }
    this.setState(error instanceof InstrumentTimeoutError ? 'not_responding' : 'reconnecting', error.message);
    this.scheduleReconnect(0);
  }

  private scheduleReconnect(attempt: number): void {
    const {
      initialDelayMs = RECONNECT_BACKOFF.initialDelayMs,
      maxDelayMs = RECONNECT_BACKOFF.maxDelayMs,
      maxAttempts = Infinity,
    } = this.options.reconnect || {};
    if (attempt >= maxAttempts) {
      this.setState(
        'error',
        `gave up after ${attempt} reconnect attempts, last error ${this.counters.last_error}`,
      );
      return;
    }
    const delay = reconnectDelay(attempt, { initialDelayMs, maxDelayMs });
    this.reconnectTimer = setTimeout(() => void this.reconnect(attempt), delay);
    this.reconnectTimer.unref(); // a session its owner forgot to close must not keep the process alive
  }

  /** While the session is between links ('reconnecting' or 'not_responding'); not once closed. */
  private get relinking(): boolean {
    return this.currentState === 'reconnecting' || this.currentState === 'not_responding';
  }

  /** One attempt: open a link, then (with a probe) check that the instrument answers on it. */
  private async reconnect(attempt: number): Promise<void> {
    this.reconnectTimer = null;
    let transport: Transport;
    try {
      transport = await this.connect();
    } catch (error) {
      if (!this.relinking) return;
      this.counters.last_error = (error as Error).message;
      this.setState('reconnecting', (error as Error).message);
      this.scheduleReconnect(attempt + 1);
      return;
    }
    if (!this.relinking) {
      await transport.close(); // closed while connecting
      return;
    }
    this.transport = transport;
    if (this.probe) {
      try {
        const reply = await this.enqueue(this.probe.command, () => this.runProbe(false));
        const foreign = this.foreignIdentity(reply, transport.peer);
        if (foreign) {
          if (this.transport === transport) this.transport = null;
          void transport.close();
          if (!this.relinking) return;
          this.counters.last_error = foreign;
          // Said even while already 'reconnecting': what answers now is news to whoever watches.
          this.setState('reconnecting', foreign, true);
          this.scheduleReconnect(attempt + 1);
          return;
        }
      } catch (error) {
        if (this.transport === transport) {
          this.transport = null;
          void transport.close();
        }
        if (!this.relinking) return;
        const message = (error as Error).message;
        this.counters.last_error = message;
        if (error instanceof InstrumentTimeoutError) {
          this.setState('not_responding', `${transport.peer} accepts connections but ${message}`);
        } else {
          this.setState('reconnecting', message);
        }
        this.scheduleReconnect(attempt + 1);
        return;
      }
      if (!this.relinking || this.transport !== transport) return;
    }
    this.counters.reconnects++;
    this.setState('connected', `reconnected to ${transport.peer}`);
    this.armHeartbeat();
  }

  /** Tells listeners of a change of state; `sameStateNews` tells them of a new reason in the same state too. */
  private setState(state: SessionState, reason: string, sameStateNews = false): void {
    if (state === this.currentState && !(sameStateNews && reason !== this.lastReason)) return;
    this.lastReason = reason;
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

/** "manufacturer model serial" of an *IDN? reply (firmware left out: an update does not make another instrument). */
function identityKeyOf(reply: string): string {
  const [manufacturer = '', model = '', serial = ''] = reply.split(',').map((field) => field.trim());
  return `${manufacturer} ${model}${serial === '' || serial === '0' ? '' : ` ${serial}`}`;
}

function text(reply: Buffer): string {
  return reply.toString('utf8').trim();
}
