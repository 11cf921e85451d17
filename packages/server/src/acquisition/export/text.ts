// CSV and JSON exports: text written chunk by chunk. CSV: '#' comment lines carry the metadata as JSON (one line per
// key), then `timestamp,<channels…>` with ISO-8601 UTC timestamps, empty cells for missing samples; scope captures
// go to a companion file `<name>.blocks.csv` in long format (one row per sample of each capture). JSON: the 1.x
// shape {acquisition_id, equipment_id, config, stats, metadata, data:{timestamps[], channels:{ch:[…]}}, blocks[]}.

import { open } from 'node:fs/promises';
import { CHUNK_SIZE, type ExportJob, iso, jsonText } from './types.js';

const csvCell = (v: number) => (Number.isFinite(v) ? String(v) : '');
const csvName = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export async function writeCsv(job: ExportJob): Promise<string[]> {
  const { reader, metadata } = job;
  const channels = metadata.channels;
  const companions: string[] = [];
  const fh = await open(job.file, 'w');
  try {
    const head = ['# LabLink acquisition export'];
    for (const [key, value] of Object.entries(metadata)) {
      head.push(`# ${key}: ${jsonText(value)?.replaceAll('\n', ' ')}`);
    }
    head.push(`timestamp,${channels.map(csvName).join(',')}`);
    await fh.write(`${head.join('\n')}\n`);
    let done = 0;
    for await (const chunk of reader.chunks({ toIndex: job.count, chunkSize: CHUNK_SIZE })) {
      const lines: string[] = [];
      const columns = channels.map((c) => chunk.values[c]);
      for (let i = 0; i < chunk.timestamps.length; i++) {
        let line = iso(chunk.timestamps[i] as number);
        for (const col of columns) line += `,${col ? csvCell(col[i] as number) : ''}`;
        lines.push(line);
      }
      if (lines.length > 0) await fh.write(`${lines.join('\n')}\n`);
      done += chunk.timestamps.length;
      job.progress(done);
    }
  } finally {
    await fh.close();
  }
  // Scope captures, if any: long format beside the samples.
  let blocks: Awaited<ReturnType<typeof open>> | null = null;
  const blocksFile = job.file.replace(/\.csv$/, '.blocks.csv');
  try {
    let capture = 0;
    for await (const block of reader.blocks()) {
      if (!blocks) {
        blocks = await open(blocksFile, 'w');
        await blocks.write(
          `# LabLink scope captures of acquisition ${metadata.acquisition_id}\n# time = x_origin + index * x_increment (s)\ncapture,channel,timestamp,x_origin,x_increment,index,time,value\n`,
        );
        companions.push(blocksFile);
      }
      const lines: string[] = [];
      const start = `${capture},${csvName(block.channel)},${iso(block.timestamp)},${block.x_origin},${block.x_increment}`;
      for (let i = 0; i < block.samples.length; i++) {
        lines.push(
          `${start},${i},${block.x_origin + i * block.x_increment},${csvCell(block.samples[i] as number)}`,
        );
      }
      await blocks.write(`${lines.join('\n')}\n`);
      capture++;
    }
  } finally {
    await blocks?.close();
  }
  return companions;
}

export async function writeJson(job: ExportJob): Promise<string[]> {
  const { reader, metadata } = job;
  const channels = metadata.channels;
  const config = metadata.config as { equipment_id?: unknown } | null;
  const fh = await open(job.file, 'w');
  try {
    await fh.write(
      `{"acquisition_id":${jsonText(metadata.acquisition_id)},"equipment_id":${jsonText(config?.equipment_id ?? null)},` +
        `"config":${jsonText(metadata.config ?? null)},"stats":${jsonText(metadata.stats ?? null)},` +
        `"metadata":${jsonText(metadata)},"data":{"timestamps":[`,
    );
    // One pass per column keeps memory bounded: the timestamps, then each channel.
    let done = 0;
    const total = job.count * (channels.length + 1);
    const column = async (name: string | null) => {
      let first = true;
      for await (const chunk of reader.chunks({
        toIndex: job.count,
        chunkSize: CHUNK_SIZE,
        ...(name === null ? {} : { channel: name }),
      })) {
        const values = name === null ? Array.from(chunk.timestamps, iso) : chunk.values[name];
        if (!values || values.length === 0) continue;
        const text = jsonText(Array.from(values as ArrayLike<number | string>)) as string;
        await fh.write((first ? '' : ',') + text.slice(1, -1));
        first = false;
        done += chunk.timestamps.length;
        job.progress(Math.floor((done / Math.max(total, 1)) * job.count));
      }
    };
    await column(null);
    await fh.write('],"channels":{');
    for (const [i, name] of channels.entries()) {
      await fh.write(`${i > 0 ? ',' : ''}${jsonText(name)}:[`);
      await column(name);
      await fh.write(']');
    }
    await fh.write('}},"blocks":[');
    let i = 0;
    for await (const block of reader.blocks()) {
      await fh.write(
        (i++ > 0 ? ',' : '') +
          jsonText({
            channel: block.channel,
            timestamp: iso(block.timestamp),
            x_origin: block.x_origin,
            x_increment: block.x_increment,
            samples: Array.from(block.samples),
          }),
      );
    }
    await fh.write(']}\n');
  } finally {
    await fh.close();
  }
  return [];
}
