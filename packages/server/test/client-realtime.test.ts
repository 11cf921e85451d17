// The client SDK's real-time side against a real server with the simulated bench, over real sockets (Node's `ws`
// as the WebSocket, validating every frame the server sends, payloads included). Network failures are made by a TCP relay between the SDK's WebSocket and the server: the
// test cuts its connections and refuses new ones, while REST still reaches the server directly — the situation
// in which the SDK must poll, then go live again and resume.

import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  type EquipmentInfo,
  freshness,
  LabLinkClient,
  type Mode,
  type Quality,
  type Reachability,
  type ServerEvent,
  type StreamMessage,
  type WebSocketConstructor,
} from '@lablink/client';
import { validateServerMessage } from '@lablink/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startTestServer, type TestServer, until } from './helpers.js';
import { invalidMessages, ValidatingWebSocket as WebSocket } from './realtime-client.js';

/** A TCP relay to the server that a test can cut (every connection at once) and make refuse new connections. */
class Relay {
  private readonly sockets = new Set<Socket>();
  refusing = false;

  private constructor(private readonly server: Server) {}

  static start(targetPort: number): Promise<Relay> {
    return new Promise((resolve) => {
      const server = createServer();
      const relay = new Relay(server);
      server.on('connection', (client) => relay.relay(client, targetPort));
      server.listen(0, '127.0.0.1', () => resolve(relay));
    });
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Destroys every relayed connection, as a network failure would (no close frame, no FIN to wait for). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
  }
}

/** A WebSocket constructor that goes to `port` instead of the port in the URL. */
function webSocketTo(port: number): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url.replace(/:\d+\/ws$/, `:${port}/ws`));
    }
  };
}

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const FAST = { pollIntervalMs: 100, reconnect: { baseMs: 50, maxMs: 200 } };

let server: TestServer;
let equipment: EquipmentInfo[];
const byType = (type: string) => equipment.find((e) => e.type === type) as EquipmentInfo;
const clients: LabLinkClient[] = [];
const relays: Relay[] = [];

