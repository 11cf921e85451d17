import { chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DATABASE_FILE, openDatabase, StorageError, schemaVersion } from '../src/storage/database.js';
import { MIGRATIONS } from '../src/storage/migrations.js';
import {
  collect,
  http,
  runCli,
  spawnCli,
  startTestServer,
  type TestServer,
  tempDir,
  waitForListening,
} from './helpers.js';

describe('a running server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  it('answers /health with its status and connected device count', async () => {
    const res = await http(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'healthy', connected_devices: 0 });
  });

  it('answers /api with name, version, hostname and status', async () => {
    const { body } = await http(`${server.url}/api`);
    expect(body).toMatchObject({ name: 'LabLink Server', status: 'running' });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.hostname).toBe('string');
  });

  it('publishes an OpenAPI document that lists its routes', async () => {
    const { body: doc } = await http(`${server.url}/docs/json`);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/api']));
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
  });

  it('answers an unknown path with a 404 that says so', async () => {
    const res = await http(`${server.url}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('/api/nothing-here');
  });
});

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({ env: {}, platform: 'linux', home: '/home/ada', cwd: tmpdir() });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8000, sim: true });
    expect(config.dataDir).toBe('/home/ada/.local/share/lablink');
    expect(config.dataDirSource).toBe('default');
  });

  it('lets flags override the environment', () => {
    const config = loadConfig({ env: { LABLINK_PORT: '9000' }, flags: { port: '9001', sim: false } });
    expect(config.port).toBe(9001);
    expect(config.sim).toBe(false);
  });

  it.each([
    [{ LABLINK_PORT: 'eighty' }, 'LABLINK_PORT'],
    [{ LABLINK_PORT: '70000' }, 'LABLINK_PORT'],
    [{ LABLINK_PORT: '-1' }, 'LABLINK_PORT'],
    [{ LABLINK_HOST: 'not a host!' }, 'LABLINK_HOST'],
    [{ LABLINK_SIM: 'maybe' }, 'LABLINK_SIM'],
    [{ LABLINK_DATA_DIR: '  ' }, 'LABLINK_DATA_DIR'],
  ])('refuses %o naming the setting', (env, setting) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(setting);
  });

  it('reads a config file and names a bad key in it', () => {
    const tmp = tempDir();
    try {
      const good = path.join(tmp.dir, 'good.json');
      writeFileSync(
        good,
        JSON.stringify({ port: 8100, instruments: [{ resource: 'TCPIP0::10.0.0.5::5025::SOCKET' }] }),
      );
      const config = loadConfig({ env: { LABLINK_CONFIG: good } });
      expect(config.port).toBe(8100);
      expect(config.instruments).toEqual([{ resource: 'TCPIP0::10.0.0.5::5025::SOCKET' }]);

      const bad = path.join(tmp.dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ prot: 8100 }));
      expect(() => loadConfig({ env: { LABLINK_CONFIG: bad } })).toThrow(/prot.*unknown setting/);
    } finally {
      tmp.remove();
    }
  });
});

// A regular file where a directory should be: its children can never be created, even by root.
const FILE_NOT_DIR = path.join(tmpdir(), `lablink-not-a-dir-${process.pid}`);
writeFileSync(FILE_NOT_DIR, 'a file');

describe('the lablink CLI', { timeout: 60_000 }, () => {
  it('prints help naming the serve command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('lablink serve');
  });

  it.each([
    [['serve', '--port', 'abc'], {}, 'invalid setting --port'],
    [['serve'], { LABLINK_HOST: 'bad host' }, 'invalid setting LABLINK_HOST'],
    [['serve'], { LABLINK_DATA_DIR: '/proc/lablink-cannot-exist' }, 'LABLINK_DATA_DIR'],
    [['serve'], { LABLINK_DATA_DIR: path.join(FILE_NOT_DIR, 'data') }, 'LABLINK_DATA_DIR'],
  ])('refuses to start with %j %j and says why', async (args, env, message) => {
    const run = await runCli(args, { LABLINK_SIM: 'off', ...env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it.each([
    ['SIGTERM', 'json'],
    ['SIGINT', 'pretty'],
  ] as const)(
    'starts, says where its data is, answers and shuts down cleanly on %s (%s logs)',
    async (signal, format) => {
      const tmp = tempDir();
      try {
        const child = spawnCli(
          ['serve', '--port', '0', '--no-sim', '--data-dir', tmp.dir, '--log-format', format],
          {
            LABLINK_LOG_LEVEL: 'info',
          },
        );
        const done = collect(child);
        const url = await waitForListening(child);
        expect((await http(`${url}/health`)).body.status).toBe('healthy');
        child.kill(signal);
        const run = await done;
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(`Data:    ${tmp.dir}\n`);
        expect(run.stdout).toContain('shut down cleanly');
        if (format === 'pretty') expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d info {2}shut down cleanly$/m);
        else expect(run.stdout).toMatch(/^\{.*"msg":"shut down cleanly"\}$/m);
        await expect(fetch(`${url}/health`)).rejects.toThrow();
      } finally {
        tmp.remove();
      }
    },
  );
});

describe('storage', () => {
  it('creates the schema on an empty data directory, in WAL mode', () => {
    const tmp = tempDir();
    try {
      const db = openDatabase(tmp.dir);
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['meta', 'equipment', 'safety_events']));
      db.close();
    } finally {
      tmp.remove();
    }
  });

  it('upgrades a database left at an older migration and keeps its data', () => {
    const tmp = tempDir();
    try {
      const old = openDatabase(tmp.dir, MIGRATIONS.slice(0, 1));
      old.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('kept', 'yes');
      expect(schemaVersion(old)).toBe(1);
      old.close();

      const db = openDatabase(tmp.dir);
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
      expect(db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('kept')).toBe('yes');
      db.close();
    } finally {
      tmp.remove();
    }
  });

  it('leaves the database untouched when a migration fails', () => {
    const tmp = tempDir();
    try {
      openDatabase(tmp.dir, MIGRATIONS.slice(0, 1)).close();
      const broken = [
        ...MIGRATIONS.slice(0, 1),
        { version: 2, name: 'broken', sql: 'CREATE TABLE x (a); NOT SQL' },
      ];
      expect(() => openDatabase(tmp.dir, broken)).toThrow(StorageError);
      const db = new Database(path.join(tmp.dir, DATABASE_FILE));
      expect(schemaVersion(db)).toBe(1);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'x'").pluck().get()).toBe(0);
      db.close();
    } finally {
      tmp.remove();
    }
  });

  it('refuses a corrupt database with a clear error', () => {
    const tmp = tempDir();
    try {
      writeFileSync(path.join(tmp.dir, DATABASE_FILE), 'this is not a database, just text '.repeat(200));
      expect(() => openDatabase(tmp.dir)).toThrow(/lablink\.db cannot be opened: file is not a database/);
    } finally {
      tmp.remove();
    }
  });

  it('refuses a data directory it cannot create or write, naming LABLINK_DATA_DIR', () => {
    expect(() => openDatabase(path.join(FILE_NOT_DIR, 'data'))).toThrow(/LABLINK_DATA_DIR.*ENOTDIR/);
    expect(() => openDatabase('/proc/lablink-nope')).toThrow(/LABLINK_DATA_DIR/);
    if (process.getuid?.() === 0) return; // root ignores permission bits
    const tmp = tempDir();
    try {
      chmodSync(tmp.dir, 0o500);
      expect(() => openDatabase(path.join(tmp.dir, 'sub'))).toThrow(/LABLINK_DATA_DIR/);
    } finally {
      chmodSync(tmp.dir, 0o700);
      tmp.remove();
    }
  });

  it('a server never half-starts on a corrupt database', { timeout: 60_000 }, async () => {
    const tmp = tempDir();
    try {
      writeFileSync(path.join(tmp.dir, DATABASE_FILE), 'garbage '.repeat(500));
      const run = await runCli(['serve', '--port', '0', '--no-sim', '--data-dir', tmp.dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('file is not a database');
      expect(run.stdout).not.toContain('listening');
    } finally {
      tmp.remove();
    }
  });
});
