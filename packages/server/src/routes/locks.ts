// Locks and sessions REST (reference §2.8), on the original's paths with its bodies and status codes. What changed:
// an unknown instrument is a 404, locks and sessions really expire, and every change is an event on the bus.

import { Type } from '@fastify/type-provider-typebox';
import {
  Ack,
  AcquireLockRequest,
  AcquireLockResult,
  AllLocks,
  CleanupResult,
  CreateSessionRequest,
  EndSessionResult,
  LockActivityResult,
  LockEquipmentParams,
  LockEvents,
  LockEventsQuery,
  LockQueue,
  LockStatus,
  ReleaseLockRequest,
  ReleaseLockResult,
  Session,
  SessionEvents,
  SessionList,
  SessionLocks,
  SessionParams,
  SessionRequest,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { forbidden } from '../auth/hook.js';
import { allows } from '../auth/roles.js';
import { principalKey } from '../auth/service.js';
import { notFound } from '../errors.js';
import { ErrorResponses } from './schemas.js';

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
        body: AcquireLockRequest,
        response: { 200: AcquireLockResult, ...ErrorResponses },
      },
    },
    async (request) => {
      requireEquipment(request.body.equipment_id);
      if (request.principal) locks.claimSession(request.body.session_id, principalKey(request.principal));
      return locks.acquire(request.body);
    },
  );

  app.post(
    '/api/locks/release',
    {
      schema: {
        tags,
        summary: 'Release a lock (the next queued session gets it)',
        body: ReleaseLockRequest,
        response: { 200: ReleaseLockResult, ...ErrorResponses },
      },
    },
    async (request) => {
      const { equipment_id, session_id, force } = request.body;
      requireEquipment(equipment_id);
      // Taking a lock away from another session is admin (the role table gives this route to operators).
      const held = locks.status(equipment_id);
      if (force && held.locked && held.session_id !== session_id && request.principal) {
        if (!allows(request.principal.role, 'admin')) throw forbidden(request.principal, 'admin');
      }
      return locks.release(request.body);
    },
  );

  app.get(
    '/api/locks/status/:equipment_id',
    {
      schema: {
        tags,
        summary: 'Who holds the lock on an instrument, observers and queue length',
        params: LockEquipmentParams,
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
        params: LockEquipmentParams,
        response: { 200: LockQueue, ...ErrorResponses },
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
        response: { 200: AllLocks },
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
        params: LockEquipmentParams,
        querystring: LockEventsQuery,
        response: { 200: LockEvents, ...ErrorResponses },
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
        params: LockEquipmentParams,
        body: SessionRequest,
        response: { 200: LockActivityResult, ...ErrorResponses },
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
        body: Type.Optional(CreateSessionRequest),
        response: { 200: Session, ...ErrorResponses },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const session = locks.createSession({ ...body, client_ip: body.client_ip ?? request.ip });
      if (request.principal) locks.claimSession(session.session_id, principalKey(request.principal));
      return session;
    },
  );

  app.get(
    '/api/locks/sessions',
    {
      schema: {
        tags,
        summary: 'Active sessions',
        response: { 200: SessionList },
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
        response: { 200: EndSessionResult, ...ErrorResponses },
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
        response: { 200: SessionLocks, ...ErrorResponses },
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
        querystring: LockEventsQuery,
        response: { 200: SessionEvents, ...ErrorResponses },
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
        response: { 200: CleanupResult },
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
