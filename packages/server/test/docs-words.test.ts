// The user's documentation speaks of LabLink alone: README, docs/ and the API description served at /docs never
// send the reader to a document outside this repository ("reference §…") nor describe LabLink by what some
// "original" did. One page, docs/compatibility.md, says which LabLink 1.x clients and paths work.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestServer, type TestServer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const OUTSIDE =
  /reference §|reference\s+section|original-lablink|the original\b|original LabLink|original's/i;

function hits(name: string, text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => OUTSIDE.test(line))
    .map(({ line, i }) => `${name}:${i + 1}: ${line.trim().slice(0, 160)}`);
}

describe('user documentation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('README, docs/ and package READMEs cite nothing outside the repository', () => {
    const files = [
      'README.md',
      ...readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md') && f !== 'compatibility.md')
        .map((f) => `docs/${f}`),
      ...readdirSync(path.join(ROOT, 'packages')).map((p) => `packages/${p}/README.md`),
    ];
    const found = files.flatMap((file) => {
      try {
        return hits(file, readFileSync(path.join(ROOT, file), 'utf8'));
      } catch {
        return [];
      }
    });
    expect(found).toEqual([]);
  });

  it('the API description at /docs does too', async () => {
    const spec = await http(`${server.url}/docs/json`);
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths).length).toBeGreaterThan(50);
    expect(hits('/docs/json', JSON.stringify(spec.body, null, 1))).toEqual([]);
  });
});
