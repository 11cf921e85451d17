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
  {
    version: 5,
    name: 'alarms',
    sql: `
      -- Alarm definitions (src/alarms/store.ts): the definition as JSON, with the fields lists filter on.
      CREATE TABLE alarms (
        alarm_id     TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        equipment_id TEXT,
        alarm_type   TEXT NOT NULL,
        severity     TEXT NOT NULL,
        enabled      INTEGER NOT NULL,
        -- What a built-in definition stands for ('communication:<equipment_id>', 'safety' …); null for users'.
        builtin      TEXT UNIQUE,
        config       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      -- Occurrences of alarms, from raised to cleared, kept as history (ISA-18.2 states).
      CREATE TABLE alarm_events (
        event_id            TEXT PRIMARY KEY,
        alarm_id            TEXT NOT NULL,
        alarm_name          TEXT NOT NULL,
        alarm_type          TEXT NOT NULL,
        severity            TEXT NOT NULL,
        state               TEXT NOT NULL,
        -- The state to go back to when a suppression ends.
        prior_state         TEXT,
        in_alarm            INTEGER NOT NULL,
        equipment_id        TEXT,
        channel             INTEGER,
        parameter           TEXT,
        value               REAL,
        threshold           REAL,
        message             TEXT NOT NULL,
        triggered_at        TEXT NOT NULL,
        returned_at         TEXT,
        acknowledged_at     TEXT,
        acknowledged_by     TEXT,
        acknowledgment_note TEXT,
        shelved_until       TEXT,
        shelved_by          TEXT,
        cleared_at          TEXT,
        cleared_by          TEXT
      );
      CREATE INDEX alarm_events_alarm ON alarm_events(alarm_id, triggered_at);
      CREATE INDEX alarm_events_triggered ON alarm_events(triggered_at);
      CREATE INDEX alarm_events_open ON alarm_events(state) WHERE state <> 'cleared';
      -- Every transition of every occurrence, in order: the audit trail of the lifecycle.
      CREATE TABLE alarm_transitions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id   TEXT NOT NULL,
        alarm_id   TEXT NOT NULL,
        at         TEXT NOT NULL,
        from_state TEXT,
        to_state   TEXT NOT NULL,
        by         TEXT,
        note       TEXT
      );
      CREATE INDEX alarm_transitions_event ON alarm_transitions(event_id, id);
    `,
  },
  {
    version: 6,
    name: 'acquisitions',
    sql: `
      -- Acquisition sessions: settings, state and running statistics. Their samples are in chunk files under
      -- <dataDir>/acquisitions/<acquisition_id>/.
      CREATE TABLE acquisition_sessions (
        acquisition_id TEXT PRIMARY KEY,
        equipment_id   TEXT,
        name           TEXT,
        mode           TEXT NOT NULL,
        state          TEXT NOT NULL,
        config         TEXT NOT NULL,
        channels       TEXT NOT NULL,
        stats          TEXT NOT NULL,
        instruments    TEXT NOT NULL DEFAULT '{}',
        total_samples  INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL,
        started_at     TEXT,
        stopped_at     TEXT,
        stop_reason    TEXT
      );
      CREATE INDEX acquisition_sessions_created ON acquisition_sessions(created_at);
    `,
  },
  {
    version: 7,
    name: 'scheduler',
    sql: `
      -- Scheduled jobs: the job as the API shows it in config (JSON), the columns the engine filters on, and its
      -- schedule cursor: last_fire_time is the scheduled time of the last run handled (fired, skipped or missed),
      -- so a restart knows which runs it missed; anchor_time is when an interval without start_date counts from.
      CREATE TABLE scheduled_jobs (
        job_id          TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        schedule_type   TEXT NOT NULL,
        equipment_id    TEXT,
        enabled         INTEGER NOT NULL,
        config          TEXT NOT NULL,
        execution_count INTEGER NOT NULL DEFAULT 0,
        last_fire_time  TEXT,
        anchor_time     TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );
      -- Every run: scheduled, run now, or a missed one (skipped with its reason). Kept 30 days.
      CREATE TABLE job_executions (
        execution_id     TEXT PRIMARY KEY,
        job_id           TEXT NOT NULL,
        status           TEXT NOT NULL,
        scheduled_time   TEXT NOT NULL,
        actual_time      TEXT,
        started_at       TEXT,
        completed_at     TEXT,
        duration_seconds REAL,
        result           TEXT,
        error            TEXT,
        output           TEXT NOT NULL DEFAULT '',
        trigger_info     TEXT NOT NULL,
        verdict          TEXT,
        steps            TEXT
      );
      CREATE INDEX job_executions_job ON job_executions(job_id, scheduled_time);
      CREATE INDEX job_executions_scheduled ON job_executions(scheduled_time);
      CREATE INDEX job_executions_open ON job_executions(status) WHERE status IN ('pending', 'running');
    `,
  },
  {
    version: 8,
    name: 'auth',
    sql: `
      -- Users: passwords as argon2id PHC strings (salt and parameters inside). Usernames compare without case.
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      -- API tokens: only the SHA-256 of the token is kept (it is shown once). Revoking deletes the row.
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        role         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_by   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_used_at TEXT
      );
      -- Web sessions (the lablink_session cookie), by the SHA-256 of the cookie; gone with their user.
      CREATE TABLE auth_sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address    TEXT
      );
      CREATE INDEX auth_sessions_user ON auth_sessions(user_id);
      -- Who did what, when, from where: control, configuration, users and tokens, logins. Paged newest first.
      CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL,
        principal TEXT NOT NULL,
        kind      TEXT NOT NULL,
        action    TEXT NOT NULL,
        target    TEXT,
        detail    TEXT NOT NULL DEFAULT '{}',
        address   TEXT
      );
    `,
  },
];
