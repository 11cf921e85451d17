// One call from a VISA resource string to a ready driver: open the session, find out what answers, pick its driver.

import type { Driver } from './driver.js';
import {
  BK_SERIAL_PROBE,
  bkSerialIo,
  findDriver,
  genericScpi,
  KORAD_SESSION,
  koradIo,
  namedIdentity,
  TableDriver,
} from './drivers/index.js';
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
  /**
   * An instrument without a command for this long is probed (`*IDN?`, or GMAX for B&K serial-protocol supplies),
   * so one that stops answering shows as not responding even while nobody reads it. Default 5000 ms; 0: never.
   */
  heartbeatMs?: number;
}

/** Default of ConnectOptions.heartbeatMs. */
export const DEFAULT_HEARTBEAT_MS = 5000;

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
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    // The B&K serial protocol ends commands with a carriage return (its replies end in OK\r: bkSerialIo), and
    // has no *IDN? to check the link with.
    ...(bkSerial ? { writeTerminator: '\r', probe: BK_SERIAL_PROBE } : {}),
    ...(named?.protocol === 'korad' ? KORAD_SESSION : {}),
  };
  const session = await ScpiSession.open(resource, sessionOptions);
  try {
    if (named && bkSerial) {
      await session.verify(); // a port with nothing answering on it is no supply
      return new TableDriver(named, namedIdentity(named.info), session, bkSerialIo(session));
    }
    if (named?.protocol === 'korad')
      return new TableDriver(named, namedIdentity(named.info), session, koradIo(session));
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
