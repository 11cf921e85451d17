// Acquisition sessions end to end (issue 12): a real server, simulated instruments over real sockets, REST and
// WebSocket as a client sees them. Values are driven on the simulators themselves (a multimeter's input). Every
// message received is validated against its schema (TestClient). No test asserts a wall-clock time beyond the
// sample counts and tolerances the issue states; waits have generous deadlines.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { type Msg, TestClient } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let psuSim: RunningSimulator;
let dmmSim: RunningSimulator<import('@lablink/instruments/sim').MultimeterSim>;
let psuId: string;
let dmmId: string;

const api = (path: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${path}`, init);

async function connect(sim: RunningSimulator): Promise<string> {
  const res = await api('/api/equipment/connect', { body: { resource_string: sim.resource } });
  expect(res.status).toBe(200);
  return res.body.equipment_id;
}

async function create(body: Json): Promise<string> {
  const res = await api('/api/acquisition/session/create', { body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.state).toBe('idle');
  return res.body.acquisition_id;
}

const status = async (id: string) => (await api(`/api/acquisition/session/${id}/status`)).body;

async function waitState(id: string, state: string, timeoutMs = 20_000): Promise<Json> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(id);
    if (s.state === state) return s;
    if (Date.now() > end) throw new Error(`session ${id} is ${s.state}, not ${state}`);
    await sleep(50);
  }
}

async function waitSamples(id: string, n: number, timeoutMs = 20_000): Promise<Json> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(id);
    if (s.stats.total_samples >= n) return s;
    if (Date.now() > end) throw new Error(`session ${id} has ${s.stats.total_samples} samples, not ${n}`);
    await sleep(50);
  }
}

const data = async (id: string, query = '') =>
  (await api(`/api/acquisition/session/${id}/data?num_samples=100000${query}`)).body;

beforeAll(async () => {
  server = await startTestServer();
  [psuSim, dmmSim] = await Promise.all([startSimulator('DP832'), startSimulator('34461A')]);
  psuId = await connect(psuSim);
  dmmId = await connect(dmmSim);
  dmmSim.instrument.setInput(1);
});

afterAll(async () => {
  await server?.dispose();
  await Promise.all([psuSim?.stop(), dmmSim?.stop()]);
});

describe('settings', () => {
  it.each([
    [{ sample_rate: 0, channels: ['CH1'] }, 'sample_rate'],
    [{ sample_rate: 10, channels: ['CH9'] }, 'channels'],
    [{ sample_rate: 10, channels: ['volts'] }, 'channels'],
    [{ sample_rate: 10, duration_seconds: -1 }, 'duration_seconds'],
    [{ sample_rate: 10, trigger_config: { trigger_type: 'level' } }, 'trigger_config.level'],
    [{ sample_rate: 10, trigger_config: { trigger_type: 'edge', edge: 'rising' } }, 'trigger_config.level'],
    [{ sample_rate: 10, mode: 'single_shot' }, 'num_samples'],
    [{ sample_rate: 2000 }, 'sample_rate'],
  ])('%j is refused naming %s, and nothing is created', async (settings, field) => {
    const before = (await api('/api/acquisition/sessions')).body.count;
    const res = await api('/api/acquisition/session/create', { body: { equipment_id: dmmId, ...settings } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(res.body)).toContain(field);
    expect((await api('/api/acquisition/sessions')).body.count).toBe(before);
  });

  it('an unknown field or instrument of a source is refused naming it', async () => {
    const before = (await api('/api/acquisition/sessions')).body.count;
    let res = await api('/api/acquisition/session/create', {
      body: { sample_rate: 10, sources: [{ equipment_id: dmmId, field: 'no_such_field' }] },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('sources[0].field');
    res = await api('/api/acquisition/session/create', {
      body: { sample_rate: 10, sources: [{ equipment_id: 'nope', field: 'value' }] },
    });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).toContain('sources[0].equipment_id');
    expect((await api('/api/acquisition/sessions')).body.count).toBe(before);
  });

  it('an unknown session is a 404', async () => {
    expect((await api('/api/acquisition/session/nope/status')).status).toBe(404);
    expect((await api('/api/acquisition/session/nope/start', { body: {} })).status).toBe(404);
  });
});

describe('sessions', () => {
  it('single-shot ends with exactly N samples and state stopped', async () => {
    const id = await create({ equipment_id: dmmId, mode: 'single_shot', sample_rate: 50, num_samples: 25 });
    expect((await api(`/api/acquisition/session/${id}/start`, { body: {} })).body.success).toBe(true);
    const s = await waitState(id, 'stopped');
    expect(s.stats.total_samples).toBe(25);
    expect(s.stop_reason).toBe('completed');
    await sleep(300);
    const d = await data(id);
    expect(d.count).toBe(25);
    expect(d.channels).toEqual(['CH1']);
    expect(d.data.values.CH1.every((v: number) => Math.abs(v - 1) < 0.1)).toBe(true);
    expect((await status(id)).stats.total_samples).toBe(25);
  });

  it('a polled session at 50 Hz for 10 s has 500 ± 2 samples, without drift', async () => {
    const id = await create({ equipment_id: dmmId, sample_rate: 50, duration_seconds: 10 });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    const s = await waitState(id, 'stopped', 40_000);
    expect(s.stop_reason).toBe('duration reached');
    const d = await data(id);
    expect(Math.abs(d.count - 500), `${d.count} samples`).toBeLessThanOrEqual(2);
    expect(s.stats.missed_samples).toBeLessThanOrEqual(2);
    const t = d.data.timestamps.map((x: string) => Date.parse(x)) as number[];
    // Fixed deadlines, not sleeps after each read: the run spans its 10 s (499 periods), and the samples sit on
    // the 20 ms grid from the first one (a read's latency, or a stall caught up, moves its timestamp, never the
    // ones after it).
    const span = (t.at(-1) as number) - (t[0] as number);
    expect(Math.abs(span - 499 * 20)).toBeLessThan(60);
    const offGrid = t.filter((x) => {
      const off = (x - (t[0] as number)) % 20;
      return Math.min(off, 20 - off) > 9;
    });
    expect(offGrid.length).toBeLessThan(t.length / 4);
  }, 60_000);

  it('ends in error, saying why, when its storage fails, and records nothing more; the server goes on', async () => {
    const id = await create({ equipment_id: dmmId, sample_rate: 20, name: 'doomed' });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitSamples(id, 10);
    // The session's directory disappears under it (a disk unmounted, a clean-up script): writes fail.
    rmSync(path.join(server.dataDir, 'acquisitions', id), { recursive: true, force: true });
    const s = await waitState(id, 'error');
    expect(s.stop_reason).toMatch(/^storage failed \(.*ENOENT.*\): recording stopped$/);
    // Its claims are released: it records nothing more, and the server answers as before.
    const n = (await status(id)).stats.total_samples;
    await sleep(300);
    expect((await status(id)).stats.total_samples).toBe(n);
    expect((await api('/api/acquisition/sessions')).status).toBe(200);
    expect((await api(`/api/acquisition/session/${id}/start`, { body: {} })).body.success).toBe(false);
    expect((await api(`/api/acquisition/session/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('pause and resume, stop, delete', async () => {
    const id = await create({ equipment_id: dmmId, sample_rate: 20, name: 'pausing' });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitSamples(id, 5);
    expect((await api(`/api/acquisition/session/${id}/pause`, { body: {} })).body.success).toBe(true);
    await sleep(200);
    const n = (await status(id)).stats.total_samples;
    await sleep(400);
    expect((await status(id)).stats.total_samples).toBe(n);
    expect((await api(`/api/acquisition/session/${id}/resume`, { body: {} })).body.success).toBe(true);
    await waitSamples(id, n + 3);
    expect((await api(`/api/acquisition/session/${id}/stop`, { body: {} })).body.state).toBe('stopped');
    expect((await status(id)).stop_reason).toBe('stopped by request');
    const list = (await api('/api/acquisition/sessions')).body.sessions as Json[];
    expect(list.find((x) => x.acquisition_id === id)?.name).toBe('pausing');
    expect((await api(`/api/acquisition/session/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/api/acquisition/session/${id}/status`)).status).toBe(404);
  });

  it('a rising-edge trigger starts at the crossing, with the pre-trigger samples', async () => {
    dmmSim.instrument.setInput(0);
    const id = await create({
      equipment_id: dmmId,
      mode: 'triggered',
      sample_rate: 20,
      num_samples: 10,
      trigger_config: {
        trigger_type: 'edge',
        edge: 'rising',
        level: 2.5,
        channel: 'CH1',
        pre_trigger_samples: 5,
      },
    });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitState(id, 'waiting_trigger');
    await sleep(800); // more than 5 samples below the level
    expect((await status(id)).stats.total_samples).toBe(0);
    dmmSim.instrument.setInput(5);
    const s = await waitState(id, 'stopped');
    expect(s.stats.total_samples).toBe(15);
    expect(s.stats.trigger.index).toBe(5);
    const v = (await data(id)).data.values.CH1 as number[];
    expect(v.slice(0, 5).every((x) => x < 2.5)).toBe(true);
    expect(v.slice(5).every((x) => x >= 2.5)).toBe(true);
    dmmSim.instrument.setInput(1);
  });

  it('an external trigger starts a waiting session', async () => {
    const id = await create({
      equipment_id: dmmId,
      mode: 'single_shot',
      num_samples: 5,
      sample_rate: 20,
      trigger_config: { trigger_type: 'external' },
    });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitState(id, 'waiting_trigger');
    expect((await api(`/api/acquisition/session/${id}/trigger`, { body: {} })).body.success).toBe(true);
    expect((await waitState(id, 'stopped')).stats.total_samples).toBe(5);
  });

  it('a time trigger starts at its start_time; a falling level trigger when the value goes down to the level', async () => {
    const start_time = new Date(Date.now() + 600).toISOString();
    const timed = await create({
      equipment_id: dmmId,
      mode: 'single_shot',
      num_samples: 4,
      sample_rate: 20,
      trigger_config: { trigger_type: 'time', start_time },
    });
    await api(`/api/acquisition/session/${timed}/start`, { body: {} });
    expect((await status(timed)).state).toBe('waiting_trigger');
    const s = await waitState(timed, 'stopped');
    expect(s.stats.total_samples).toBe(4);
    expect(Date.parse(s.stats.start_time)).toBeGreaterThanOrEqual(Date.parse(start_time) - 60);

    dmmSim.instrument.setInput(4);
    const level = await create({
      equipment_id: dmmId,
      mode: 'triggered',
      num_samples: 3,
      sample_rate: 20,
      trigger_config: { trigger_type: 'level', level: 2, edge: 'falling' },
    });
    await api(`/api/acquisition/session/${level}/start`, { body: {} });
    await waitState(level, 'waiting_trigger');
    await sleep(300);
    expect((await status(level)).state).toBe('waiting_trigger');
    dmmSim.instrument.setInput(1);
    await waitState(level, 'stopped');
    expect(((await data(level)).data.values.CH1 as number[]).every((x) => x <= 2)).toBe(true);
  });

  it('a ring too large for memory is refused naming buffer_size', async () => {
    const res = await api('/api/acquisition/session/create', {
      body: {
        sample_rate: 10,
        buffer_size: 1_000_000,
        sources: [1, 2, 3, 4, 5].map(() => ({ equipment_id: dmmId, field: 'value' })),
      },
    });
    expect(res.status).toBe(400);
  });

  it('a two-instrument session is aligned on one timestamp per row', async () => {
    await api(`/api/equipment/${psuId}/command`, {
      body: { action: 'set_voltage', parameters: { voltage: 3, channel: 1 } },
    });
    await api(`/api/equipment/${psuId}/command`, {
      body: { action: 'set_output', parameters: { enabled: true, channel: 1 } },
    });
    const id = await create({
      sample_rate: 10,
      mode: 'single_shot',
      num_samples: 20,
      sources: [
        { equipment_id: dmmId, field: 'value' },
        { equipment_id: psuId, field: 'voltage_actual', channel: 1 },
      ],
    });
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitState(id, 'stopped');
    const d = await data(id);
    const a = `${dmmId}.value`;
    const b = `${psuId}.voltage_actual.1`;
    expect(d.channels).toEqual([a, b]);
    expect(d.count).toBe(20);
    expect(d.data.values[a]).toHaveLength(20);
    expect(d.data.values[b]).toHaveLength(20);
    // After the first row or two (the second instrument's first reading), every row has both values.
    expect(d.data.values[b].slice(2).every((x: number | null) => x !== null && Math.abs(x - 3) < 0.2)).toBe(
      true,
    );
    expect(d.data.values[a].every((x: number | null) => x !== null)).toBe(true);
    await api(`/api/equipment/${psuId}/command`, {
      body: { action: 'set_output', parameters: { enabled: false, channel: 1 } },
    });
  });
});

