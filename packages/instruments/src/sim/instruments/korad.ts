// Korad / RND KA3005P single-output supply (30 V / 5 A) on its serial protocol (KA3000 series remote control
// syntax). Not SCPI: commands such as VSET1:5.00, ISET1:1.000, OUT1, and queries VSET1? ISET1? VOUT1? IOUT1?
// STATUS? *IDN?, with no terminator either way. A reply is the bare value: 05.00 (V), 1.000 (A), STATUS? one
// byte (bit 0 CH1 CV, bit 4 beep, bit 5 panel lock, bit 6 output on), *IDN? KORAD KA3005P V5.8 SN:03379314. A
// command the supply cannot take gets no reply.
//
// The supply tells commands apart by their grammar and by the pause after each; koradSerialLink does the same
// for a serial line. Over TCP (a convenience of the simulator: the real supply is serial only) it takes one
// command per line.

import { Duplex } from 'node:stream';
import type { ChannelRating, PowerSupplySim } from '../physics/psu.js';
import type { SimProtocol } from '../protocol.js';

export const KA3005P_RATING: ChannelRating = { maxVoltage: 30, maxCurrent: 5 };

/** A pause this long ends a command whose length the grammar cannot tell (VSET1:5 vs VSET1:5.00). */
const GAP_MS = 20;

export interface KoradIdentity {
  model: string;
  firmware: string;
  serial: string;
}

const volts = (v: number) => v.toFixed(2).padStart(5, '0');
const amps = (a: number) => a.toFixed(3);

export function koradProtocol(psu: PowerSupplySim, identity: KoradIdentity): SimProtocol {
  const channel = psu.channel(1);
  const flags = { beep: true, lock: false };
  const bit = (on: boolean, n: number) => (on ? 1 << n : 0);

  const handle = (message: string): Buffer | undefined => {
    const command = message.trim().toUpperCase();
    const setpoint = /^([VI])SET1:(\d{1,2}(?:\.\d{0,3})?)$/.exec(command);
    if (setpoint) {
      const value = Number(setpoint[2]);
      const isVoltage = setpoint[1] === 'V';
      if (value > (isVoltage ? KA3005P_RATING.maxVoltage : KA3005P_RATING.maxCurrent)) return undefined;
      if (isVoltage) channel.voltageSet = Math.round(value * 100) / 100;
      else channel.currentSet = Math.round(value * 1000) / 1000;
      return undefined;
    }
    const toggle = /^(OUT|BEEP|LOCK|OCP|OVP)([01])$/.exec(command);
    if (toggle) {
      const on = toggle[2] === '1';
      if (toggle[1] === 'OUT') channel.output = on;
      if (toggle[1] === 'BEEP') flags.beep = on;
      if (toggle[1] === 'LOCK') flags.lock = on;
      return undefined;
    }
    switch (command) {
      case 'VSET1?':
        return Buffer.from(volts(channel.voltageSet));
      case 'ISET1?':
        return Buffer.from(amps(channel.currentSet));
      case 'VOUT1?':
        return Buffer.from(volts(Math.min(channel.measure().voltage, 99.99)));
      case 'IOUT1?':
        return Buffer.from(amps(Math.min(channel.measure().current, 9.999)));
      case 'STATUS?': {
        const cv = channel.output && channel.operatingPoint().mode === 'CV';
        const status =
          bit(cv, 0) | bit(true, 2) | bit(flags.beep, 4) | bit(flags.lock, 5) | bit(channel.output, 6);
        return Buffer.from([status]);
      }
      case '*IDN?':
        return Buffer.from(`KORAD ${identity.model} ${identity.firmware} SN:${identity.serial}`);
      default:
        return undefined;
    }
  };

  return {
    inputTerminator: '\n',
    handle,
    garbage: () => Buffer.from('\u00ff#?GA', 'latin1'),
    // The protocol has no error queue to push into.
    pushError: () => {},
  };
}

/** Whether `text` is a whole command by its grammar alone; VSET/ISET values need the pause or the next command. */
function complete(text: string): boolean {
  return /\?$/.test(text) || /^(OUT|BEEP|LOCK|OCP|OVP)[01]$/i.test(text) || /^(RCL|SAV)[1-5]$/i.test(text);
}

/**
 * Frames a serial line's unterminated Korad commands the way the supply does (grammar, then a pause) and hands
 * each on as one line: give the result to RunningSimulator.serveStream. Replies go out unchanged.
 */
export function koradSerialLink(line: Duplex): Duplex {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const inner = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      line.write(chunk, done);
    },
  });
  const flush = () => {
    clearTimeout(timer);
    if (pending !== '') inner.push(`${pending}\n`);
    pending = '';
  };
  line.on('data', (chunk: Buffer) => {
    for (const ch of chunk.toString('latin1')) {
      // A letter after a VSET/ISET value starts the next command.
      if (/[A-Za-z*]/.test(ch) && /:[\d.]+$/.test(pending)) flush();
      if (ch === '\n' || ch === '\r') continue;
      pending += ch;
      if (complete(pending)) flush();
    }
    clearTimeout(timer);
    if (pending !== '') timer = setTimeout(flush, GAP_MS);
  });
  line.on('close', () => {
    clearTimeout(timer);
    inner.push(null);
  });
  return inner;
}
