// The client SDK's acquisition methods against a real server with the simulated bench: a session created from
// reading sources, started, paused, resumed and stopped through its typed methods, its status, stored data,
// statistics and export (with the file downloaded from downloadUrl), the sessions list and delete; a refused
// setting as a LabLinkError naming the field; sync groups; and realtime.acquisitionStream delivering only new
// samples, in seq order without gaps or repeats, as JSON and as binary frames, every message valid.

import {
  type AcquisitionStreamMessage,
  type EquipmentInfo,
  LabLinkClient,
  LabLinkError,
} from '@lablink/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, until } from './helpers.js';
import { invalidMessages, ValidatingWebSocket as WebSocket } from './realtime-client.js';

let server: TestServer;
let client: LabLinkClient;
let psu: EquipmentInfo;

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  client = new LabLinkClient({ baseUrl: server.url, WebSocket });
  client.realtime.start();
  await until(() => client.realtime.mode === 'live', 'the SDK live');
  psu = (await client.rest.listEquipment()).find((e) => e.type === 'power_supply') as EquipmentInfo;
  await client.rest.command(psu.id, 'set_voltage', { voltage: 3, channel: 1 });
  await client.rest.command(psu.id, 'set_output', { enabled: true, channel: 1 });
});

afterAll(async () => {
  client.close();
  await server.dispose();
});

async function errorOf(call: Promise<unknown>): Promise<LabLinkError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a LabLinkError, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(LabLinkError);
  return outcome.error as LabLinkError;
}

/** Follows a session and checks every block: none missed (seq, prev_seq), samples only once, in time order. */
function follow(id: string, binary: boolean) {
  const blocks: AcquisitionStreamMessage[] = [];
  const stop = client.realtime.acquisitionStream(id, (m) => blocks.push(m), { interval_ms: 50, binary });
  const samples = () => blocks.reduce((n, b) => n + (b.data?.count ?? 0), 0);
  const check = () => {
    for (let i = 1; i < blocks.length; i++) {
      // Each block follows the previous one: seq + 1, or a merge at this client's pace that says so (prev_seq).
      const b = blocks[i] as AcquisitionStreamMessage;
      expect(b.prev_seq ?? b.seq - 1).toBe((blocks[i - 1] as AcquisitionStreamMessage).seq);
    }
    const times = blocks.flatMap((b) => b.data?.timestamps ?? []).map((t) => Date.parse(t));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
  };
  return { blocks, stop, samples, check };
}

