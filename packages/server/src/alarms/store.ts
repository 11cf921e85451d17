// Alarm storage in SQLite (migration 5): definitions, occurrences and every transition of an occurrence. The
// engine writes a transition here before it publishes its event (persist, then publish), inside one transaction:
// the occurrence as it now is and the line of its audit trail.

import type {
  AlarmConfig,
  AlarmEvent,
  AlarmEventsQuery,
  AlarmLoad,
  AlarmSeverity,
  AlarmState,
  AlarmType,
} from '@lablink/protocol/rest';
import { invalidRequest } from '../errors.js';
import type { Db } from '../storage/database.js';

/** An occurrence as stored: the API's event plus the state a suppression returns to. */
export interface StoredEvent extends AlarmEvent {
  prior_state: AlarmState | null;
}

export interface AlarmFilter {
  equipment_id?: string;
  enabled?: boolean;
  alarm_type?: AlarmType;
  severity?: AlarmSeverity;
}

interface EventRow extends Omit<StoredEvent, 'in_alarm'> {
  in_alarm: number;
}

const EVENT_COLUMNS = [
  'event_id',
  'alarm_id',
  'alarm_name',
  'alarm_type',
  'severity',
  'state',
  'prior_state',
  'in_alarm',
  'equipment_id',
  'channel',
  'parameter',
  'value',
  'threshold',
  'message',
  'triggered_at',
  'returned_at',
  'acknowledged_at',
  'acknowledged_by',
  'acknowledgment_note',
  'shelved_until',
  'shelved_by',
  'cleared_at',
  'cleared_by',
] as const;

function toEvent(row: EventRow): StoredEvent {
  return { ...row, in_alarm: row.in_alarm === 1 };
}

/** The API's view of a stored occurrence (no prior_state). */
export function publicEvent(event: StoredEvent): AlarmEvent {
  const { prior_state: _, ...rest } = event;
  return rest;
}

export class AlarmStore {
  constructor(private readonly db: Db) {}

  // ---- definitions ------------------------------------------------------------------------------------------------

  insertAlarm(alarm: AlarmConfig, builtin: string | null = null): void {
    this.db
      .prepare(
        `INSERT INTO alarms (alarm_id, name, equipment_id, alarm_type, severity, enabled, builtin, config, created_at, updated_at)
         VALUES (@alarm_id, @name, @equipment_id, @alarm_type, @severity, @enabled, @builtin, @config, @created_at, @updated_at)`,
      )
      .run(this.alarmRow(alarm, builtin));
  }

  updateAlarm(alarm: AlarmConfig): void {
    this.db
      .prepare(
        `UPDATE alarms SET name = @name, equipment_id = @equipment_id, alarm_type = @alarm_type, severity = @severity,
           enabled = @enabled, config = @config, updated_at = @updated_at WHERE alarm_id = @alarm_id`,
      )
      .run(this.alarmRow(alarm, null));
  }

  deleteAlarm(alarmId: string): boolean {
    return this.db.prepare('DELETE FROM alarms WHERE alarm_id = ?').run(alarmId).changes > 0;
  }

  getAlarm(alarmId: string): AlarmConfig | undefined {
    const raw = this.db.prepare('SELECT config FROM alarms WHERE alarm_id = ?').pluck().get(alarmId) as
      | string
      | undefined;
    return raw ? JSON.parse(raw) : undefined;
  }

  builtinAlarm(key: string): AlarmConfig | undefined {
    const raw = this.db.prepare('SELECT config FROM alarms WHERE builtin = ?').pluck().get(key) as
      | string
      | undefined;
    return raw ? JSON.parse(raw) : undefined;
  }

  listAlarms(filter: AlarmFilter = {}): AlarmConfig[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (filter.equipment_id !== undefined) {
      where.push('equipment_id = @equipment_id');
      args.equipment_id = filter.equipment_id;
    }
    if (filter.enabled !== undefined) {
      where.push('enabled = @enabled');
      args.enabled = filter.enabled ? 1 : 0;
    }
    if (filter.alarm_type !== undefined) {
      where.push('alarm_type = @alarm_type');
      args.alarm_type = filter.alarm_type;
    }
    if (filter.severity !== undefined) {
      where.push('severity = @severity');
      args.severity = filter.severity;
    }
    const sql = `SELECT config FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, alarm_id`;
    return (this.db.prepare(sql).pluck().all(args) as string[]).map((raw) => JSON.parse(raw));
  }

  private alarmRow(alarm: AlarmConfig, builtin: string | null) {
    return {
      alarm_id: alarm.alarm_id,
      name: alarm.name,
      equipment_id: alarm.equipment_id,
      alarm_type: alarm.alarm_type,
      severity: alarm.severity,
      enabled: alarm.enabled ? 1 : 0,
      builtin,
      config: JSON.stringify(alarm),
      created_at: alarm.created_at,
      updated_at: alarm.updated_at,
    };
  }

  // ---- occurrences ------------------------------------------------------------------------------------------------

