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
  private readonly insert: Database.Statement<[string, string]>;
  private readonly countStmt: Database.Statement<[], number>;

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
    this.insert = this.db.prepare('INSERT INTO outbox (topic, payload) VALUES (?, ?)');
    this.countStmt = this.db.prepare<[], number>('SELECT COUNT(*) FROM outbox').pluck();
  }

  /** Queues a message; drops the oldest ones beyond the bound. */
  push(topic: string, payload: string): void {
    this.db.transaction(() => {
      this.insert.run(topic, payload);
      const excess = this.size - this.max;
      if (excess > 0) {
        this.db
          .prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)')
          .run(excess);
        this.db.prepare("UPDATE outbox_meta SET value = value + ? WHERE key = 'dropped'").run(excess);
      }
    })();
  }

  /** The oldest `limit` messages, oldest first. */
  peek(limit: number): OutboxItem[] {
    return this.db
      .prepare('SELECT id, topic, payload FROM outbox ORDER BY id LIMIT ?')
      .all(limit) as OutboxItem[];
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
  }

  get size(): number {
    return this.countStmt.get() as number;
  }

  /** Messages dropped because the outbox was full, since the data directory was created. */
  get dropped(): number {
    return this.db.prepare("SELECT value FROM outbox_meta WHERE key = 'dropped'").pluck().get() as number;
  }

  close(): void {
    this.db.close();
  }
}
