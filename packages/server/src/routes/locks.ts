// Locks and sessions REST (reference §2.8), on the original's paths with its bodies and status codes. What changed:
// an unknown instrument is a 404, locks and sessions really expire, and every change is an event on the bus.

import { Type } from '@fastify/type-provider-typebox';
import type { AppInstance } from '../app.js';
import { notFound } from '../http-errors.js';
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_SESSION_TIMEOUT } from '../locks.js';
import { ErrorResponses } from './schemas.js';

const EquipmentId = Type.String({
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
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const LockMode = Type.Union([Type.Literal('exclusive'), Type.Literal('observer')], {
  description:
    'exclusive: only this session may control the instrument; observer: watch, never blocks others',
});
const TimeRemaining = Nullable(
  Type.Number({ description: 'Seconds until it expires without activity; null: never expires' }),
);

const Lock = Type.Object({
  lock_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  acquired_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity; 0 = never',
  }),
  expires_at: Nullable(Timestamp),
});

const QueueEntry = Type.Object({
  queue_id: Type.String({ format: 'uuid' }),
  equipment_id: Type.String(),
  session_id: Type.String(),
  lock_mode: LockMode,
  queued_at: Timestamp,
  position: Type.Integer({ description: '0 = next to get the lock' }),
});

const LockEvent = Type.Object(
  {
    event: Type.String({
      description:
        'lock_acquired, lock_refreshed, observer_lock_acquired, lock_released, lock_force_released, lock_expired, queued, queue_processed, observer_lock_released',
    }),
    equipment_id: Type.String(),
    session_id: Type.String(),
    timestamp: Timestamp,
  },
  { additionalProperties: true, description: 'Plus details: lock_id, reason, duration_seconds, position …' },
);

const Session = Type.Object({
  session_id: Type.String(),
  client_name: Nullable(Type.String()),
  client_ip: Nullable(Type.String()),
  created_at: Timestamp,
  last_activity: Timestamp,
  timeout_seconds: Type.Integer({
    description: 'Expires after this many seconds without activity; 0 = never',
  }),
  time_remaining: TimeRemaining,
  duration_seconds: Type.Number({ description: 'Seconds since the session was created' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});

const SessionEvent = Type.Object(
  { event: Type.String(), session_id: Type.String(), timestamp: Timestamp },
  { additionalProperties: true },
);

const AcquireBody = Type.Object(
  {
    equipment_id: EquipmentId,
    session_id: SessionId,
    lock_mode: Type.Optional({ ...LockMode, default: 'exclusive' }),
    timeout_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_LOCK_TIMEOUT,
        description:
          'Release after this many seconds without activity (any control command counts); 0 = never',
      }),
    ),
    queue_if_busy: Type.Optional(
      Type.Boolean({ default: false, description: 'Wait in the queue instead of getting 409 when locked' }),
    ),
    username: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'Accepted, not used' }))),
  },
  { additionalProperties: false },
);

const AcquireResponse = Type.Union([
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

const ReleaseBody = Type.Object(
  {
    equipment_id: EquipmentId,
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

const ReleaseResponse = Type.Union([
  Type.Object({ success: Type.Literal(true), status: Type.Literal('released'), was_forced: Type.Boolean() }),
  Type.Object({ success: Type.Literal(true), status: Type.Literal('observer_released') }),
  Type.Object({ success: Type.Literal(false), status: Type.Literal('not_locked'), message: Type.String() }),
]);

const LockStatus = Type.Object({
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

const EquipmentParams = Type.Object({ equipment_id: EquipmentId });
const SessionParams = Type.Object({ session_id: SessionId });
const Limit = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Newest N events' }),
  ),
});
const SessionBody = Type.Object({ session_id: SessionId }, { additionalProperties: false });
const Ack = Type.Object({ success: Type.Boolean(), message: Type.String() }, { additionalProperties: true });

const CreateSessionBody = Type.Object(
  {
    client_name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    client_ip: Type.Optional(
      Nullable(Type.String({ maxLength: 64, description: 'Defaults to the address the request came from' })),
    ),
    timeout_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_SESSION_TIMEOUT,
        description:
          'End the session (and release its locks) after this many seconds without activity; 0 = never',
      }),
    ),
    metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  },
  { additionalProperties: false },
);

const tags = ['locks'];

