// Events waiting for the broker. Every event the bridge publishes at QoS 1 is written here first and deleted once
// the broker has acknowledged it, so events raised while the broker is away (or while this server restarts) are
// sent when it comes back, in order. The outbox is bounded: past `max` messages the oldest are dropped and counted,
// and the count survives restarts. Its own SQLite file in the data directory (not the main database: it churns).

import path from 'node:path';
import Database from 'better-sqlite3';

export const OUTBOX_FILE = 'mqtt-outbox.db';

export interface OutboxItem {
  id: number;
  topic: string;
  payload: string;
}

export class Outbox {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;
  /** Messages queued: counted once at open, then kept here (a COUNT(*) per event grows with the queue). */
  private count: number;

  constructor(
    dataDir: string,
    private readonly max: number,
  ) {
    this.db = new Database(path.join(dataDir, OUTBOX_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO outbox_meta (key, value) VALUES ('dropped', 0);
    `);
    this.statements = prepare(this.db);
    this.count = this.db.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
  }

  /** Queues a message; drops the oldest ones beyond the bound. */
  push(topic: string, payload: string): void {
    this.db.transaction(() => {
      this.statements.insert.run(topic, payload);
      this.count += 1;
      const excess = this.count - this.max;
      if (excess > 0) {
        this.statements.dropOldest.run(excess);
        this.statements.countDropped.run(excess);
        this.count -= excess;
      }
    })();
  }

  /** The oldest `limit` messages, oldest first. */
  peek(limit: number): OutboxItem[] {
    return this.statements.oldest.all(limit) as OutboxItem[];
  }

  remove(id: number): void {
    this.count -= this.statements.remove.run(id).changes;
  }

  get size(): number {
    return this.count;
  }

  /** Messages dropped because the outbox was full, since the data directory was created. */
  get dropped(): number {
    return this.statements.dropped.get() as number;
  }

  close(): void {
    this.db.close();
  }
}

/** The outbox's statements, prepared once. */
function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[string, string]>('INSERT INTO outbox (topic, payload) VALUES (?, ?)'),
    oldest: db.prepare<[number]>('SELECT id, topic, payload FROM outbox ORDER BY id LIMIT ?'),
    remove: db.prepare<[number]>('DELETE FROM outbox WHERE id = ?'),
    dropOldest: db.prepare<[number]>(
      'DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)',
    ),
    countDropped: db.prepare<[number]>("UPDATE outbox_meta SET value = value + ? WHERE key = 'dropped'"),
    dropped: db.prepare("SELECT value FROM outbox_meta WHERE key = 'dropped'").pluck(),
  };
}
