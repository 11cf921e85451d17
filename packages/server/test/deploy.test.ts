// The systemd unit in deploy/ (docs/deploy.md): systemd accepts it, and the command it names — the built server,
// run directly — starts, logs JSON lines, serves everything a user reaches (web app, API, /docs) and stops cleanly
// on the SIGTERM systemd sends.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildWebIfStale } from '../../../scripts/build-if-stale.mjs';
import { collect, http, tempDir, waitForListening } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const UNIT = path.join(ROOT, 'deploy/lablink.service');
/** Where docs/deploy.md installs the checkout; the unit names paths under it. */
const INSTALL_DIR = '/opt/lablink';

const unit = readFileSync(UNIT, 'utf8');
const setting = (key: string) =>
  [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] as string);
/** The unit with the checkout's paths for /opt/lablink and this Node for /usr/bin/node. */
const localUnit = () =>
  unit.replaceAll(INSTALL_DIR, ROOT.replace(/\/$/, '')).replaceAll('/usr/bin/node', process.execPath);

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/lablink.service', { timeout: 60_000 }, () => {
  it.runIf(systemdAnalyze)('passes systemd-analyze verify without a warning', () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'lablink.service');
      writeFileSync(file, localUnit());
      const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(run.stderr + run.stdout).toBe('');
      expect(run.status).toBe(0);
    } finally {
      tmp.remove();
    }
  });

  it('keeps the data in its state directory and the serial ports reachable', () => {
    expect(setting('StateDirectory')).toEqual(['lablink']);
    expect(setting('Environment')).toContain('LABLINK_DATA_DIR=/var/lib/lablink');
    expect(setting('SupplementaryGroups')).toEqual(['dialout']);
    expect(setting('Restart')).toEqual(['on-failure']);
    // Either would hide /dev/ttyUSB0 and friends from the service.
    expect(setting('PrivateDevices')).toEqual([]);
    expect(setting('DevicePolicy')).toEqual([]);
  });

  it('runs the built server, which starts, logs JSON, serves the app, the API and /docs, and stops on SIGTERM', async () => {
    const [execStart] = setting('ExecStart');
    const [node, script, ...args] = (execStart as string).split(' ');
    expect(node).toBe('/usr/bin/node');
    expect(script).toBe(`${INSTALL_DIR}/packages/server/dist/cli.js`);
    const built = path.join(ROOT, path.relative(INSTALL_DIR, script as string));
    expect(existsSync(built)).toBe(true);
    expect(args).toEqual(['serve', '--log-format', 'json']);

    buildWebIfStale();
    const data = tempDir();
    try {
      const child = spawn(process.execPath, [built, ...args], {
        cwd: ROOT,
        env: { ...process.env, LABLINK_DATA_DIR: data.dir, LABLINK_PORT: '0', LABLINK_MDNS: 'off' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const done = collect(child);
      const url = await waitForListening(child);
      expect((await http(`${url}/health`)).body).toEqual({ status: 'healthy', connected_devices: 4 });
      const version = JSON.parse(
        readFileSync(path.join(ROOT, 'packages/server/package.json'), 'utf8'),
      ).version;
      expect((await http(`${url}/api`)).body.version).toBe(version);
      const page = await fetch(`${url}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="root">');
      expect((await http(`${url}/docs/json`)).body.info.title).toBe('LabLink');
      const docs = await fetch(`${url}/docs/static/index.html`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');

      child.kill('SIGTERM');
      const run = await done;
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Data:    ${data.dir}\n`);
      expect(run.stdout).toMatch(/^\{.*"msg":"shut down cleanly"\}$/m);
      expect(run.stderr).toBe('');
    } finally {
      data.remove();
    }
  });
});
