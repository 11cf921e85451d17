// Numbered schema migrations. Append only: a released migration is never edited, a change is a new entry.
// The database's `user_version` pragma records the last one applied.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'meta',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'equipment',
    sql: `
      -- Instruments LabLink knows: reconnected at start-up, ids stable across restarts.
      CREATE TABLE equipment (
        id               TEXT PRIMARY KEY,
        resource         TEXT NOT NULL UNIQUE,
        type             TEXT NOT NULL,
        manufacturer     TEXT NOT NULL,
        model            TEXT NOT NULL,
        serial_number    TEXT,
        nickname         TEXT,
        model_hint       TEXT,
        -- A simulated instrument gets a new port each run; its row keeps nickname and settings by id.
        simulated        INTEGER NOT NULL DEFAULT 0,
        -- Cleared by an explicit disconnect, so a removed instrument is not reconnected at the next start.
        auto_connect     INTEGER NOT NULL DEFAULT 1,
        settings         TEXT NOT NULL DEFAULT '{}',
        limits           TEXT NOT NULL DEFAULT '{}',
        created_at       TEXT NOT NULL,
        last_connected_at TEXT
      );
      -- Safety history: emergency stops, refused setpoints.
      CREATE TABLE safety_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        at           TEXT NOT NULL,
        kind         TEXT NOT NULL,
        equipment_id TEXT,
        detail       TEXT NOT NULL
      );
      CREATE INDEX safety_events_equipment ON safety_events(equipment_id, at);
    `,
  },
  {
    version: 3,
    name: 'profiles',
    sql: `
      -- Equipment profiles: named settings applied to an instrument in one step (src/profiles.ts).
      CREATE TABLE profiles (
        name           TEXT PRIMARY KEY,
        description    TEXT,
        equipment_type TEXT NOT NULL,
        model          TEXT NOT NULL,
        settings       TEXT NOT NULL DEFAULT '{}',
        tags           TEXT NOT NULL DEFAULT '[]',
        created_at     TEXT NOT NULL,
        modified_at    TEXT NOT NULL
      );
      CREATE INDEX profiles_type ON profiles(equipment_type, modified_at);
    `,
  },
  {
    version: 4,
    name: 'alarm_notifications',
    sql: `
      -- Alarm notification settings (src/alarms/notify.ts): one row, the settings as JSON, secrets included.
      CREATE TABLE notification_settings (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        config     TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      -- Each notification's outcome by each method: delivered, retrying, failed, throttled.
      CREATE TABLE notification_deliveries (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        method   TEXT NOT NULL,
        kind     TEXT NOT NULL,
        alarm_id TEXT,
        event_id TEXT,
        outcome  TEXT NOT NULL,
        ok       INTEGER NOT NULL,
        attempt  INTEGER NOT NULL,
        error    TEXT
      );
      CREATE INDEX notification_deliveries_alarm ON notification_deliveries(alarm_id, id);
    `,
  },
];
