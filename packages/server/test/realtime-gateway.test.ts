// The gateway over real sockets, on a bare Fastify app with a scripted equipment source: what needs control of
// the instruments (a reading with NaN and a Date, a disconnect at a chosen moment, a flood of events) or of the
// gateway's limits (a short heartbeat, a small event queue). The same gateway against the simulated bench is
// in realtime.test.ts.

import { CLOSE_CODES, ERROR_CODES, LIMITS } from '@lablink/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientOptions } from 'ws';
import { Bus } from '../src/bus.js';
import type { EquipmentView } from '../src/equipment/types.js';
import { type ReadingSource, ReadingsPipeline } from '../src/readings/pipeline.js';
import type { Gateway, GatewayOptions } from '../src/realtime/gateway.js';
import { realtimePlugin } from '../src/realtime/plugin.js';
import { invalidMessages, seqsOf, TestClient, validation } from './realtime-client.js';

/** Alarm payloads for publishing on a bare bus. */
const cleared = (event_id: string) => ({
  event_id,
  alarm_id: 'alarm_1',
  cleared_at: new Date().toISOString(),
  cleared_by: null,
});
const updated = (event_id: string, by: string) => ({
  event_id,
  alarm_id: 'alarm_1',
  state: 'acknowledged' as const,
  severity: 'warning' as const,
  acknowledged_at: null,
  acknowledged_by: by,
  note: null,
  shelved_until: null,
  value: null,
  timestamp: new Date().toISOString(),
});

type View = Pick<EquipmentView, 'state' | 'stream_types' | 'model'>;

interface Harness {
  url: string;
  bus: Bus;
  views: Map<string, View>;
  readings: ReadingsPipeline;
  gateway: Gateway;
  app: FastifyInstance;
  acquisitions: Set<string>;
}

async function startHarness(options: Partial<GatewayOptions> = {}): Promise<Harness> {
  const bus = new Bus(64);
  const views = new Map<string, View>([
    ['psu', { state: 'connected', stream_types: ['readings'], model: null }],
    ['scope', { state: 'connected', stream_types: ['measurements', 'waveform'], model: null }],
    ['broken', { state: 'error', stream_types: ['readings'], model: null }],
  ]);
  let n = 0;
  const source: ReadingSource = {
    find: (id) => views.get(id),
    // Readings as a driver might return them: a Date, a failed read as NaN, an overload as Infinity (each must
    // still validate against its reading kind's schema once encoded: a multimeter's value may be null).
    readings: async (id) => ({
      equipment_id: id,
      timestamp: new Date(),
      function: 'VOLT',
      range: 'AUTO',
      value: ++n % 2 ? Number.NaN : Number.POSITIVE_INFINITY,
      unit: 'V',
    }),
    measurements: async () => ({
      vpp: 1.2,
      vmax: Number.POSITIVE_INFINITY,
      vmin: Number.NaN,
      vavg: 0,
      vrms: 0.42,
      freq: null,
      period: null,
    }),
    waveform: async (id, channel) => ({
      equipment_id: id,
      timestamp: new Date().toISOString(),
      channel,
      sample_rate: 1e6,
      time_scale: 1e-4,
      voltage_scale: 0.5,
      voltage_offset: 0,
      num_samples: 1200,
      x_increment: 1e-6,
      x_origin: -6e-4,
      samples: Array.from({ length: 1200 }, (_, i) => Math.sin(i / 20)),
    }),
  };
  const readings = new ReadingsPipeline({ bus, equipment: source });
  const acquisitions = new Set<string>(['acq1']);
  const app = Fastify();
  let gateway: Gateway | undefined;
  await app.register(realtimePlugin, {
    bus,
    readings,
    acquisitions: { find: (id: string) => (acquisitions.has(id) ? { id } : undefined) },
    onGateway: (g) => {
      gateway = g;
    },
    ...options,
  });
  app.addHook('onClose', async () => readings.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, bus, views, readings, gateway: gateway as Gateway, app, acquisitions };
}

let h: Harness;
const clients: TestClient[] = [];
async function connect(options: ClientOptions = {}): Promise<TestClient> {
  const client = await TestClient.open(`${h.url}/ws`, options);
  clients.push(client);
  await client.waitFor((m) => m.type === 'welcome');
  return client;
}

beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await h.app.close();
  expect(invalidMessages).toEqual([]);
  expect(validation.count).toBeGreaterThan(100);
});

describe('connection', () => {
  it('greets with welcome: protocol version, instance, limits and the topics’ current seq', async () => {
    h.bus.publishEvent('equipment_state', { equipment_id: 'psu', state: 'connected', error: null });
    const client = await connect();
    expect(client.messages[0]).toMatchObject({
      type: 'welcome',
      protocol_version: 1,
      server_instance: h.gateway.instance,
      interval_ms: LIMITS.intervalMs,
      topics: ['equipment', 'alarms', 'scheduler', 'hub'],
      seq: { equipment: h.bus.seq('equipment'), alarms: 0, scheduler: 0, hub: 0 },
    });
  });

  it('answers ping with pong, echoing request_id and giving the server time', async () => {
    const client = await connect();
    const pong = await client.request({ type: 'ping' });
    expect(pong).toMatchObject({ type: 'pong', request_id: expect.stringMatching(/^r/) });
    expect(pong.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    client.send({ type: 'ping', request_id: 17 });
    expect(await client.waitFor((m) => m.request_id === 17)).toMatchObject({ type: 'pong' });
  });
});

describe('streams', () => {
  it('sends readings with topic, seq, timestamp; Dates as ISO Z and NaN/Infinity as null', async () => {
    const client = await connect();
    const started = await client.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 20 });
    expect(started).toMatchObject({
      type: 'stream_started',
      equipment_id: 'psu',
      stream_type: 'readings',
      channel: 1,
      interval_ms: 20,
      effective_interval_ms: 20,
      topic: 'stream:psu:readings:1',
      binary: false,
    });
    const data = await client.waitForCount((m) => m.type === 'stream_data', 3);
    expect(data[0]).toMatchObject({ equipment_id: 'psu', stream_type: 'readings', channel: 1 });
    expect(data[0].data.timestamp).toMatch(/Z$/);
    expect(data[0].data.value).toBeNull(); // NaN
    expect(data[1].data.value).toBeNull(); // Infinity
    const seqs = seqsOf(client.messages, started.topic);
    expect(seqs.slice(1).every((s, i) => s === (seqs[i] as number) + 1)).toBe(true);
    await client.request({ type: 'stop_stream', equipment_id: 'psu' });
  });

  it('gives a client joining a running stream its latest value at once', async () => {
    const a = await connect();
    const b = await connect();
    await a.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 60_000 });
    await a.waitFor((m) => m.type === 'stream_data');
    const started = await b.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 60_000 });
    const first = await b.waitFor((m) => m.type === 'stream_data');
    expect(first.seq).toBe(started.seq); // the latest, not a new reading 60 s later
  });

  it('restarting a stream with another interval changes it without stopping the poller', async () => {
    const client = await connect();
    await client.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 1000 });
    const again = await client.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 50 });
    expect(again).toMatchObject({ type: 'stream_started', interval_ms: 50, effective_interval_ms: 50 });
    expect(h.readings.list()).toMatchObject([
      { topic: 'stream:psu:readings:1', subscribers: 1, interval_ms: 50 },
    ]);
  });

  it('gives each client the rate it asked for from one poller, saying what it skipped with prev_seq', async () => {
    h.views.set('psu3', { state: 'connected', stream_types: ['readings'], model: null });
    const fast = await connect();
    const slow = await connect();
    await fast.request({ type: 'start_stream', equipment_id: 'psu3', interval_ms: 20 });
    await slow.request({ type: 'start_stream', equipment_id: 'psu3', interval_ms: 200 });
    const slowData = await slow.waitForCount((m) => m.type === 'stream_data', 4);
    const fastData = fast.messages.filter((m) => m.type === 'stream_data');
    expect(h.readings.list().filter((p) => p.equipment_id === 'psu3')).toMatchObject([
      { interval_ms: 20, subscribers: 2 },
    ]);
    // The slow client was not raised to the fast one's rate: about one reading in ten reaches it.
    const span = (slowData.at(-1)?.seq as number) - (slowData[0]?.seq as number);
    expect(span).toBeGreaterThanOrEqual(3 * 7);
    expect(fastData.length).toBeGreaterThan(slowData.length * 5);
    // Each slow message names the one before it, so a client tells its rate from a loss.
    for (let i = 1; i < slowData.length; i++) {
      const m = slowData[i] as { seq: number; prev_seq?: number };
      expect(m.prev_seq ?? m.seq - 1).toBe(slowData[i - 1]?.seq);
    }
    expect(slowData.filter((m) => m.prev_seq !== undefined).length).toBeGreaterThanOrEqual(2);
    // The fast client gets every reading, and no prev_seq.
    const seqs = fastData.map((m) => m.seq as number);
    expect(seqs.slice(1).every((s, i) => s === (seqs[i] as number) + 1)).toBe(true);
    expect(fastData.some((m) => 'prev_seq' in m)).toBe(false);
  });

  it('stops a stream that ends on the server side with stream_stopped and a reason', async () => {
    h.views.set('psu2', { state: 'connected', stream_types: ['readings'], model: null });
    const client = await connect();
    await client.request({ type: 'start_stream', equipment_id: 'psu2', interval_ms: 20 });
    await client.waitFor((m) => m.type === 'stream_data');
    h.views.delete('psu2');
    h.bus.publishEvent('equipment_disconnected', {
      equipment_id: 'psu2',
      reason: 'disconnected by user',
    });
    const stopped = await client.waitFor((m) => m.type === 'stream_stopped');
    expect(stopped).toMatchObject({ equipment_id: 'psu2', reason: 'equipment_disconnected' });
    expect(stopped.request_id).toBeUndefined();
    const gone = await client.waitFor((m) => m.type === 'equipment_disconnected');
    expect(gone).toMatchObject({ topic: 'equipment', data: { equipment_id: 'psu2' } });
    const error = await client.request({ type: 'stop_stream', equipment_id: 'psu2' });
    expect(error).toMatchObject({ type: 'error', code: ERROR_CODES.notStreaming });
  });

  it('sends sample arrays as binary frames to a client that says it reads them, JSON to others', async () => {
    const bin = await connect();
    const text = await connect();
    expect(await bin.request({ type: 'hello', binary: true })).toMatchObject({
      type: 'hello_ok',
      binary: true,
    });
    await bin.request({
      type: 'start_stream',
      equipment_id: 'scope',
      stream_type: 'waveform',
      interval_ms: 50,
    });
    await bin.request({
      type: 'start_stream',
      equipment_id: 'scope',
      stream_type: 'measurements',
      interval_ms: 50,
    });
    await text.request({
      type: 'start_stream',
      equipment_id: 'scope',
      stream_type: 'waveform',
      interval_ms: 50,
    });
    const waveform = await bin.waitFor((m) => m.type === 'stream_data' && m.stream_type === 'waveform');
    expect(waveform._binary).toBe(true);
    expect(waveform._samples[0]).toBeInstanceOf(Float32Array);
    expect(waveform.data.samples).toHaveLength(1200);
    // Measurements have no sample array: JSON even for a binary client.
    const measurements = await bin.waitFor(
      (m) => m.type === 'stream_data' && m.stream_type === 'measurements',
    );
    expect(measurements._binary).toBeUndefined();
    const json = await text.waitFor((m) => m.type === 'stream_data');
    expect(json._binary).toBeUndefined();
    expect(json.data.samples).toHaveLength(1200);
    expect(text.binaryFrames).toBe(0);
  });

  it('serves a start_stream binary flag per stream', async () => {
    const client = await connect();
    const started = await client.request({
      type: 'start_stream',
      equipment_id: 'scope',
      stream_type: 'waveform',
      channel: 2,
      interval_ms: 50,
      binary: true,
    });
    expect(started.binary).toBe(true);
    expect((await client.waitFor((m) => m.type === 'stream_data'))._binary).toBe(true);
  });
});

