// The framers drivers hand to ScpiSession.queryFramed, against an instrument on a real loopback socket that sends
// its replies in pieces, as a slow serial line or a busy network delivers them.

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { blockAfterHeader, fixedLength } from '../src/drivers/framing.js';
import { InstrumentTimeoutError } from '../src/errors.js';
import { ScpiSession } from '../src/session.js';

let server: Server | undefined;
let session: ScpiSession | undefined;

afterEach(async () => {
  await session?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  session = undefined;
});

/** An instrument that answers every received chunk with `pieces`, 5 ms apart. */
async function instrumentSending(pieces: Array<string | Buffer>): Promise<number> {
  server = createServer((socket: Socket) => {
    socket.on('data', () => {
      pieces.forEach((piece, i) => {
        setTimeout(() => socket.write(piece), 5 * (i + 1));
      });
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('queryFramed', () => {
  it('reads exactly a fixed width delivered in pieces, not the byte after it', async () => {
    const port = await instrumentSending(['0', '5.', '00', 'X']);
    session = await ScpiSession.open(`TCPIP0::127.0.0.1::${port}::SOCKET`, {
      writeTerminator: '',
      probe: false,
    });
    expect((await session.queryFramed('VSET1?', fixedLength(5))).toString()).toBe('05.00');
  });

  it('finds a block behind a response header split anywhere, binary line feeds included', async () => {
    const payload = Buffer.from([0x0a, 0x80, 0x7f, 0x00, 0x0a]);
    const port = await instrumentSending([
      'C1:WF D',
      'AT2,#90000',
      '00005',
      payload.subarray(0, 2),
      Buffer.concat([payload.subarray(2), Buffer.from('\n\n')]),
    ]);
    session = await ScpiSession.open(`TCPIP0::127.0.0.1::${port}::SOCKET`, { probe: false });
    expect(await session.queryFramed('C1:WF? DAT2', blockAfterHeader())).toEqual(payload);
  });

  it('times out like any query when the reply is short', async () => {
    const port = await instrumentSending(['05.0']);
    session = await ScpiSession.open(`TCPIP0::127.0.0.1::${port}::SOCKET`, {
      writeTerminator: '',
      probe: false,
      reconnect: false,
    });
    await expect(session.queryFramed('VSET1?', fixedLength(5), { timeoutMs: 200 })).rejects.toBeInstanceOf(
      InstrumentTimeoutError,
    );
  });
});
