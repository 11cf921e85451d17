// `lablink check`: against a real server with the simulated bench every step passes and its latency is printed;
// without instruments the instrument steps are skipped; against a port where nothing listens it fails and says so.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { closedPort, startTestServer, type TestServer } from './helpers.js';

async function run(url: string): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const ok = await check(url, (line) => lines.push(line));
  return { ok, lines };
}

const MS = '\\d+\\.\\d ms';

describe('lablink check', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('verifies REST, the WebSocket, a stream and an event, and prints their latencies', async () => {
    const { ok, lines } = await run(server.url);
    expect(lines.filter((l) => l.startsWith('FAIL') || l.startsWith('SKIP'))).toEqual([]);
    expect(ok).toBe(true);
    const expected = [
      `^Checking LabLink at ${server.url}$`,
      `^OK    REST GET /health  ${MS}  healthy, 4 instrument\\(s\\) connected$`,
      `^OK    REST GET /api  ${MS}  LabLink Server `,
      `^OK    REST GET /api/equipment/list  ${MS}  4 instrument\\(s\\)$`,
      `^OK    WebSocket /ws  ${MS}  connected, protocol 1$`,
      `^OK    stream readings of ps_\\w+ \\(DP832\\)  ${MS}  first message; seq \\d+ → \\d+ → \\d+`,
      `^OK    event lock_acquired \\(observer lock on ps_\\w+\\)  ${MS}  median of 3, from the REST request to the event; lock_released followed$`,
      `^Latencies: REST round trip ${MS}, WebSocket connect ${MS}, first stream message ${MS}, event ${MS}$`,
      `^LabLink at ${server.url} works end to end\\.$`,
    ];
    expect(lines).toHaveLength(expected.length);
    for (const [i, line] of lines.entries()) expect(line).toMatch(new RegExp(expected[i] as string));
  });

  it('leaves no lock behind', async () => {
    await run(server.url);
    const all = await (await fetch(`${server.url}/api/locks/all`)).json();
    expect(all).toMatchObject({ exclusive_locks: {}, observer_locks: {} });
  });

  it('accepts host:port without a scheme', async () => {
    const { ok } = await run(server.url.replace('http://', ''));
    expect(ok).toBe(true);
  });
});

describe('lablink check on a server without instruments', () => {
  it('passes, skipping the stream and the event', async () => {
    const server = await startTestServer();
    try {
      const { ok, lines } = await run(server.url);
      expect(ok).toBe(true);
      expect(lines.filter((l) => l.startsWith('SKIP'))).toEqual([
        'SKIP  stream: no connected instrument that can stream',
        'SKIP  event: no connected instrument to take an observer lock on',
      ]);
    } finally {
      await server.dispose();
    }
  });
});

describe('lablink check against a dead port', () => {
  it('fails with a clear message', async () => {
    const port = await closedPort();
    const { ok, lines } = await run(`http://127.0.0.1:${port}`);
    expect(ok).toBe(false);
    expect(lines).toEqual([
      `Checking LabLink at http://127.0.0.1:${port}`,
      `FAIL  REST GET /health: cannot reach LabLink at http://127.0.0.1:${port}: ECONNREFUSED`,
      '      Is LabLink running there? Start it with `lablink serve`.',
      `LabLink at http://127.0.0.1:${port}: 1 check(s) failed.`,
    ]);
  });
});
