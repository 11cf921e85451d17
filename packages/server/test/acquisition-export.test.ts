// Exports of recorded acquisition sessions (issue 12): each of the five formats read back by its own library
// (HDF5 through h5wasm, Parquet through hyparquet — a reader apart from the writer —, the .npz by walking its ZIP
// and parsing each .npy header, CSV and JSON by parsing) with the same values and the metadata; a client path
// ignored; progress while an export runs; downloads that cannot leave the exports folder; unknown sessions and
// formats refused by field. The routes run on a Fastify app with the server's error handling and validators, fed by
// an in-memory SessionReader.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import h5wasm from 'h5wasm/node';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockRecord, SampleChunk, SessionReader } from '../src/acquisition/reader.js';
import { notFound } from '../src/errors.js';
import { installErrorHandler } from '../src/http-errors.js';
import { acquisitionExportRoutes } from '../src/routes/acquisition-export.js';
import { installValidators } from '../src/validation.js';
import { type Json, tempDir } from './helpers.js';

const CHANNELS = ['psu-1.voltage_actual.1', 'psu-1.current_actual.1', 'CH3'];
const N = 20_000;
const T0 = Date.parse('2026-11-29T10:00:00.000Z');

/** Sample i of channel c: exact in float64, some missing. */
const value = (c: number, i: number) =>
  c === 2 && i % 97 === 5 ? Number.NaN : Math.sin(i / 50 + c) * 10 ** c + i * 1e-7;
const timestamp = (i: number) => T0 + i * 20;
const BLOCKS: BlockRecord[] = [0, 1].map((k) => ({
  channel: `scope-1.waveform.${k + 1}`,
  timestamp: T0 + 1000 * k,
  x_increment: 1e-6,
  x_origin: -5e-4,
  samples: Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i / 30) * (k + 1)),
}));
const METADATA = {
  config: { equipment_id: 'psu-1', mode: 'continuous', sample_rate: 50, name: 'export test' },
  stats: { total_samples: N, actual_sample_rate: 50 },
  instruments: {
    'psu-1': { model: 'Rigol DP832', voltage_set: 5, current_limit: 1.5 },
    'scope-1': { model: 'Rigol DS1104Z', timebase: 1e-4 },
  },
  created_at: '2026-11-29T09:59:00.000Z',
  started_at: '2026-11-29T10:00:00.000Z',
  stopped_at: '2026-11-29T10:06:40.000Z',
};

function fakeReader(
  id: string,
  opts: { count?: number; delayMs?: number; blocks?: BlockRecord[] } = {},
): SessionReader {
  const count = opts.count ?? N;
  return {
    acquisition_id: id,
    channels: CHANNELS,
    count,
    async *chunks(o = {}) {
      const size = o.chunkSize ?? 10_000;
      const end = Math.min(o.toIndex ?? count, count);
      for (let start = o.fromIndex ?? 0; start < end; start += size) {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const n = Math.min(size, end - start);
        const chunk: SampleChunk = {
          timestamps: Float64Array.from({ length: n }, (_, i) => timestamp(start + i)),
          values: {},
        };
        CHANNELS.forEach((name, c) => {
          if (o.channel && o.channel !== name) return;
          chunk.values[name] = Float64Array.from({ length: n }, (_, i) => value(c, start + i));
        });
        yield chunk;
      }
    },
    async *blocks() {
      for (const b of opts.blocks ?? BLOCKS) yield b;
    },
    metadata: () => structuredClone(METADATA),
  };
}

const readers = new Map<string, SessionReader>([
  ['acq-1', fakeReader('acq-1')],
  ['acq-slow', fakeReader('acq-slow', { count: 40_000, delayMs: 120, blocks: [] })],
]);

let app: FastifyInstance;
let data: ReturnType<typeof tempDir>;

beforeAll(async () => {
  data = tempDir('lablink-export-');
  const base = Fastify();
  installErrorHandler(base);
  installValidators(base);
  const typed = base.withTypeProvider<TypeBoxTypeProvider>();
  await typed.register(acquisitionExportRoutes, {
    dataDir: data.dir,
    waitMs: 100,
    readerFor: (id: string) => {
      const r = readers.get(id);
      if (!r) throw notFound(`acquisition ${id}`);
      return r;
    },
  } as never);
  app = base;
  await app.ready();
  await h5wasm.ready;
});

afterAll(async () => {
  await app?.close();
  data?.remove();
});