describe('errors leave the connection up', () => {
  it.each([
    ['invalid JSON', ERROR_CODES.invalidJson, '{"type": "start_stream",'],
    ['a JSON array', ERROR_CODES.invalidJson, '[1]'],
    ['an unknown type', ERROR_CODES.unknownType, { type: 'reboot' }],
    ['a missing field', ERROR_CODES.missingField, { type: 'start_stream' }],
    [
      'an interval out of range',
      ERROR_CODES.invalidField,
      { type: 'start_stream', equipment_id: 'psu', interval_ms: 1 },
    ],
    ['unknown equipment', ERROR_CODES.unknownEquipment, { type: 'start_stream', equipment_id: 'nope' }],
    ['readings from a scope', ERROR_CODES.unsupportedStream, { type: 'start_stream', equipment_id: 'scope' }],
    ['an instrument in error', ERROR_CODES.notConnected, { type: 'start_stream', equipment_id: 'broken' }],
    [
      'stopping a stream never started',
      ERROR_CODES.notStreaming,
      { type: 'stop_stream', equipment_id: 'psu' },
    ],
    [
      'an unknown acquisition',
      ERROR_CODES.unknownAcquisition,
      { type: 'start_acquisition_stream', acquisition_id: 'x' },
    ],
    ['binary garbage', ERROR_CODES.binaryNotAccepted, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2])],
    [
      'a 100 kB message',
      ERROR_CODES.frameTooLarge,
      JSON.stringify({ type: 'ping', pad: 'x'.repeat(100_000) }),
    ],
  ])('%s → %s', async (_what, code, message) => {
    const client = await connect();
    client.send(message);
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.code).toBe(code);
    expect(error.detail.length).toBeGreaterThan(5);
    await client.roundTrip();
  });

  it('echoes the request_id of a refused request and names the field', async () => {
    const client = await connect();
    const error = await client.request({ type: 'start_stream', equipment_id: 'psu', channel: 'two' });
    expect(error).toMatchObject({ type: 'error', code: ERROR_CODES.invalidField, field: 'channel' });
  });

  // Changed requirement (issue 9): a 10 MB frame is no longer read and answered on an open connection — reading it
  // costs the memory the 1 MB limit protects. It is refused from its header: frame_too_large, then close 1009.
  it('answers a 10 MB frame with frame_too_large and closes with 1009; the server stays up', async () => {
    const client = await connect();
    client.send(Buffer.alloc(10 * 1024 * 1024, 0x20).toString());
    expect((await client.closed).code).toBe(CLOSE_CODES.tooBig);
    expect(client.messages.find((m) => m.type === 'error')?.code).toBe(ERROR_CODES.frameTooLarge);
    const other = await connect();
    await other.roundTrip();
  });

  it('closes a connection that sends a frame above the hard limit with 1009, and the server stays up', async () => {
    const client = await connect();
    client.send(Buffer.alloc(LIMITS.maxPayloadBytes + 1, 0x20).toString());
    expect((await client.closed).code).toBe(CLOSE_CODES.tooBig);
    expect(client.messages.find((m) => m.type === 'error')?.code).toBe(ERROR_CODES.frameTooLarge);
    const other = await connect();
    await other.roundTrip();
  });

  it('answers a frame at the hard limit (1 MB) with frame_too_large and keeps the connection', async () => {
    const client = await connect();
    client.send(Buffer.alloc(LIMITS.maxPayloadBytes, 0x20).toString());
    expect((await client.waitFor((m) => m.type === 'error')).code).toBe(ERROR_CODES.frameTooLarge);
    await client.roundTrip();
  });
});