export async function lockRoutes(app: AppInstance): Promise<void> {
  const { locks, equipment } = app.services;
  const requireEquipment = (id: string) => {
    if (!equipment.find(id)) throw notFound(`Equipment ${id}`);
  };
  const requireSession = (id: string) => {
    const session = locks.session(id);
    if (!session) throw notFound(`Session ${id}`);
    return session;
  };

  app.post(
    '/api/locks/acquire',
    {
      schema: {
        tags,
        summary: 'Acquire, refresh or queue for a lock on an instrument',
        description:
          'While a session holds the exclusive lock, only that session may control the instrument (REST, WebSocket, jobs, profiles); others get 409 naming the holder.',
        body: AcquireBody,
        response: { 200: AcquireResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      requireEquipment(request.body.equipment_id);
      return locks.acquire(request.body);
    },
  );

  app.post(
    '/api/locks/release',
    {
      schema: {
        tags,
        summary: 'Release a lock (the next queued session gets it)',
        body: ReleaseBody,
        response: { 200: ReleaseResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      requireEquipment(request.body.equipment_id);
      return locks.release(request.body);
    },
  );

  app.get(
    '/api/locks/status/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Who holds the lock on an instrument, observers and queue length',
        params: EquipmentParams,
        response: { 200: LockStatus, ...ErrorResponses },
      },
    },
    async (request) => {
      requireEquipment(request.params.equipment_id);
      return locks.status(request.params.equipment_id);
    },
  );

  app.get(
    '/api/locks/queue/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Sessions waiting for the lock, in order',
        params: EquipmentParams,
        response: {
          200: Type.Object({ equipment_id: Type.String(), queue: Type.Array(QueueEntry) }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { equipment_id } = request.params;
      requireEquipment(equipment_id);
      return { equipment_id, queue: locks.queue(equipment_id) };
    },
  );

  app.get(
    '/api/locks/all',
    {
      schema: {
        tags,
        summary: 'Every lock, observer and queue, by equipment id',
        response: {
          200: Type.Object({
            exclusive_locks: Type.Record(Type.String(), Lock),
            observer_locks: Type.Record(Type.String(), Type.Array(Type.String())),
            queues: Type.Record(Type.String(), Type.Array(QueueEntry)),
          }),
        },
      },
    },
    async () => locks.all(),
  );

  app.get(
    '/api/locks/events/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Lock history of an instrument (the last 100 are kept), oldest first',
        params: EquipmentParams,
        querystring: Limit,
        response: {
          200: Type.Object({
            equipment_id: Type.String(),
            events: Type.Array(LockEvent),
            count: Type.Integer(),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { equipment_id } = request.params;
      requireEquipment(equipment_id);
      const events = locks.events(equipment_id, request.query.limit);
      return { equipment_id, events, count: events.length };
    },
  );

  app.post(
    '/api/locks/activity/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Keep the session’s lock on an instrument alive',
        params: EquipmentParams,
        body: SessionBody,
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            message: Type.String(),
            equipment_id: Type.String(),
            session_id: Type.String(),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { equipment_id } = request.params;
      const { session_id } = request.body;
      requireEquipment(equipment_id);
      if (!locks.touch(equipment_id, session_id)) {
        throw notFound(`Lock on equipment ${equipment_id} held by session ${session_id}`);
      }
      return { success: true, message: 'Activity updated', equipment_id, session_id };
    },
  );

  // ---- sessions ----------------------------------------------------------------------------------------------------

  app.post(
    '/api/locks/sessions/create',
    {
      schema: {
        tags,
        summary: 'Start a client session (expires after timeout_seconds without activity)',
        body: Type.Optional(CreateSessionBody),
        response: { 200: Session, ...ErrorResponses },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return locks.createSession({ ...body, client_ip: body.client_ip ?? request.ip });
    },
  );

  app.get(
    '/api/locks/sessions',
    {
      schema: {
        tags,
        summary: 'Active sessions',
        response: { 200: Type.Object({ sessions: Type.Array(Session), count: Type.Integer() }) },
      },
    },
    async () => {
      const sessions = locks.listSessions();
      return { sessions, count: sessions.length };
    },
  );

  app.get(
    '/api/locks/sessions/:session_id',
    {
      schema: {
        tags,
        summary: 'One session',
        params: SessionParams,
        response: { 200: Session, ...ErrorResponses },
      },
    },
    async (request) => requireSession(request.params.session_id),
  );

  app.delete(
    '/api/locks/sessions/:session_id',
    {
      schema: {
        tags,
        summary: 'End a session and release all its locks',
        params: SessionParams,
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            message: Type.String(),
            session_id: Type.String(),
            locks_released: Type.Integer(),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { session_id } = request.params;
      const ended = locks.endSession(session_id);
      if (!ended) throw notFound(`Session ${session_id}`);
      return { success: true, message: 'Session ended', session_id, locks_released: ended.locks_released };
    },
  );

  app.post(
    '/api/locks/sessions/:session_id/activity',
    {
      schema: {
        tags,
        summary: 'Keep a session alive (its locks stay alive by use, or POST /api/locks/activity/{id})',
        params: SessionParams,
        response: { 200: Ack, ...ErrorResponses },
      },
    },
    async (request) => {
      const { session_id } = request.params;
      if (!locks.touchSession(session_id)) throw notFound(`Session ${session_id}`);
      return { success: true, message: 'Session activity updated', session_id };
    },
  );

  app.get(
    '/api/locks/sessions/:session_id/locks',
    {
      schema: {
        tags,
        summary: 'Instruments on which a session holds a lock',
        params: SessionParams,
        response: {
          200: Type.Object({
            session_id: Type.String(),
            locked_equipment: Type.Array(Type.String()),
            count: Type.Integer(),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { session_id } = request.params;
      const held = locks.sessionLocks(session_id);
      if (!held) throw notFound(`Session ${session_id}`);
      return { session_id, locked_equipment: held, count: held.length };
    },
  );

  app.get(
    '/api/locks/sessions/:session_id/events',
    {
      schema: {
        tags,
        summary: 'History of a session: created, ended, expired',
        params: SessionParams,
        querystring: Limit,
        response: {
          200: Type.Object({
            session_id: Type.String(),
            events: Type.Array(SessionEvent),
            count: Type.Integer(),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { session_id } = request.params;
      const events = locks.sessionHistory(session_id, request.query.limit);
      return { session_id, events, count: events.length };
    },
  );

  app.post(
    '/api/locks/cleanup',
    {
      schema: {
        tags,
        summary: 'Expire due sessions and locks now (this also happens by itself, on time)',
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            message: Type.String(),
            expired_sessions: Type.Integer(),
            session_ids: Type.Array(Type.String()),
          }),
        },
      },
    },
    async () => {
      const expired = locks.sweep();
      return {
        success: true,
        message: 'Cleanup completed',
        expired_sessions: expired.length,
        session_ids: expired,
      };
    },
  );
}
