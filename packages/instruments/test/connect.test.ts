// connectInstrument: identification and driver choice against every simulated model, models named by the user,
// the generic driver for anything else, and the session's state passing through the driver.

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInstrument } from '../src/connect.js';
import { SUPPORTED_MODELS } from '../src/drivers/index.js';
import {
  InstrumentIOError,
  InstrumentTimeoutError,
  ParameterError,
  UnknownCommandError,
} from '../src/errors.js';
import { SIM_MODELS, startSimulator } from '../src/sim/index.js';

// Serial protocols without a framed *IDN?: B&K's and Korad's.
const SERIAL_PROTOCOL = ['1685B', '1902B', 'KA3005P'];

describe('driver choice from *IDN?', () => {
  it.each(SIM_MODELS.filter((m) => !SERIAL_PROTOCOL.includes(m)))('%s', async (model) => {
    const sim = await startSimulator(model);
    try {
      const driver = await connectInstrument(sim.resource);
      expect(driver.info.model).toBe(model);
      // Keithley SourceMeters answer "MODEL 2400" in the model field.
      expect(driver.identity.model.replace(/^MODEL /, '')).toBe(model);
      expect(driver.identity.serial_number).toBeTruthy();
      expect(driver.state).toBe('connected');
      await driver.close();
      expect(driver.state).toBe('closed');
    } finally {
      await sim.stop();
    }
  });

  it('lists every simulated model as supported, with its protocol', () => {
    expect(SUPPORTED_MODELS.map((m) => m.model).sort()).toEqual([...SIM_MODELS].sort());
    expect(SUPPORTED_MODELS.filter((m) => m.protocol !== 'scpi').map((m) => m.model)).toEqual(
      SERIAL_PROTOCOL,
    );
  });
});

describe('a named model', () => {
  it('is found with or without the vendor prefix', async () => {
    const sim = await startSimulator('9130B');
    try {
      for (const model of ['BK9130B', 'B&K Precision 9130B', '9130b']) {
        const driver = await connectInstrument(sim.resource, { model });
        expect(driver.info.model).toBe('9130B');
        await driver.close();
      }
    } finally {
      await sim.stop();
    }
  });

  it('is required for the B&K serial protocol, which never answers *IDN?', async () => {
    const sim = await startSimulator('1902B');
    try {
      const error = await connectInstrument(sim.resource, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstrumentTimeoutError);
      expect((error as Error).message).toContain('name its model');
    } finally {
      await sim.stop();
    }
  });

  it('must be one LabLink has a driver for', async () => {
    await expect(
      connectInstrument('TCPIP0::127.0.0.1::1::SOCKET', { model: 'HP 6632B' }),
    ).rejects.toMatchObject({
      constructor: ParameterError,
      field: 'model',
    });
  });
});

describe('an instrument LabLink has no driver for', () => {
  let server: Server;
  let resource: string;
  const received: string[] = [];

  beforeAll(async () => {
    // A stand-in for any SCPI instrument: it answers *IDN? and MEAS? and records what it is sent.
    server = createServer((socket) => {
      let pending = '';
      socket.on('data', (chunk) => {
        pending += chunk.toString();
        for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
          const command = pending.slice(0, end);
          pending = pending.slice(end + 1);
          received.push(command);
          if (command === '*IDN?') socket.write('ACME Instruments,WIDGET-9,SN42,1.0\n');
          else if (command === 'MEAS?') socket.write('+1.25E+00\n');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    resource = `TCPIP0::127.0.0.1::${typeof address === 'object' && address ? address.port : 0}::SOCKET`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('gets the generic driver: identity and raw passthrough only', async () => {
    const driver = await connectInstrument(resource);
    try {
      expect(driver.info).toMatchObject({
        type: 'generic',
        manufacturer: 'ACME Instruments',
        model: 'WIDGET-9',
      });
      expect(driver.identity.serial_number).toBe('SN42');
      expect(driver.commands).toEqual([]);
      expect(driver.readings).toBeUndefined();
      expect(await driver.raw('CONF:VOLT 5')).toBeUndefined();
      expect(await driver.raw('MEAS?')).toBe('+1.25E+00');
      await expect(driver.execute('set_voltage', { voltage: 1 })).rejects.toBeInstanceOf(UnknownCommandError);
      await expect(driver.raw('A\nB')).rejects.toBeInstanceOf(ParameterError);
      await driver.safeState();
      expect(received).toEqual(['*IDN?', 'CONF:VOLT 5', 'MEAS?']);
    } finally {
      await driver.close();
    }
  });
});

describe('the connection', () => {
  it('fails clearly when nothing listens', async () => {
    const sim = await startSimulator('DP832');
    const { resource } = sim;
    await sim.stop();
    await expect(connectInstrument(resource)).rejects.toBeInstanceOf(InstrumentIOError);
  });

  it("reports the session's state changes through the driver", async () => {
    const sim = await startSimulator('DP832');
    const driver = await connectInstrument(sim.resource);
    try {
      const states: string[] = [];
      const reconnected = new Promise<void>((resolve) => {
        driver.onStateChange((state) => {
          states.push(state);
          if (state === 'connected') resolve();
        });
      });
      await sim.faults.dropConnections();
      await reconnected;
      expect(states).toEqual(['reconnecting', 'connected']);
      expect(await driver.raw('*IDN?')).toContain('DP832');
    } finally {
      await driver.close();
      await sim.stop();
    }
  });
});
