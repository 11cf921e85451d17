// RPC record marking over a TCP byte stream (RFC 5531 §11): records split anywhere, in several fragments, and a
// hostile peer's endless empty fragments.

import { describe, expect, it } from 'vitest';
import { frameRecord, RecordReader } from '../src/transport/oncrpc.js';

/** A fragment header: its length, with the top bit on the last fragment of a record. */
const fragment = (data: Buffer, last: boolean) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(((last ? 0x80000000 : 0) | data.length) >>> 0);
  return Buffer.concat([header, data]);
};

describe('RecordReader', () => {
  it('reassembles records however the stream is cut, fragments and all', () => {
    const big = Buffer.alloc(200_000, 7);
    const stream = Buffer.concat([
      frameRecord(Buffer.from('first')),
      fragment(big.subarray(0, 150_000), false),
      fragment(Buffer.alloc(0), false),
      fragment(big.subarray(150_000), true),
      frameRecord(Buffer.from('third')),
    ]);
    for (const cut of [1, 3, 4096, stream.length]) {
      const reader = new RecordReader();
      const records: Buffer[] = [];
      for (let at = 0; at < stream.length; at += cut)
        records.push(...reader.feed(stream.subarray(at, at + cut)));
      expect(records.map((r) => r.length)).toEqual([5, 200_000, 5]);
      expect(records[0]?.toString()).toBe('first');
      expect(records[1]?.equals(big)).toBe(true);
      expect(records[2]?.toString()).toBe('third');
    }
  });

  it('refuses a record of endless empty fragments instead of reading it forever', () => {
    const reader = new RecordReader();
    const empties = Buffer.concat(Array.from({ length: 100 }, () => fragment(Buffer.alloc(0), false)));
    expect(() => reader.feed(empties)).toThrow(/empty fragments/);
  });
});