async function post(body: Json) {
  const res = await app.inject({ method: 'POST', url: '/api/acquisition/export', payload: body });
  return { status: res.statusCode, body: res.json() as Json };
}

/** Exports, waits until done, downloads; answers the saved file's path and the final status. */
async function exportDone(format: string, id = 'acq-1') {
  const started = await post({ acquisition_id: id, format });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  let status = started.body;
  for (let i = 0; status.state === 'running' && i < 600; i++) {
    await new Promise((r) => setTimeout(r, 50));
    status = (await app.inject({ url: `/api/acquisition/exports/${status.export_id}` })).json();
  }
  expect(status.state, status.error).toBe('done');
  expect(status.progress).toBe(1);
  const download = await app.inject({ url: status.download_url });
  expect(download.statusCode).toBe(200);
  expect(download.headers['content-disposition']).toContain(`filename="${status.filename}"`);
  expect(Number(download.headers['content-length'])).toBe(status.bytes);
  const file = path.join(data.dir, 'downloads', status.filename);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, download.rawPayload);
  return { file, status };
}

function expectMetadata(meta: Json) {
  expect(meta.acquisition_id).toBe('acq-1');
  expect(meta.config).toEqual(METADATA.config);
  expect(meta.instruments).toEqual(METADATA.instruments);
  expect(meta.stats).toEqual(METADATA.stats);
  expect(meta.channels).toEqual(CHANNELS);
  expect(meta.started_at).toBe(METADATA.started_at);
}

function expectSamples(times: ArrayLike<number>, columns: ArrayLike<number | null>[]) {
  expect(times.length).toBe(N);
  for (let i = 0; i < N; i++) {
    if (times[i] !== timestamp(i)) expect(times[i], `timestamp ${i}`).toBe(timestamp(i));
    columns.forEach((col, c) => {
      const want = value(c, i);
      const got = col[i] ?? Number.NaN;
      if (!Object.is(got, want)) expect(got, `channel ${c} sample ${i}`).toBe(want);
    });
  }
}

function expectBlock(samples: ArrayLike<number>, k: number) {
  const want = BLOCKS[k]?.samples as Float32Array;
  expect(samples.length).toBe(want.length);
  expect(Array.from(samples)).toEqual(Array.from(want));
}

