// One call from a VISA resource string to a ready driver: open the session, find out what answers, pick its driver.

import type { Driver } from './driver.js';
import { bkIdentity, bkSerialIo, findDriver, genericScpi, TableDriver } from './drivers/index.js';
import { InstrumentTimeoutError, ParameterError } from './errors.js';
import { ScpiSession, type SessionOptions } from './session.js';
import type { SerialOptions } from './transport/index.js';

export interface ConnectOptions {
  /**
   * The model, when the caller knows it: required for B&K serial-protocol supplies (1685B, 1902B), which do not
   * answer *IDN?. Otherwise the model comes from *IDN?.
   */
  model?: string;
  /** Per-command timeout. Default: the session's (2000 ms). */
  timeoutMs?: number;
  /** Line settings for serial (ASRL) resources. Default 9600 8N1, no flow control. */
  serial?: SerialOptions;
}

/** Opens an instrument and returns its driver; an instrument LabLink has no driver for gets the generic one. */
export async function connectInstrument(resource: string, options: ConnectOptions = {}): Promise<Driver> {
  const named = options.model === undefined ? undefined : findDriver(options.model);
  if (options.model !== undefined && named === undefined) {
    throw new ParameterError('model', `LabLink has no driver for model ${JSON.stringify(options.model)}`);
  }
  const bkSerial = named?.protocol === 'bk-serial';
  const sessionOptions: SessionOptions = {
    timeoutMs: options.timeoutMs,
    serial: options.serial,
    // The B&K serial protocol ends commands with a carriage return (its replies end in OK\r: bkSerialIo).
    ...(bkSerial ? { writeTerminator: '\r' } : {}),
  };
  const session = await ScpiSession.open(resource, sessionOptions);
  try {
    if (named && bkSerial)
      return new TableDriver(named, bkIdentity(named.info), session, bkSerialIo(session));
    const identity = await session.identify().catch((error: unknown) => {
      if (error instanceof InstrumentTimeoutError) {
        throw new InstrumentTimeoutError(
          `${error.message}; a B&K serial-protocol supply (1685B, 1902B) never answers *IDN?: name its model`,
        );
      }
      throw error;
    });
    const definition = named ?? findDriver(identity.model);
    if (definition) return new TableDriver(definition, identity, session, session);
    const info = { ...genericScpi.info, manufacturer: identity.manufacturer, model: identity.model };
    return new TableDriver({ ...genericScpi, info }, identity, session, session);
  } catch (error) {
    await session.close();
    throw error;
  }
}
