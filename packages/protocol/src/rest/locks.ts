// Lock and session routes (/api/locks/…): exclusive and observer locks, their queues and history, and the
// client sessions that hold them.

import { type Static, Type } from 'typebox';
import { LockMode } from '../payloads.js';
import { MAX_KEY_LENGTH, MAX_METADATA_KEYS, TIMEOUT_SECONDS } from './common.js';
import { Nullable } from './helpers.js';

/** Seconds without activity before a lock is released, unless the request says otherwise. */
export const DEFAULT_LOCK_TIMEOUT = 300;
/** Seconds without activity before a session ends, unless the request says otherwise. */
export const DEFAULT_SESSION_TIMEOUT = 600;

/** What an instrument's lock history records (GET /api/locks/events/{id}). */
export const LOCK_EVENT_NAMES = [
  'lock_acquired',
  'lock_refreshed',
  'observer_lock_acquired',
  'lock_released',
  'lock_force_released',
  'lock_expired',
  'queued',
  'queue_processed',
  'observer_lock_released',
] as const;
export type LockEventName = (typeof LOCK_EVENT_NAMES)[number];

/** What a session's history records (GET /api/locks/sessions/{id}/events). */
export const SESSION_EVENT_NAMES = ['session_created', 'session_ended', 'session_expired'] as const;
export type SessionEventName = (typeof SESSION_EVENT_NAMES)[number];

const LockEquipmentId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Equipment id, e.g. ps_250e6dfe',
});
const SessionId = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'The caller’s session: one from POST /api/locks/sessions/create, or any id the client chose',
});
const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
const TimeRemaining = Nullable(
  Type.Number({ description: 'Seconds until the lock expires without activity; null: no lock is held' }),
);
const TimeoutSeconds = (fallback: number, description: string) =>
  Type.Integer({
    minimum: TIMEOUT_SECONDS.min,
    maximum: TIMEOUT_SECONDS.max,
    default: fallback,
    description: `${description} (1 to 86400: a day at most)`,
  });

export const Lock = Type.Object({
  lock_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  acquired_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity (1 to 86400)',
  }),
  expires_at: Timestamp,
});
export type Lock = Static<typeof Lock>;

export const QueueEntry = Type.Object({
  queue_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  queued_at: Timestamp,
  position: Type.Integer({ description: '0 = next to get the lock' }),
});
export type QueueEntry = Static<typeof QueueEntry>;

export const LockEvent = Type.Object(
  {
    event: Type.String({ description: LOCK_EVENT_NAMES.join(', ') }),
    equipment_id: Type.String(),
    session_id: Type.String(),
    timestamp: Timestamp,
  },
  { additionalProperties: true, description: 'Plus details: lock_id, reason, duration_seconds, position …' },
);
/** An entry of an instrument's lock history: its name, and the details of that event (lock_id, reason …). */
export type LockEvent = Omit<Static<typeof LockEvent>, 'event'> & {
  event: LockEventName;
  [detail: string]: unknown;
};

export const Session = Type.Object({
  session_id: Type.String(),
  client_name: Nullable(Type.String()),
  client_ip: Nullable(Type.String()),
  created_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity (1 to 86400)',
  }),
  time_remaining: Type.Number({ description: 'Seconds until it expires without activity' }),
  duration_seconds: Type.Number({ description: 'Seconds since the session was created' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export type Session = Static<typeof Session>;

export const SessionEvent = Type.Object(
  { event: Type.String(), session_id: Type.String(), timestamp: Timestamp },
  { additionalProperties: true },
);
/** An entry of a session's history, with its details. */
export type SessionEvent = Omit<Static<typeof SessionEvent>, 'event'> & {
  event: SessionEventName;
  [detail: string]: unknown;
};

/** POST /api/locks/acquire */
export const AcquireLockRequest = Type.Object(
  {
    equipment_id: LockEquipmentId,
    session_id: SessionId,
    lock_mode: Type.Optional({ ...LockMode, default: 'exclusive' }),
    timeout_seconds: Type.Optional(
      TimeoutSeconds(
        DEFAULT_LOCK_TIMEOUT,
        'Release after this many seconds without activity (any control command counts)',
      ),
    ),
    queue_if_busy: Type.Optional(
      Type.Boolean({ default: false, description: 'Wait in the queue instead of getting 409 when locked' }),
    ),
    username: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'Accepted, not used' }))),
  },
  { additionalProperties: false },
);
export type AcquireLockRequest = Static<typeof AcquireLockRequest>;

