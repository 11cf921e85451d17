// ScpiSession against tiny instruments on real loopback sockets (no simulator, no mocks).

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InstrumentError,
  InstrumentIOError,
  InstrumentTimeoutError,
  ParameterError,
  ResourceSyntaxError,
  UnsupportedInterfaceError,
} from '../src/errors.js';
import { parseIdentity, ScpiSession, type SessionOptions } from '../src/session.js';
import { InputBuffer, ieeeBlock, untilMarker } from '../src/transport/framing.js';
import type { SessionState } from '../src/types.js';

/** Answers one received line; `reply` writes to the connection the line came in on. */
type Responder = (line: string, reply: (data: string | Buffer) => void, socket: Socket) => void;

interface FakeInstrument {
  port: number;
  /** Every line received, in order, over all connections. */
  lines: string[];
  /** Every byte received, over all connections. */
  raw: () => string;
  connections: Set<Socket>;
  stop(): Promise<void>;
}

const running: FakeInstrument[] = [];
const sessions: ScpiSession[] = [];

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
  await Promise.all(running.splice(0).map((instrument) => instrument.stop()));
});

async function startInstrument(respond: Responder, port = 0): Promise<FakeInstrument> {
  const lines: string[] = [];
  const received: Buffer[] = [];
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {}); // the session may hang up on us mid-reply
    socket.on('close', () => connections.delete(socket));
    let pending = '';
    socket.on('data', (chunk) => {
      received.push(chunk);
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        lines.push(line);
        respond(line, (data) => socket.destroyed || socket.write(data), socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const instrument: FakeInstrument = {
    port: address.port,
    lines,
    raw: () => Buffer.concat(received).toString('latin1'),
    connections,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
  running.push(instrument);
  return instrument;
}

async function openSession(instrument: FakeInstrument, options: SessionOptions = {}): Promise<ScpiSession> {
  const session = await ScpiSession.open(`TCPIP0::127.0.0.1::${instrument.port}::SOCKET`, {
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    ...options,
  });
  sessions.push(session);
  return session;
}

function stateReached(session: ScpiSession, wanted: SessionState): Promise<void> {
  if (session.state === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const off = session.onStateChange((state) => {
      if (state !== wanted) return;
      off();
      resolve();
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes each piece as its own TCP segment, a little apart, so the session sees them as separate chunks. */
async function dribble(socket: Socket, pieces: (string | Buffer)[]): Promise<void> {
  for (const piece of pieces) {
    if (socket.destroyed) return;
    socket.write(piece);
    await sleep(2);
  }
}

describe('write and query', () => {
  it('sends each command exactly as given plus the write terminator, and strips the reply terminator', async () => {
    const instrument = await startInstrument((line, reply) => {
      if (line === 'MEAS:VOLT?') reply('12.5\n');
    });
    const session = await openSession(instrument);
    await session.write('VOLT 12.5');
    expect(await session.query('MEAS:VOLT?')).toBe('12.5');
    expect(instrument.raw()).toBe('VOLT 12.5\nMEAS:VOLT?\n');
  });

  it('accepts replies ending in \\r\\n', async () => {
    const instrument = await startInstrument((_line, reply) => reply('+1.23400E+00\r\n'));
    const session = await openSession(instrument);
    expect(await session.query('MEAS:CURR?')).toBe('+1.23400E+00');
    expect(await session.query('MEAS:CURR?')).toBe('+1.23400E+00');
  });

  it('uses the configured write terminator', async () => {
    const instrument = await startInstrument((_line, reply) => reply('ok\n'));
    const session = await openSession(instrument, { writeTerminator: '\r\n' });
    expect(await session.query('*OPC?')).toBe('ok');
    expect(instrument.raw()).toBe('*OPC?\r\n');
  });

  it('reassembles a reply split over many chunks', async () => {
    const reply = 'RIGOL TECHNOLOGIES,DS1104Z,DS1ZA000000001,00.04.04.SP4\n';
    const instrument = await startInstrument((_line, _reply, socket) => void dribble(socket, [...reply]));
    const session = await openSession(instrument);
    expect(await session.query('*IDN?')).toBe(reply.trim());
  });

  it('takes one reply from a chunk holding two, and discards the unsolicited second', async () => {
    let count = 0;
    const instrument = await startInstrument((_line, reply) => {
      count++;
      reply(count === 1 ? 'first\nunsolicited\n' : `reply ${count}\n`);
    });
    const session = await openSession(instrument);
    expect(await session.query('A?')).toBe('first');
    expect(await session.query('B?')).toBe('reply 2');
  });

  it('keeps strictly one command in flight and every reply with its command under 100 concurrent queries', async () => {
    let inFlight = 0;
    let overlapped = false;
    const instrument = await startInstrument((line, reply) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      // Answer later, on a varying delay, so an eager session would have time to send the next command.
      setTimeout(() => {
        inFlight--;
        reply(`${line.replace('?', '')}\n`);
      }, line.length % 3);
    });
    const session = await openSession(instrument);
    const commands = Array.from({ length: 100 }, (_, i) => `Q${i}?`);
    const replies = await Promise.all(commands.map((command) => session.query(command)));
    expect(replies).toEqual(commands.map((command) => command.replace('?', '')));
    expect(instrument.lines).toEqual(commands);
    expect(overlapped).toBe(false);
  });

  it('refuses a command containing a line break, sending nothing', async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument);
    await expect(session.write('VOLT 5\n*RST')).rejects.toThrow(ParameterError);
    await expect(session.query('')).rejects.toThrow(ParameterError);
    expect(session.stats.commands).toBe(0);
    expect(instrument.raw()).toBe('');
  });
});

describe('queryUntil (replies ending in a fixed marker, as in the BK serial protocol)', () => {
  it('returns the text before the marker and consumes bare acknowledgements', async () => {
    const instrument = await startInstrument((line, reply, socket) => {
      if (line === 'GETD') void dribble(socket, ['05000', '1001\r', 'O', 'K\r']);
      else reply('OK\r');
    });
    const session = await openSession(instrument);
    expect(await session.queryUntil('VOLT050', 'OK\r')).toBe('');
    expect(await session.queryUntil('GETD', 'OK\r')).toBe('050001001');
    expect(await session.queryUntil('SOUT0', 'OK\r')).toBe('');
    expect(instrument.lines).toEqual(['VOLT050', 'GETD', 'SOUT0']);
  });
});

describe('identify', () => {
  it('parses *IDN?', async () => {
    const instrument = await startInstrument((_line, reply) =>
      reply('RIGOL TECHNOLOGIES,DL3021A,DL3A000000001,00.01.02.00.01\n'),
    );
    const session = await openSession(instrument);
    expect(await session.identify()).toEqual({
      manufacturer: 'RIGOL TECHNOLOGIES',
      model: 'DL3021A',
      serial_number: 'DL3A000000001',
      firmware_version: '00.01.02.00.01',
    });
    expect(instrument.lines).toEqual(['*IDN?']);
  });

  it('treats a serial of "0" or "" as none and keeps commas in the firmware field', () => {
    expect(parseIdentity('B&K Precision, 9205B, 0, 1.2,rev 3')).toEqual({
      manufacturer: 'B&K Precision',
      model: '9205B',
      serial_number: null,
      firmware_version: '1.2,rev 3',
    });
    expect(parseIdentity('Acme,X1,,')).toMatchObject({ serial_number: null, firmware_version: null });
    expect(() => parseIdentity('garbage')).toThrow(InstrumentError);
  });
});

describe('IEEE 488.2 blocks', () => {
  // Bytes a text reader would trip over: newlines, a '#', CR LF, zero and 0xFF.
  const binary = Buffer.from([0x00, 0x0a, 0x23, 0x31, 0x0d, 0x0a, 0xff, 0x0a]);
  const header = (data: Buffer) => `#${String(data.length).length}${data.length}`;

  it('reads a definite-length block containing newlines, with a trailing terminator', async () => {
    const instrument = await startInstrument((line, reply) => {
      if (line === ':WAV:DATA?')
        reply(Buffer.concat([Buffer.from(header(binary)), binary, Buffer.from('\n')]));
      else reply('next\n');
    });
    const session = await openSession(instrument);
    expect(await session.queryBlock(':WAV:DATA?')).toEqual(binary);
    expect(await session.query('*OPC?')).toBe('next');
  });

  it('reads a block without a trailing terminator', async () => {
    const instrument = await startInstrument((line, reply) => {
      if (line === ':WAV:DATA?') reply(Buffer.concat([Buffer.from(header(binary)), binary]));
      else reply('next\n');
    });
    const session = await openSession(instrument);
    expect(await session.queryBlock(':WAV:DATA?')).toEqual(binary);
    expect(await session.query('*OPC?')).toBe('next');
  });

  it('reads a block split over chunks (header included) whose terminator arrives only with the next reply', async () => {
    const data = randomBytes(300_000);
    const digits = String(data.length);
    const instrument = await startInstrument((line, reply, socket) => {
      if (line === ':WAV:DATA?') {
        void dribble(socket, [
          '#',
          `${digits.length}${digits.slice(0, 2)}`,
          digits.slice(2),
          data.subarray(0, 7),
          data.subarray(7),
        ]);
      } else reply('\r\nnext\n');
    });
    const session = await openSession(instrument);
    expect((await session.queryBlock(':WAV:DATA?')).equals(data)).toBe(true);
    expect(await session.query('*OPC?')).toBe('next');
  });

  it('reads an indefinite #0 block up to the newline', async () => {
    const instrument = await startInstrument((_line, reply) => reply('#0ABC\x00\x7f\n'));
    const session = await openSession(instrument);
    expect(await session.queryBlock('DATA?')).toEqual(Buffer.from('ABC\x00\x7f', 'latin1'));
  });

  it('reads an empty block', async () => {
    const instrument = await startInstrument((_line, reply) => reply('#10\n'));
    const session = await openSession(instrument);
    expect(await session.queryBlock('DATA?')).toEqual(Buffer.alloc(0));
  });

  it('fails with InstrumentError on a reply that is not a block, and the session goes on', async () => {
    const instrument = await startInstrument((line, reply) =>
      reply(line === 'DATA?' ? '1.5,2.5\n' : 'next\n'),
    );
    const session = await openSession(instrument);
    await expect(session.queryBlock('DATA?')).rejects.toThrow(/expected an IEEE 488.2 block .*"1.5,2.5\\n"/);
    expect(await session.query('*OPC?')).toBe('next');
  });
});

describe('framing', () => {
  it('cuts two replies out of one chunk, and waits for an incomplete one', () => {
    const input = new InputBuffer();
    input.append(Buffer.from('a\r\nbb\nc'));
    const line = untilMarker(Buffer.from('\n'));
    expect(line(input)?.toString()).toBe('a\r');
    expect(line(input)?.toString()).toBe('bb');
    expect(line(input)).toBeNull();
    input.append(Buffer.from('c\n'));
    expect(line(input)?.toString()).toBe('cc');
  });

  it('waits for a block header and body, then leaves what follows', () => {
    const input = new InputBuffer();
    input.append(Buffer.from('#21'));
    expect(ieeeBlock(input)).toBeNull();
    input.append(Buffer.from('1hello\nworld\r\nrest'));
    expect(ieeeBlock(input)?.toString()).toBe('hello\nworld');
    expect(input.view().toString()).toBe('rest');
  });

  it('rejects a malformed block header', () => {
    const input = new InputBuffer();
    input.append(Buffer.from('#2x1abc'));
    expect(() => ieeeBlock(input)).toThrow(/malformed IEEE 488.2 block header "#2x1"/);
  });
});

describe('error queue draining (checkErrors)', () => {
  async function instrumentWithErrorQueue() {
    const queue: string[] = [];
    return startInstrument((line, reply) => {
      if (line === 'SYST:ERR?') reply(`${queue.shift() ?? '+0,"No error"'}\n`);
      else if (line === 'VOLT 99') queue.push('-222,"Data out of range"', '-221,"Settings conflict"');
      else if (line === 'VOLT?') reply('1.000\n');
    });
  }

  it("fails a write with the instrument's own messages, and drains the whole queue", async () => {
    const instrument = await instrumentWithErrorQueue();
    const session = await openSession(instrument, { checkErrors: true });
    const failure = session.write('VOLT 99');
    await expect(failure).rejects.toThrow(InstrumentError);
    await expect(failure).rejects.toThrow(
      'VOLT 99: the instrument reported -222,"Data out of range"; -221,"Settings conflict"',
    );
    await session.write('VOLT 1');
    expect(await session.query('VOLT?')).toBe('1.000');
    expect(instrument.lines).toEqual([
      'VOLT 99',
      'SYST:ERR?',
      'SYST:ERR?',
      'SYST:ERR?',
      'VOLT 1',
      'SYST:ERR?',
      'VOLT?',
    ]);
    expect(session.stats).toMatchObject({
      errors: 1,
      last_error: expect.stringContaining('Data out of range'),
    });
  });

  it('is off unless asked for, and can be asked for per write', async () => {
    const instrument = await instrumentWithErrorQueue();
    const session = await openSession(instrument);
    await session.write('VOLT 99');
    await expect(session.write('VOLT 1', { checkErrors: true })).rejects.toThrow(/-222,"Data out of range"/);
    expect(instrument.lines).toEqual(['VOLT 99', 'VOLT 1', 'SYST:ERR?', 'SYST:ERR?', 'SYST:ERR?']);
  });
});

describe('timeouts', () => {
  it('fails the command with InstrumentTimeoutError, and the next command gets its own reply, not the late one', async () => {
    // This instrument answers a slow query only when the next command arrives on the same connection, the worst
    // case for a session that would just keep reading.
    const owed = new Map<Socket, string>();
    const instrument = await startInstrument((line, reply, socket) => {
      if (line === 'SLOW?') owed.set(socket, 'late\n');
      else reply(`${owed.get(socket) ?? ''}${line === 'FAST?' ? 'fast' : 'other'}\n`);
    });
    const session = await openSession(instrument);
    await expect(session.query('SLOW?', { timeoutMs: 50 })).rejects.toThrow(InstrumentTimeoutError);
    // It did not answer in time: not responding (not 'reconnecting', which means the link cannot be opened).
    await expect(session.query('SLOW?', { timeoutMs: 50 })).rejects.toThrow(/^not connected: not_responding/);
    await stateReached(session, 'connected');
    expect(await session.query('FAST?')).toBe('fast');
    expect(session.stats).toMatchObject({ timeouts: 1, errors: 1, reconnects: 1 });
  });

  it('uses the session default timeout when the call gives none', async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument, { timeoutMs: 30 });
    await expect(session.query('NOTHING?')).rejects.toThrow('no reply to "NOTHING?" within 30 ms');
  });
});

describe('connection loss and reconnection', () => {
  it('reconnects with backoff when the instrument comes back on the same port, failing fast meanwhile', async () => {
    const answer: Responder = (_line, reply) => reply('ok\n');
    const instrument = await startInstrument(answer);
    const session = await openSession(instrument);
    const seen: [SessionState, string][] = [];
    session.onStateChange((state, reason) => seen.push([state, reason]));
    expect(await session.query('*OPC?')).toBe('ok');

    await instrument.stop();
    await stateReached(session, 'reconnecting');
    expect(seen[0]).toEqual(['reconnecting', expect.stringContaining('closed by the instrument')]);
    // Commands fail at once instead of waiting for the attempts that fail against the closed port.
    await expect(session.query('*OPC?')).rejects.toThrow(InstrumentIOError);
    await expect(session.write('VOLT 1')).rejects.toThrow(
      /^not connected: reconnecting, last error connection to/,
    );

    await startInstrument(answer, instrument.port);
    await stateReached(session, 'connected');
    expect(seen.at(-1)).toEqual(['connected', `reconnected to 127.0.0.1:${instrument.port}`]);
    expect(await session.query('*OPC?')).toBe('ok');
    expect(session.stats).toMatchObject({ reconnects: 1, commands: 2, errors: 0 });
  });

  it('fails the command in flight when the connection drops', async () => {
    const instrument = await startInstrument((_line, _reply, socket) => socket.destroy());
    const session = await openSession(instrument);
    await expect(session.query('*IDN?')).rejects.toThrow(InstrumentIOError);
    expect(session.state).toBe('reconnecting');
  });

  it("stays in 'error' without reconnect", async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument, { reconnect: false });
    await expect(session.query('*IDN?', { timeoutMs: 20 })).rejects.toThrow(InstrumentTimeoutError);
    expect(session.state).toBe('error');
    await expect(session.query('*IDN?')).rejects.toThrow(
      /^not connected: error, last error no reply to "\*IDN\?"/,
    );
  });

  it("gives up after maxAttempts and goes to 'error'", async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument, { reconnect: { initialDelayMs: 1, maxAttempts: 2 } });
    const reasons: string[] = [];
    session.onStateChange((state, reason) => reasons.push(`${state}: ${reason}`));
    await instrument.stop();
    await stateReached(session, 'error');
    expect(reasons.at(-1)).toMatch(/^error: gave up after 2 reconnect attempts, last error .*ECONNREFUSED/);
    await expect(session.query('*IDN?')).rejects.toThrow(/^not connected: error/);
  });

  it('stops notifying a listener once it unsubscribes', async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument);
    const seen: SessionState[] = [];
    const off = session.onStateChange((state) => seen.push(state));
    off();
    await session.close();
    expect(seen).toEqual([]);
  });
});

