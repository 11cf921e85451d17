// SCPI and other line protocols over a serial port (serialport 13), opened by path.

import type { SerialPort } from 'serialport';
import { InstrumentIOError } from '../errors.js';
import type { SerialOptions, Transport, TransportHandlers } from './types.js';

export async function openSerial(
  path: string,
  handlers: TransportHandlers,
  options: SerialOptions = {},
): Promise<Transport> {
  // serialport and its native addon load with the first serial instrument, not when the server starts.
  const { SerialPort } = await import('serialport');
  const { baudRate = 9600, dataBits = 8, parity = 'none', stopBits = 1, flowControl = 'none' } = options;
  const xonxoff = flowControl === 'xonxoff';
  const port = new SerialPort({
    path,
    baudRate,
    dataBits,
    parity,
    stopBits,
    rtscts: flowControl === 'rtscts',
    xon: xonxoff,
    xoff: xonxoff,
    autoOpen: false,
  });
  return new Promise((resolve, reject) => {
    port.open((openError) => {
      if (openError) {
        reject(new InstrumentIOError(`cannot open serial port ${path}: ${openError.message}`));
        return;
      }
      // Whatever the OS buffered before we opened answers nothing of ours.
      port.flush(() => resolve(portTransport(port, path, handlers)));
    });
  });
}

function portTransport(port: SerialPort, path: string, handlers: TransportHandlers): Transport {
  let closing = false;
  let failure: Error | null = null;
  port.on('data', handlers.data);
  port.on('error', (error: Error) => {
    failure = error;
  });
  // serialport emits 'close' with a DisconnectedError when the device goes away (a USB adapter unplugged).
  port.on('close', (error: Error | null) => {
    if (closing) return;
    const cause = error ?? failure;
    handlers.closed(
      new InstrumentIOError(`serial port ${path} ${cause ? `failed: ${cause.message}` : 'closed'}`),
    );
  });
  return {
    peer: path,
    write: (bytes) =>
      new Promise((resolve, reject) => {
        port.write(bytes, (error) =>
          error ? reject(new InstrumentIOError(`write to ${path} failed: ${error.message}`)) : resolve(),
        );
      }),
    close: () => {
      closing = true;
      if (!port.isOpen) return Promise.resolve();
      return new Promise((resolve) => port.close(() => resolve()));
    },
  };
}
