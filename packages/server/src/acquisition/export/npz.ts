// NumPy export: a .npz archive (what numpy.load opens), written by hand: a ZIP of stored (uncompressed) members,
// each member's CRC-32 and size patched into its local header once its data is written, so samples stream from
// storage chunk by chunk. Members:
//   timestamps.npy  float64 (n,)            ms since the Unix epoch, server time
//   data.npy        float64 (n, channels)   one row per sample, columns in the order of metadata.json's channels;
//                                           NaN where a channel has no sample
//   capture_<i>.npy float32 (m,)            scope waveform capture i (its channel and time base in metadata.json)
//   metadata.json   the session's config, stats, instrument settings snapshot, channels, captures
// NPY format 1.0 headers (2.0 when a header outgrows 65535 bytes). Without ZIP64 an archive is limited to 4 GiB.

import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { DomainError } from '../../errors.js';
import { CHUNK_SIZE, type ExportJob, jsonText } from './types.js';

const ZIP_LIMIT = 0xffff_ffff;

/** An NPY header (magic, version, header length, the dict padded so the data starts on a 64-byte boundary). */
export function npyHeader(descr: string, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const v1 = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 <= 65535;
  const prefix = v1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = `${dict.padEnd(total - prefix - 1, ' ')}\n`;
  const head = Buffer.alloc(prefix);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = v1 ? 1 : 2;
  head[7] = 0;
  if (v1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

interface Member {
  name: Buffer;
  offset: number;
  crc: number;
  size: number;
}

/** A ZIP written member by member with stored data. */
class ZipWriter {
  private position = 0;
  private readonly members: Member[] = [];
  private current: Member | null = null;

  private constructor(private readonly fh: Awaited<ReturnType<typeof open>>) {}

  static async create(file: string): Promise<ZipWriter> {
    return new ZipWriter(await open(file, 'w'));
  }

  private async raw(data: Uint8Array): Promise<void> {
    await this.fh.write(data, 0, data.byteLength, this.position);
    this.position += data.byteLength;
    if (this.position > ZIP_LIMIT) {
      throw new DomainError(
        'invalid_request',
        'a NumPy export is limited to 4 GiB: export HDF5 or Parquet',
        'format',
      );
    }
  }

  async begin(name: string): Promise<void> {
    const member: Member = { name: Buffer.from(name, 'utf8'), offset: this.position, crc: 0, size: 0 };
    await this.raw(this.localHeader(member));
    this.current = member;
  }

  async write(data: Uint8Array): Promise<void> {
    const m = this.current as Member;
    m.crc = crc32(data, m.crc);
    m.size += data.byteLength;
    await this.raw(data);
  }

  async end(): Promise<void> {
    const m = this.current as Member;
    const header = this.localHeader(m);
    await this.fh.write(header, 0, header.byteLength, m.offset);
    this.members.push(m);
    this.current = null;
  }

  private localHeader(m: Member): Buffer {
    const b = Buffer.alloc(30);
    b.writeUInt32LE(0x04034b50, 0);
    b.writeUInt16LE(20, 4); // version needed
    b.writeUInt16LE(0x0800, 6); // names in UTF-8
    b.writeUInt16LE(0, 8); // stored
    b.writeUInt16LE(0, 10); // time
    b.writeUInt16LE(0x21, 12); // date 1980-01-01
    b.writeUInt32LE(m.crc >>> 0, 14);
    b.writeUInt32LE(m.size, 18);
    b.writeUInt32LE(m.size, 22);
    b.writeUInt16LE(m.name.byteLength, 26);
    b.writeUInt16LE(0, 28);
    return Buffer.concat([b, m.name]);
  }

  async close(): Promise<void> {
    const start = this.position;
    for (const m of this.members) {
      const b = Buffer.alloc(46);
      b.writeUInt32LE(0x02014b50, 0);
      b.writeUInt16LE(20, 4);
      b.writeUInt16LE(20, 6);
      b.writeUInt16LE(0x0800, 8);
      b.writeUInt16LE(0, 10);
      b.writeUInt16LE(0, 12);
      b.writeUInt16LE(0x21, 14);
      b.writeUInt32LE(m.crc >>> 0, 16);
      b.writeUInt32LE(m.size, 20);
      b.writeUInt32LE(m.size, 24);
      b.writeUInt16LE(m.name.byteLength, 28);
      b.writeUInt32LE(m.offset, 42);
      await this.raw(Buffer.concat([b, m.name]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.members.length, 8);
    end.writeUInt16LE(this.members.length, 10);
    end.writeUInt32LE(this.position - start, 12);
    end.writeUInt32LE(start, 16);
    await this.raw(end);
    await this.fh.close();
  }

  async abort(): Promise<void> {
    await this.fh.close();
  }
}

const bytes = (a: Float64Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export async function writeNpz(job: ExportJob): Promise<string[]> {
  const { reader, metadata } = job;
  const channels = metadata.channels;
  const zip = await ZipWriter.create(job.file);
  try {
    await zip.begin('timestamps.npy');
    await zip.write(npyHeader('<f8', [job.count]));
    let written = 0;
    for await (const chunk of reader.chunks({ toIndex: job.count, chunkSize: CHUNK_SIZE })) {
      await zip.write(bytes(chunk.timestamps));
      written += chunk.timestamps.length;
    }
    if (written !== job.count) throw new Error(`storage gave ${written} timestamps, ${job.count} expected`);
    await zip.end();

    await zip.begin('data.npy');
    await zip.write(npyHeader('<f8', [job.count, channels.length]));
    let done = 0;
    for await (const chunk of reader.chunks({ toIndex: job.count, chunkSize: CHUNK_SIZE })) {
      const n = chunk.timestamps.length;
      const rows = new Float64Array(n * channels.length).fill(Number.NaN);
      channels.forEach((name, c) => {
        const col = chunk.values[name];
        if (col) for (let i = 0; i < n; i++) rows[i * channels.length + c] = col[i] as number;
      });
      await zip.write(bytes(rows));
      done += n;
      job.progress(done);
    }
    await zip.end();

    const captures: unknown[] = [];
    for await (const block of reader.blocks()) {
      const file = `capture_${captures.length}.npy`;
      await zip.begin(file);
      await zip.write(npyHeader('<f4', [block.samples.length]));
      await zip.write(bytes(block.samples));
      await zip.end();
      captures.push({
        file,
        channel: block.channel,
        timestamp: new Date(block.timestamp).toISOString(),
        x_origin: block.x_origin,
        x_increment: block.x_increment,
        samples: block.samples.length,
      });
    }
    await zip.begin('metadata.json');
    await zip.write(Buffer.from(jsonText({ ...metadata, captures }, 2) as string, 'utf8'));
    await zip.end();
    await zip.close();
  } catch (err) {
    await zip.abort();
    throw err;
  }
  return [];
}