export const AcquireLockResult = Type.Union([
  Type.Object({
    success: Type.Literal(true),
    status: Type.Union([Type.Literal('locked'), Type.Literal('refreshed')]),
    lock: Lock,
  }),
  Type.Object({
    success: Type.Literal(true),
    status: Type.Literal('observer'),
    observer_count: Type.Integer(),
  }),
  Type.Object({
    success: Type.Literal(false),
    status: Type.Literal('queued'),
    message: Type.String(),
    current_lock: Lock,
    queue_entry: QueueEntry,
  }),
]);
export type AcquireLockResult = Static<typeof AcquireLockResult>;

/** POST /api/locks/release */
export const ReleaseLockRequest = Type.Object(
  {
    equipment_id: LockEquipmentId,
    session_id: SessionId,
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Release a lock another session holds. Recorded as lock_force_released with who did it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReleaseLockRequest = Static<typeof ReleaseLockRequest>;

export const ReleaseLockResult = Type.Union([
  Type.Object({ success: Type.Literal(true), status: Type.Literal('released'), was_forced: Type.Boolean() }),
  Type.Object({ success: Type.Literal(true), status: Type.Literal('observer_released') }),
  Type.Object({ success: Type.Literal(false), status: Type.Literal('not_locked'), message: Type.String() }),
]);
export type ReleaseLockResult = Static<typeof ReleaseLockResult>;

/** GET /api/locks/status/{id} */
export const LockStatus = Type.Object({
  equipment_id: Type.String(),
  locked: Type.Boolean({ description: 'An exclusive lock is held' }),
  lock_mode: Nullable(LockMode),
  session_id: Nullable(Type.String({ description: 'Holder of the exclusive lock' })),
  lock_id: Nullable(Type.String()),
  acquired_at: Nullable(Timestamp),
  time_remaining: TimeRemaining,
  observer_count: Type.Integer(),
  observer_sessions: Type.Array(Type.String()),
  queue_length: Type.Integer(),
});
export type LockStatus = Static<typeof LockStatus>;

export const LockEquipmentParams = Type.Object({ equipment_id: LockEquipmentId });
export const SessionParams = Type.Object({ session_id: SessionId });
export const LockEventsQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Newest N events' }),
  ),
});
export const SessionRequest = Type.Object({ session_id: SessionId }, { additionalProperties: false });
export const Ack = Type.Object(
  { success: Type.Boolean(), message: Type.String() },
  { additionalProperties: true },
);

/** GET /api/locks/queue/{id} */
export const LockQueue = Type.Object({ equipment_id: Type.String(), queue: Type.Array(QueueEntry) });

/** GET /api/locks/all */
export const AllLocks = Type.Object({
  exclusive_locks: Type.Record(Type.String(), Lock),
  observer_locks: Type.Record(Type.String(), Type.Array(Type.String())),
  queues: Type.Record(Type.String(), Type.Array(QueueEntry)),
});
export type AllLocks = Static<typeof AllLocks>;

/** GET /api/locks/events/{id} */
export const LockEvents = Type.Object({
  equipment_id: Type.String(),
  events: Type.Array(LockEvent),
  count: Type.Integer(),
});

/** POST /api/locks/activity/{id} */
export const LockActivityResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  equipment_id: Type.String(),
  session_id: Type.String(),
});

/** POST /api/locks/sessions/create */
export const CreateSessionRequest = Type.Object(
  {
    client_name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    client_ip: Type.Optional(
      Nullable(Type.String({ maxLength: 64, description: 'Defaults to the address the request came from' })),
    ),
    timeout_seconds: Type.Optional(
      TimeoutSeconds(
        DEFAULT_SESSION_TIMEOUT,
        'End the session (and release its locks) after this many seconds without activity',
      ),
    ),
    metadata: Type.Optional(
      Nullable(
        Type.Record(Type.String(), Type.Unknown(), {
          maxProperties: MAX_METADATA_KEYS,
          propertyNames: { maxLength: MAX_KEY_LENGTH },
          description: 'Anything the client wants to keep with the session, up to 4096 bytes of JSON',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

/** GET /api/locks/sessions */
export const SessionList = Type.Object({ sessions: Type.Array(Session), count: Type.Integer() });

/** DELETE /api/locks/sessions/{id} */
export const EndSessionResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  session_id: Type.String(),
  locks_released: Type.Integer(),
});

/** GET /api/locks/sessions/{id}/locks */
export const SessionLocks = Type.Object({
  session_id: Type.String(),
  locked_equipment: Type.Array(Type.String()),
  count: Type.Integer(),
});

/** GET /api/locks/sessions/{id}/events */
export const SessionEvents = Type.Object({
  session_id: Type.String(),
  events: Type.Array(SessionEvent),
  count: Type.Integer(),
});

/** POST /api/locks/cleanup */
export const CleanupResult = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  expired_sessions: Type.Integer(),
  session_ids: Type.Array(Type.String()),
});
