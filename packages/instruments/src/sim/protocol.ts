// What the transport (TCP server, serial stream) needs from a simulated instrument, whatever its wire protocol.

import type { ScpiInstrument } from './scpi/engine.js';

export interface SimProtocol {
  /** The byte that ends a message from the host: '\n' for SCPI (a preceding '\r' is dropped), '\r' for BK serial. */
  readonly inputTerminator: '\n' | '\r';
  /** Runs one message and returns the complete reply bytes, terminator included, or undefined for no reply. */
  handle(message: string): Buffer | undefined;
  /** A corrupt reply, framed like a real one so the client reads it whole and must reject it by content. */
  garbage(): Buffer;
  /**
   * Queues an instrument error as if the instrument had raised it (no-op for protocols without an error queue);
   * without a message, the standard SCPI text for the code.
   */
  pushError(code: number, message?: string): void;
}

/** The SCPI framing: replies end with '\n'. */
export function scpiProtocol(instrument: ScpiInstrument): SimProtocol {
  return {
    inputTerminator: '\n',
    handle(message) {
      const reply = instrument.execute(message.endsWith('\r') ? message.slice(0, -1) : message);
      return reply && Buffer.concat([reply, Buffer.from('\n')]);
    },
    garbage: () => Buffer.from('\u00ff\u00fe#?GARBAGE,,NaN\u0007\n', 'latin1'),
    pushError: (code, message) => instrument.status.pushError(code, message),
  };
}