describe('events and subscriptions', () => {
  it('forwards alarm and scheduler events to clients that asked for nothing, with topic, seq and timestamp', async () => {
    const client = await connect();
    const alarm = {
      event_id: 'ev1',
      alarm_id: 'a1',
      alarm_name: 'Too hot',
      severity: 'critical',
      state: 'active',
      equipment_id: 'psu',
      parameter: 'temperature',
      value: 81.5,
      threshold: 80,
      message: 'Alarm: Too hot - temperature = 81.5',
      timestamp: new Date().toISOString(),
    } as const;
    h.bus.publishEvent('alarm_event', alarm);
    h.bus.publishEvent('job_started', {
      job_id: 'j1',
      execution_id: 'x1',
      started_at: new Date().toISOString(),
    });
    const got = await client.waitFor((m) => m.type === 'alarm_event');
    expect(got).toMatchObject({ topic: 'alarms', seq: h.bus.seq('alarms'), data: alarm });
    const job = await client.waitFor((m) => m.type === 'job_started');
    expect(job.data.started_at).toMatch(/Z$/);
  });

  it('sends only the subscribed topics after subscribe, and nothing of an unsubscribed one', async () => {
    const client = await connect();
    const reply = await client.request({ type: 'subscribe', topics: ['alarms'] });
    expect(reply).toMatchObject({
      type: 'subscribed',
      topics: ['alarms'],
      seq: { alarms: h.bus.seq('alarms') },
    });
    h.bus.publishEvent('lock_acquired', {
      equipment_id: 'psu',
      session_id: 's1',
      lock_mode: 'exclusive',
      lock_id: 'l1',
    });
    h.bus.publishEvent('alarm_cleared', cleared('ev1'));
    await client.waitFor((m) => m.type === 'alarm_cleared');
    expect(client.messages.some((m) => m.type === 'lock_acquired')).toBe(false);
    expect(await client.request({ type: 'unsubscribe', topics: ['alarms'] })).toMatchObject({ topics: [] });
    h.bus.publishEvent('alarm_cleared', cleared('ev2'));
    await client.roundTrip();
    expect(client.messages.filter((m) => m.type === 'alarm_cleared')).toHaveLength(1);
  });

  it('replays events missed since resume_from, and asks for a resync when they are gone', async () => {
    const client = await connect();
    const from = h.bus.seq('scheduler');
    for (let i = 0; i < 3; i++) h.bus.publishEvent('job_deleted', { job_id: `gone${i}` });
    const later = await connect();
    await later.request({ type: 'subscribe', topics: ['scheduler'], resume_from: { scheduler: from } });
    const replayed = await later.waitForCount((m) => m.type === 'job_deleted', 3);
    expect(replayed.map((m) => m.seq)).toEqual([from + 1, from + 2, from + 3]);
    expect(replayed.map((m) => m.data.job_id)).toEqual(['gone0', 'gone1', 'gone2']);

    const job = { name: 'sweep', schedule_type: 'measurement', trigger_type: 'interval', enabled: true };
    for (let i = 0; i < 70; i++) h.bus.publishEvent('job_updated', { job_id: `j${i}`, ...job }); // past the 64 kept
    const old = await client.request({
      type: 'subscribe',
      topics: ['scheduler'],
      resume_from: { scheduler: from },
    });
    expect(old.type).toBe('subscribed');
    expect(await client.waitFor((m) => m.type === 'resync_required')).toMatchObject({
      topic: 'scheduler',
      reason: 'too_old',
      seq: h.bus.seq('scheduler'),
    });
    await client.request({ type: 'subscribe', topics: ['scheduler'], resume_from: { scheduler: 1_000_000 } });
    expect(
      await client.waitFor((m) => m.type === 'resync_required' && m.reason === 'seq_ahead'),
    ).toBeDefined();
  });

  it('forwards an acquisition’s blocks once the acquisition service publishes them', async () => {
    const client = await connect();
    const started = await client.request({
      type: 'start_acquisition_stream',
      acquisition_id: 'acq1',
      binary: true,
    });
    expect(started).toMatchObject({
      type: 'acquisition_stream_started',
      topic: 'acquisition:acq1',
      binary: true,
    });
    const values = { '1': Array.from({ length: 100 }, (_, i) => i / 10) };
    h.bus.publishAcquisitionBlock('acq1', {
      state: 'acquiring',
      stats: { total_samples: 100 },
      data: { count: 100, values },
    });
    const block = await client.waitFor((m) => m.type === 'acquisition_stream');
    expect(block).toMatchObject({ acquisition_id: 'acq1', state: 'acquiring', _binary: true });
    expect(block.data.values['1'][5]).toBeCloseTo(0.5, 5);
    expect(await client.request({ type: 'stop_acquisition_stream', acquisition_id: 'acq1' })).toMatchObject({
      type: 'acquisition_stream_stopped',
      reason: 'requested',
    });
  });
});

