// Resources (issue 9, finding 7), over real sockets: client messages are limited to 1 MB, announced in the welcome
// as documented; a larger frame is refused from its header — never buffered — with frame_too_large and close 1009
// (50 clients sending 16 MB frames included); incomplete input across connections stays within a budget; the
// number of WebSocket connections is capped (HTTP 503 at the upgrade); and POST /api/equipment/connect opens
// serial ports only under serial device paths.

import { randomUUID } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@lablink/protocol';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hasSocat, startPtyPair } from '../../instruments/test/pty-pair.js';
import { Bus } from '../src/bus.js';
import { ReadingsPipeline } from '../src/readings/pipeline.js';
import { Gateway } from '../src/realtime/gateway.js';
import { realtimePlugin } from '../src/realtime/plugin.js';
import type { WireSocket } from '../src/realtime/socket.js';
import { http, startTestServer, type TestServer, until } from './helpers.js';
import { RawWebSocket } from './raw-ws.js';
import { invalidMessages, TestClient } from './realtime-client.js';

const MB = 1024 * 1024;
const DOCS = new URL('../../../docs/protocol.md', import.meta.url);

let server: TestServer;
const clients: TestClient[] = [];
const raws: RawWebSocket[] = [];

async function connect(url = server.url): Promise<TestClient> {
  const client = await TestClient.open(`${url}/ws`);
  clients.push(client);
  await client.waitFor((m) => m.type === 'welcome');
  return client;
}

async function raw(url = server.url): Promise<RawWebSocket> {
  const ws = await RawWebSocket.open(`${url}/ws`);
  raws.push(ws);
  await ws.until(() => ws.messages.some((m) => m.type === 'welcome'), 'the welcome');
  return ws;
}

/** Waits for the typed error and then the 1009 close frame. */
async function expectRefusedTooBig(ws: RawWebSocket): Promise<void> {
  await ws.until(() => ws.closeCode !== null, 'the close frame');
  expect(ws.closeCode).toBe(CLOSE_CODES.tooBig);
  const error = ws.messages.find((m) => m.type === 'error');
  expect(error).toMatchObject({ code: ERROR_CODES.frameTooLarge });
  expect(error.detail).toContain(String(LIMITS.maxPayloadBytes));
}

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const r of raws.splice(0)) r.destroy();
});
afterAll(async () => {
  await server?.dispose();
  expect(invalidMessages).toEqual([]);
});

