// A session's samples on disk: chunk files under <dataDir>/acquisitions/<acquisition_id>/, written in appends
// that are flushed at least once a second (FLUSH_MS), so a crash or restart loses at most that much.
//   samples-NNNNNN.jsonl  one row per line: [timestamp_ms, value_per_channel…] (null = missing); CHUNK_ROWS rows
//                         per file, so a reader seeks to a sample index by file without reading the ones before.
//   blocks-NNNNNN.jsonl   one block capture per line: {channel, timestamp, x_increment, x_origin, samples}.
// A torn last line (a crash mid-append) is skipped when read back.

import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockRecord, ChunkOptions, SampleChunk } from './reader.js';

export const CHUNK_ROWS = 50_000;
const BLOCKS_PER_FILE = 1000;
export const FLUSH_MS = 250;

const pad = (n: number) => String(n).padStart(6, '0');
const num = (v: number) => (Number.isFinite(v) ? v : null);

export class SampleStore {
  /** Rows persisted or pending. */
  count: number;
  blockCount: number;
  private pending: string[] = [];
  private pendingBlocks: string[] = [];

  constructor(
    readonly dir: string,
    existing = { rows: 0, blocks: 0 },
  ) {
    mkdirSync(dir, { recursive: true });
    this.count = existing.rows;
    this.blockCount = existing.blocks;
  }

  append(timestamp: number, row: ArrayLike<number>): void {
    const line = [timestamp];
    for (let c = 0; c < row.length; c++) line.push(row[c] as number);
    this.pending.push(JSON.stringify(line.map(num)));
    this.count += 1;
    if (this.count % CHUNK_ROWS === 0) this.flush();
  }

  appendBlock(block: BlockRecord): void {
    this.pendingBlocks.push(JSON.stringify({ ...block, samples: Array.from(block.samples, (v) => num(v)) }));
    this.blockCount += 1;
    if (this.blockCount % BLOCKS_PER_FILE === 0) this.flush();
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
    if (this.pendingBlocks.length > 0) {
      let index = this.blockCount - this.pendingBlocks.length;
      for (const line of this.pendingBlocks) {
        appendFileSync(
          join(this.dir, `blocks-${pad(Math.floor(index / BLOCKS_PER_FILE))}.jsonl`),
          `${line}\n`,
        );
        index += 1;
      }
      this.pendingBlocks = [];
    }
  }

  remove(): void {
    this.pending = [];
    this.pendingBlocks = [];
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
    else if (name.startsWith('blocks-')) blocks += (await readLines(join(dir, name))).length;
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
