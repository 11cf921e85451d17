// A session's samples on disk: chunk files under <dataDir>/acquisitions/<acquisition_id>/, written in appends
// that are flushed at least once a second (FLUSH_MS), so a crash or restart loses at most that much.
//   samples-NNNNNN.jsonl  one row per line: [timestamp_ms, value_per_channel…] (null = missing); CHUNK_ROWS rows
//                         per file, so a reader seeks to a sample index by file without reading the ones before.
//   blocks-NNNNNN.f32     block captures (a scope's waveform, a fed source), binary: one record each,
//                         [uint32 LE header length H][H bytes JSON {channel, timestamp, x_increment, x_origin,
//                         count}][0-3 zero bytes][count float32 LE samples]. Every record's length is a multiple
//                         of 4, so samples read back as Float32Array views without a copy. A new file is begun every
//                         BLOCK_FILE_BYTES and at each start (the number is the file's, not a block index). JSON
//                         text cost 20-50x more CPU per sample than this, too much for block sources at millions of
//                         samples a second. (Sessions recorded before kept blocks-NNNNNN.jsonl: still read.)
// A torn last line or record (a crash mid-append) is skipped when read back.

import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writevSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockRecord, ChunkOptions, SampleChunk } from './reader.js';

export const CHUNK_ROWS = 50_000;
export const FLUSH_MS = 250;
const BLOCK_FILE_BYTES = 64 * 1024 * 1024;
/** Block bytes buffered before a write, even between flushes. */
const BLOCK_WRITE_BYTES = 4 * 1024 * 1024;

const pad = (n: number) => String(n).padStart(6, '0');
const num = (v: number) => (Number.isFinite(v) ? v : null);

export class SampleStore {
  /** Rows persisted or pending. */
  count: number;
  blockCount: number;
  private pending: string[] = [];
  private pendingBlocks: Uint8Array[] = [];
  private pendingBlockBytes = 0;
  private pendingBlockRecords = 0;
  /** The block file being written, and its size so far. */
  private blockFile: number;
  private blockFileBytes = 0;

  constructor(
    readonly dir: string,
    existing = { rows: 0, blocks: 0 },
  ) {
    mkdirSync(dir, { recursive: true });
    this.count = existing.rows;
    this.blockCount = existing.blocks;
    const numbers = readdirSync(dir)
      .map((name) => /^blocks-(\d+)\.f32$/.exec(name)?.[1])
      .filter((n) => n !== undefined)
      .map(Number);
    this.blockFile = numbers.length > 0 ? Math.max(...numbers) + 1 : 0;
  }

  append(timestamp: number, row: ArrayLike<number>): void {
    const line = [timestamp];
    for (let c = 0; c < row.length; c++) line.push(row[c] as number);
    this.pending.push(JSON.stringify(line.map(num)));
    this.count += 1;
    if (this.count % CHUNK_ROWS === 0) this.flush();
  }

