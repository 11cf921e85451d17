// A flood from one address — connections or messages — is held to that address's share, and the streams of other
// clients keep their rate. The flooding client connects from 127.0.0.2 (Linux answers all of 127/8 on loopback),
// everyone else from 127.0.0.1, so the server sees two addresses, as it would two machines on a LAN.
// The server runs with small shares (10 connections, 200 messages a second per address) so the flood is quick to
// make; docs/security.md gives the defaults (1000 and 1000).

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const FLOODER = '127.0.0.2';
const PER_ADDRESS = 10;
const RATE = 200;

let server: TestServer;
let psu: string;
const clients: TestClient[] = [];

async function open(localAddress?: string): Promise<TestClient> {
  const client = await TestClient.open(`${server.url}/ws`, localAddress ? { localAddress } : {});
  clients.push(client);
  return client;
}

/** The HTTP answer to a WebSocket upgrade from `localAddress`, when the server refuses it. */
function refusedUpgrade(localAddress: string): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/ws`, {
      localAddress,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  server = await startTestServer({
    LABLINK_SIM: 'on',
    LABLINK_MAX_WS_PER_ADDRESS: String(PER_ADDRESS),
    LABLINK_WS_MESSAGE_RATE: String(RATE),
  });
  const list = (await http(`${server.url}/api/equipment/list`)).body as Json[];
  psu = list.find((e) => e.type === 'power_supply').id;
});

afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await server?.dispose();
});

describe('connections from one address', () => {
  it('past its share the upgrade gets HTTP 429 naming the limit; other addresses still connect', async () => {
    const flood = await Promise.all(Array.from({ length: PER_ADDRESS }, () => open(FLOODER)));
    const refused = await refusedUpgrade(FLOODER);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('too_many_connections');
    expect(refused.body.detail).toContain(`${FLOODER} has ${PER_ADDRESS} WebSocket connections open`);
    const other = await open();
    expect((await other.request({ type: 'ping' })).type).toBe('pong');
    // A connection let go frees its place.
    await flood[0]?.close();
    const again = await open(FLOODER);
    expect((await again.request({ type: 'ping' })).type).toBe('pong');
    for (const client of [...flood.slice(1), again, other]) await client.close();
  });
});

describe('messages from one address', () => {
  it('past its rate they are answered rate_limited and not handled; the others stream at their rate', async () => {
    // Five clients of another address stream the supply's readings at 10 Hz.
    const watchers = await Promise.all(Array.from({ length: 5 }, () => open()));
    for (const watcher of watchers) {
      const started = await watcher.request({
        type: 'start_stream',
        equipment_id: psu,
        stream_type: 'readings',
        interval_ms: 100,
      });
      expect(started.type).toBe('stream_started');
    }
    // The flooder: every connection it may have, each sending pings as fast as its socket takes them, for 4 s.
    const flooders = await Promise.all(Array.from({ length: PER_ADDRESS }, () => open(FLOODER)));
    const floodStart = Date.now();
    let sent = 0;
    const floodUntil = floodStart + 4000;
    while (Date.now() < floodUntil) {
      for (const flooder of flooders) {
        if (flooder.ws.bufferedAmount > 1024 * 1024) continue; // the server has stopped reading it
        for (let i = 0; i < 50; i++) flooder.send({ type: 'ping', request_id: `f${sent++}` });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const floodEnd = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Other clients: readings stamped by the server in the flood's window (skipping its first and last 0.5 s)
    // number 10 a second within 10%, with no gap in their seq.
    const from = floodStart + 500;
    const to = floodEnd - 500;
    const expected = ((to - from) / 1000) * 10;
    for (const watcher of watchers) {
      const readings = watcher.messages.filter(
        (m: Msg) =>
          m.type === 'stream_data' && Date.parse(m.timestamp) >= from && Date.parse(m.timestamp) < to,
      );
      expect(readings.length).toBeGreaterThanOrEqual(Math.floor(expected * 0.9));
      expect(readings.length).toBeLessThanOrEqual(Math.ceil(expected * 1.1));
      const seqs = readings.map((m: Msg) => m.seq);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => (seqs[0] as number) + i));
    }

    // The flooder: what was handled stays within the rate and its burst; the refusal carries its request id.
    const replies = flooders.flatMap((f) => f.messages.filter((m: Msg) => m.request_id?.startsWith?.('f')));
    const handled = replies.filter((m: Msg) => m.type === 'pong').length;
    const limited = replies.filter((m: Msg) => m.type === 'error' && m.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].detail).toContain(`more than ${RATE} messages a second from ${FLOODER}`);
    expect(limited[0].request_id).toMatch(/^f\d+$/);
    const seconds = (floodEnd - floodStart) / 1000 + 1;
    expect(handled).toBeLessThanOrEqual(Math.ceil(RATE * seconds + RATE * 5));
    expect(handled + limited.length).toBeLessThanOrEqual(sent);
    // What the flooder sent meanwhile waits in its own socket buffers, to be read at its rate; the server is as
    // free as before for everyone else: a newcomer is answered at once.
    const newcomer = await open();
    expect((await newcomer.request({ type: 'ping' })).type).toBe('pong');
    for (const flooder of flooders) flooder.ws.terminate();
  });
});