describe('client messages are limited to 1 MB', () => {
  it('announces 1048576 bytes in the welcome, the figure docs/protocol.md gives', async () => {
    expect(LIMITS.maxPayloadBytes).toBe(1_048_576);
    const client = await connect();
    expect(client.messages[0]).toMatchObject({ max_payload_bytes: 1_048_576, max_message_bytes: 65_536 });
    const docs = readFileSync(DOCS, 'utf8');
    expect(docs).toContain('"max_payload_bytes":1048576');
    expect(docs).toMatch(/1 MB \(1048576 bytes/);
  });

  it('answers a message of exactly 1 MB with frame_too_large and keeps the connection', async () => {
    const client = await connect();
    client.send('x'.repeat(LIMITS.maxPayloadBytes));
    expect((await client.waitFor((m) => m.type === 'error')).code).toBe(ERROR_CODES.frameTooLarge);
    await client.roundTrip();
  });

  // Changed requirement: a 10 MB frame used to be read and answered with frame_too_large on an open connection;
  // reading it costs the memory the limit protects, so now it is refused from its header.
  it('refuses a frame of 1 MB + 1 byte: frame_too_large, then close 1009; others stay up', async () => {
    const bystander = await connect();
    const client = await connect();
    client.send('x'.repeat(LIMITS.maxPayloadBytes + 1));
    expect((await client.closed).code).toBe(CLOSE_CODES.tooBig);
    expect(client.messages.find((m) => m.type === 'error')?.code).toBe(ERROR_CODES.frameTooLarge);
    await bystander.roundTrip();
  });

  it('decides from the frame header: a 16 MB frame of which 10 bytes were sent is refused at once', async () => {
    const ws = await raw();
    ws.sendHeader(16 * MB);
    ws.write('0123456789');
    // The server cannot have buffered what was never sent: it answered from the announced length.
    await expectRefusedTooBig(ws);
  });

  it('50 clients sending 16 MB frames at once are each refused with 1009 without the server reading them', async () => {
    const bystander = await connect();
    const payload = Buffer.alloc(16 * MB, 0x20); // one buffer, written by all 50 (the zero mask needs no copy)
    const attackers = await Promise.all(Array.from({ length: 50 }, () => raw()));
    for (const ws of attackers) {
      ws.sendHeader(payload.length);
      ws.write(payload);
    }
    for (const ws of attackers) {
      await expectRefusedTooBig(ws);
      ws.destroy();
    }
    await bystander.roundTrip();
    expect((await http(`${server.url}/health`)).body.status).toBe('healthy');
    // What the refused connections sent after their header was discarded, not held.
    const stats = (await http(`${server.url}/api/realtime/stats`)).body;
    expect(stats.input.held_bytes).toBeLessThan(64 * 1024);
  });

  it('refuses a fragmented message whose fragments add up to more than 1 MB', async () => {
    const ws = await raw();
    const part = Buffer.alloc(600 * 1024, 0x20);
    ws.sendHeader(part.length, 0x1, false);
    ws.write(part);
    ws.sendHeader(part.length, 0x0, true);
    ws.write(part);
    await expectRefusedTooBig(ws);
  });
});

describe('incomplete input across connections stays within a budget', () => {
  const BUDGET = 2_600_000;
  let app: ReturnType<typeof Fastify>;
  let url: string;

  beforeAll(async () => {
    const bus = new Bus(16);
    const readings = new ReadingsPipeline({ bus, equipment: { find: () => undefined } as never });
    app = Fastify();
    await app.register(realtimePlugin, { bus, readings, maxInputBytes: BUDGET });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
  });

  const held = async () => (await http(`${url}/api/realtime/stats`)).body.input.held_bytes as number;

  it('closes the connection holding the most (1009) when half-sent messages pass the budget; the rest go on', async () => {
    const bystander = await connect(url);
    const hogs = await Promise.all([raw(url), raw(url), raw(url)]);
    // Three messages of 900 kB announced (each within the 1 MB limit), 800 kB of each sent, then silence.
    for (const ws of hogs) {
      ws.sendHeader(900_000);
      ws.write(Buffer.alloc(800_000, 0x20));
    }
    for (let h = await held(); h < 3 * 800_000; h = await held()) await new Promise((r) => setTimeout(r, 20));
    expect(await held()).toBeLessThanOrEqual(BUDGET);

    // A fourth client's 300 kB passes the budget: the largest holder goes, not the newcomer.
    const late = await raw(url);
    late.sendHeader(900_000);
    late.write(Buffer.alloc(300_000, 0x20));
    await Promise.race(hogs.map((ws) => ws.ended));
    const gone = hogs.filter((ws) => ws.socket.destroyed || ws.closeCode !== null);
    expect(gone.length).toBe(1);
    expect(gone[0]?.closeCode).toBe(CLOSE_CODES.tooBig);
    expect(gone[0]?.frames.at(-1)?.payload.subarray(2).toString()).toBe('server input budget spent');
    expect(await held()).toBeLessThanOrEqual(BUDGET);

    // The newcomer finishes its message: read, answered (frame_too_large: above 64 kB), connection kept.
    late.write(Buffer.alloc(600_000, 0x20));
    await late.until(() => late.messages.some((m) => m.type === 'error'), 'the error');
    expect(late.messages.find((m) => m.type === 'error').code).toBe(ERROR_CODES.frameTooLarge);
    expect(late.closeCode).toBeNull();
    late.sendText(JSON.stringify({ type: 'ping', request_id: 'after' }));
    await late.until(() => late.messages.some((m) => m.request_id === 'after'), 'the pong');
    await bystander.roundTrip();
  });

  it('a client answering pings and sending small requests for long holds nothing', async () => {
    const ws = await raw(url);
    for (let i = 0; i < 200; i++) {
      ws.sendText(JSON.stringify({ type: 'ping', request_id: i }));
      ws.sendHeader(4, 0xa); // an unsolicited pong, as heartbeats bring
      ws.write('beat');
    }
    await ws.until(() => ws.messages.some((m) => m.request_id === 199), 'the last pong');
    expect(await held()).toBe(0);
  });
});

describe('the number of WebSocket connections is capped', () => {
  it('refuses the connection past the cap with HTTP 503 at the upgrade, and accepts again once one leaves', async () => {
    const capped = await startTestServer({ LABLINK_MAX_WS_CONNECTIONS: '3' });
    try {
      const first = await Promise.all([connect(capped.url), connect(capped.url), connect(capped.url)]);
      expect((await http(`${capped.url}/api/realtime/stats`)).body.max_connections).toBe(3);
      const refused = await upgradeStatus(capped.url);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('5');
      expect(refused.body).toMatchObject({ code: 'too_many_connections' });
      expect(refused.body.detail).toMatch(/maximum of 3 WebSocket connections/);

      first[0]?.ws.close();
      await until(() => first[0]?.ws.readyState === WebSocket.CLOSED, 'the first client to close');
      let open = 3;
      while (open >= 3) open = (await http(`${capped.url}/api/realtime/stats`)).body.connections.length;
      await connect(capped.url);
    } finally {
      for (const c of clients.splice(0)) c.ws.terminate();
      await capped.dispose();
    }
  });

  it('closes with 1013 an upgrade that raced past the check', () => {
    const bus = new Bus(4);
    const gateway = new Gateway(
      { bus, readings: { claim: () => ({}) as never }, logger: console },
      { maxConnections: 1 },
    );
    try {
      const a = new QuietSocket();
      const b = new QuietSocket();
      gateway.accept(a);
      gateway.accept(b);
      expect(a.closedWith).toBeNull();
      expect(b.closedWith).toBe(CLOSE_CODES.tryAgainLater);
      expect(gateway.size).toBe(1);
    } finally {
      void gateway.close(0);
    }
  });
});

/** The status, Retry-After and JSON body of an upgrade the server refuses. */
function upgradeStatus(
  url: string,
): Promise<{ status: number; retryAfter?: string; body: Record<string, string> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk;
      });
      res.on('end', () => {
        ws.terminate();
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string,
          body: JSON.parse(text),
        });
      });
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
  });
}