describe('batching (hello batch_ms)', () => {
  /** The messages as the client sees them once batches are unpacked, in order. */
  const unpacked = (client: TestClient) =>
    client.messages.flatMap((m) => (m.type === 'batch' ? m.messages : [m]));

  it('sends stream data in batch frames with consecutive seqs, nothing lost, events in order', async () => {
    const client = await connect();
    expect(await client.request({ type: 'hello', batch_ms: 100 })).toMatchObject({
      type: 'hello_ok',
      binary: false,
      batch_ms: 100,
    });
    const topics: string[] = [];
    for (const [equipment_id, stream_type] of [
      ['psu', 'readings'],
      ['scope', 'measurements'],
    ]) {
      const started = await client.request({
        type: 'start_stream',
        equipment_id,
        stream_type,
        interval_ms: 20,
      });
      topics.push(started.topic);
    }
    // Events published between readings, each noting how far the stream's topic had got when it was published.
    const marks: { event_id: string; seq: number }[] = [];
    for (let i = 0; i < 5; i++) {
      await client.waitForCount((m) => m.type === 'batch', i + 1);
      const mark = { event_id: `batch-${i}`, seq: h.bus.seq(topics[0] as string) };
      marks.push(mark);
      h.bus.publishEvent('alarm_updated', {
        ...updated(mark.event_id, 'tester'),
        acknowledged_at: new Date().toISOString(),
      });
    }
    await client.waitForCount((m) => m.type === 'batch', 8);
    const stopped = await client.request({ type: 'stop_stream', equipment_id: 'psu' });
    expect(stopped.type).toBe('stream_stopped');
    await client.request({ type: 'stop_stream', equipment_id: 'scope', stream_type: 'measurements' });

    expect(client.messages.filter((m) => m.type === 'stream_data')).toEqual([]); // all of it in batches
    const batches = client.messages.filter((m) => m.type === 'batch');
    expect(batches.some((b) => b.messages.length > 1)).toBe(true);
    const all = unpacked(client);
    for (const topic of topics) {
      const seqs = seqsOf(all, topic);
      expect(seqs.length).toBeGreaterThan(5);
      expect(seqs.slice(1).every((s, i) => s === (seqs[i] as number) + 1)).toBe(true); // nothing lost
    }
    // Each event comes after every reading published before it, and before every reading published after it.
    for (const mark of marks) {
      const at = all.findIndex((m) => m.type === 'alarm_updated' && m.data.event_id === mark.event_id);
      expect(at).toBeGreaterThan(0);
      const psu = (m: (typeof all)[number]) => m.type === 'stream_data' && m.topic === topics[0];
      expect(
        all
          .slice(0, at)
          .filter(psu)
          .every((m) => m.seq <= mark.seq),
      ).toBe(true);
      expect(
        all
          .slice(at)
          .filter(psu)
          .every((m) => m.seq > mark.seq),
      ).toBe(true);
    }
    // Nothing of the psu stream after its stream_stopped.
    const stop = all.indexOf(stopped);
    expect(all.slice(stop).some((m) => m.type === 'stream_data' && m.topic === topics[0])).toBe(false);
  });

  it('refuses a batch_ms out of range with invalid_field, and the connection stays unbatched', async () => {
    const client = await connect();
    for (const batch_ms of [5, 5000, 'fast', 50.5]) {
      expect(await client.request({ type: 'hello', batch_ms })).toMatchObject({
        type: 'error',
        code: ERROR_CODES.invalidField,
        field: 'batch_ms',
      });
    }
    await client.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 20 });
    await client.waitForCount((m) => m.type === 'stream_data', 3);
    expect(client.messages.some((m) => m.type === 'batch')).toBe(false);
  });

  it('keeps sample arrays of a binary client in their own binary frames', async () => {
    const client = await connect();
    await client.request({ type: 'hello', binary: true, batch_ms: 50 });
    await client.request({
      type: 'start_stream',
      equipment_id: 'scope',
      stream_type: 'waveform',
      interval_ms: 50,
    });
    await client.request({ type: 'start_stream', equipment_id: 'psu', interval_ms: 20 });
    await client.waitFor((m) => m.type === 'stream_data' && m._binary);
    const batch = await client.waitFor((m) => m.type === 'batch');
    expect(batch.messages.every((m: { stream_type: string }) => m.stream_type === 'readings')).toBe(true);
  });
});

