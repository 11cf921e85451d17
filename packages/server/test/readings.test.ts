// The readings pipeline and the command path against a real server and simulators over real sockets: claims that
// wait for their instrument, one poller shared at each consumer's own rate (the simulator counts the queries),
// REST readings from the latest poll, and lanes that keep one instrument's ramp from delaying another.

import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Freshness } from '../src/readings/pipeline.js';
import { http, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';
import { TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const connect = async (server: TestServer, sim: RunningSimulator): Promise<string> => {
  const res = await http(`${server.url}/api/equipment/connect`, { body: { resource_string: sim.resource } });
  expect(res.status).toBe(200);
  return res.body.equipment_id;
};

describe('a claim outlives its instrument’s absences', () => {
  it('claimed before the instrument is connected, it gets readings once it connects, and again after a drop', async () => {
    const data = tempDir();
    const serial = 'DP8C000000042'; // the same unit each time it comes back
    let sim = await startSimulator('DP832', { serial });
    const port = sim.port;
    let server = await startTestServer({}, data.dir);
    const id = await connect(server, sim);
    await server.stop();
    await sim.stop();

    // The server starts without its instrument: known, not connected.
    server = await startTestServer({}, data.dir);
    try {
      const seqs: number[] = [];
      const changes: Freshness[] = [];
      const claim = server.services.readings.claim({
        equipment_id: id,
        kind: 'readings',
        channel: 1,
        interval_ms: 100,
        consumer: 'test',
        onReading: (m) => seqs.push(m.seq),
        onFreshness: (f) => changes.push(f),
      });
      expect(claim.freshness()).toBe('waiting');
      await sleep(300);
      expect(seqs).toEqual([]);

      sim = await startSimulator('DP832', { port, serial });
      await until('readings after the instrument appears', () => seqs.length >= 3);
      expect(claim.freshness()).toBe('live');

      // Unplugged (the port refuses), then back: the same claim, nobody re-claims.
      await sim.faults.dropConnections({ refuseNew: true });
      await until('the claim told its data is not fresh', () => claim.freshness() !== 'live');
      const before = seqs.length;
      await sim.faults.clear();
      await until('readings again', () => seqs.length >= before + 3);
      expect(changes[0]).toBe('live');
      expect(changes.at(-1)).toBe('live');
      expect(changes.filter((f) => f !== 'live').length).toBeGreaterThanOrEqual(1);
      claim.release();
      expect(server.services.readings.list()).toEqual([]);
    } finally {
      await server.stop();
      await sim.stop();
      data.remove();
    }
  }, 60_000);
});

describe('one poller per reading, each consumer at its own rate', () => {
  let server: TestServer;
  let sim: RunningSimulator;
  let other: RunningSimulator;
  let psu: string;
  let psu2: string;
  /** Queries one PSU reading costs (measured once, over REST, with nothing polling). */
  let perRead: number;

  beforeAll(async () => {
    server = await startTestServer();
    [sim, other] = await Promise.all([startSimulator('DP832'), startSimulator('DP832')]);
    psu = await connect(server, sim);
    psu2 = await connect(server, other);
    const before = sim.messages();
    expect((await http(`${server.url}/api/equipment/${psu}/readings?channel=1`)).status).toBe(200);
    perRead = sim.messages() - before;
    // A DP832 reading is one compound query (:OUTP? CH1;:SOUR1:VOLT?;…), answered in one message.
    expect(perRead).toBe(1);
  });

  afterAll(async () => {
    await server?.dispose();
    await Promise.all([sim?.stop(), other?.stop()]);
  });

  it('a 10 Hz and a 2 Hz consumer share one poller: the instrument is asked only for the 10 Hz reads', async () => {
    const fast: number[] = [];
    const slow: number[] = [];
    const { readings } = server.services;
    const before = sim.messages();
    const a = readings.claim({
      ...{ equipment_id: psu, kind: 'readings', channel: 1 },
      interval_ms: 100,
      consumer: 'fast',
      onReading: (m) => fast.push(m.seq),
    });
    const b = readings.claim({
      ...{ equipment_id: psu, kind: 'readings', channel: 1 },
      interval_ms: 500,
      consumer: 'slow',
      onReading: (m) => slow.push(m.seq),
    });
    await until('20 fast readings', () => fast.length >= 20);
    const stats = readings.list();
    a.release();
    b.release();
    await sleep(150); // a read in flight at release finishes
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ interval_ms: 100, subscribers: 2, consumers: ['fast', 'slow'] });
    const reads = (fast.at(-1) as number) - (fast[0] as number) + 1;
    // Every query the simulator saw belongs to one shared read: none for a second poller.
    expect(sim.messages() - before).toBeLessThanOrEqual((reads + 2) * perRead);
    // The slow consumer got about one reading in five, each from the shared poller's sequence.
    expect(slow.length).toBeGreaterThanOrEqual(Math.floor(reads / 5) - 1);
    expect(slow.length).toBeLessThanOrEqual(Math.ceil(reads / 5) + 1);
    for (const seq of slow) expect(fast).toContain(seq);
  });

  it('an internal consumer keeps its rate while WebSocket clients come and go', async () => {
    const times: number[] = [];
    const claim = server.services.readings.claim({
      ...{ equipment_id: psu, kind: 'readings', channel: 2 },
      interval_ms: 500,
      consumer: 'alarms',
      onReading: () => times.push(performance.now()),
    });
    try {
      for (const interval_ms of [20, 50, 20]) {
        const client = await TestClient.open(`${server.url}/ws`);
        await client.request({ type: 'start_stream', equipment_id: psu, channel: 2, interval_ms });
        await client.waitForCount((m) => m.type === 'stream_data', 10);
        client.close();
        await client.closed;
      }
      await until('the consumer alone again', () =>
        server.services.readings.list().every((p) => p.consumers.join() === 'alarms'),
      );
      const count = times.length;
      await until('two more readings', () => times.length >= count + 2);
      expect(server.services.readings.list()).toMatchObject([{ interval_ms: 500, consumers: ['alarms'] }]);
      // Never raised to the clients' 20 or 50 ms: consecutive readings stay about a period apart (the slack is
      // how much a read's duration varies).
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(400);
    } finally {
      claim.release();
    }
  });

  it('REST readings answer from the latest poll while one runs, without asking the instrument again', async () => {
    const claim = server.services.readings.claim({
      ...{ equipment_id: psu, kind: 'readings', channel: 3 },
      interval_ms: 200,
      consumer: 'test',
    });
    try {
      await until('a first poll', () => (server.services.readings.list()[0]?.reads ?? 0) >= 1);
      const stats = () => server.services.readings.list()[0] as Json;
      const reads = stats().reads;
      const messages = sim.messages();
      const answers: Json[] = [];
      for (let i = 0; i < 10; i++) {
        answers.push((await http(`${server.url}/api/equipment/${psu}/readings?channel=3`)).body);
      }
      const polled = stats().reads - reads;
      expect(sim.messages() - messages).toBeLessThanOrEqual((polled + 1) * perRead);
      expect(answers[0]).toMatchObject({ equipment_id: psu, channel: 3 });
    } finally {
      claim.release();
    }
  });

  it('a 10-step ramp on one supply does not delay a command to another', async () => {
    const limits = (id: string, rate: number) =>
      http(`${server.url}/api/safety/limits/${id}`, {
        method: 'PUT',
        body: { channel: 1, voltage_slew_rate: rate },
      });
    const command = (id: string, voltage: number) =>
      http(`${server.url}/api/equipment/${id}/command`, {
        body: { action: 'set_voltage', parameters: { voltage, channel: 1 } },
      });
    await command(psu, 0);
    await limits(psu, 10); // 0 → 10 V at 10 V/s: ten 100 ms steps
    let rampDone = false;
    const ramp = command(psu, 10).then((r) => {
      rampDone = true;
      return r;
    });
    const { RawClient } = await import('@lablink/instruments/sim');
    const raw = await RawClient.connect(sim.port);
    try {
      await until('the ramp under way', async () => Number(await raw.query(':SOUR1:VOLT?')) > 0);
      for (let i = 0; i < 5; i++) {
        expect((await command(psu2, 1 + i)).status).toBe(200);
        expect(rampDone).toBe(false); // the other supply answered while the ramp still ran
      }
      expect((await ramp).status).toBe(200);
      expect(Number(await raw.query(':SOUR1:VOLT?'))).toBe(10);
    } finally {
      raw.close();
      await limits(psu, 0);
    }
  });
});
