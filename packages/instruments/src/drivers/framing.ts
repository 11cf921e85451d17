// Framers for replies that no terminator ends (see ScpiSession.queryFramed).

import { type Framer, ieeeBlock } from '../transport/framing.js';

/** Exactly `length` bytes (a Korad supply's fixed-width replies, which end in nothing). */
export function fixedLength(length: number): Framer {
  return (input) => (input.length >= length ? input.take(length) : null);
}

/** An IEEE 488.2 block behind a response header (Siglent's `C1:WF DAT2,#9…`): the header is skipped. */
export function blockAfterHeader(): Framer {
  return (input) => {
    const start = input.view().indexOf(0x23); // '#'
    if (start < 0) return null;
    input.skip(start);
    return ieeeBlock(input);
  };
}
