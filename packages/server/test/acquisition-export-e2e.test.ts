// Acquisition export end to end (issue 12): a real server records a short session from simulated instruments over
// real sockets (a supply's polled readings and a scope's waveform captures), then each of the five formats is
// exported over HTTP, downloaded and read back by its own library with the values the session's data route gives
// and the instruments' settings in its metadata.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import h5wasm from 'h5wasm/node';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let psu: RunningSimulator;
let scope: RunningSimulator;
let acquisitionId: string;
let psuId: string;
let scopeId: string;
/** What the session's data route answers: the reference every export is compared with. */
let reference: { timestamps: number[]; values: Record<string, (number | null)[]>; channels: string[] };

const api = (p: string, init?: Parameters<typeof http>[1]) => http(`${server.url}${p}`, init);

async function connect(sim: RunningSimulator): Promise<string> {
  const res = await api('/api/equipment/connect', { body: { resource_string: sim.resource } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.equipment_id;
}

beforeAll(async () => {
  server = await startTestServer();
  [psu, scope] = await Promise.all([startSimulator('DP832'), startSimulator('DS1104Z')]);
  psuId = await connect(psu);
  scopeId = await connect(scope);
  const created = await api('/api/acquisition/session/create', {
    body: {
      name: 'export e2e',
      mode: 'single_shot',
      sample_rate: 50,
      num_samples: 60,
      sources: [
        { equipment_id: psuId, field: 'voltage_actual', channel: 1 },
        { equipment_id: psuId, field: 'current_actual', channel: 1 },
        { equipment_id: scopeId, kind: 'waveform', channel: 1 },
      ],
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  acquisitionId = created.body.acquisition_id;
  expect((await api(`/api/acquisition/session/${acquisitionId}/start`, { method: 'POST' })).status).toBe(200);
  for (let i = 0; ; i++) {
    const s = (await api(`/api/acquisition/session/${acquisitionId}/status`)).body;
    if (s.state === 'stopped') break;
    if (i > 600) throw new Error(`session still ${s.state}`);
    await sleep(50);
  }
  const data = (await api(`/api/acquisition/session/${acquisitionId}/data?num_samples=100000`)).body;
  reference = {
    timestamps: data.data.timestamps.map((t: string) => Date.parse(t)),
    values: data.data.values,
    channels: data.channels,
  };
  expect(reference.timestamps.length).toBe(60);
  await h5wasm.ready;
}, 60_000);

afterAll(async () => {
  await server?.dispose();
  await Promise.all([psu?.stop(), scope?.stop()]);
}, 60_000);

async function exportAndDownload(format: string): Promise<{ file: string; status: Json }> {
  const res = await api('/api/acquisition/export', {
    body: { acquisition_id: acquisitionId, format, filepath: '/tmp/not-here' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.ignored).toEqual(['filepath']);
  let status = res.body;
  for (let i = 0; status.state === 'running' && i < 400; i++) {
    await sleep(50);
    status = (await api(`/api/acquisition/exports/${status.export_id}`)).body;
  }
  expect(status.state, status.error).toBe('done');
  const download = await fetch(`${server.url}${status.download_url}`);
  expect(download.status).toBe(200);
  expect(download.headers.get('content-disposition')).toContain(status.filename);
  const file = path.join(server.dataDir, 'downloads', status.filename);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(await download.arrayBuffer()));
  return { file, status };
}

function expectMetadata(meta: Json) {
  expect(meta.acquisition_id).toBe(acquisitionId);
  expect(meta.channels).toEqual(reference.channels);
  expect(meta.config.sample_rate).toBe(50);
  expect(Object.keys(meta.instruments)).toEqual(expect.arrayContaining([psuId]));
}

function expectSamples(times: ArrayLike<number>, columns: ArrayLike<number | null>[]) {
  expect(Array.from(times)).toEqual(reference.timestamps);
  reference.channels.forEach((c, k) => {
    const want = (reference.values[c] ?? []).map((v) => (v === null ? Number.NaN : v));
    const got = Array.from(columns[k] ?? [], (v) => (v === null ? Number.NaN : v));
    expect(got, c).toEqual(want);
  });
}

describe('export of a recorded session, read back', () => {
  it('CSV', async () => {
    const { file } = await exportAndDownload('csv');
    const text = (await import('node:fs')).readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    const meta = JSON.parse((lines.find((l) => l.startsWith('# instruments: ')) as string).slice(15));
    expect(Object.keys(meta)).toContain(psuId);
    const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(','));
    expect(rows[0]).toEqual(['timestamp', ...reference.channels]);
    expectSamples(
      rows.slice(1).map((r) => Date.parse(r[0] as string)),
      reference.channels.map((_, k) => rows.slice(1).map((r) => (r[k + 1] === '' ? null : Number(r[k + 1])))),
    );
  });

  it('JSON', async () => {
    const { file } = await exportAndDownload('json');
    const doc = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
    expectMetadata(doc.metadata);
    expectSamples(
      doc.data.timestamps.map((t: string) => Date.parse(t)),
      reference.channels.map((c) => doc.data.channels[c]),
    );
    expect(doc.blocks.length).toBeGreaterThan(0);
    expect(doc.blocks[0].samples.length).toBeGreaterThan(0);
  });

  it('HDF5 through h5wasm', async () => {
    const { file } = await exportAndDownload('hdf5');
    const h5 = new h5wasm.File(file, 'r');
    try {
      expectMetadata(JSON.parse(h5.attrs.metadata?.value as string));
      expectSamples(
        (h5.get('data/timestamps') as Json).value,
        reference.channels.map((c) => (h5.get(`data/${c.replaceAll('/', '_')}`) as Json).value),
      );
      const captures = h5.get('captures') as Json;
      expect(captures.keys().length).toBeGreaterThan(0);
    } finally {
      h5.close();
    }
  });

  it('Parquet through hyparquet', async () => {
    const { file } = await exportAndDownload('parquet');
    const buffer = await asyncBufferFromFile(file);
    const meta = await parquetMetadataAsync(buffer);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expectMetadata(JSON.parse(kv['lablink.metadata'] as string));
    const rows = (await parquetReadObjects({ file: buffer })) as Json[];
    expectSamples(
      rows.map((r) => r.timestamp_ms),
      reference.channels.map((c) => rows.map((r) => r[c])),
    );
  });

  it('NumPy .npz: headers give the shape; metadata.json', async () => {
    const { file } = await exportAndDownload('npy');
    const zip = (await import('node:fs')).readFileSync(file);
    const member = (name: string) => {
      const at = zip.indexOf(Buffer.from(name));
      const start = at + name.length;
      return zip.subarray(start);
    };
    const data = member('data.npy');
    expect(data.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const header = data.toString('latin1', 10, 10 + data.readUInt16LE(8));
    expect(header).toContain(`'shape': (60, ${reference.channels.length})`);
    const matrix = new Float64Array(
      new Uint8Array(
        data.subarray(
          10 + data.readUInt16LE(8),
          10 + data.readUInt16LE(8) + 60 * reference.channels.length * 8,
        ),
      ).buffer,
    );
    const n = reference.channels.length;
    expectSamples(
      reference.timestamps,
      reference.channels.map((_, c) => Array.from({ length: 60 }, (_, i) => matrix[i * n + c] as number)),
    );
    const metaAt = zip.lastIndexOf(
      Buffer.from('metadata.json'),
      zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])),
    );
    const metaText = zip.toString(
      'utf8',
      metaAt + 'metadata.json'.length,
      zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), metaAt),
    );
    expectMetadata(JSON.parse(metaText));
  });
});
