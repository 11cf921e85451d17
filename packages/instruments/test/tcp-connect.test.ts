// A port out of range, whether typed or answered by a portmapper on the network, is an instrument I/O error that
// names the peer — never a RangeError escaping as a server error.

import { describe, expect, it } from 'vitest';
import { InstrumentIOError } from '../src/errors.js';
import { connectSocket } from '../src/transport/tcp.js';

describe('connectSocket', () => {
  it.each([0, 70_000, -1, 1.5, Number.NaN])(
    'refuses port %s with an InstrumentIOError naming the peer',
    async (port) => {
      const attempt = connectSocket('127.0.0.1', port, `127.0.0.1:${port}`, 1000);
      await expect(attempt).rejects.toBeInstanceOf(InstrumentIOError);
      await expect(attempt).rejects.toThrow(
        `cannot connect to 127.0.0.1:${port}: port ${port} is not in 1..65535`,
      );
    },
  );
});
