// The IEEE 488.2 status model shared by every connection to one instrument: the error queue, the Standard Event
// Status Register (ESR) with its enable mask (ESE) and the Service Request Enable mask (SRE).

import { SCPI_MESSAGES } from './errors.js';

/** ESR bits (IEEE 488.2 §11.5.1). */
export const ESR = { OPC: 1, QYE: 4, DDE: 8, EXE: 16, CME: 32, PON: 128 } as const;

/** The ESR bit an error number sets: command (-1xx), execution (-2xx), device (-3xx, positive) or query (-4xx). */
function esrBitFor(code: number): number {
  if (code <= -100 && code > -200) return ESR.CME;
  if (code <= -200 && code > -300) return ESR.EXE;
  if (code <= -400 && code > -500) return ESR.QYE;
  return ESR.DDE;
}

export class StatusModel {
  private readonly queue: Array<{ code: number; message: string }> = [];
  esr: number = ESR.PON;
  ese = 0;
  sre = 0;

  /** @param capacity the error queue length of the instrument (SCPI requires at least 2; most manuals say 20). */
  constructor(private readonly capacity: number) {}

  pushError(code: number, message = SCPI_MESSAGES[code] ?? 'Device-specific error'): void {
    this.esr |= esrBitFor(code);
    // SCPI-99 §21.8: when the queue is full, the most recent entry is replaced by -350 and later errors are lost.
    if (this.queue.length < this.capacity) this.queue.push({ code, message });
    else this.queue[this.capacity - 1] = { code: -350, message: SCPI_MESSAGES[-350] as string };
  }

  /** Removes and returns the oldest error, or 0 "No error". */
  nextError(): { code: number; message: string } {
    return this.queue.shift() ?? { code: 0, message: SCPI_MESSAGES[0] as string };
  }

  get errorCount(): number {
    return this.queue.length;
  }

  /** *ESR? reads and clears the register. */
  readEsr(): number {
    const value = this.esr;
    this.esr = 0;
    return value;
  }

  /** *STB?: bit 2 error/event queue not empty, bit 5 ESB (enabled events), bit 6 MSS (any enabled summary). */
  stb(): number {
    let stb = 0;
    if (this.queue.length > 0) stb |= 4;
    if ((this.esr & this.ese) !== 0) stb |= 32;
    if ((stb & this.sre & ~64) !== 0) stb |= 64;
    return stb;
  }

  /** *CLS clears the event registers and the error queue, not the enable masks. */
  clear(): void {
    this.queue.length = 0;
    this.esr = 0;
  }
}