describe('sync groups', () => {
  it('a sync group starts both members together; data relative to the group start', async () => {
    const a = await create({ equipment_id: dmmId, sample_rate: 10 });
    const b = await create({ equipment_id: psuId, sample_rate: 10, channels: ['CH1', 'CH2'] });
    const g = (await api('/api/acquisition/sync/group/create', { body: { name: 'bench' } })).body.group_id;
    expect(
      (
        await api(`/api/acquisition/sync/group/${g}/add`, {
          body: { equipment_id: dmmId, acquisition_id: a },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api(`/api/acquisition/sync/group/${g}/add`, {
          body: { equipment_id: psuId, acquisition_id: b },
        })
      ).status,
    ).toBe(200);
    const started = await api(`/api/acquisition/sync/group/${g}/start`, { body: {} });
    expect(started.body.success).toBe(true);
    const st = (await api(`/api/acquisition/sync/group/${g}/status`)).body;
    expect(st.members.map((m: Json) => m.state)).toEqual(['acquiring', 'acquiring']);
    expect((await status(a)).started_at).toBe(st.start_time);
    expect((await status(b)).started_at).toBe(st.start_time);
    await waitSamples(a, 5);
    await waitSamples(b, 5);
    expect((await api(`/api/acquisition/sync/group/${g}/stop`, { body: {} })).body.success).toBe(true);
    const gd = (await api(`/api/acquisition/sync/group/${g}/data`)).body;
    for (const id of [a, b]) {
      expect(gd.members[id].data.relative_times.length).toBe(gd.members[id].count);
      expect(gd.members[id].data.relative_times.every((x: number) => x >= 0 && x < 60)).toBe(true);
    }
    expect((await api('/api/acquisition/sync/groups')).body.count).toBeGreaterThanOrEqual(1);
    expect((await api(`/api/acquisition/sync/group/${g}`, { method: 'DELETE' })).status).toBe(200);
  });
});

describe('acquisition_stream', () => {
  it('seq without gaps, every sample once; a late joiner gets the ring first', async () => {
    const id = await create({ equipment_id: dmmId, sample_rate: 50, buffer_size: 1000 });
    const early = await TestClient.open(`${server.url}/ws`);
    await early.waitFor((m) => m.type === 'welcome');
    expect((await early.request({ type: 'start_acquisition_stream', acquisition_id: id })).type).toBe(
      'acquisition_stream_started',
    );
    await api(`/api/acquisition/session/${id}/start`, { body: {} });
    await waitSamples(id, 30);
    const late = await TestClient.open(`${server.url}/ws`);
    await late.waitFor((m) => m.type === 'welcome');
    await late.request({ type: 'start_acquisition_stream', acquisition_id: id });
    const binary = await TestClient.open(`${server.url}/ws`);
    await binary.waitFor((m) => m.type === 'welcome');
    await binary.request({ type: 'start_acquisition_stream', acquisition_id: id, binary: true });
    const slow = await TestClient.open(`${server.url}/ws`);
    await slow.waitFor((m) => m.type === 'welcome');
    await slow.request({ type: 'start_acquisition_stream', acquisition_id: id, interval_ms: 500 });
    await waitSamples(id, 80);
    await api(`/api/acquisition/session/${id}/stop`, { body: {} });
    await sleep(300);
    const total = (await status(id)).stats.total_samples;
    const check = (c: TestClient, fromStart: boolean) => {
      const blocks = c.messages.filter((m: Msg) => m.type === 'acquisition_stream');
      expect(blocks.length).toBeGreaterThan(3);
      for (let i = 1; i < blocks.length; i++) expect(blocks[i].seq).toBe(blocks[i - 1].seq + 1);
      let next = fromStart ? 0 : -1;
      for (const b of blocks) {
        if (!b.data) continue;
        if (next >= 0) expect(b.data.start_index).toBe(next);
        next = b.data.start_index + b.data.count;
        expect(b.data.values.CH1).toHaveLength(b.data.count);
      }
      expect(next).toBe(total);
      return blocks;
    };
    check(early, true);
    check(binary, true);
    // At its own pace: fewer messages, merged blocks say which seq came before; still every sample once.
    const slowBlocks = slow.messages.filter((m: Msg) => m.type === 'acquisition_stream');
    let next = 0;
    for (const b of slowBlocks) {
      if (!b.data) continue;
      expect(b.data.start_index).toBe(next);
      next = b.data.start_index + b.data.count;
    }
    expect(next).toBe(total);
    const all = early.messages.filter((m: Msg) => m.type === 'acquisition_stream');
    expect(slowBlocks.length).toBeLessThan(all.length / 2);
    expect(slowBlocks.some((b: Msg) => b.prev_seq !== undefined)).toBe(true);
    expect(slow.problems).toEqual([]);
    await slow.close();
    expect(binary.binaryFrames).toBeGreaterThan(0);
    expect(binary.problems).toEqual([]);
    await binary.close();
    const lateBlocks = check(late, true);
    // The late joiner's first message is the ring: from sample 0, more than one block's worth.
    expect(lateBlocks[0].data.start_index).toBe(0);
    expect(lateBlocks[0].data.count).toBeGreaterThanOrEqual(15);
    expect(lateBlocks.at(-1).state).toBe('stopped');
    expect(early.problems).toEqual([]);
    expect(late.problems).toEqual([]);
    await early.close();
    await late.close();
  });
});