describe('export formats read back by their own libraries', () => {
  it('CSV: metadata in # lines, ISO timestamps, exact values, empty cells for missing; captures beside it', async () => {
    const { file, status } = await exportDone('csv');
    expect(status.filename).toMatch(/^psu-1_acq-1_\d{8}_\d{6}_[0-9a-f]{8}\.csv$/);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const comments = lines.filter((l) => l.startsWith('#'));
    const meta: Json = {};
    for (const line of comments.slice(1)) {
      const m = /^# ([a-z_]+): (.*)$/.exec(line) as RegExpExecArray;
      meta[m[1] as string] = JSON.parse(m[2] as string);
    }
    expectMetadata(meta);
    const rows = lines.filter((l) => !l.startsWith('#'));
    expect(rows[0]).toBe(`timestamp,${CHANNELS.join(',')}`);
    const cells = rows.slice(1).map((r) => r.split(','));
    expectSamples(
      cells.map((c) => Date.parse(c[0] as string)),
      CHANNELS.map((_, k) => cells.map((c) => (c[k + 1] === '' ? Number.NaN : Number(c[k + 1])))),
    );
    expect(status.files).toHaveLength(1);
    const blocks = await app.inject({ url: status.files[0].download_url });
    const blockRows = blocks.body
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(blockRows[0]).toBe('capture,channel,timestamp,x_origin,x_increment,index,time,value');
    for (const k of [0, 1]) {
      const mine = blockRows.slice(1).filter((r) => r.startsWith(`${k},`));
      expect(mine[0]?.split(',')[1]).toBe(BLOCKS[k]?.channel);
      expectBlock(
        mine.map((r) => Number(r.split(',')[7])),
        k,
      );
    }
  });

  it('JSON: the 1.x shape with metadata, missing samples as null, captures whole', async () => {
    const { file } = await exportDone('json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.acquisition_id).toBe('acq-1');
    expect(doc.equipment_id).toBe('psu-1');
    expect(doc.config).toEqual(METADATA.config);
    expectMetadata(doc.metadata);
    expect(Object.keys(doc.data.channels)).toEqual(CHANNELS);
    expectSamples(
      doc.data.timestamps.map((t: string) => Date.parse(t)),
      CHANNELS.map((c) => doc.data.channels[c]),
    );
    expect(doc.blocks.map((b: Json) => b.channel)).toEqual(BLOCKS.map((b) => b.channel));
    expectBlock(doc.blocks[1].samples, 1);
  });

  it('NumPy: a valid .npz (CRCs checked) whose .npy headers give dtype and shape; metadata.json', async () => {
    const { file } = await exportDone('npy');
    expect(file).toMatch(/\.npz$/);
    const members = unzip(readFileSync(file));
    expect([...members.keys()]).toEqual([
      'timestamps.npy',
      'data.npy',
      'capture_0.npy',
      'capture_1.npy',
      'metadata.json',
    ]);
    const ts = parseNpy(members.get('timestamps.npy') as Buffer);
    expect(ts.descr).toBe('<f8');
    expect(ts.shape).toEqual([N]);
    const matrix = parseNpy(members.get('data.npy') as Buffer);
    expect(matrix.shape).toEqual([N, CHANNELS.length]);
    const m = matrix.data as Float64Array;
    expectSamples(
      ts.data as Float64Array,
      CHANNELS.map((_, c) => Array.from({ length: N }, (_, i) => m[i * CHANNELS.length + c] as number)),
    );
    const cap = parseNpy(members.get('capture_1.npy') as Buffer);
    expect(cap.descr).toBe('<f4');
    expectBlock(cap.data, 1);
    const meta = JSON.parse((members.get('metadata.json') as Buffer).toString('utf8'));
    expectMetadata(meta);
    expect(meta.captures[1]).toMatchObject({
      file: 'capture_1.npy',
      channel: BLOCKS[1]?.channel,
      x_increment: 1e-6,
    });
  });

  it('HDF5 through h5wasm: datasets per channel, attributes carry config and instrument settings', async () => {
    const { file } = await exportDone('hdf5');
    const h5 = new h5wasm.File(file, 'r');
    try {
      expectMetadata(JSON.parse(h5.attrs.metadata?.value as string));
      expect(JSON.parse((h5.get('config') as Json).attrs.json.value)).toEqual(METADATA.config);
      expect(JSON.parse((h5.get('instruments/psu-1') as Json).attrs.json.value)).toEqual(
        METADATA.instruments['psu-1'],
      );
      expect(JSON.parse((h5.get('stats') as Json).attrs.json.value)).toEqual(METADATA.stats);
      const ts = h5.get('data/timestamps') as Json;
      expect(ts.attrs.unit.value).toMatch(/^ms since/);
      expectSamples(
        ts.value,
        CHANNELS.map((c) => (h5.get(`data/${c}`) as Json).value),
      );
      const cap = h5.get('captures/capture_0') as Json;
      expect(cap.attrs.channel.value).toBe(BLOCKS[0]?.channel);
      expect(cap.attrs.x_increment.value).toBe(1e-6);
      expectBlock(cap.value, 0);
    } finally {
      h5.close();
    }
  });

  it('Parquet through hyparquet: one row per sample, nulls for missing, key-value metadata; captures beside it', async () => {
    const { file, status } = await exportDone('parquet');
    const buffer = await asyncBufferFromFile(file);
    const meta = await parquetMetadataAsync(buffer);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expectMetadata(JSON.parse(kv['lablink.metadata'] as string));
    expect(JSON.parse(kv['lablink.instruments'] as string)).toEqual(METADATA.instruments);
    const rows = (await parquetReadObjects({ file: buffer })) as Json[];
    expectSamples(
      rows.map((r) => r.timestamp_ms),
      CHANNELS.map((c) => rows.map((r) => r[c])),
    );
    const blocksFile = path.join(data.dir, 'downloads', status.files[0].filename);
    writeFileSync(blocksFile, (await app.inject({ url: status.files[0].download_url })).rawPayload);
    const blockRows = (await parquetReadObjects({ file: await asyncBufferFromFile(blocksFile) })) as Json[];
    const second = blockRows.filter((r) => r.capture === 1);
    expect(second[0]?.channel).toBe(BLOCKS[1]?.channel);
    expectBlock(
      second.map((r) => r.value),
      1,
    );
  });
});

describe('export requests', () => {
  it('ignores a client path: the file is named by the server inside <dataDir>/exports', async () => {
    const evil = path.join(data.dir, 'evil.csv');
    const res = await post({ acquisition_id: 'acq-1', format: 'csv', filepath: evil, export_path: '/etc' });
    expect(res.status).toBe(200);
    expect(res.body.ignored).toEqual(['filepath', 'export_path']);
    expect(res.body.message).toContain('ignored');
    expect(res.body.download_url).toBe(`/api/acquisition/exports/files/${res.body.filename}`);
    await waitDone(res.body.export_id);
    expect(existsSync(evil)).toBe(false);
    expect(existsSync(path.join(data.dir, 'exports', res.body.filename))).toBe(true);
  });

  it('reports progress while a long export runs; its file is refused until done', async () => {
    const res = await post({ acquisition_id: 'acq-slow', format: 'parquet' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('running');
    expect(res.body.total_samples).toBe(40_000);
    const busy = await app.inject({ url: res.body.download_url });
    expect(busy.statusCode).toBe(409);
    const seen: number[] = [];
    let status: Json = res.body;
    while (status.state === 'running') {
      await new Promise((r) => setTimeout(r, 40));
      status = (await app.inject({ url: `/api/acquisition/exports/${res.body.export_id}` })).json();
      seen.push(status.progress);
    }
    expect(status.state).toBe('done');
    expect(seen.some((p) => p > 0 && p < 1)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(status.progress).toBe(1);
    expect(status.bytes).toBeGreaterThan(0);
  });

  it('a download cannot leave the exports folder', async () => {
    writeFileSync(path.join(data.dir, 'secret.csv'), 'secret');
    for (const name of [
      '..%2Fsecret.csv',
      '%2E%2E%2Fsecret.csv',
      '..%5Csecret.csv',
      '.%2F..%2Fsecret.csv',
      '%2Fetc%2Fpasswd',
      'secret.txt',
      '.hidden.csv',
    ]) {
      const res = await app.inject({ url: `/api/acquisition/exports/files/${name}` });
      expect(res.statusCode, name).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, name).toBeLessThan(500);
      expect(res.body).not.toContain('secret\n');
      expect(res.body).not.toBe('secret');
    }
    const traversal = await app.inject({ url: '/api/acquisition/exports/files/..%2Fsecret.csv' });
    expect(traversal.json()).toMatchObject({ code: 'invalid_request', field: 'filename' });
    const missing = await app.inject({ url: '/api/acquisition/exports/files/nothing_here.csv' });
    expect(missing.statusCode).toBe(404);
  });

  it('an unknown session or format is a 4xx naming the field', async () => {
    const unknown = await post({ acquisition_id: 'nope', format: 'csv' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.field).toBe('acquisition_id');
    const format = await post({ acquisition_id: 'acq-1', format: 'xlsx' });
    expect(format.status).toBe(400);
    expect(format.body.field).toBe('format');
    const missing = await post({ format: 'csv' });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('acquisition_id');
    const progress = await app.inject({ url: '/api/acquisition/exports/unknown-export' });
    expect(progress.statusCode).toBe(404);
    expect(progress.json().field).toBe('export_id');
  });
});

async function waitDone(exportId: string): Promise<Json> {
  for (let i = 0; i < 600; i++) {
    const status = (await app.inject({ url: `/api/acquisition/exports/${exportId}` })).json();
    if (status.state !== 'running') return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}

/** The members of a ZIP of stored entries, by its central directory; each member's CRC-32 checked. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let e = 0; e < entries; e++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const size = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extra = zip.readUInt16LE(p + 30);
    const comment = zip.readUInt16LE(p + 32);
    const offset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    expect(method).toBe(0);
    expect(zip.readUInt32LE(offset)).toBe(0x04034b50);
    expect(zip.readUInt32LE(offset + 14)).toBe(crc);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const body = zip.subarray(start, start + size);
    expect(crc32(body) >>> 0, name).toBe(crc);
    out.set(name, body);
    p += 46 + nameLength + extra + comment;
  }
  return out;
}

/** An .npy file: magic, version, header dict (descr, fortran_order, shape), data aligned to 64 bytes. */
function parseNpy(buf: Buffer): { descr: string; shape: number[]; data: Float64Array | Float32Array } {
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  expect(start % 64).toBe(0);
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  expect(header.endsWith('\n')).toBe(true);
  const descr = (/'descr': '([^']+)'/.exec(header) as RegExpExecArray)[1] as string;
  expect(header).toContain("'fortran_order': False");
  const shape = ((/'shape': \(([^)]*)\)/.exec(header) as RegExpExecArray)[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const bytes = buf.subarray(start);
  const copy = new Uint8Array(bytes).buffer;
  const data = descr === '<f8' ? new Float64Array(copy) : new Float32Array(copy);
  expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
  return { descr, shape, data };
}
