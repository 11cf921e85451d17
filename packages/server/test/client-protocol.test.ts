// The client SDK's protocol handling against a scripted peer: a real `ws` server that sends exactly the frames a
// case needs — gaps and duplicates in seq, a binary frame, silence, a resync notice — which a real LabLink server
// only produces under load or failure. The SDK is the real one, over real sockets. The backoff is unit-tested here
// too. (End-to-end behaviour against the real server: client-realtime.test.ts.)

import {
  Backoff,
  LabLinkClient,
  type ServerEvent,
  type StreamMessage,
  type StreamRequest,
} from '@lablink/client';
import { EVENT_TOPICS, encode, encodeBinary, LIMITS, PROTOCOL_VERSION } from '@lablink/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { until as untilWithin } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: scripted messages are checked field by field
type Msg = any;

/** A WebSocket server that records what clients send and lets each test script the replies. */
class ScriptedPeer {
  readonly sockets: WebSocket[] = [];
  /** Messages received, with the index of the connection they came on. */
  readonly received: (Msg & { _conn: number })[] = [];
  instance = 'instance-A';
  /** Answers a request; the default confirms start_stream and answers ping. */
  reply: (msg: Msg, socket: WebSocket) => void = (msg, socket) => this.defaultReply(msg, socket);

  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (socket) => {
      const conn = this.sockets.push(socket) - 1;
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        this.received.push({ ...msg, _conn: conn });
        this.reply(msg, socket);
      });
      this.send(socket, {
        type: 'welcome',
        protocol_version: PROTOCOL_VERSION,
        server_instance: this.instance,
        timestamp: new Date().toISOString(),
        heartbeat_interval_ms: LIMITS.heartbeatMs,
        max_message_bytes: LIMITS.maxMessageBytes,
        max_payload_bytes: LIMITS.maxPayloadBytes,
        interval_ms: LIMITS.intervalMs,
        topics: EVENT_TOPICS,
        seq: { equipment: 10, alarms: 0, scheduler: 0 },
      });
    });
  }

  static start(): Promise<ScriptedPeer> {
    return new Promise((resolve) => {
      const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () =>
        resolve(new ScriptedPeer(wss)),
      );
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
  }

  get last(): WebSocket {
    return this.sockets.at(-1) as WebSocket;
  }

  send(socket: WebSocket, message: Msg): void {
    socket.send(encode(message));
  }

  requests(type: string): (Msg & { _conn: number })[] {
    return this.received.filter((m) => m.type === type);
  }

  defaultReply(msg: Msg, socket: WebSocket): void {
    if (msg.type === 'ping')
      this.send(socket, { type: 'pong', request_id: msg.request_id, timestamp: new Date().toISOString() });
    if (msg.type === 'start_stream') {
      const { equipment_id, stream_type, channel, interval_ms } = msg;
      this.send(socket, {
        type: 'stream_started',
        request_id: msg.request_id,
        equipment_id,
        stream_type,
        channel,
        interval_ms,
        effective_interval_ms: interval_ms,
        topic: topicOf(msg),
        seq: 0,
        binary: Boolean(msg.binary),
      });
    }
  }

  /** A stream_data frame for the stream `request` started. */
  data(request: Msg, seq: number, data: Msg = { value: seq }): Msg {
    const { equipment_id, stream_type, channel } = request;
    return {
      type: 'stream_data',
      topic: topicOf(request),
      seq,
      timestamp: new Date().toISOString(),
      equipment_id,
      stream_type,
      channel,
      data,
    };
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

const topicOf = (m: Msg) => `stream:${m.equipment_id}:${m.stream_type}:${m.channel}`;

/** The scripted peer answers at once, so a wait here gives up after 5 s, sooner than against a real server. */
const until = (condition: () => boolean, what: string) => untilWithin(condition, what, 5000);

let peer: ScriptedPeer;
let client: LabLinkClient;

async function setUp(options: { heartbeatMs?: number } = {}) {
  peer = await ScriptedPeer.start();
  client = new LabLinkClient({
    baseUrl: peer.baseUrl,
    WebSocket,
    reconnect: { baseMs: 20, maxMs: 100 },
    ...options,
  });
}

/** Sets up, asks for one stream and waits for its start_stream: returns what the stream delivers, and that request. */
async function startOneStream<T = Record<string, unknown>>(
  request: StreamRequest,
): Promise<{ got: StreamMessage<T>[]; request: Msg }> {
  await setUp();
  const got: StreamMessage<T>[] = [];
  client.realtime.stream<T>(request, (m) => got.push(m));
  client.realtime.start();
  await until(() => peer.requests('start_stream').length === 1, 'start_stream');
  return { got, request: peer.requests('start_stream')[0] };
}

afterEach(async () => {
  client?.close();
  await peer?.close();
});

describe('client protocol handling', () => {
  it('drops duplicate seq and counts gaps', async () => {
    const { got, request } = await startOneStream({ equipment_id: 'ps_1' });
    expect(request).toMatchObject({
      equipment_id: 'ps_1',
      stream_type: 'readings',
      channel: 1,
      interval_ms: 100,
    });
    expect(request).not.toHaveProperty('resume_from');
    for (const seq of [1, 2, 2, 1, 5]) peer.send(peer.last, peer.data(request, seq));
    await until(() => got.length === 3, 'three messages');
    expect(got.map((m) => m.seq)).toEqual([1, 2, 5]);
    expect(got.every((m) => m.source === 'ws')).toBe(true);
    expect(client.realtime.quality.gaps).toBe(2);
  });

  it('counts no gap for readings skipped at its own slower rate (prev_seq), and one for a real loss', async () => {
    const { got, request } = await startOneStream({ equipment_id: 'ps_1', interval_ms: 500 });
    // 1, then every fifth reading as a slower client receives them; 16 says it followed 11, which never came.
    for (const [seq, prev] of [
      [1, undefined],
      [6, 1],
      [11, 6],
      [16, 11],
      [21, 16],
    ] as const) {
      if (seq === 11) continue;
      peer.send(peer.last, { ...peer.data(request, seq), ...(prev ? { prev_seq: prev } : {}) });
    }
    await until(() => got.length === 4, 'four messages');
    expect(got.map((m) => m.seq)).toEqual([1, 6, 16, 21]);
    expect(client.realtime.quality.gaps).toBe(1);
  });

  it('decodes binary sample frames into the same JSON form', async () => {
    const { got, request } = await startOneStream<{ samples: number[]; num_samples: number }>({
      equipment_id: 'scope_1',
      stream_type: 'waveform',
      interval_ms: 200,
    });
    expect(request.binary).toBe(true);
    const samples = Array.from({ length: 100 }, (_, i) => i / 4);
    const frame = encodeBinary(peer.data(request, 1, { num_samples: 100, samples }));
    expect(frame).not.toBeNull();
    peer.last.send(frame as Uint8Array);
    await until(() => got.length === 1, 'the waveform');
    expect(got[0]?.data.num_samples).toBe(100);
    expect(got[0]?.data.samples).toEqual(samples);
  });

  it('resumes from the last seq on the same server, and starts afresh after a server restart', async () => {
    const { got, request: first } = await startOneStream({ equipment_id: 'ps_1' });
    for (const seq of [1, 2, 3]) peer.send(peer.last, peer.data(first, seq));
    await until(() => got.length === 3, 'three messages');

    peer.last.terminate(); // the network drops the connection
    await until(() => peer.requests('start_stream').length === 2, 'a second start_stream');
    expect(peer.requests('start_stream')[1]).toMatchObject({ _conn: 1, resume_from: 3 });
    // Missed events are asked for too, from the seq the welcome reported.
    expect(peer.requests('subscribe')[0]).toMatchObject({ _conn: 1, resume_from: { equipment: 10 } });
    expect(client.realtime.quality.reconnects).toBe(1);

    peer.instance = 'instance-B'; // the server restarted: its seq numbers begin again
    peer.last.terminate();
    await until(() => peer.requests('start_stream').length === 3, 'a third start_stream');
    expect(peer.requests('start_stream')[2]).not.toHaveProperty('resume_from');
    peer.send(peer.last, peer.data(first, 1));
    await until(() => got.length === 4, 'data from the new server');
    expect(got.at(-1)?.seq).toBe(1);
  });

  it('replays missed events once, in order, and delivers them to on() and "*"', async () => {
    await setUp();
    const typed: ServerEvent[] = [];
    const all: ServerEvent[] = [];
    client.realtime.on('lock_acquired', (m) => typed.push(m));
    client.realtime.on('*', (m) => all.push(m));
    client.realtime.start();
    await until(() => client.realtime.mode === 'live', 'live');
    const event = (seq: number) => ({
      type: 'lock_acquired',
      topic: 'equipment',
      seq,
      timestamp: new Date().toISOString(),
      data: { equipment_id: 'ps_1', session_id: `s${seq}` },
    });
    for (const seq of [11, 12, 12, 11]) peer.send(peer.last, event(seq));
    await until(() => typed.length === 2, 'two events');
    expect(typed.map((m) => m.seq)).toEqual([11, 12]);
    expect(all).toEqual(typed);
    expect(client.realtime.quality.gaps).toBe(0);
  });

  it('counts what a resync notice says was lost', async () => {
    const { got, request } = await startOneStream({ equipment_id: 'ps_1' });
    peer.send(peer.last, peer.data(request, 1));
    await until(() => got.length === 1, 'one message');
    const notices: ServerEvent[] = [];
    client.realtime.on('resync_required', (m) => notices.push(m));
    peer.send(peer.last, {
      type: 'resync_required',
      topic: topicOf(request),
      reason: 'too_old',
      seq: 400,
      timestamp: new Date().toISOString(),
    });
    peer.send(peer.last, peer.data(request, 401));
    await until(() => got.length === 2, 'the next message');
    expect(got[1]?.seq).toBe(401);
    expect(client.realtime.quality.gaps).toBe(399);
    expect(notices).toHaveLength(1);
  });

  it('ends a stream the server refuses or stops, and retries one whose instrument is reconnecting', async () => {
    await setUp();
    peer.reply = (msg, socket) => {
      if (msg.type === 'start_stream' && msg.equipment_id === 'scope_1') {
        peer.send(socket, {
          type: 'error',
          request_id: msg.request_id,
          code: 'unsupported_stream',
          detail: 'cannot stream readings',
        });
      } else if (
        msg.type === 'start_stream' &&
        msg.equipment_id === 'load_1' &&
        peer.requests('start_stream').filter((m) => m.equipment_id === 'load_1').length === 1
      ) {
        peer.send(socket, {
          type: 'error',
          request_id: msg.request_id,
          code: 'not_connected',
          detail: 'reconnecting',
        });
      } else peer.defaultReply(msg, socket);
    };
    const stopped: Record<string, string> = {};
    client.realtime.stream(
      { equipment_id: 'scope_1' },
      () => {},
      (reason) => (stopped.scope = reason),
    );
    client.realtime.stream(
      { equipment_id: 'dmm_1' },
      () => {},
      (reason) => (stopped.dmm = reason),
    );
    client.realtime.stream(
      { equipment_id: 'load_1' },
      () => {},
      (reason) => (stopped.load = reason),
    );
    client.realtime.start();
    await until(
      () => stopped.scope !== undefined && peer.requests('start_stream').length === 3,
      'the refusal',
    );
    expect(stopped.scope).toBe('unsupported_stream: cannot stream readings');

    const dmm = peer.requests('start_stream').find((m) => m.equipment_id === 'dmm_1');
    peer.send(peer.last, {
      type: 'stream_stopped',
      equipment_id: 'dmm_1',
      stream_type: 'readings',
      channel: 1,
      topic: topicOf(dmm),
      reason: 'equipment_disconnected',
      timestamp: new Date().toISOString(),
    });
    await until(() => stopped.dmm !== undefined, 'the server-side stop');
    expect(stopped.dmm).toBe('equipment_disconnected');

    // The load was reconnecting: its stream waits for the instrument to come back, then starts.
    peer.send(peer.last, {
      type: 'equipment_state',
      topic: 'equipment',
      seq: 11,
      timestamp: new Date().toISOString(),
      data: { equipment_id: 'load_1', state: 'connected', error: null },
    });
    await until(
      () => peer.requests('start_stream').filter((m) => m.equipment_id === 'load_1').length === 2,
      'the retry',
    );
    expect(stopped.load).toBeUndefined();
  });

  it('answers protocol pings, and replaces a socket that falls silent', async () => {
    await setUp({ heartbeatMs: 50 });
    peer.reply = () => {}; // a peer that has hung: it answers nothing
    client.realtime.start();
    await until(() => client.realtime.mode === 'live', 'live');
    const ponged = new Promise((resolve) => peer.sockets[0]?.once('pong', resolve));
    peer.sockets[0]?.ping();
    await ponged;
    await until(() => peer.sockets.length >= 2, 'a new connection after the silence');
    expect(peer.requests('ping').length).toBeGreaterThan(0);
  });
});

describe('Backoff', () => {
  it('draws each delay uniformly below min(max, base·2^attempt), and starts over after reset', () => {
    const top = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 0.999999 });
    const ceilings = Array.from({ length: 10 }, () => top.next());
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
    top.reset();
    expect(top.next()).toBe(499);
    const bottom = new Backoff({ random: () => 0 });
    expect([bottom.next(), bottom.next()]).toEqual([0, 0]);
  });

  it('never overflows on a long outage', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 2000; i++) backoff.next();
    expect(backoff.next()).toBe(15_000);
  });
});
