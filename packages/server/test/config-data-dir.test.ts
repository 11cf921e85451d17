// Where LabLink keeps its data: a user-level directory by default, a setting overrides it, and an existing
// ./data (from before the default moved) stays in use so nothing a user saved is lost.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultDataDir, loadConfig } from '../src/config.js';
import { startMessage } from '../src/serve.js';
import { DATABASE_FILE } from '../src/storage/database.js';
import { tempDir } from './helpers.js';

describe('the default data directory', () => {
  it('follows each platform’s convention', () => {
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe('/home/ada/.local/share/lablink');
    expect(defaultDataDir({ XDG_DATA_HOME: '/srv/xdg' }, 'linux', '/home/ada')).toBe('/srv/xdg/lablink');
    // A relative XDG_DATA_HOME is invalid (XDG spec) and ignored.
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel' }, 'freebsd', '/home/ada')).toBe(
      '/home/ada/.local/share/lablink',
    );
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/LabLink');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\LabLink',
    );
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Roaming\\LabLink');
  });

  it('is used when nothing names a directory and the working directory has no ./data database', () => {
    const tmp = tempDir();
    try {
      // An empty ./data (no database in it) is not a legacy data directory.
      mkdirSync(path.join(tmp.dir, 'data'));
      const config = loadConfig({ env: {}, cwd: tmp.dir, platform: 'linux', home: '/home/ada' });
      expect(config.dataDir).toBe('/home/ada/.local/share/lablink');
      expect(config.dataDirSource).toBe('default');
      expect(startMessage('http://127.0.0.1:8000', config)).toContain(
        'Data:    /home/ada/.local/share/lablink\n',
      );
    } finally {
      tmp.remove();
    }
  });

  it('is overridden by --data-dir, LABLINK_DATA_DIR and data_dir, relative to the working directory', () => {
    const tmp = tempDir();
    try {
      const base = { cwd: tmp.dir, platform: 'linux' as const, home: '/home/ada' };
      expect(loadConfig({ ...base, env: { LABLINK_DATA_DIR: '/srv/lablink' } })).toMatchObject({
        dataDir: '/srv/lablink',
        dataDirSource: 'setting',
      });
      expect(
        loadConfig({ ...base, env: { LABLINK_DATA_DIR: '/srv/lablink' }, flags: { dataDir: 'mine' } })
          .dataDir,
      ).toBe(path.join(tmp.dir, 'mine'));
      const file = path.join(tmp.dir, 'lablink.json');
      writeFileSync(file, JSON.stringify({ data_dir: '/var/lib/lablink' }));
      expect(loadConfig({ ...base, env: {}, flags: { config: file } }).dataDir).toBe('/var/lib/lablink');
      expect(() => loadConfig({ ...base, env: { LABLINK_DATA_DIR: ' ' } })).toThrow(ConfigError);
    } finally {
      tmp.remove();
    }
  });

  it('gives way to an existing ./data/lablink.db in the working directory, and the start message says so', () => {
    const tmp = tempDir();
    try {
      mkdirSync(path.join(tmp.dir, 'data'));
      writeFileSync(path.join(tmp.dir, 'data', DATABASE_FILE), '');
      const base = { env: {}, cwd: tmp.dir, platform: 'linux' as const, home: '/home/ada' };
      const config = loadConfig(base);
      expect(config.dataDir).toBe(path.join(tmp.dir, 'data'));
      expect(config.dataDirSource).toBe('legacy');
      const message = startMessage('http://127.0.0.1:8000', config);
      expect(message).toContain(path.join(tmp.dir, 'data'));
      expect(message).toContain('earlier LabLink');
      // A directory named explicitly still wins.
      expect(loadConfig({ ...base, flags: { dataDir: '/srv/lablink' } }).dataDirSource).toBe('setting');
    } finally {
      tmp.remove();
    }
  });
});

describe('the log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless set', () => {
    expect(loadConfig({ env: {}, isTTY: true }).logFormat).toBe('pretty');
    expect(loadConfig({ env: {}, isTTY: false }).logFormat).toBe('json');
    expect(loadConfig({ env: {}, isTTY: true, flags: { logFormat: 'json' } }).logFormat).toBe('json');
    expect(loadConfig({ env: { LABLINK_LOG_FORMAT: 'PRETTY' }, isTTY: false }).logFormat).toBe('pretty');
    expect(() => loadConfig({ env: { LABLINK_LOG_FORMAT: 'xml' } })).toThrow('LABLINK_LOG_FORMAT');
  });
});
