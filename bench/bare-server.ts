// The baseline the real-time benchmarks compare LabLink against: a bare `http` + `ws` server doing the same
// fan-out and nothing else (no validation, no queues, no sequence bookkeeping beyond a counter). It runs in its own
// process, started by harness.startBare(), and speaks just enough of the LabLink protocol for the same clients:
//
//   POST /emit {type, session_id, equipment_id}  broadcasts an event shaped like LabLink's lock events to every
//                                                client (encoded once, sent to each), then answers
//   start_stream {equipment_id, stream_type, channel, interval_ms}
//                                                joins a shared timer per stream that sends a reading every
//                                                interval_ms to its subscribers (encoded once per tick)
//   POST /templates {templates: {equipment_id: data}}  the readings to send, copied from LabLink's own, so the
//                                                frames have the same size and shape
//   GET /stats                                   frames published (for the benchmark's "published" column)
//   hello {batch_ms}                             like LabLink's: that client's stream frames are gathered and
//                                                sent as one {"type":"batch","messages":[…]} every batch_ms

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

interface Stream {
  topic: string;
  equipment_id: string;
  stream_type: string;
  channel: number;
  seq: number;
  timer: NodeJS.Timeout;
  subscribers: Set<WebSocket>;
}

const clients = new Set<WebSocket>();
const streams = new Map<string, Stream>();
let templates: Record<string, Record<string, unknown>> = {};
let eventSeq = 0;
let published = 0;

/** Clients that asked for batching: their gathered stream frames. */
const batches = new Map<WebSocket, { frames: string[]; timer: NodeJS.Timeout }>();

function broadcast(targets: Iterable<WebSocket>, frame: string): void {
  for (const ws of targets) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
}

function broadcastData(targets: Iterable<WebSocket>, frame: string): void {
  for (const ws of targets) {
    const batch = batches.get(ws);
    if (batch) batch.frames.push(frame);
    else if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  }
}

function startBatching(ws: WebSocket, ms: number): void {
  if (batches.has(ws)) return;
  const batch = {
    frames: [] as string[],
    timer: setInterval(() => {
      if (batch.frames.length === 0 || ws.readyState !== WebSocket.OPEN) return;
      ws.send(`{"type":"batch","messages":[${batch.frames.join(',')}]}`);
      batch.frames = [];
    }, ms),
  };
  batches.set(ws, batch);
}

function tick(stream: Stream): void {
  const timestamp = new Date().toISOString();
  const data = { ...(templates[stream.equipment_id] ?? { value: Math.random() }), timestamp };
  const { topic, equipment_id, stream_type, channel } = stream;
  stream.seq += 1;
  published += 1;
  const frame = JSON.stringify({
    type: 'stream_data',
    topic,
    seq: stream.seq,
    timestamp,
    equipment_id,
    stream_type,
    channel,
    data,
  });
  broadcastData(stream.subscribers, frame);
}

function startStream(ws: WebSocket, m: Record<string, unknown>): void {
  const equipment_id = String(m.equipment_id);
  const stream_type = String(m.stream_type ?? 'readings');
  const channel = Number(m.channel ?? 1);
  const interval = Number(m.interval_ms ?? 100);
  const topic = `stream:${equipment_id}:${stream_type}:${channel}`;
  let stream = streams.get(topic);
  if (!stream) {
    const created: Stream = {
      topic,
      equipment_id,
      stream_type,
      channel,
      seq: 0,
      subscribers: new Set(),
      timer: setInterval(() => tick(created), interval),
    };
    stream = created;
    streams.set(topic, stream);
  }
  stream.subscribers.add(ws);
  const reply = { type: 'stream_started', equipment_id, stream_type, channel, interval_ms: interval, topic };
  ws.send(JSON.stringify({ ...reply, seq: stream.seq, request_id: m.request_id }));
}

function leave(ws: WebSocket): void {
  clients.delete(ws);
  clearInterval(batches.get(ws)?.timer);
  batches.delete(ws);
  for (const [topic, stream] of streams) {
    if (stream.subscribers.delete(ws) && stream.subscribers.size === 0) {
      clearInterval(stream.timer);
      streams.delete(topic);
    }
  }
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reply = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.method === 'POST' && req.url === '/emit') {
    const body = await readBody(req);
    eventSeq += 1;
    published += 1;
    const data = {
      equipment_id: body.equipment_id,
      session_id: body.session_id,
      lock_mode: 'exclusive',
      lock_id: randomUUID(),
      ...(body.type === 'lock_released' ? { reason: 'released' } : {}),
    };
    const frame = JSON.stringify({
      type: body.type,
      topic: 'equipment',
      seq: eventSeq,
      timestamp: new Date().toISOString(),
      data,
    });
    broadcast(clients, frame);
    return reply(200, { success: true, status: 'emitted' });
  }
  if (req.method === 'POST' && req.url === '/templates') {
    templates = ((await readBody(req)).templates ?? {}) as typeof templates;
    return reply(200, { success: true });
  }
  if (req.method === 'GET' && req.url === '/stats') {
    return reply(200, { published, clients: clients.size, streams: streams.size });
  }
  reply(404, { detail: 'not found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    res.statusCode = 400;
    res.end();
  });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws) => {
  clients.add(ws);
  ws.on('error', () => {});
  ws.on('close', () => leave(ws));
  ws.on('message', (data: Buffer) => {
    try {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.type === 'start_stream') startStream(ws, m);
      else if (m.type === 'hello') {
        if (Number(m.batch_ms) > 0) startBatching(ws, Number(m.batch_ms));
        ws.send(JSON.stringify({ type: 'hello_ok', request_id: m.request_id }));
      }
    } catch {
      // A benchmark client never sends anything else.
    }
  });
  ws.send(JSON.stringify({ type: 'welcome', timestamp: new Date().toISOString() }));
});

// The same heartbeat as the gateway's (a ping to every client every 30 s), so neither side is spared its cost.
setInterval(() => {
  for (const ws of clients) ws.ping();
}, 30_000).unref();

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`bare ws listening on http://127.0.0.1:${port}\n`);
});

const shutdown = () => {
  for (const stream of streams.values()) clearInterval(stream.timer);
  for (const ws of clients) ws.terminate();
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
