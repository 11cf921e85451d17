// The one SQLite database of a LabLink server, in its data directory. WAL mode so readers never wait for the
// writer; migrations applied at start-up inside one transaction, so a failed upgrade leaves the file as it was.

import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'lablink.db';

/** A data directory or database LabLink cannot use. The message says which and why. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  try {
    ensureDirectory(dataDir);
    accessSync(dataDir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new StorageError(
      `data directory ${dataDir} (LABLINK_DATA_DIR) is not usable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const file = path.join(dataDir, DATABASE_FILE);
  let db: Db | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError(`database ${file} cannot be opened: ${(err as Error).message}`);
  }
}

/**
 * mkdir -p, one level at a time. Node 20's `mkdirSync(..., { recursive: true })` never returns for some paths
 * it cannot create (under /proc, for one); a start-up must fail with a message instead.
 */
function ensureDirectory(dir: string): void {
  if (existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) ensureDirectory(parent);
  mkdirSync(dir);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration newer than the database's version, all or nothing. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new StorageError(
      `database schema version ${current} is newer than this LabLink knows (${latest}); upgrade LabLink or use another data directory`,
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
  return pending.map((m) => m.version);
}
