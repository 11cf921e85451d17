// Opens the byte stream a parsed VISA resource names.

import { assertOpenable, type ParsedResource } from '../visa.js';
import { openSerial } from './serial.js';
import { openTcp } from './tcp.js';
import type { Transport, TransportHandlers, TransportOptions } from './types.js';

export type { SerialOptions, Transport, TransportHandlers, TransportOptions } from './types.js';

/**
 * Rejects with UnsupportedInterfaceError for resources without a transport yet (USBTMC, VXI-11, GPIB) and with
 * InstrumentIOError when the link cannot be opened.
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
    case 'asrl':
      return openSerial(resource.path, handlers, options.serial);
  }
}
