// ScpiSession over a real serial line: socat joins two pseudo-terminals, the session opens one end and a tiny
// BK-style instrument (serialport, "\r"-terminated) listens on the other.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentIOError } from '../src/errors.js';
import { ScpiSession } from '../src/session.js';
import { closeSerialPort, hasSocat, openSerialPort, type PtyPair, startPtyPair } from './pty-pair.js';

if (!hasSocat) {
  console.warn(
    'serial.test.ts: SKIPPED: socat is not installed (Debian package "socat": apt-get install -y socat)',
  );
}

it('refuses a serial port that does not exist', async () => {
  const missing = join(tmpdir(), `lablink-no-such-tty-${randomUUID()}`);
  await expect(ScpiSession.open(`ASRL${missing}::INSTR`)).rejects.toThrow(InstrumentIOError);
  await expect(ScpiSession.open(`ASRL${missing}::INSTR`)).rejects.toThrow(
    `cannot open serial port ${missing}`,
  );
});

describe.skipIf(!hasSocat)('serial session over a socat pty pair', () => {
  const base = join(tmpdir(), `lablink-pty-${randomUUID()}`);
  const sessionEnd = `${base}-session`;
  const instrumentEnd = `${base}-instrument`;
  const received: string[] = [];
  let pty: PtyPair;
  let instrument: SerialPort;

  beforeAll(async () => {
    pty = startPtyPair(sessionEnd, instrumentEnd);
    await pty.ready;

    instrument = await openSerialPort(instrumentEnd);
    let pending = '';
    instrument.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r'); end >= 0; end = pending.indexOf('\r')) {
        const command = pending.slice(0, end);
        pending = pending.slice(end + 1);
        received.push(command);
        if (command === '*IDN?') instrument.write('B&K Precision,1685B,0,1.03\r');
        else if (command === 'GETD') instrument.write('050001001\rOK\r');
        else instrument.write('OK\r');
      }
    });
  });

  afterAll(async () => {
    await closeSerialPort(instrument);
    await pty?.stop();
  });

  it('queries with "\\r" terminators and consumes the BK protocol\'s OK acknowledgements', async () => {
    const session = await ScpiSession.open(`ASRL${sessionEnd}::INSTR`, {
      writeTerminator: '\r',
      readTerminator: '\r',
      serial: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
    });
    try {
      expect(session.state).toBe('connected');
      expect(await session.identify()).toEqual({
        manufacturer: 'B&K Precision',
        model: '1685B',
        serial_number: null,
        firmware_version: '1.03',
      });
      expect(await session.queryUntil('VOLT050', 'OK\r')).toBe('');
      expect(await session.queryUntil('GETD', 'OK\r')).toBe('050001001');
      expect(await session.queryUntil('SOUT0', 'OK\r')).toBe('');
      expect(received).toEqual(['*IDN?', 'VOLT050', 'GETD', 'SOUT0']);
      expect(session.stats).toMatchObject({ commands: 4, errors: 0 });
    } finally {
      await session.close();
    }
    expect(session.state).toBe('closed');
  });
});