describe('open and close', () => {
  it('refuses malformed and unsupported resources, and unreachable instruments', async () => {
    await expect(ScpiSession.open('TCPIP0::host::99999::SOCKET')).rejects.toThrow(ResourceSyntaxError);
    await expect(ScpiSession.open('GPIB0::5::INSTR')).rejects.toThrow(UnsupportedInterfaceError);
    // A loopback address nothing listens on: no portmapper answers there.
    await expect(ScpiSession.open('TCPIP0::127.254.254.254::inst0::INSTR')).rejects.toThrow(
      /no VXI-11 portmapper at 127\.254\.254\.254/,
    );
    const instrument = await startInstrument(() => {});
    await instrument.stop();
    await expect(ScpiSession.open(`TCPIP0::127.0.0.1::${instrument.port}::SOCKET`)).rejects.toThrow(
      /cannot connect to 127.0.0.1:\d+: .*ECONNREFUSED/,
    );
  });

  it('fails the command in flight and every later one once closed', async () => {
    const instrument = await startInstrument(() => {});
    const session = await openSession(instrument);
    const seen: [SessionState, string][] = [];
    session.onStateChange((state, reason) => seen.push([state, reason]));
    const inFlight = session.query('*IDN?');
    const queued = session.query('*OPC?');
    await session.close();
    await expect(inFlight).rejects.toThrow('session closed');
    await expect(queued).rejects.toThrow('session closed');
    await expect(session.write('*RST')).rejects.toThrow(InstrumentIOError);
    expect(session.state).toBe('closed');
    expect(seen).toEqual([['closed', 'closed by its owner']]);
    await session.close();
  });
});