function newClient(options: Partial<ConstructorParameters<typeof LabLinkClient>[0]> = {}): LabLinkClient {
  const client = new LabLinkClient({ baseUrl: server.url, WebSocket, ...FAST, ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  equipment = await new LabLinkClient({ baseUrl: server.url }).rest.listEquipment();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await server.dispose();
  // Every frame the SDK received, payloads included, against the protocol's schemas.
  expect(invalidMessages).toEqual([]);
});

describe('client realtime', () => {
  it('streams readings with consecutive seq and server timestamps, and measures the link', async () => {
    const client = newClient();
    const got: StreamMessage[] = [];
    const qualities: Quality[] = [];
    client.realtime.onQuality((q) => qualities.push(q));
    client.realtime.start();
    client.realtime.stream({ equipment_id: byType('power_supply').id, interval_ms: 50 }, (m) => got.push(m));
    await until(() => got.length >= 6, 'six readings');
    expect(client.realtime.mode).toBe('live');
    expect(got.every((m) => m.source === 'ws' && ISO_Z.test(m.timestamp))).toBe(true);
    const seqs = got.map((m) => m.seq);
    expect(seqs.slice(1).map((seq, i) => seq - (seqs[i] as number))).toEqual(Array(seqs.length - 1).fill(1));
    expect(got[0]?.data).toMatchObject({ equipment_id: byType('power_supply').id, channel: 1 });
    await until(
      () => qualities.some((q) => q.messagesPerSecond > 0 && q.latencyMs !== null),
      'a quality report',
    );
    expect(client.realtime.quality).toMatchObject({ mode: 'live', gaps: 0, reconnects: 0 });
  });

  it('hands out each reading with its age and a stale flag, and says when the last one has gone stale', async () => {
    const client = newClient();
    const got: StreamMessage[] = [];
    client.realtime.start();
    const stop = client.realtime.stream({ equipment_id: byType('power_supply').id, interval_ms: 100 }, (m) =>
      got.push(m),
    );
    await until(() => got.length >= 3, 'three readings');
    // Live: handed out within a fraction of the stream's staleness bound (3 periods, at least 1 s).
    for (const m of got) {
      expect(m.stale).toBe(false);
      expect(m.age_ms).toBeGreaterThanOrEqual(0);
      expect(m.age_ms).toBeLessThan(1000);
    }
    stop(); // nothing new comes: the last reading ages
    const last = got.at(-1) as StreamMessage;
    await until(() => client.realtime.freshness(last, 100).stale, 'the last reading stale', 5000);
    expect(client.realtime.freshness(last, 100).age_ms).toBeGreaterThan(1000);
    // The same rule, as a function of the reading's server time and the server's clock.
    expect(freshness('2026-01-01T00:00:00.000Z', 100, Date.parse('2026-01-01T00:00:00.900Z'))).toEqual({
      age_ms: 900,
      stale: false,
    });
    expect(freshness('2026-01-01T00:00:00.000Z', 1000, Date.parse('2026-01-01T00:00:03.001Z')).stale).toBe(
      true,
    );
    expect(freshness('not a time', 100, Date.now()).stale).toBe(true);
  });

  it('asks for batching with batchMs and unpacks batch frames transparently', async () => {
    const frames: string[] = [];
    const problems: string[] = [];
    // Records the type of every text frame the SDK receives, and validates it against the protocol's schemas.
    class Recording extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('message', (data, isBinary) => {
          if (isBinary) return;
          const message = JSON.parse(String(data));
          frames.push(message.type);
          problems.push(...validateServerMessage(message));
        });
      }
    }
    const client = newClient({ WebSocket: Recording as unknown as WebSocketConstructor, batchMs: 100 });
    const psu: StreamMessage[] = [];
    const dmm: StreamMessage[] = [];
    const events: ServerEvent[] = [];
    client.realtime.on('*', (e) => events.push(e));
    client.realtime.start();
    client.realtime.stream({ equipment_id: byType('power_supply').id, interval_ms: 20 }, (m) => psu.push(m));
    client.realtime.stream({ equipment_id: byType('multimeter').id, interval_ms: 50 }, (m) => dmm.push(m));
    await until(() => psu.length >= 15 && dmm.length >= 5, 'batched readings');
    const lock = await client.rest.acquireLock(byType('power_supply').id);
    await until(() => events.some((e) => e.type === 'lock_acquired'), 'the lock event');
    expect(lock).toBeTruthy();
    await client.rest.releaseLock(byType('power_supply').id);
    expect(frames).toContain('batch');
    expect(frames).not.toContain('stream_data');
    expect(problems).toEqual([]);
    for (const got of [psu, dmm]) {
      expect(got.every((m) => m.source === 'ws' && ISO_Z.test(m.timestamp))).toBe(true);
      const seqs = got.map((m) => m.seq);
      expect(seqs.slice(1).map((seq, i) => seq - (seqs[i] as number))).toEqual(
        Array(seqs.length - 1).fill(1),
      );
    }
    expect(client.realtime.quality.gaps).toBe(0);
  });

  it('streams scope measurements and waveforms (binary frames decoded to numbers)', async () => {
    const client = newClient();
    const scope = byType('oscilloscope').id;
    const measurements: StreamMessage[] = [];
    const waveforms: StreamMessage<{ samples: number[]; num_samples: number }>[] = [];
    client.realtime.start();
    client.realtime.stream({ equipment_id: scope, stream_type: 'measurements', interval_ms: 200 }, (m) =>
      measurements.push(m),
    );
    client.realtime.stream<{ samples: number[]; num_samples: number }>(
      { equipment_id: scope, stream_type: 'waveform', interval_ms: 200 },
      (m) => waveforms.push(m),
    );
    await until(() => measurements.length >= 2 && waveforms.length >= 2, 'measurements and waveforms');
    expect(measurements[0]?.data).toHaveProperty('vpp');
    const waveform = waveforms[0]?.data;
    expect(waveform?.samples).toHaveLength(waveform?.num_samples as number);
    expect(waveform?.samples.every((v) => v === null || typeof v === 'number')).toBe(true);
  });

  it('delivers events to on() and "*"', async () => {
    const client = newClient();
    const acquired: ServerEvent[] = [];
    const all: ServerEvent[] = [];
    client.realtime.on('lock_acquired', (m) => acquired.push(m));
    client.realtime.on('*', (m) => all.push(m));
    client.realtime.start();
    await until(() => client.realtime.mode === 'live', 'live');
    const psu = byType('power_supply').id;
    await client.rest.acquireLock(psu, { lock_mode: 'observer' });
    await client.rest.releaseLock(psu);
    await until(() => all.some((m) => m.type === 'lock_released'), 'lock_released');
    expect(acquired).toHaveLength(1);
    expect(acquired[0]).toMatchObject({
      type: 'lock_acquired',
      topic: 'equipment',
      data: { equipment_id: psu, session_id: client.sessionId, lock_mode: 'observer' },
    });
    expect(acquired[0]?.timestamp).toMatch(ISO_Z);
    expect(all.map((m) => m.type)).toEqual(['lock_acquired', 'lock_released']);
    expect((all[1]?.seq as number) - (all[0]?.seq as number)).toBe(1);
  });

  it('polls through a dropped connection, then goes live again and resumes without duplicates', async () => {
    const relay = await Relay.start(server.port);
    relays.push(relay);
    const client = newClient({ WebSocket: webSocketTo(relay.port) });
    // A second client keeps the server's poller running meanwhile, so the first one has messages to resume.
    const other = newClient();
    const psu = byType('power_supply').id;
    const got: StreamMessage[] = [];
    const modes: Mode[] = [];
    const locks: ServerEvent[] = [];
    let stopped: string | undefined;
    client.realtime.onMode((mode) => modes.push(mode));
    client.realtime.on('lock_acquired', (m) => locks.push(m));
    other.realtime.start();
    other.realtime.stream({ equipment_id: psu, interval_ms: 100 }, () => {});
    client.realtime.start();
    client.realtime.stream(
      { equipment_id: psu, interval_ms: 100 },
      (m) => got.push(m),
      (r) => (stopped = r),
    );
    await until(() => got.filter((m) => m.source === 'ws').length >= 3, 'live readings');

    relay.refusing = true;
    relay.cut();
    await until(() => client.realtime.mode === 'polling', 'polling');
    const polledFrom = got.length;
    await until(
      () => got.slice(polledFrom).filter((m) => m.source === 'poll').length >= 2,
      'polled readings',
    );
    // The socket is down, but the server answers the polls: it is reachable.
    expect(client.realtime.reachability.reachable).toBe(true);
    // An event published while the socket is down arrives after the reconnect.
    await client.rest.acquireLock(psu, { lock_mode: 'observer' });

    relay.refusing = false;
    await until(() => client.realtime.mode === 'live', 'live again');
    const liveFrom = got.length;
    await until(
      () => got.slice(liveFrom).filter((m) => m.source === 'ws').length >= 3,
      'live readings again',
    );
    await until(() => locks.length === 1, 'the missed lock_acquired');
    await client.rest.releaseLock(psu);

    expect(modes).toEqual(['connecting', 'live', 'polling', 'live']);
    expect(stopped).toBeUndefined();
    const wsSeqs = got.filter((m) => m.source === 'ws').map((m) => m.seq);
    expect(new Set(wsSeqs).size).toBe(wsSeqs.length);
    expect(wsSeqs).toEqual([...wsSeqs].sort((a, b) => a - b));
    const times = got.map((m) => Date.parse(m.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(locks[0]?.data).toMatchObject({ equipment_id: psu, session_id: client.sessionId });
    expect(client.realtime.quality).toMatchObject({ reconnects: 1, gaps: 0, mode: 'live' });
  });

  it('serves streams by REST polling when the WebSocket endpoint cannot be reached', async () => {
    const client = newClient({ WebSocket: webSocketTo(await closedPort()) });
    const readings: StreamMessage[] = [];
    const measurements: StreamMessage[] = [];
    client.realtime.start();
    client.realtime.stream({ equipment_id: byType('power_supply').id, interval_ms: 100 }, (m) =>
      readings.push(m),
    );
    client.realtime.stream(
      { equipment_id: byType('oscilloscope').id, stream_type: 'measurements', interval_ms: 100 },
      (m) => measurements.push(m),
    );
    await until(() => readings.length >= 3 && measurements.length >= 2, 'polled data');
    expect(client.realtime.mode).toBe('polling');
    expect([...readings, ...measurements].every((m) => m.source === 'poll' && ISO_Z.test(m.timestamp))).toBe(
      true,
    );
    expect(readings[0]?.data).toHaveProperty('voltage_actual');
    expect(measurements[0]?.data).toHaveProperty('vpp');
    expect(client.realtime.quality.latencyMs).toBeNull();
  });

  it('ends streams the server cannot serve, and those of a disconnected instrument', async () => {
    const client = newClient();
    const stopped: Record<string, string> = {};
    client.realtime.start();
    client.realtime.stream(
      { equipment_id: byType('oscilloscope').id },
      () => {},
      (r) => (stopped.scope = r),
    );
    client.realtime.stream(
      { equipment_id: 'ps_00000000' },
      () => {},
      (r) => (stopped.unknown = r),
    );
    const dmm = byType('multimeter').id;
    let dmmReadings = 0;
    client.realtime.stream(
      { equipment_id: dmm },
      () => dmmReadings++,
      (r) => (stopped.dmm = r),
    );
    await until(
      () => stopped.scope !== undefined && stopped.unknown !== undefined && dmmReadings > 0,
      'replies',
    );
    expect(stopped.scope).toMatch(/^unsupported_stream: /);
    expect(stopped.unknown).toMatch(/^unknown_equipment: /);
    await client.rest.disconnect(dmm);
    await until(() => stopped.dmm !== undefined, 'the stream to end');
    expect(stopped.dmm).toBe('equipment_disconnected');
  });
});

describe('client realtime across a server restart', () => {
  it('keeps a stream through a restart on the same port and data directory', async () => {
    const first = await startTestServer({ LABLINK_SIM: 'on' });
    const { port, dataDir } = first;
    let second: TestServer | undefined;
    const client = new LabLinkClient({ baseUrl: first.url, WebSocket, ...FAST });
    try {
      const psu = (await client.rest.listEquipment()).find((e) => e.type === 'power_supply') as EquipmentInfo;
      const got: StreamMessage[] = [];
      const modes: Mode[] = [];
      let stopped: string | undefined;
      client.realtime.onMode((mode) => modes.push(mode));
      client.realtime.start();
      client.realtime.stream(
        { equipment_id: psu.id, interval_ms: 100 },
        (m) => got.push(m),
        (r) => (stopped = r),
      );
      await until(() => got.length >= 3, 'readings from the first server');

      await first.stop();
      await until(() => client.realtime.mode === 'polling', 'polling');
      // The polls fail without an answer: the server is unreachable, not merely the socket down.
      await until(() => !client.realtime.reachability.reachable, 'unreachable while polling');
      second = await startTestServer({ LABLINK_SIM: 'on', LABLINK_PORT: String(port) }, dataDir);
      const before = got.length;
      await until(
        () => got.slice(before).filter((m) => m.source === 'ws').length >= 3,
        'readings from the new server',
      );

      expect(stopped).toBeUndefined();
      expect(modes).toEqual(['connecting', 'live', 'polling', 'live']);
      // Same instrument id on the new server; its sequence numbers began again.
      const after = got.slice(before).filter((m) => m.source === 'ws');
      expect(after[0]?.data).toMatchObject({ equipment_id: psu.id });
      expect(after.map((m) => m.seq)).toEqual([...after.map((m) => m.seq)].sort((a, b) => a - b));
      expect(client.realtime.quality.reconnects).toBe(1);
    } finally {
      client.close();
      await second?.stop();
      await first.dispose();
    }
  });

  it('says when the server cannot be reached, since when, and when it answers again (with no stream to poll)', async () => {
    const first = await startTestServer({ LABLINK_SIM: 'on' });
    const { port, dataDir } = first;
    let second: TestServer | undefined;
    const client = new LabLinkClient({ baseUrl: first.url, WebSocket, ...FAST });
    try {
      const seen: Reachability[] = [];
      client.realtime.onReachability((r) => seen.push(r));
      client.realtime.start();
      await until(() => client.realtime.mode === 'live', 'live');
      expect(client.realtime.reachability).toMatchObject({ reachable: true, since: null });
      const contact = client.realtime.reachability.lastContact as number;
      expect(Date.now() - contact).toBeLessThan(5000);

      const stoppedAt = Date.now();
      await first.stop();
      // No stream, so nothing polls: the SDK's own probes find the server gone.
      await until(() => !client.realtime.reachability.reachable, 'unreachable');
      const down = client.realtime.reachability;
      expect(down.since).toBeGreaterThanOrEqual(stoppedAt);
      expect(down.lastContact).toBeLessThanOrEqual(down.since as number);
      expect(seen.at(-1)).toEqual(down);

      second = await startTestServer({ LABLINK_SIM: 'on', LABLINK_PORT: String(port) }, dataDir);
      await until(() => client.realtime.reachability.reachable, 'reachable again');
      expect(client.realtime.reachability.since).toBeNull();
      expect(seen.map((r) => r.reachable)).toEqual([false, true]);
      await until(() => client.realtime.mode === 'live', 'live again');
    } finally {
      client.close();
      await second?.stop();
      await first.dispose();
    }
  });
});