  /**
   * Stores an occurrence as it now is and the transition that made it so, in one transaction. `from` null: it was
   * just raised.
   */
  saveTransition(event: StoredEvent, from: AlarmState | null, by: string | null, note: string | null): void {
    const row = { ...event, in_alarm: event.in_alarm ? 1 : 0 };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO alarm_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map((c) => `@${c}`).join(', ')})
           ON CONFLICT(event_id) DO UPDATE SET ${EVENT_COLUMNS.filter((c) => c !== 'event_id')
             .map((c) => `${c} = excluded.${c}`)
             .join(', ')}`,
        )
        .run(row);
      this.db
        .prepare(
          'INSERT INTO alarm_transitions (event_id, alarm_id, at, from_state, to_state, by, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(event.event_id, event.alarm_id, new Date().toISOString(), from, event.state, by, note);
    })();
  }

  /** The latest value of an open occurrence, without a transition (no event is published for it). */
  saveValue(eventId: string, value: number | null, inAlarm: boolean): void {
    this.db
      .prepare('UPDATE alarm_events SET value = ?, in_alarm = ? WHERE event_id = ?')
      .run(value, inAlarm ? 1 : 0, eventId);
  }

  getEvent(eventId: string): StoredEvent | undefined {
    const row = this.db.prepare('SELECT * FROM alarm_events WHERE event_id = ?').get(eventId) as
      | EventRow
      | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** Every occurrence not cleared, oldest first. */
  openEvents(): StoredEvent[] {
    return (
      this.db
        .prepare("SELECT * FROM alarm_events WHERE state <> 'cleared' ORDER BY triggered_at, rowid")
        .all() as EventRow[]
    ).map(toEvent);
  }

  listEvents(query: AlarmEventsQuery): { total: number; events: AlarmEvent[] } {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    for (const key of ['state', 'severity', 'equipment_id', 'alarm_id'] as const) {
      if (query[key] !== undefined) {
        where.push(`${key} = @${key}`);
        args[key] = query[key];
      }
    }
    for (const [key, op] of [
      ['since', '>='],
      ['until', '<'],
    ] as const) {
      const text = query[key];
      if (text === undefined) continue;
      const at = Date.parse(text);
      if (Number.isNaN(at)) throw invalidRequest(key, `${key} is not a date-time LabLink can read: ${text}`);
      where.push(`triggered_at ${op} @${key}`);
      args[key] = new Date(at).toISOString();
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare(`SELECT COUNT(*) FROM alarm_events ${clause}`).pluck().get(args) as number;
    const rows = this.db
      .prepare(
        `SELECT * FROM alarm_events ${clause} ORDER BY triggered_at DESC, rowid DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ ...args, limit: query.limit ?? 100, offset: query.offset ?? 0 }) as EventRow[];
    return { total, events: rows.map((r) => publicEvent(toEvent(r))) };
  }

  // ---- statistics -------------------------------------------------------------------------------------------------

  countByState(): Record<string, number> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM alarm_events GROUP BY state').all() as {
      state: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  openBy(column: 'severity' | 'equipment_id'): Record<string, number> {
    const rows = this.db
      .prepare(
        `SELECT ${column} AS k, COUNT(*) AS n FROM alarm_events WHERE state <> 'cleared' AND ${column} IS NOT NULL GROUP BY ${column}`,
      )
      .all() as { k: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.k, r.n]));
  }

  topAlarms(
    sinceIso: string | null,
    limit: number,
  ): { alarm_id: string; alarm_name: string; count: number }[] {
    return this.db
      .prepare(
        `SELECT alarm_id, MAX(alarm_name) AS alarm_name, COUNT(*) AS count FROM alarm_events
         ${sinceIso ? 'WHERE triggered_at >= @since' : ''} GROUP BY alarm_id ORDER BY count DESC, alarm_id LIMIT @limit`,
      )
      .all({ ...(sinceIso ? { since: sinceIso } : {}), limit }) as {
      alarm_id: string;
      alarm_name: string;
      count: number;
    }[];
  }

  /** When each alarm was raised since `sinceIso`, oldest first. */
  raisedSince(sinceIso: string): { alarm_id: string; alarm_name: string; at: number }[] {
    return (
      this.db
        .prepare(
          'SELECT alarm_id, alarm_name, triggered_at FROM alarm_events WHERE triggered_at >= ? ORDER BY triggered_at',
        )
        .all(sinceIso) as { alarm_id: string; alarm_name: string; triggered_at: string }[]
    ).map((r) => ({ alarm_id: r.alarm_id, alarm_name: r.alarm_name, at: Date.parse(r.triggered_at) }));
  }

  /** Occurrences in alarm (active or acknowledged) raised before `beforeIso`. */
  staleEvents(beforeIso: string): AlarmLoad['stale'] {
    return this.db
      .prepare(
        `SELECT event_id, alarm_name, triggered_at AS since FROM alarm_events
         WHERE state IN ('active', 'acknowledged') AND triggered_at < ? ORDER BY triggered_at`,
      )
      .all(beforeIso) as AlarmLoad['stale'];
  }
}
