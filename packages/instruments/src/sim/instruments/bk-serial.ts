// The B&K Precision serial protocol of the 1685B (1687B/1688B manual) and the 1902B (1900B series manual).
// Not SCPI: four-letter commands with fixed-width digits, each ended by '\r'; every reply ends with "OK\r"
// (data first, on its own '\r'-terminated line). There is no *IDN? and no error queue: a command the
// instrument cannot take (unknown, malformed, beyond the rating) gets no reply at all.
//
//   SESS / ENDS        remote / local (front panel lock)        → OK
//   VOLTnnn            voltage setpoint, V × 10                 → OK
//   CURRnnn            current setpoint (scale below)           → OK
//   SOUT0 / SOUT1      output ON / OFF (inverted!)              → OK
//   GOUT               output state, 0 = on, 1 = off            → 0 OK
//   GETD               reading VVVVIIIIM: V × 100, I (scale below), M 0 = CV, 1 = CC
//   GETS               setpoints VVVCCC                         → 050010 OK
//   GMAX               maximum setpoints VVVCCC                 → 180500 OK
//
// Resolution differs by model. The manuals give the setpoint current one decimal on the 1687B/1688B/1900B/1901B/
// 1902B (A × 10) but two on the 1685B (A × 100). GETD reads one decimal more than the setpoints: the 1688B
// manual's example 030201450 is 3.02 V, 1.45 A (A × 100), so the 1685B reads A × 1000 — which is also what the
// original LabLink driver divided by. Voltages are V × 10 in setpoints and V × 100 in GETD on every model.

import type { ChannelRating, PowerSupplySim } from '../physics/psu.js';
import type { SimProtocol } from '../protocol.js';

export interface BkSerialFormat {
  rating: ChannelRating;
  /** Current digits in CURR, GETS and GMAX are amperes × this. */
  setCurrentScale: number;
  /** Current digits in GETD are amperes × this. */
  readCurrentScale: number;
}

export const BK1685B_FORMAT: BkSerialFormat = {
  rating: { maxVoltage: 18, maxCurrent: 5 },
  setCurrentScale: 100,
  readCurrentScale: 1000,
};

export const BK1902B_FORMAT: BkSerialFormat = {
  rating: { maxVoltage: 60, maxCurrent: 15 },
  setCurrentScale: 10,
  readCurrentScale: 100,
};

const digits = (value: number, scale: number, width: number) =>
  String(Math.min(10 ** width - 1, Math.max(0, Math.round(value * scale)))).padStart(width, '0');

export function bkSerialProtocol(psu: PowerSupplySim, format: BkSerialFormat): SimProtocol {
  const channel = psu.channel(1);
  const { rating, setCurrentScale, readCurrentScale } = format;
  const ok = (data?: string) => Buffer.from(data === undefined ? 'OK\r' : `${data}\rOK\r`, 'latin1');
  const pair = (voltage: number, current: number) =>
    digits(voltage, 10, 3) + digits(current, setCurrentScale, 3);

  const handle = (message: string): Buffer | undefined => {
    const command = message.trim().toUpperCase();
    const setpoint = /^(VOLT|CURR)(\d{3})$/.exec(command);
    if (setpoint) {
      const isVoltage = setpoint[1] === 'VOLT';
      const value = Number(setpoint[2]) / (isVoltage ? 10 : setCurrentScale);
      if (value > (isVoltage ? rating.maxVoltage : rating.maxCurrent)) return undefined;
      if (isVoltage) channel.voltageSet = value;
      else channel.currentSet = value;
      return ok();
    }
    switch (command) {
      case 'SESS':
      case 'ENDS':
        return ok();
      case 'SOUT0':
      case 'SOUT1':
        channel.output = command === 'SOUT0';
        return ok();
      case 'GOUT':
        return ok(channel.output ? '0' : '1');
      case 'GETD': {
        const r = channel.measure();
        return ok(
          `${digits(r.voltage, 100, 4)}${digits(r.current, readCurrentScale, 4)}${r.mode === 'CC' ? 1 : 0}`,
        );
      }
      case 'GETS':
        return ok(pair(channel.voltageSet, channel.currentSet));
      case 'GMAX':
        return ok(pair(rating.maxVoltage, rating.maxCurrent));
      default:
        return undefined;
    }
  };

  return {
    inputTerminator: '\r',
    handle,
    garbage: () => Buffer.from('\u00ff#?GARBAGE\rOK\r', 'latin1'),
    // The serial protocol has no error queue to push into.
    pushError: () => {},
  };
}