describe('stats', () => {
  it('counts commands, errors and timeouts, and measures query latency', async () => {
    const instrument = await startInstrument((line, reply) => {
      if (line !== 'HANG?' && line.endsWith('?')) reply('1\n');
    });
    const session = await openSession(instrument);
    await session.write('OUTP ON');
    await session.query('MEAS?');
    await session.query('MEAS?');
    await expect(session.query('HANG?', { timeoutMs: 20 })).rejects.toThrow(InstrumentTimeoutError);
    const stats = session.stats;
    expect(stats).toMatchObject({
      commands: 4,
      errors: 1,
      timeouts: 1,
      last_error: 'no reply to "HANG?" within 20 ms',
    });
    expect(stats.mean_latency_ms).toBeGreaterThan(0);
    expect(stats.last_latency_ms).toBeGreaterThan(0);
  });
});

describe('an instrument that stops answering (issue 9, finding 5)', () => {
  /**
   * Answers one line at a time, in order, as an instrument does: a slow query delays every reply after it. While
   * `hung`, it still accepts connections and reads (the kernel does that for a SIGSTOPped process) but answers
   * nothing; `resume()` answers what it read meanwhile on the connections still open, as a SIGCONTed one would.
   */
  async function sequentialInstrument(answers: Record<string, { reply?: string; delayMs?: number }>) {
    let hung = false;
    const held: { line: string; socket: Socket }[] = [];
    const chains = new Map<Socket, Promise<void>>();
    const answer = (line: string, socket: Socket) => {
      const entry = answers[line];
      if (!entry?.reply) return; // an unknown header: an SCPI instrument queues -113 and answers nothing
      const previous = chains.get(socket) ?? Promise.resolve();
      chains.set(
        socket,
        previous.then(async () => {
          if (entry.delayMs) await sleep(entry.delayMs);
          if (!socket.destroyed) socket.write(`${entry.reply}\n`);
        }),
      );
    };
    const instrument = await startInstrument((line, _reply, socket) => {
      if (hung) held.push({ line, socket });
      else answer(line, socket);
    });
    return {
      instrument,
      hang: () => {
        hung = true;
      },
      resume: () => {
        hung = false;
        for (const { line, socket } of held.splice(0)) answer(line, socket);
      },
      count: (line: string) => instrument.lines.filter((l) => l === line).length,
    };
  }

  const IDN = 'ACME,X1,42,1.0';

  it('an unanswered query with onTimeout resync costs one timeout: no reconnect, the next command gets its own reply', async () => {
    const { instrument } = await sequentialInstrument({ '*IDN?': { reply: IDN }, 'A?': { reply: 'a' } });
    const session = await openSession(instrument);
    const seen: SessionState[] = [];
    session.onStateChange((state) => seen.push(state));
    await session.identify();
    const failure = session.query('FOO?', { timeoutMs: 50, onTimeout: 'resync' });
    await expect(failure).rejects.toThrow(InstrumentTimeoutError);
    await expect(failure).rejects.toThrow('no reply to "FOO?" within 50 ms');
    expect(await session.query('A?')).toBe('a');
    expect(session.state).toBe('connected');
    expect(seen).toEqual([]);
    expect(session.stats).toMatchObject({ reconnects: 0, timeouts: 1 });
    // One connection all along; the resync was the probe, sent once.
    expect(instrument.connections.size).toBe(1);
    expect(instrument.lines).toEqual(['*IDN?', 'FOO?', '*IDN?', 'A?']);
  });

  it('discards the late reply of a slow query during the resync, so it is never taken for the next reply', async () => {
    const { instrument } = await sequentialInstrument({
      '*IDN?': { reply: IDN },
      'SLOW?': { reply: 'late', delayMs: 150 },
      'A?': { reply: 'a' },
    });
    const session = await openSession(instrument);
    await session.identify();
    await expect(session.query('SLOW?', { timeoutMs: 30, onTimeout: 'resync' })).rejects.toThrow(
      InstrumentTimeoutError,
    );
    expect(await session.query('A?')).toBe('a');
    expect(await session.identify()).toMatchObject({ model: 'X1' });
    expect(session.stats.reconnects).toBe(0);
  });

  it('without the resync option (or before the probe reply is known) a timeout still drops the link', async () => {
    const { instrument } = await sequentialInstrument({ '*IDN?': { reply: IDN } });
    const session = await openSession(instrument);
    await expect(session.query('FOO?', { timeoutMs: 30, onTimeout: 'resync' })).rejects.toThrow(
      InstrumentTimeoutError,
    );
    expect(session.state).toBe('not_responding');
    await stateReached(session, 'connected');
  });

  it('a resync whose probe goes unanswered too marks the instrument not responding', async () => {
    const fake = await sequentialInstrument({ '*IDN?': { reply: IDN } });
    const session = await openSession(fake.instrument, { timeoutMs: 50 });
    await session.identify();
    fake.hang();
    await expect(session.query('FOO?', { timeoutMs: 20, onTimeout: 'resync' })).rejects.toThrow(
      InstrumentTimeoutError,
    );
    expect(session.state).toBe('not_responding');
    fake.resume();
    await stateReached(session, 'connected');
  });

  it('a peer that accepts connections but never answers is not_responding — never connected — until it answers again', async () => {
    const fake = await sequentialInstrument({ '*IDN?': { reply: IDN }, 'A?': { reply: 'a' } });
    const session = await openSession(fake.instrument, {
      timeoutMs: 60,
      heartbeatMs: 30,
      reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
    });
    const seen: [SessionState, string][] = [];
    session.onStateChange((state, reason) => seen.push([state, reason]));
    await session.identify();

    fake.hang();
    // Nobody sends a command: the heartbeat notices.
    await stateReached(session, 'not_responding');
    expect(seen[0]).toEqual(['not_responding', 'no reply to "*IDN?" within 60 ms']);
    await expect(session.query('A?')).rejects.toThrow(/^not connected: not_responding/);

    // Every reconnect attempt opens a TCP connection (the peer's kernel accepts it) and probes: none is 'connected'.
    const probes = fake.count('*IDN?');
    await until(() => fake.count('*IDN?') >= probes + 4, 'four more reconnect attempts');
    expect(seen.map(([state]) => state)).toEqual(['not_responding']);
    expect(session.state).toBe('not_responding');
    expect(session.stats.reconnects).toBe(0);

    fake.resume();
    await stateReached(session, 'connected');
    expect(seen.at(-1)).toEqual(['connected', expect.stringMatching(/^reconnected to 127\.0\.0\.1:\d+$/)]);
    expect(await session.query('A?')).toBe('a');
    expect(seen.map(([state]) => state)).toEqual(['not_responding', 'connected']);
  });

  it('a command that times out marks the session not_responding; a link that cannot be opened is reconnecting', async () => {
    const fake = await sequentialInstrument({ '*IDN?': { reply: IDN } });
    const session = await openSession(fake.instrument, { timeoutMs: 40 });
    const seen: SessionState[] = [];
    session.onStateChange((state) => seen.push(state));
    fake.hang();
    await expect(session.query('*IDN?')).rejects.toThrow(InstrumentTimeoutError);
    expect(session.state).toBe('not_responding');
    await fake.instrument.stop(); // now nothing listens: connects are refused
    await stateReached(session, 'reconnecting');
    expect(seen.slice(0, 2)).toEqual(['not_responding', 'reconnecting']);
  });

  it('without a probe a reopened link counts as connected (the old behaviour, on request)', async () => {
    const fake = await sequentialInstrument({});
    const session = await openSession(fake.instrument, { timeoutMs: 30, probe: false });
    await expect(session.query('FOO?')).rejects.toThrow(InstrumentTimeoutError);
    await stateReached(session, 'connected');
    expect(fake.count('*IDN?')).toBe(0);
  });

  it('a reopened link that leads to another instrument is refused, and the session waits for its own', async () => {
    const answers: Record<string, { reply?: string }> = { '*IDN?': { reply: IDN }, 'A?': { reply: 'a' } };
    const fake = await sequentialInstrument(answers);
    const session = await openSession(fake.instrument);
    const seen: [SessionState, string][] = [];
    session.onStateChange((state, reason) => seen.push([state, reason]));
    await session.identify();

    // Another unit takes the address (a lease moved, a bench rewired), firmware aside: same maker, other serial.
    answers['*IDN?'] = { reply: 'ACME,X1,43,1.0' };
    for (const socket of fake.instrument.connections) socket.destroy();
    await until(
      () => seen.some(([, reason]) => /answers as ACME X1 43, not ACME X1 42/.test(reason)),
      `the other instrument refused: ${JSON.stringify(seen)}`,
    );
    expect(session.state).toBe('reconnecting');
    await expect(session.query('A?')).rejects.toThrow(/^not connected: reconnecting/);
    const aCount = fake.count('A?');
    await sleep(100); // several more attempts, each refused: nothing but the probe is ever sent to it
    expect(session.state).toBe('reconnecting');
    expect(fake.count('A?')).toBe(aCount);

    // Its own instrument answers again (a firmware update does not make it another): connected by itself.
    answers['*IDN?'] = { reply: 'ACME,X1,42,1.1' };
    await stateReached(session, 'connected');
    expect(await session.query('A?')).toBe('a');
  });

  it('verify() sends the probe and resolves with its reply', async () => {
    const { instrument } = await sequentialInstrument({ GMAX: { reply: '180500OK' } });
    const session = await openSession(instrument, { probe: { command: 'GMAX' } });
    expect(await session.verify()).toBe('180500OK');
  });
});

/** Waits until `condition` holds, checked every 5 ms; fails after `timeoutMs` (a generous deadline, not a measure). */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
