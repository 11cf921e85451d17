// HDF5 export through h5wasm (the HDF5 C library compiled to WebAssembly; in Node it writes the real file). Layout:
//   /                    attributes: acquisition_id, producer, format, exported_at, channels (JSON), metadata (JSON:
//                        the whole metadata object, as in the other formats)
//   /config              attribute json: the session's config
//   /stats               attribute json: the session's final statistics
//   /instruments/<id>    attribute json: the settings snapshot of each instrument
//   /data/timestamps     float64 (n,), ms since the Unix epoch (attribute unit)
//   /data/<channel>      float64 (n,) per channel, NaN where missing ('/' in a name becomes '_'; attribute channel
//                        keeps the name)
//   /captures/capture_<i> float32 (m,) per scope capture; attributes channel, timestamp, x_origin, x_increment
// Datasets are chunked and extendible: each chunk read from storage is appended, so memory stays bounded.

import h5wasm from 'h5wasm/node';
import { CHUNK_SIZE, type ExportJob, jsonText } from './types.js';

const h5name = (s: string) => s.replaceAll('/', '_').replace(/^\.+$/, '_') || '_';

export async function writeHdf5(job: ExportJob): Promise<string[]> {
  await h5wasm.ready;
  const { reader, metadata } = job;
  const file = new h5wasm.File(job.file, 'w');
  try {
    file.create_attribute('acquisition_id', metadata.acquisition_id);
    file.create_attribute('producer', 'LabLink');
    file.create_attribute('format', 'hdf5');
    file.create_attribute('exported_at', metadata.exported_at);
    file.create_attribute('channels', jsonText(metadata.channels) as string);
    file.create_attribute('metadata', jsonText(metadata) as string);
    file.create_group('config').create_attribute('json', jsonText(metadata.config ?? null) as string);
    file.create_group('stats').create_attribute('json', jsonText(metadata.stats ?? null) as string);
    const instruments = file.create_group('instruments');
    for (const [id, settings] of Object.entries(metadata.instruments ?? {})) {
      instruments.create_group(h5name(id)).create_attribute('json', jsonText(settings ?? null) as string);
    }
    const data = file.create_group('data');
    const extendible = (name: string) =>
      data.create_dataset({
        name,
        data: new Float64Array(0),
        shape: [0],
        maxshape: [null],
        chunks: [CHUNK_SIZE],
        dtype: '<d',
      });
    const timestamps = extendible('timestamps');
    timestamps.create_attribute('unit', 'ms since 1970-01-01T00:00:00Z');
    const columns = metadata.channels.map((channel) => {
      const ds = extendible(h5name(channel));
      ds.create_attribute('channel', channel);
      return { channel, ds };
    });
    let done = 0;
    for await (const chunk of reader.chunks({ toIndex: job.count, chunkSize: CHUNK_SIZE })) {
      const n = chunk.timestamps.length;
      if (n === 0) continue;
      timestamps.resize([done + n]);
      timestamps.write_slice([[done, done + n]], chunk.timestamps);
      for (const { channel, ds } of columns) {
        const values = chunk.values[channel] ?? new Float64Array(n).fill(Number.NaN);
        ds.resize([done + n]);
        ds.write_slice([[done, done + n]], values);
      }
      done += n;
      job.progress(done);
    }
    const captures = file.create_group('captures');
    let i = 0;
    for await (const block of reader.blocks()) {
      const ds = captures.create_dataset({
        name: `capture_${i++}`,
        data: block.samples,
        shape: [block.samples.length],
        dtype: '<f',
      });
      ds.create_attribute('channel', block.channel);
      ds.create_attribute('timestamp', new Date(block.timestamp).toISOString());
      ds.create_attribute('x_origin', block.x_origin);
      ds.create_attribute('x_increment', block.x_increment);
    }
  } finally {
    file.close();
  }
  return [];
}
