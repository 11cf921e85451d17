// The built server and when it counts as stale: bin/lablink.js runs dist/ only when it is at least as new as every
// source it is made from, and `npm start` and the test run rebuild it otherwise, so nothing ever runs code older
// than the sources beside it.

import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isStale, newestMtime, sourcePaths } from '../build.mjs';
import { tempDir } from './helpers.js';

const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));

/** Writes a file with the given modification time (seconds since the epoch). */
function fileAt(file: string, seconds: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
  utimesSync(file, seconds, seconds);
  return file;
}

describe('the built server', () => {
  it('is stale when missing, or older than any file under a source directory or a source file', () => {
    const tmp = tempDir();
    try {
      const src = path.join(tmp.dir, 'src');
      const pkg = fileAt(path.join(tmp.dir, 'package.json'), 1000);
      fileAt(path.join(src, 'a.ts'), 1000);
      fileAt(path.join(src, 'deep', 'b.ts'), 1000);
      const bundle = path.join(tmp.dir, 'dist', 'cli.js');
      expect(isStale(bundle, [src, pkg])).toBe(true);

      fileAt(bundle, 2000);
      expect(isStale(bundle, [src, pkg])).toBe(false);
      fileAt(path.join(src, 'deep', 'b.ts'), 3000);
      expect(isStale(bundle, [src, pkg])).toBe(true);

      fileAt(bundle, 4000);
      fileAt(path.join(src, 'deep', 'new.ts'), 5000);
      expect(isStale(bundle, [src, pkg])).toBe(true);

      fileAt(bundle, 6000);
      utimesSync(pkg, 7000, 7000);
      expect(isStale(bundle, [src, pkg])).toBe(true);
      expect(newestMtime([src, pkg, path.join(tmp.dir, 'absent')])).toBe(7_000_000);
    } finally {
      tmp.remove();
    }
  });

  it('is built from every workspace package the server inlines', () => {
    const names = sourcePaths().map((p) => path.relative(PACKAGES, p));
    expect(names).toEqual(
      expect.arrayContaining([
        'server/src',
        'instruments/src',
        'protocol/src',
        'client/src',
        'server/build.mjs',
      ]),
    );
  });

  it('is fresh in this test run (built once before the suites), so the CLI tests run it', () => {
    expect(isStale()).toBe(false);
  });
});
