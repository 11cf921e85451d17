// Block captures (a scope's waveform, a source fed in-process): stored whole in binary, and sent live at once,
// whole, each in an acquisition_stream message of its own — float32 in binary frames, numbers in JSON — with the
// same samples that storage gives back.

import { startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockRecord } from '../src/acquisition/reader.js';
import { http, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.dispose();
});

async function follow(id: string, binary: boolean): Promise<TestClient> {
  const client = await TestClient.open(`${server.url}/ws`);
  await client.waitFor((m) => m.type === 'welcome');
  const reply = await client.request({ type: 'start_acquisition_stream', acquisition_id: id, binary });
  expect(reply.type).toBe('acquisition_stream_started');
  return client;
}

const captures = (c: TestClient) =>
  c.messages
    .filter((m: Msg) => m.type === 'acquisition_stream' && m.data?.capture)
    .map((m: Msg) => m.data.capture);

async function stored(id: string): Promise<BlockRecord[]> {
  const blocks: BlockRecord[] = [];
  for await (const b of server.services.acquisitions.reader(id).blocks()) blocks.push(b);
  return blocks;
}

describe('a fed block source', () => {
  it('records each capture and sends it live, whole and in order, in binary and in JSON', async () => {
    const acquisitions = server.services.acquisitions;
    const session = acquisitions.create({ sample_rate: 1, name: 'fed' }, { feeds: ['gen'] });
    const id = session.acquisition_id;
    const binary = await follow(id, true);
    const json = await follow(id, false);
    expect(
      acquisitions.feed(id, {
        channel: 'gen',
        timestamp: Date.now(),
        x_increment: 1e-6,
        x_origin: 0,
        samples: new Float32Array(64),
      }),
    ).toBe(false); // not started
    acquisitions.start(id);

    const sent: Float32Array[] = [];
    for (let k = 0; k < 5; k++) {
      const samples = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i / 50 + k) * (k + 1) + 1 / 3);
      samples[7] = Number.NaN; // a missing sample stays missing
      sent.push(samples);
      expect(
        acquisitions.feed(id, {
          channel: 'gen',
          timestamp: Date.now(),
          x_increment: 1e-6,
          x_origin: -1e-3,
          samples,
        }),
      ).toBe(true);
    }
    await binary.waitForCount((m) => Boolean(m.data?.capture), 5);
    await json.waitForCount((m) => Boolean(m.data?.capture), 5);
    acquisitions.stop(id);
    await sleep(100);

    for (const client of [binary, json]) {
      const got = captures(client);
      expect(got.map((c: Msg) => c.index)).toEqual([0, 1, 2, 3, 4]);
      got.forEach((c: Msg, k: number) => {
        expect(c).toMatchObject({ channel: 'gen', x_increment: 1e-6, x_origin: -1e-3 });
        expect(c.samples).toHaveLength(4096);
        expect(c.samples[7]).toBeNull();
        // Float32 values, exactly: the binary frame carries them as they are, JSON as the numbers they are.
        expect(c.samples.slice(8, 64)).toEqual(Array.from(sent[k]?.subarray(8, 64) ?? []));
      });
      expect(client.problems).toEqual([]);
    }
    expect(binary.binaryFrames).toBeGreaterThanOrEqual(5);

    const back = await stored(id);
    expect(back).toHaveLength(5);
    back.forEach((b, k) => {
      expect(b.channel).toBe('gen');
      expect(b.x_origin).toBe(-1e-3);
      expect(Number.isNaN(b.samples[7])).toBe(true);
      expect(Array.from(b.samples.subarray(8))).toEqual(Array.from(sent[k]?.subarray(8) ?? []));
    });
    expect((await http(`${server.url}/api/acquisition/session/${id}/status`)).body.stats.total_blocks).toBe(
      5,
    );
    expect(() =>
      acquisitions.feed(id, {
        channel: 'nope',
        timestamp: 0,
        x_increment: 1,
        x_origin: 0,
        samples: new Float32Array(1),
      }),
    ).toThrow(/no fed source "nope"/);
    await binary.close();
    await json.close();
  });
});

describe("a scope's waveform source", () => {
  it('sends each capture live as it is recorded, the same samples storage gives back', async () => {
    const scope = await startSimulator('DS1104Z');
    try {
      const connected = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: scope.resource },
      });
      const scopeId = connected.body.equipment_id;
      const created = await http(`${server.url}/api/acquisition/session/create`, {
        body: { sample_rate: 5, sources: [{ equipment_id: scopeId, kind: 'waveform', channel: 1 }] },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const id = created.body.acquisition_id;
      const client = await follow(id, true);
      await http(`${server.url}/api/acquisition/session/${id}/start`, { body: {} });
      await client.waitForCount((m) => Boolean(m.data?.capture), 2, 20_000);
      await http(`${server.url}/api/acquisition/session/${id}/stop`, { body: {} });
      await sleep(200);

      const live = captures(client);
      const back = await stored(id);
      expect(back.length).toBeGreaterThanOrEqual(live.length);
      live.forEach((c: Msg, k: number) => {
        expect(c.index).toBe(k);
        expect(c.channel).toBe(`${scopeId}.waveform.1`);
        expect(c.samples.length).toBeGreaterThan(100);
        const fromStore = back[k] as BlockRecord;
        expect(Date.parse(c.timestamp)).toBe(fromStore.timestamp);
        expect(c.samples).toEqual(Array.from(fromStore.samples, (v) => (Number.isNaN(v) ? null : v)));
      });
      expect(client.problems).toEqual([]);
      await client.close();
    } finally {
      await scope.stop();
    }
  });
});
