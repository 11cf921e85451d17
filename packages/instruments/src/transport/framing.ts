// Cutting replies out of a byte stream: a reply ends at a marker (a line terminator, the BK "OK\r"), or is an
// IEEE 488.2 block whose header gives its length.

import { InstrumentError } from '../errors.js';

/** Bytes received and not yet taken. Grows by doubling, so a reply of many chunks costs linear time. */
export class InputBuffer {
  private bytes = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (this.length + chunk.length)));
      this.bytes.copy(grown, 0, this.start, this.end);
      this.bytes = grown;
      this.end = this.length;
      this.start = 0;
    }
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }

  /** The pending bytes, without copying; valid until the next append. */
  view(): Buffer {
    return this.bytes.subarray(this.start, this.end);
  }

  /** Removes and returns (a copy of) the first n bytes. */
  take(n: number): Buffer {
    const taken = Buffer.from(this.bytes.subarray(this.start, this.start + n));
    this.skip(n);
    return taken;
  }

  skip(n: number): void {
    this.start = Math.min(this.start + n, this.end);
  }

  /** Line breaks between replies are never payload: a block's optional terminator may arrive late. */
  skipLineBreaks(): void {
    while (this.start < this.end && (this.bytes[this.start] === LF || this.bytes[this.start] === CR))
      this.start++;
  }

  clear(): void {
    this.bytes = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
  }
}

/** Takes one complete reply from the front of the input, or returns null to wait for more bytes. */
export type Framer = (input: InputBuffer) => Buffer | null;

const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const ZERO = 0x30;

/** A reply ending at `marker`; the marker is consumed and not part of the reply. */
export function untilMarker(marker: Buffer): Framer {
  // Resume where the last search stopped: a long ASCII reply arrives in many chunks.
  let searched = 0;
  return (input) => {
    input.skipLineBreaks();
    const at = input.view().indexOf(marker, searched);
    if (at < 0) {
      searched = Math.max(0, input.length - marker.length + 1);
      return null;
    }
    const reply = input.take(at);
    input.skip(marker.length);
    return reply;
  };
}

/** An IEEE 488.2 block: definite `#<n><len><bytes>` read by length, or indefinite `#0<bytes>\n`. */
export const ieeeBlock: Framer = (input) => {
  input.skipLineBreaks();
  const view = input.view();
  if (view.length < 2) return null;
  const digits = (view[1] ?? 0) - ZERO;
  if (view[0] !== HASH || digits < 0 || digits > 9) {
    throw new InstrumentError(`expected an IEEE 488.2 block (#<n><length><data>), got ${preview(view)}`);
  }
  if (digits === 0) {
    const end = view.indexOf(LF, 2);
    if (end < 0) return null;
    input.skip(2);
    const data = input.take(end - 2);
    input.skip(1);
    return data;
  }
  if (view.length < 2 + digits) return null;
  const lengthText = view.toString('latin1', 2, 2 + digits);
  if (!/^\d+$/.test(lengthText)) {
    throw new InstrumentError(`malformed IEEE 488.2 block header ${preview(view.subarray(0, 2 + digits))}`);
  }
  const length = Number(lengthText);
  if (view.length < 2 + digits + length) return null;
  input.skip(2 + digits);
  const data = input.take(length);
  input.skipLineBreaks();
  return data;
};

function preview(bytes: Buffer): string {
  const text = JSON.stringify(bytes.subarray(0, 40).toString('latin1'));
  return bytes.length > 40 ? `${text}…` : text;
}