describe('slow clients', () => {
  it('coalesce stream data while paused, keep their memory bounded, and get the latest reading after', async () => {
    const slow = await connect();
    const fast = await connect();
    const topics: string[] = [];
    for (const c of [1, 2, 3, 4]) {
      const s = {
        type: 'start_stream',
        equipment_id: 'scope',
        stream_type: 'waveform',
        channel: c,
        interval_ms: 20,
      };
      topics.push((await slow.request(s)).topic);
      await fast.request(s);
    }
    slow.ws.pause();
    const before = fast.messages.length;
    // The fast client keeps receiving while the slow one's buffers fill up and its writer coalesces.
    await fast.until(() => h.gateway.stats().some((c) => c.coalesced > 20), 20_000);
    expect(fast.messages.length - before).toBeGreaterThan(20);
    const slowStats = h.gateway.stats().find((c) => c.coalesced > 0);
    expect(slowStats?.queued).toBeLessThanOrEqual(topics.length + 1);
    expect(slowStats?.buffered_bytes).toBeLessThan(h.gateway.options.highWaterBytes + 200_000);
    const fastSeqs = seqsOf(fast.messages, topics[0] as string);
    expect(fastSeqs.slice(1).every((s, i) => s === (fastSeqs[i] as number) + 1)).toBe(true);

    slow.ws.resume();
    const latest = h.bus.seq(topics[0] as string);
    await slow.waitFor((m) => m.topic === topics[0] && m.seq >= latest, { timeoutMs: 20_000 });
    const slowSeqs = seqsOf(slow.messages, topics[0] as string);
    expect(slowSeqs.length).toBeLessThan(latest); // gaps: coalesced on purpose
    expect([...slowSeqs].sort((a, b) => a - b)).toEqual(slowSeqs); // but never out of order
  });
});