  /** Queues a capture for the block file. Its samples are written from the array itself: do not change it after. */
  appendBlock(block: BlockRecord): void {
    const { channel, timestamp, x_increment, x_origin, samples } = block;
    const json = Buffer.from(
      JSON.stringify({ channel, timestamp, x_increment, x_origin, count: samples.length }),
    );
    const head = Buffer.alloc(align4(4 + json.length)); // zero-filled: the padding
    head.writeUInt32LE(json.length, 0);
    json.copy(head, 4);
    this.pendingBlocks.push(head, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    this.pendingBlockBytes += head.length + samples.byteLength;
    this.pendingBlockRecords += 1;
    this.blockCount += 1;
    if (this.pendingBlockBytes >= BLOCK_WRITE_BYTES) this.flushBlocks();
  }

  /** Writes what is pending to its chunk files. */
  flush(): void {
    if (this.pending.length > 0) {
      // The pending rows end at `count`; they may straddle a file boundary.
      let index = this.count - this.pending.length;
      let k = 0;
      while (k < this.pending.length) {
        const file = Math.floor(index / CHUNK_ROWS);
        const room = (file + 1) * CHUNK_ROWS - index;
        const part = this.pending.slice(k, k + room);
        appendFileSync(join(this.dir, `samples-${pad(file)}.jsonl`), `${part.join('\n')}\n`);
        k += part.length;
        index += part.length;
      }
      this.pending = [];
    }
    this.flushBlocks();
  }

  private flushBlocks(): void {
    if (this.pendingBlocks.length === 0) return;
    if (this.blockFileBytes >= BLOCK_FILE_BYTES) {
      this.blockFile += 1;
      this.blockFileBytes = 0;
    }
    // One gathered write from the queued pieces: the samples are not copied into a buffer of their own first.
    const fd = openSync(join(this.dir, `blocks-${pad(this.blockFile)}.f32`), 'a');
    try {
      writevAll(fd, this.pendingBlocks);
    } finally {
      closeSync(fd);
    }
    this.blockFileBytes += this.pendingBlockBytes;
    this.pendingBlocks = [];
    this.pendingBlockBytes = 0;
    this.pendingBlockRecords = 0;
  }

  /** Drops what could not be written (the counts go back to what is on disk). */
  discardPending(): void {
    this.count -= this.pending.length;
    this.blockCount -= this.pendingBlockRecords;
    this.pending = [];
    this.pendingBlocks = [];
    this.pendingBlockBytes = 0;
    this.pendingBlockRecords = 0;
  }

  remove(): void {
    this.discardPending();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function readLines(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: '' or a torn line
  return lines;
}

/** Counts what a session's directory holds (after a restart). */
export async function countStored(dir: string): Promise<{ rows: number; blocks: number }> {
  if (!existsSync(dir)) return { rows: 0, blocks: 0 };
  let rows = 0;
  let blocks = 0;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('samples-')) rows += (await readLines(join(dir, name))).length;
    else if (name.startsWith('blocks-') && name.endsWith('.jsonl'))
      blocks += (await readLines(join(dir, name))).length;
    else if (name.startsWith('blocks-') && name.endsWith('.f32')) {
      for (const _ of blockRecords(await readFile(join(dir, name)))) blocks += 1;
    }
  }
  return { rows, blocks };
}

/** Rows [from, to) of the stored samples, in chunks of chunkSize, as typed arrays by channel. */
export async function* readChunks(
  dir: string,
  channels: readonly string[],
  count: number,
  options: ChunkOptions = {},
): AsyncIterable<SampleChunk> {
  const from = Math.max(0, options.fromIndex ?? 0);
  const to = Math.min(count, options.toIndex ?? count);
  const size = Math.max(1, options.chunkSize ?? 10_000);
  const wanted = channels
    .map((name, c) => ({ name, c }))
    .filter(({ name }) => options.channel === undefined || options.channel === name);
  let rows: number[][] = [];
  const emit = (): SampleChunk => {
    const timestamps = new Float64Array(rows.length);
    const values: Record<string, Float64Array> = {};
    for (const { name } of wanted) values[name] = new Float64Array(rows.length);
    rows.forEach((row, i) => {
      timestamps[i] = row[0] as number;
      for (const { name, c } of wanted) (values[name] as Float64Array)[i] = row[c + 1] ?? Number.NaN;
    });
    rows = [];
    return { timestamps, values };
  };
  for (let file = Math.floor(from / CHUNK_ROWS); file * CHUNK_ROWS < to; file++) {
    const lines = await readLines(join(dir, `samples-${pad(file)}.jsonl`));
    const base = file * CHUNK_ROWS;
    for (let i = Math.max(0, from - base); i < lines.length && base + i < to; i++) {
      let row: (number | null)[];
      try {
        row = JSON.parse(lines[i] as string);
      } catch {
        continue;
      }
      rows.push(row.map((v) => (v === null ? Number.NaN : v)));
      if (rows.length >= size) yield emit();
    }
  }
  if (rows.length > 0) yield emit();
}

export async function* readBlocks(dir: string, channel?: string): AsyncIterable<BlockRecord> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith('blocks-')) continue;
    if (name.endsWith('.f32')) {
      for (const block of blockRecords(await readFile(join(dir, name)))) {
        if (channel === undefined || block.channel === channel) yield block;
      }
      continue;
    }
    for (const line of await readLines(join(dir, name))) {
      let b: {
        channel: string;
        timestamp: number;
        x_increment: number;
        x_origin: number;
        samples: (number | null)[];
      };
      try {
        b = JSON.parse(line);
      } catch {
        continue;
      }
      if (channel !== undefined && b.channel !== channel) continue;
      yield { ...b, samples: Float32Array.from(b.samples, (v) => (v === null ? Number.NaN : v)) };
    }
  }
}

/** The records of a binary block file, in order; a torn last record ends it. Samples are views on `file`. */
function* blockRecords(file: Buffer): Generator<BlockRecord> {
  let at = 0;
  while (at + 4 <= file.length) {
    const headerLength = file.readUInt32LE(at);
    if (at + 4 + headerLength > file.length) return;
    let header: Omit<BlockRecord, 'samples'> & { count: number };
    try {
      header = JSON.parse(file.toString('utf8', at + 4, at + 4 + headerLength));
    } catch {
      return;
    }
    const start = at + align4(4 + headerLength);
    const end = start + 4 * header.count;
    if (end > file.length) return;
    const { count: _, ...fields } = header;
    // A Buffer from readFile may sit at any offset of a shared pool: copy then, view otherwise.
    const offset = file.byteOffset + start;
    const samples =
      offset % 4 === 0
        ? new Float32Array(file.buffer, offset, header.count)
        : new Float32Array(file.buffer.slice(offset, offset + 4 * header.count));
    yield { ...fields, samples };
    at = end;
  }
}

/** writev until every piece is written (a write may be partial), at most 1024 pieces per call (IOV_MAX). */
function writevAll(fd: number, pieces: Uint8Array[]): void {
  let rest = pieces;
  while (rest.length > 0) {
    const batch = rest.slice(0, 1024);
    let written = writevSync(fd, batch);
    let i = 0;
    while (i < batch.length && written >= (batch[i] as Uint8Array).length)
      written -= (batch[i++] as Uint8Array).length;
    rest = rest.slice(i);
    if (written > 0) rest[0] = (rest[0] as Uint8Array).subarray(written);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
