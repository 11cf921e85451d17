// Opens the link a parsed VISA resource names: a raw SCPI socket, VXI-11, HiSLIP, USBTMC or a serial port.

import { assertOpenable, hislipPort, type ParsedResource } from '../visa.js';
import { openHislip } from './hislip.js';
import { openSerial } from './serial.js';
import { openTcp } from './tcp.js';
import type { Transport, TransportHandlers, TransportOptions } from './types.js';
import { openUsbtmc } from './usbtmc.js';
import { openVxi11 } from './vxi11.js';

export type {
  MessageTransport,
  SerialOptions,
  Transport,
  TransportHandlers,
  TransportOptions,
  UsbtmcOptions,
} from './types.js';

/**
 * Rejects with UnsupportedInterfaceError for resources without a transport (GPIB) and with InstrumentIOError
 * when the link cannot be opened.
 */
export async function openTransport(
  resource: ParsedResource,
  handlers: TransportHandlers,
  options: TransportOptions = {},
): Promise<Transport> {
  assertOpenable(resource);
  switch (resource.kind) {
    case 'tcpip-socket':
      return openTcp(resource.host, resource.port, handlers, options.connectTimeoutMs);
    case 'tcpip-instr': {
      const port = hislipPort(resource.device);
      if (port !== null) {
        return openHislip(resource.host, port, resource.device.split(',')[0] as string, handlers, options);
      }
      return openVxi11(resource.host, resource.device, handlers, options);
    }
    case 'usb':
      return openUsbtmc(resource, handlers, options.usbtmc);
    case 'asrl':
      return openSerial(resource.path, handlers, options.serial);
  }
}