describe('limits', () => {
  let small: Harness;
  let beating: Harness;
  const mine: TestClient[] = [];
  beforeAll(async () => {
    small = await startHarness({ maxQueuedEvents: 20, highWaterBytes: 16 * 1024 });
    beating = await startHarness({ heartbeatMs: 100 });
  });
  afterAll(async () => {
    for (const c of mine) c.ws.terminate();
    await small.app.close();
    await beating.app.close();
  });
  const open = async (options = {}, harness = small) => {
    const c = await TestClient.open(`${harness.url}/ws`, options);
    mine.push(c);
    await c.waitFor((m) => m.type === 'welcome');
    return c;
  };

  it('closes a client whose event queue overflows with 4008, and the others get every event', async () => {
    const slow = await open();
    const fast = await open();
    slow.ws.pause();
    const from = small.bus.seq('alarms');
    const big = 'x'.repeat(16_000);
    // Batches the fast client reads as they come, until the paused one's kernel buffers and queue are full.
    let sent = 0;
    const openCount = () => small.gateway.stats().filter((c) => c.ready_state === 1).length;
    while (openCount() === 2 && sent < 20_000) {
      for (let i = 0; i < 10; i++) {
        small.bus.publishEvent('alarm_updated', updated(`e${sent++}`, big));
      }
      await fast.waitForCount((m) => m.type === 'alarm_updated', sent, 30_000);
    }
    expect(openCount()).toBe(1); // the slow one is being closed: its queue is gone, the fast one goes on
    expect(sent).toBeLessThan(20_000);
    const got = fast.messages.filter((m) => m.type === 'alarm_updated');
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => from + i + 1));
    slow.ws.resume();
    expect((await slow.closed).code).toBe(CLOSE_CODES.cannotKeepUp);
  }, 60_000);

  it('cuts a peer that stops answering heartbeats, and keeps one that answers', async () => {
    const dead = await open({ autoPong: false }, beating);
    const alive = await open({}, beating);
    const closed = await dead.closed;
    expect(closed.code).toBe(1006); // terminated: no close frame for a dead peer
    await alive.roundTrip();
  });

  it('says goodbye with 1001 when the server shuts down', async () => {
    const client = await open();
    await small.app.close();
    expect((await client.closed).code).toBe(CLOSE_CODES.goingAway);
  });
});