describe('acquisition through the SDK', () => {
  it('refuses a bad setting with a LabLinkError naming the field, and creates nothing', async () => {
    const before = (await client.rest.listAcquisitions()).count;
    const error = await errorOf(
      client.rest.createAcquisition({
        mode: 'continuous',
        sample_rate: 5000,
        sources: [{ equipment_id: psu.id, field: 'voltage_actual', channel: 1 }],
      }),
    );
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(error.field).toMatch(/sample_rate/);
    const unknown = await errorOf(
      client.rest.createAcquisition({
        mode: 'continuous',
        sample_rate: 10,
        sources: [{ equipment_id: psu.id, field: 'no_such_field', channel: 1 }],
      }),
    );
    expect(unknown.field).toMatch(/field|sources/);
    expect((await client.rest.listAcquisitions()).count).toBe(before);
  });

  it('records a session: lifecycle, live stream, status, data, statistics, export, delete', async () => {
    const created = await client.rest.createAcquisition({
      name: 'sdk run',
      mode: 'continuous',
      sample_rate: 50,
      sources: [
        { equipment_id: psu.id, field: 'voltage_actual', channel: 1 },
        { equipment_id: psu.id, field: 'current_actual', channel: 1 },
      ],
    });
    expect(created.success).toBe(true);
    const id = created.acquisition_id;
    const live = follow(id, true);

    await client.rest.startAcquisition(id);
    await until(() => live.samples() >= 40, 'samples on the stream', 15_000);
    const paused = await client.rest.pauseAcquisition(id);
    expect(paused.success).toBe(true);
    expect((await client.rest.acquisitionStatus(id)).state).toBe('paused');
    await client.rest.resumeAcquisition(id);
    expect((await client.rest.acquisitionStatus(id)).state).toBe('acquiring');
    await until(() => live.samples() >= 60, 'more samples after resume', 15_000);
    await client.rest.stopAcquisition(id);
    const status = await client.rest.acquisitionStatus(id);
    expect(status.state).toBe('stopped');
    expect(status.channels).toEqual([`${psu.id}.voltage_actual.1`, `${psu.id}.current_actual.1`]);
    const total = status.stats.total_samples as number;
    await until(() => live.blocks.some((b) => b.state === 'stopped'), 'the stopped block', 5000);
    live.stop();
    live.check();
    // Only new samples per block: together they are every sample recorded, once.
    expect(live.samples()).toBe(total);
    for (const block of live.blocks) {
      if (!block.data) continue;
      expect(Object.keys(block.data.values).sort()).toEqual([...status.channels].sort());
      for (const values of Object.values(block.data.values)) expect(values).toHaveLength(block.data.count);
    }

    const data = await client.rest.acquisitionData(id);
    expect(data.count).toBe(total);
    expect(data.data.timestamps).toHaveLength(total);
    const last = await client.rest.acquisitionData(id, {
      num_samples: 5,
      channel: `${psu.id}.voltage_actual.1`,
    });
    expect(last.count).toBe(5);
    expect(
      last.data.values[`${psu.id}.voltage_actual.1`]?.every((v) => v !== null && Math.abs(v - 3) < 0.1),
    ).toBe(true);

    const rolling = (await client.rest.acquisitionStats(id, 'rolling', {
      channel: `${psu.id}.voltage_actual.1`,
    })) as { stats: { mean: number; num_samples: number } };
    expect(rolling.stats.mean).toBeCloseTo(3, 1);
    expect(rolling.stats.num_samples).toBe(total);
    const fft = (await client.rest.acquisitionStats(id, 'fft', {
      channel: `${psu.id}.voltage_actual.1`,
    })) as {
      fft: { frequencies: number[] };
    };
    expect(fft.fft.frequencies.length).toBeGreaterThan(1);

    const exported = await client.rest.exportAcquisition(id, 'csv');
    let progress = await client.rest.exportProgress(exported.export_id);
    for (let i = 0; i < 100 && progress.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      progress = await client.rest.exportProgress(exported.export_id);
    }
    expect(progress.state).toBe('done');
    const file = await fetch(client.rest.downloadUrl(progress.download_url ?? exported.download_url));
    expect(file.status).toBe(200);
    const rows = (await file.text()).split('\n').filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
    expect(rows).toHaveLength(total);

    const list = await client.rest.listAcquisitions();
    expect(list.sessions.find((s) => s.acquisition_id === id)).toMatchObject({
      name: 'sdk run',
      state: 'stopped',
    });
    await client.rest.deleteAcquisition(id);
    expect((await errorOf(client.rest.acquisitionStatus(id))).status).toBe(404);
  }, 60_000);

  it('an external trigger fires through triggerAcquisition', async () => {
    const { acquisition_id: id } = await client.rest.createAcquisition({
      mode: 'triggered',
      sample_rate: 20,
      num_samples: 10,
      sources: [{ equipment_id: psu.id, field: 'voltage_actual', channel: 1 }],
      trigger_config: { trigger_type: 'external' },
    });
    await client.rest.startAcquisition(id);
    expect((await client.rest.acquisitionStatus(id)).state).toBe('waiting_trigger');
    await client.rest.triggerAcquisition(id);
    let state = '';
    for (let i = 0; i < 100 && state !== 'stopped'; i++) {
      state = (await client.rest.acquisitionStatus(id)).state;
      if (state !== 'stopped') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('stopped');
    expect((await client.rest.acquisitionData(id)).count).toBe(10);
  }, 30_000);

  it('starts a sync group’s members together', async () => {
    const make = async () =>
      (
        await client.rest.createAcquisition({
          mode: 'continuous',
          sample_rate: 20,
          sources: [{ equipment_id: psu.id, field: 'voltage_actual', channel: 1 }],
        })
      ).acquisition_id;
    const a = await make();
    const b = await make();
    const group = await client.rest.createSyncGroup({ name: 'pair' });
    await client.rest.addToSyncGroup(group.group_id, a);
    await client.rest.addToSyncGroup(group.group_id, b);
    expect((await client.rest.syncGroupAction(group.group_id, 'start')).success).toBe(true);
    const status = await client.rest.syncGroupStatus(group.group_id);
    expect(status.members.map((m) => m.state)).toEqual(['acquiring', 'acquiring']);
    expect((await client.rest.listSyncGroups()).groups.some((g) => g.group_id === group.group_id)).toBe(true);
    await client.rest.syncGroupAction(group.group_id, 'stop');
    const data = await client.rest.syncGroupData(group.group_id);
    expect(Object.keys(data.members).sort()).toEqual([a, b].sort());
    await client.rest.deleteSyncGroup(group.group_id);
  }, 30_000);

  it('an unknown session ends its stream with the reason', async () => {
    let reason = '';
    client.realtime.acquisitionStream('no_such_session', () => {}, { onStopped: (r) => (reason = r) });
    await until(() => reason !== '', 'the refusal');
    expect(reason).toMatch(/^unknown_acquisition: /);
  });

  it('received only valid messages', () => {
    expect(invalidMessages).toEqual([]);
  });
});
