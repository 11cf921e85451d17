// An acquisition survives a server restart as far as it got (issue 12): a session recording when the server
// stops is, after the next start on the same data dir, `stopped` with stop_reason "server restarted", and every
// sample it had recorded is still there, served from its chunk files. Also: a scope's waveform captures are
// stored whole with their time base and read back through the SessionReader.

import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dmmSim: RunningSimulator;
let scopeSim: RunningSimulator;
const data = tempDir('lablink-acq-restart-');

beforeAll(async () => {
  [dmmSim, scopeSim] = await Promise.all([startSimulator('34461A'), startSimulator('DS1054Z')]);
});

afterAll(async () => {
  await Promise.all([dmmSim?.stop(), scopeSim?.stop()]);
  data.remove();
});

async function until<T>(f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

describe('restart', () => {
  it('a session running at a restart is stopped, "server restarted", with what it recorded', async () => {
    let server: TestServer = await startTestServer({}, data.dir);
    const api = (path: string, body?: Json) => http(`${server.url}${path}`, body ? { body } : {});
    const dmmId = (await api('/api/equipment/connect', { resource_string: dmmSim.resource })).body
      .equipment_id;
    const id = (
      await api('/api/acquisition/session/create', { equipment_id: dmmId, sample_rate: 20, name: 'long run' })
    ).body.acquisition_id as string;
    await api(`/api/acquisition/session/${id}/start`, {});
    await until(async () =>
      (await api(`/api/acquisition/session/${id}/status`)).body.stats.total_samples >= 20 ? true : undefined,
    );
    await server.dispose();

    server = await startTestServer({}, data.dir);
    try {
      const st = (await api(`/api/acquisition/session/${id}/status`)).body;
      expect(st.state).toBe('stopped');
      expect(st.stop_reason).toBe('server restarted');
      expect(st.config.name).toBe('long run');
      const n = st.stats.total_samples as number;
      expect(n).toBeGreaterThanOrEqual(20);
      const d = (await api(`/api/acquisition/session/${id}/data?num_samples=100000`)).body;
      expect(d.count).toBe(n);
      expect(d.data.values.CH1.every((v: number | null) => v !== null)).toBe(true);
      const ts = d.data.timestamps.map((x: string) => Date.parse(x));
      expect(ts.every((t: number, i: number) => i === 0 || t > ts[i - 1])).toBe(true);
      const reader = server.services.acquisitions.reader(id);
      // The settings snapshot of the instrument, taken at the start, kept too.
      const instruments = reader.metadata().instruments as Record<string, { info: Json; settings: Json }>;
      expect(instruments[dmmId]?.info.model).toBeTruthy();
      expect(instruments[dmmId]?.settings).toBeTypeOf('object');
      let rows = 0;
      for await (const chunk of reader.chunks({ chunkSize: 7 })) rows += chunk.timestamps.length;
      expect(rows).toBe(n);
      // It cannot be started again, but it can be deleted.
      expect((await api(`/api/acquisition/session/${id}/start`, {})).body.success).toBe(false);
    } finally {
      await server.dispose();
    }
  });
});

describe('block sources', () => {
  it("a scope's waveform captures are stored whole with their time base", async () => {
    const server = await startTestServer();
    try {
      const api = (path: string, body?: Json) => http(`${server.url}${path}`, body ? { body } : {});
      const scopeId = (await api('/api/equipment/connect', { resource_string: scopeSim.resource })).body
        .equipment_id;
      const res = await api('/api/acquisition/session/create', {
        sample_rate: 5,
        mode: 'single_shot',
        num_samples: 3,
        sources: [{ equipment_id: scopeId, kind: 'waveform', channel: 1 }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const id = res.body.acquisition_id;
      await api(`/api/acquisition/session/${id}/start`, {});
      const st = await until(async () => {
        const s = (await api(`/api/acquisition/session/${id}/status`)).body;
        return s.state === 'stopped' ? s : undefined;
      }, 30_000);
      expect(st.stats.total_blocks).toBe(3);
      const blocks = [];
      for await (const b of server.services.acquisitions.reader(id).blocks()) blocks.push(b);
      expect(blocks).toHaveLength(3);
      for (const b of blocks) {
        expect(b.channel).toBe(`${scopeId}.waveform.1`);
        expect(b.samples.length).toBeGreaterThan(100);
        expect(b.x_increment).toBeGreaterThan(0);
      }
    } finally {
      await server.dispose();
    }
  });
});