class QuietSocket implements WireSocket {
  readyState = 1;
  bufferedAmount = 0;
  closedWith: number | null = null;
  send() {}
  close(code?: number) {
    this.closedWith = code ?? null;
    this.readyState = 3;
  }
  terminate() {
    this.readyState = 3;
  }
  ping() {}
  on() {
    return this;
  }
}

describe('POST /api/equipment/connect opens serial ports only under serial device paths', () => {
  const connectTo = (resource_string: string, model?: string) =>
    http(`${server.url}/api/equipment/connect`, { body: { resource_string, ...(model ? { model } : {}) } });

  it.each([
    '/etc/passwd',
    '/etc/shadow',
    `/tmp/lablink-no-such-file-${randomUUID()}`,
    '/dev/tty',
    '/dev/tty1',
    '/dev/ttyprintk',
    '/dev/sda',
    '/dev/../etc/passwd',
    '/dev/serial/by-id/../../../etc/passwd',
    '/dev/pts/../../etc/passwd',
    '/proc/self/environ',
    'COM3',
  ])('refuses ASRL%s::INSTR with 400 naming resource_string', async (path) => {
    const answer = await connectTo(`ASRL${path}::INSTR`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_resource', field: 'resource_string' });
    expect(answer.body.detail).toBe(
      `"${path}" is not a serial port path; serial ports are opened only under /dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM* (any /dev/tty<letters>…), /dev/serial/by-id/*, /dev/serial/by-path/*, /dev/rfcomm<n>, /dev/pts/<n>`,
    );
  });

  it('says the same of a file that exists and one that does not (it never looks)', async () => {
    const existing = await connectTo('ASRL/etc/hostname::INSTR');
    const missing = await connectTo(`ASRL/etc/no-such-${randomUUID()}::INSTR`);
    expect(existing.status).toBe(missing.status);
    const shape = (detail: string) => detail.replace(/^"[^"]*"/, '"…"');
    expect(shape(existing.body.detail)).toBe(shape(missing.body.detail));
  });

  it('lets a serial device path through to the port itself', async () => {
    const answer = await connectTo(`ASRL/dev/ttyUSB${900 + Math.floor(Math.random() * 99)}::INSTR`, '1685B');
    expect(answer.status).not.toBe(400);
    expect(answer.body.detail).toMatch(/cannot open serial port/);
  });

  it.skipIf(!hasSocat)(
    'connects a virtual serial port under /dev/pts, and refuses its alias outside /dev',
    async () => {
      const { startSimulator } = await import('@lablink/instruments/sim');
      const { openSerialPort, closeSerialPort } = await import('../../instruments/test/pty-pair.js');
      const base = join(tmpdir(), `lablink-limits-${randomUUID()}`);
      const pty = startPtyPair(`${base}-host`, `${base}-psu`);
      await pty.ready;
      const sim = await startSimulator('1685B');
      const port = await openSerialPort(`${base}-psu`);
      sim.serveStream(port);
      try {
        const alias = await connectTo(`ASRL${base}-host::INSTR`, '1685B');
        expect(alias.status).toBe(400);
        expect(alias.body.field).toBe('resource_string');
        const device = realpathSync(`${base}-host`);
        expect(device).toMatch(/^\/dev\/pts\/\d+$/);
        const answer = await connectTo(`ASRL${device}::INSTR`, '1685B');
        expect(answer.status).toBe(200);
        expect(answer.body.equipment).toMatchObject({ model: '1685B', connection_type: 'serial' });
        await http(`${server.url}/api/equipment/disconnect/${answer.body.equipment_id}`, { method: 'POST' });
      } finally {
        await closeSerialPort(port);
        await sim.stop();
        await pty.stop();
      }
    },
  );
});
