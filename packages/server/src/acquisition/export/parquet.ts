// Parquet export through hyparquet-writer. One row per sample: `timestamp_ms` (DOUBLE, ms since the Unix epoch),
// then one nullable DOUBLE column per channel (null where a channel has no sample). The metadata travels in the
// file's key-value metadata: `lablink.metadata` (the whole object, JSON) plus `lablink.config`,
// `lablink.instruments`, `lablink.stats` and `lablink.acquisition_id`. Each chunk read from storage becomes a row
// group appended to the file. Scope captures go to a companion `<name>.blocks.parquet` in long format (capture,
// channel, timestamp_ms, x_origin, x_increment, index, time, value), one row group per capture.

import { open } from 'node:fs/promises';
import type { KeyValue, SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { CHUNK_SIZE, type ExportJob, jsonText } from './types.js';

type Handle = Awaited<ReturnType<typeof open>>;

/** Moves what the writer holds to the file (ByteWriter keeps the total in `offset`, so positions stay right). */
async function drain(writer: ByteWriter, fh: Handle): Promise<void> {
  if (writer.index === 0) return;
  await fh.write(new Uint8Array(writer.buffer, 0, writer.index).slice());
  writer.index = 0;
}

export async function writeParquet(job: ExportJob): Promise<string[]> {
  const { reader, metadata } = job;
  const kv: KeyValue[] = [
    { key: 'lablink.acquisition_id', value: metadata.acquisition_id },
    { key: 'lablink.metadata', value: jsonText(metadata) as string },
    { key: 'lablink.config', value: jsonText(metadata.config ?? null) as string },
    { key: 'lablink.instruments', value: jsonText(metadata.instruments ?? {}) as string },
    { key: 'lablink.stats', value: jsonText(metadata.stats ?? null) as string },
  ];
  const schema: SchemaElement[] = [
    { name: 'root', num_children: metadata.channels.length + 1 },
    { name: 'timestamp_ms', type: 'DOUBLE', repetition_type: 'REQUIRED' },
    ...metadata.channels.map(
      (name): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }),
    ),
  ];
  const fh = await open(job.file, 'w');
  try {
    const bytes = new ByteWriter();
    const writer = new ParquetWriter({ writer: bytes, schema, kvMetadata: kv, createdBy: 'LabLink' });
    let done = 0;
    for await (const chunk of reader.chunks({ toIndex: job.count, chunkSize: CHUNK_SIZE })) {
      const n = chunk.timestamps.length;
      if (n === 0) continue;
      await writer.write({
        columnData: [
          { name: 'timestamp_ms', data: chunk.timestamps },
          ...metadata.channels.map((name) => {
            const col = chunk.values[name];
            return { name, data: Array.from({ length: n }, (_, i) => nullIfNaN(col?.[i])) };
          }),
        ],
        rowGroupSize: n,
      });
      await drain(bytes, fh);
      done += n;
      job.progress(done);
    }
    writer.finish();
    await drain(bytes, fh);
  } finally {
    await fh.close();
  }
  return writeBlocks(job, kv);
}

const nullIfNaN = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);

async function writeBlocks(job: ExportJob, kv: KeyValue[]): Promise<string[]> {
  const file = job.file.replace(/\.parquet$/, '.blocks.parquet');
  let fh: Handle | null = null;
  let bytes: ByteWriter | null = null;
  let writer: ParquetWriter | null = null;
  try {
    let capture = 0;
    for await (const block of job.reader.blocks()) {
      if (!fh || !bytes || !writer) {
        fh = await open(file, 'w');
        bytes = new ByteWriter();
        writer = new ParquetWriter({
          writer: bytes,
          schema: BLOCK_SCHEMA,
          kvMetadata: kv,
          createdBy: 'LabLink',
        });
      }
      const m = block.samples.length;
      if (m === 0) {
        capture++;
        continue;
      }
      const fill = <T>(v: T) => Array.from({ length: m }, () => v);
      await writer.write({
        columnData: [
          { name: 'capture', data: new Int32Array(m).fill(capture) },
          { name: 'channel', data: fill(block.channel) },
          { name: 'timestamp_ms', data: new Float64Array(m).fill(block.timestamp) },
          { name: 'x_origin', data: new Float64Array(m).fill(block.x_origin) },
          { name: 'x_increment', data: new Float64Array(m).fill(block.x_increment) },
          { name: 'index', data: Int32Array.from({ length: m }, (_, i) => i) },
          {
            name: 'time',
            data: Float64Array.from({ length: m }, (_, i) => block.x_origin + i * block.x_increment),
          },
          { name: 'value', data: block.samples },
        ],
        rowGroupSize: m,
      });
      await drain(bytes, fh);
      capture++;
    }
    if (writer && bytes && fh) {
      writer.finish();
      await drain(bytes, fh);
    }
  } finally {
    await fh?.close();
  }
  return fh ? [file] : [];
}

const BLOCK_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 8 },
  { name: 'capture', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'channel', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'timestamp_ms', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'x_origin', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'x_increment', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'index', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'time', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'FLOAT', repetition_type: 'REQUIRED' },
];
