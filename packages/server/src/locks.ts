// Equipment locks and client sessions (reference §2.8), kept in memory: they die with the server, as they should.
//
// One rule decides who may control an instrument, whatever the path (REST, WebSocket, jobs, profiles): while a
// session holds the exclusive lock, only that session may; otherwise anybody may. Locks and sessions expire by
// themselves after `timeout_seconds` without activity (the original only checked expiry in a loop that never ran),
// and a released or expired lock goes to the head of the instrument's queue. Every timeout is 1 s to a day: a lock
// that never expires (the original's 0) would keep an instrument from everyone after its client died.

import { randomUUID } from 'node:crypto';
import type { EventPayload, LockEndReason } from '@lablink/protocol';
import {
  type AcquireLockRequest,
  type AcquireLockResult,
  type AllLocks,
  type CreateSessionRequest,
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_SESSION_TIMEOUT,
  type LockEvent,
  type LockEventName,
  type LockMode,
  type LockStatus,
  type Lock as LockView,
  MAX_LOCK_QUEUE,
  MAX_METADATA_BYTES,
  MAX_SESSIONS,
  type QueueEntry as QueueEntryView,
  type ReleaseLockRequest,
  type ReleaseLockResult,
  type SessionEvent,
  type Session as SessionView,
  TIMEOUT_SECONDS,
} from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { DomainError, invalidRequest } from './errors.js';

/** Lock events kept per instrument, and per session. */
const HISTORY = 100;
/** Sessions whose event history is kept after they end, oldest dropped first. */
const ENDED_SESSION_HISTORIES = 1000;
/** setTimeout's ceiling (about 24.8 days), far above the longest timeout (a day); kept as a guard. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Lock {
  lock_id: string;
  equipment_id: string;
  session_id: string;
  lock_mode: LockMode;
  acquiredAt: number;
  lastActivity: number;
  timeoutSeconds: number;
}

interface QueueEntry {
  queue_id: string;
  equipment_id: string;
  session_id: string;
  queuedAt: number;
  /** The timeout the queued session asked for, used when the lock is handed to it. */
  timeoutSeconds: number;
}

interface Session {
  session_id: string;
  client_name: string | null;
  client_ip: string | null;
  createdAt: number;
  lastActivity: number;
  timeoutSeconds: number;
  metadata: Record<string, unknown>;
}

/** Everything about one instrument's locks. Created on first use and kept for its event history. */
interface EquipmentLocks {
  equipment_id: string;
  exclusive?: Lock;
  observers: Map<string, Lock>;
  queue: QueueEntry[];
  events: LockEvent[];
}

/** Why a lock ended: the history event, a reason word, and who forced it off. */
type Ending = {
  event: 'lock_released' | 'lock_force_released' | 'lock_expired' | 'observer_lock_released';
  reason: LockEndReason;
  by?: string;
};

export interface LockServiceOptions {
  bus: Bus;
  logger: Logger;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The fields every lock event carries. */
const lockFields = (lock: Lock) => ({
  equipment_id: lock.equipment_id,
  session_id: lock.session_id,
  lock_mode: lock.lock_mode,
  lock_id: lock.lock_id,
});

export class LockService {
  private readonly equipment = new Map<string, EquipmentLocks>();
  private readonly sessions = new Map<string, Session>();
  /**
   * Who (a principal's key, auth/hook.ts) took each lock session id, from the REST routes. A session id proves a
   * lock, so it is shown to nobody else (the auth hook hides it in every answer).
   */
  private readonly holders = new Map<string, string>();
  private readonly sessionEvents = new Map<string, SessionEvent[]>();
  private readonly bus: Bus;
  private readonly logger: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(options: LockServiceOptions) {
    this.bus = options.bus;
    this.logger = options.logger;
    this.now = options.now ?? (() => Date.now());
  }

  // ---- the control rule ------------------------------------------------------------------------------------------

  /**
   * Throws `locked` naming the holder unless `sessionId` may control the instrument: anybody while no
   * exclusive lock is held, only the holder while one is. Control by the holder counts as activity on its lock.
   */
  assertCanControl(equipmentId: string, sessionId: string | undefined): void {
    this.sweep();
    const held = this.equipment.get(equipmentId)?.exclusive;
    if (!held) return;
    if (held.session_id !== sessionId) {
      const left = `, which expires after ${Math.ceil(this.remaining(held))} s without activity`;
      throw lockedError(held, `; only that session may control it until it releases the lock${left}`);
    }
    this.touchLock(held);
  }

  // ---- locks -------------------------------------------------------------------------------------------------------

  acquire(request: AcquireLockRequest): AcquireLockResult {
    const { equipment_id, session_id } = request;
    const mode = request.lock_mode ?? 'exclusive';
    const timeout = checkTimeout(request.timeout_seconds ?? DEFAULT_LOCK_TIMEOUT);
    this.sweep();
    this.touchSession(session_id);
    const state = this.state(equipment_id);
    const held = state.exclusive;

    if (held?.session_id === session_id) {
      held.timeoutSeconds = timeout;
      this.touchLock(held);
      this.record(state, 'lock_refreshed', session_id, { lock_id: held.lock_id, new_timeout: timeout });
      return { success: true, status: 'refreshed', lock: this.lockView(held) };
    }

    if (mode === 'observer') {
      if (held) {
        throw new DomainError(
          'locked',
          `Equipment ${equipment_id} has exclusive lock by session ${held.session_id}`,
          undefined,
          { locked_by: held.session_id },
        );
      }
      const existing = state.observers.get(session_id);
      if (existing) {
        existing.timeoutSeconds = timeout;
        this.touchLock(existing);
      } else {
        const lock = this.newLock(equipment_id, session_id, 'observer', timeout);
        state.observers.set(session_id, lock);
        this.announce('lock_acquired', lockFields(lock));
      }
      this.record(state, 'observer_lock_acquired', session_id, { timeout_seconds: timeout });
      this.arm();
      return { success: true, status: 'observer', observer_count: state.observers.size };
    }

    if (held) {
      if (!request.queue_if_busy) throw lockedError(held);
      let index = state.queue.findIndex((e) => e.session_id === session_id);
      if (index < 0) {
        if (state.queue.length >= MAX_LOCK_QUEUE) {
          throw new DomainError(
            'queue_full',
            `${MAX_LOCK_QUEUE} sessions already wait for the lock on ${equipment_id}; try again later`,
            'queue_if_busy',
          );
        }
        const entry: QueueEntry = {
          queue_id: randomUUID(),
          equipment_id,
          session_id,
          queuedAt: this.now(),
          timeoutSeconds: timeout,
        };
        index = state.queue.push(entry) - 1;
        this.record(state, 'queued', session_id, { queue_id: entry.queue_id, position: index });
      }
      return {
        success: false,
        status: 'queued',
        message: `Equipment locked by session ${held.session_id}`,
        current_lock: this.lockView(held),
        queue_entry: queueView(state.queue[index] as QueueEntry, index),
      };
    }

    return { success: true, status: 'locked', lock: this.lockView(this.grant(state, session_id, timeout)) };
  }

  release(request: ReleaseLockRequest): ReleaseLockResult {
    const { equipment_id, session_id } = request;
    this.sweep();
    this.touchSession(session_id);
    const state = this.equipment.get(equipment_id);
    const held = state?.exclusive;
    if (state && held) {
      const forced = held.session_id !== session_id;
      if (forced && !request.force) {
        throw new DomainError(
          'not_lock_owner',
          `Cannot release lock: owned by session ${held.session_id}`,
          undefined,
          { locked_by: held.session_id },
        );
      }
      this.end(
        state,
        held,
        forced
          ? { event: 'lock_force_released', reason: 'forced', by: session_id }
          : { event: 'lock_released', reason: 'released' },
      );
      return { success: true, status: 'released', was_forced: forced };
    }
    const observer = state?.observers.get(session_id);
    if (state && observer) {
      this.end(state, observer, { event: 'observer_lock_released', reason: 'released' });
      return { success: true, status: 'observer_released' };
    }
    return { success: false, status: 'not_locked', message: `No lock found for session ${session_id}` };
  }

  /** Keeps the session's lock (exclusive or observer) on the instrument alive; false when it holds none. */
  touch(equipmentId: string, sessionId: string): boolean {
    this.sweep();
    const state = this.equipment.get(equipmentId);
    const lock =
      state?.exclusive?.session_id === sessionId ? state.exclusive : state?.observers.get(sessionId);
    if (!lock) return false;
    this.touchLock(lock);
    return true;
  }

  /** Drops every lock and queue entry on the instrument: it was disconnected. */
  releaseAll(equipmentId: string): void {
    const state = this.equipment.get(equipmentId);
    if (!state) return;
    state.queue.length = 0;
    for (const lock of [...state.observers.values()]) {
      this.end(state, lock, { event: 'observer_lock_released', reason: 'equipment_disconnected' });
    }
    if (state.exclusive) {
      this.end(state, state.exclusive, { event: 'lock_released', reason: 'equipment_disconnected' });
    }
  }

  /** Releases everything a session holds or waits for; returns how many locks it held. */
  releaseSession(sessionId: string, reason: LockEndReason = 'session_ended'): number {
    let released = 0;
    for (const state of this.equipment.values()) {
      state.queue = state.queue.filter((e) => e.session_id !== sessionId);
      const observer = state.observers.get(sessionId);
      if (observer) {
        this.end(state, observer, { event: 'observer_lock_released', reason });
        released++;
      }
      if (state.exclusive?.session_id === sessionId) {
        this.end(state, state.exclusive, { event: 'lock_released', reason });
        released++;
      }
    }
    return released;
  }

  status(equipmentId: string): LockStatus {
    this.sweep();
    const state = this.equipment.get(equipmentId);
    const held = state?.exclusive;
    const observers = [...(state?.observers.keys() ?? [])];
    return {
      equipment_id: equipmentId,
      locked: held !== undefined,
      lock_mode: held?.lock_mode ?? null,
      session_id: held?.session_id ?? null,
      lock_id: held?.lock_id ?? null,
      acquired_at: held ? iso(held.acquiredAt) : null,
      time_remaining: held ? this.remaining(held) : null,
      observer_count: observers.length,
      observer_sessions: observers,
      queue_length: state?.queue.length ?? 0,
    };
  }

  queue(equipmentId: string): QueueEntryView[] {
    this.sweep();
    return (this.equipment.get(equipmentId)?.queue ?? []).map(queueView);
  }

  all(): AllLocks {
    this.sweep();
    const result = {
      exclusive_locks: {} as Record<string, LockView>,
      observer_locks: {} as Record<string, string[]>,
      queues: {} as Record<string, QueueEntryView[]>,
    };
    for (const [id, state] of this.equipment) {
      if (state.exclusive) result.exclusive_locks[id] = this.lockView(state.exclusive);
      if (state.observers.size > 0) result.observer_locks[id] = [...state.observers.keys()];
      if (state.queue.length > 0) result.queues[id] = state.queue.map(queueView);
    }
    return result;
  }

  /** The instrument's lock history, oldest first, at most `limit` of the last 100. */
  events(equipmentId: string, limit = 50): LockEvent[] {
    this.sweep();
    return (this.equipment.get(equipmentId)?.events ?? []).slice(-limit);
  }

  // ---- sessions ----------------------------------------------------------------------------------------------------

  /** Records who first used a session id (later callers with the same id already know it). */
  claimSession(sessionId: string, holder: string): void {
    if (!this.holders.has(sessionId)) this.holders.set(sessionId, holder);
  }

  /** The holder of a session id; undefined for a string that is no lock session LabLink has seen. */
  holderOf(sessionId: string): string | null | undefined {
    const holder = this.holders.get(sessionId);
    if (holder !== undefined) return holder;
    return this.sessions.has(sessionId) ? null : undefined;
  }

  createSession(request: CreateSessionRequest = {}): SessionView {
    const timeoutSeconds = checkTimeout(request.timeout_seconds ?? DEFAULT_SESSION_TIMEOUT);
    const metadata = checkMetadata(request.metadata ?? {});
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      throw new DomainError(
        'too_many_sessions',
        `${MAX_SESSIONS} sessions are open; end unused ones (DELETE /api/locks/sessions/{id}) or let them expire`,
      );
    }
    const now = this.now();
    const session: Session = {
      session_id: randomUUID(),
      client_name: request.client_name ?? null,
      client_ip: request.client_ip ?? null,
      createdAt: now,
      lastActivity: now,
      timeoutSeconds,
      metadata,
    };
    this.sessions.set(session.session_id, session);
    this.recordSession(session.session_id, 'session_created', {
      client_name: session.client_name,
      client_ip: session.client_ip,
    });
    this.arm();
    return this.sessionView(session);
  }

  session(sessionId: string): SessionView | undefined {
    this.sweep();
    const session = this.sessions.get(sessionId);
    return session && this.sessionView(session);
  }

  listSessions(): SessionView[] {
    this.sweep();
    return [...this.sessions.values()].map((s) => this.sessionView(s));
  }

  /** Keeps a session alive (not its locks: those stay alive by use). False for an unknown session. */
  touchSession(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    session.lastActivity = this.now();
    this.arm();
    return true;
  }

  /**
   * Ends a session and releases its locks. Any string may act as a session id (as in the original), so an id
   * that was never created but holds locks still counts; undefined when the id is unknown and holds nothing.
   */
  endSession(sessionId: string): { locks_released: number } | undefined {
    this.sweep();
    const session = this.sessions.get(sessionId);
    const released = this.releaseSession(sessionId);
    if (!session && released === 0) return undefined;
    if (session) {
      this.sessions.delete(sessionId);
      this.recordSession(sessionId, 'session_ended', {
        duration_seconds: (this.now() - session.createdAt) / 1000,
      });
    }
    return { locks_released: released };
  }

  /** Equipment ids on which the session holds a lock (exclusive or observer); undefined for an unknown id. */
  sessionLocks(sessionId: string): string[] | undefined {
    this.sweep();
    const ids: string[] = [];
    for (const [id, state] of this.equipment) {
      if (state.exclusive?.session_id === sessionId || state.observers.has(sessionId)) ids.push(id);
    }
    return this.sessions.has(sessionId) || ids.length > 0 ? ids : undefined;
  }

  sessionHistory(sessionId: string, limit = 50): SessionEvent[] {
    return (this.sessionEvents.get(sessionId) ?? []).slice(-limit);
  }

  /**
   * Expires every lock and session whose time is up, now. The timer does this by itself; routes call it first
   * so that what they report is exact to the millisecond. Returns the sessions that expired.
   */
  sweep(): string[] {
    const now = this.now();
    for (const state of this.equipment.values()) {
      for (const lock of [...state.observers.values()]) {
        if (this.expired(lock, now)) this.end(state, lock, { event: 'lock_expired', reason: 'timeout' });
      }
      if (state.exclusive && this.expired(state.exclusive, now)) {
        this.end(state, state.exclusive, { event: 'lock_expired', reason: 'timeout' });
      }
    }
    const expired: string[] = [];
    for (const session of [...this.sessions.values()]) {
      if (!this.expired(session, now)) continue;
      this.sessions.delete(session.session_id);
      this.recordSession(session.session_id, 'session_expired', {
        duration_seconds: (now - session.createdAt) / 1000,
      });
      this.releaseSession(session.session_id, 'session_expired');
      this.logger.info({ session_id: session.session_id }, 'lock session expired');
      expired.push(session.session_id);
    }
    this.arm();
    return expired;
  }

  /** Stops the expiry timer. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private state(equipmentId: string): EquipmentLocks {
    let state = this.equipment.get(equipmentId);
    if (!state) {
      state = { equipment_id: equipmentId, observers: new Map(), queue: [], events: [] };
      this.equipment.set(equipmentId, state);
    }
    return state;
  }

  private newLock(equipmentId: string, sessionId: string, mode: LockMode, timeout: number): Lock {
    const now = this.now();
    return {
      lock_id: randomUUID(),
      equipment_id: equipmentId,
      session_id: sessionId,
      lock_mode: mode,
      acquiredAt: now,
      lastActivity: now,
      timeoutSeconds: timeout,
    };
  }

  /** Gives the exclusive lock to a session. Observers are dropped: exclusive means nobody else. */
  private grant(state: EquipmentLocks, sessionId: string, timeout: number, via?: 'queue'): Lock {
    for (const observer of [...state.observers.values()]) {
      this.end(state, observer, { event: 'observer_lock_released', reason: 'exclusive_acquired' });
    }
    state.queue = state.queue.filter((e) => e.session_id !== sessionId);
    const lock = this.newLock(state.equipment_id, sessionId, 'exclusive', timeout);
    state.exclusive = lock;
    this.record(state, 'lock_acquired', sessionId, {
      lock_id: lock.lock_id,
      lock_mode: 'exclusive',
      timeout_seconds: timeout,
    });
    this.announce('lock_acquired', { ...lockFields(lock), ...(via ? { via } : {}) });
    this.logger.info({ equipment_id: lock.equipment_id, session_id: sessionId, via }, 'lock acquired');
    this.arm();
    return lock;
  }

  /** Ends a lock, records and announces why, and hands a freed exclusive lock to the head of the queue. */
  private end(state: EquipmentLocks, lock: Lock, ending: Ending): void {
    if (lock.lock_mode === 'observer') state.observers.delete(lock.session_id);
    else if (state.exclusive === lock) state.exclusive = undefined;
    const detail = {
      lock_id: lock.lock_id,
      lock_mode: lock.lock_mode,
      reason: ending.reason,
      ...(ending.by ? { released_by: ending.by } : {}),
    };
    this.record(state, ending.event, lock.session_id, {
      ...detail,
      duration_seconds: (this.now() - lock.acquiredAt) / 1000,
    });
    const type = ending.event === 'lock_expired' ? 'lock_expired' : 'lock_released';
    this.announce(type, { ...lockFields(lock), ...detail });
    const log = ending.event === 'lock_force_released' ? this.logger.warn : this.logger.info;
    log.call(
      this.logger,
      { equipment_id: lock.equipment_id, session_id: lock.session_id, ...detail },
      'lock ended',
    );

    // A bus subscriber may have taken the free lock already; the queue then waits for its release.
    const next = lock.lock_mode === 'exclusive' && !state.exclusive ? state.queue.shift() : undefined;
    if (next) {
      this.grant(state, next.session_id, next.timeoutSeconds, 'queue');
      this.record(state, 'queue_processed', next.session_id, {
        queue_id: next.queue_id,
        result: 'lock_acquired',
      });
    }
  }

  private announce<T extends 'lock_acquired' | 'lock_released' | 'lock_expired'>(
    type: T,
    data: EventPayload<T>,
  ): void {
    this.bus.publishEvent(type, data);
  }

  private record(
    state: EquipmentLocks,
    event: LockEventName,
    sessionId: string,
    detail: Record<string, unknown>,
  ): void {
    state.events.push({
      event,
      equipment_id: state.equipment_id,
      session_id: sessionId,
      timestamp: iso(this.now()),
      ...detail,
    });
    if (state.events.length > HISTORY) state.events.shift();
  }

  private recordSession(
    sessionId: string,
    event: SessionEvent['event'],
    detail: Record<string, unknown>,
  ): void {
    let events = this.sessionEvents.get(sessionId);
    if (!events) {
      events = [];
      this.sessionEvents.set(sessionId, events);
      // Map order is insertion order: the first key is the oldest history.
      if (this.sessionEvents.size > ENDED_SESSION_HISTORIES + this.sessions.size) {
        const oldest = this.sessionEvents.keys().next().value;
        if (oldest !== undefined) this.sessionEvents.delete(oldest);
      }
    }
    events.push({ event, session_id: sessionId, timestamp: iso(this.now()), ...detail });
    if (events.length > HISTORY) events.shift();
  }

  private touchLock(lock: Lock): void {
    lock.lastActivity = this.now();
    this.touchSession(lock.session_id);
    this.arm();
  }

  private expired(item: { lastActivity: number; timeoutSeconds: number }, now: number): boolean {
    return now >= deadline(item);
  }

  private remaining(item: { lastActivity: number; timeoutSeconds: number }): number {
    return Math.max(0, deadline(item) - this.now()) / 1000;
  }

  /** Arms the one timer for the earliest deadline of any lock or session (activity only ever postpones one). */
  private arm(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const state of this.equipment.values()) {
      if (state.exclusive) next = Math.min(next, deadline(state.exclusive));
      for (const lock of state.observers.values()) next = Math.min(next, deadline(lock));
    }
    for (const session of this.sessions.values()) next = Math.min(next, deadline(session));
    if (next >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.sweep();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, next - this.now())),
    );
    this.timer.unref();
  }

  private lockView(lock: Lock): LockView {
    return {
      lock_id: lock.lock_id,
      equipment_id: lock.equipment_id,
      session_id: lock.session_id,
      lock_mode: lock.lock_mode,
      acquired_at: iso(lock.acquiredAt),
      last_activity: iso(lock.lastActivity),
      timeout_seconds: lock.timeoutSeconds,
      expires_at: iso(deadline(lock)),
    };
  }

  private sessionView(session: Session): SessionView {
    return {
      session_id: session.session_id,
      client_name: session.client_name,
      client_ip: session.client_ip,
      created_at: iso(session.createdAt),
      last_activity: iso(session.lastActivity),
      timeout_seconds: session.timeoutSeconds,
      time_remaining: this.remaining(session),
      duration_seconds: (this.now() - session.createdAt) / 1000,
      metadata: session.metadata,
    };
  }
}

function deadline(item: { lastActivity: number; timeoutSeconds: number }): number {
  return item.lastActivity + item.timeoutSeconds * 1000;
}

/** The REST schema refuses these already; the check here covers every other caller (WebSocket, jobs, tests). */
function checkTimeout(seconds: number): number {
  const { min, max } = TIMEOUT_SECONDS;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw invalidRequest(
      'timeout_seconds',
      `timeout_seconds must be a whole number of seconds from ${min} to ${max} (a day), not ${seconds}`,
    );
  }
  return seconds;
}

function checkMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const size = Buffer.byteLength(JSON.stringify(metadata));
  if (size > MAX_METADATA_BYTES) {
    throw invalidRequest(
      'metadata',
      `metadata takes ${size} bytes as JSON; at most ${MAX_METADATA_BYTES} are kept`,
    );
  }
  return metadata;
}

/** The original's wording, which its clients show; `hint` adds what the caller can do about it. */
function lockedError(held: Lock, hint = ''): DomainError {
  return new DomainError(
    'locked',
    `Equipment ${held.equipment_id} is locked by session ${held.session_id}${hint}`,
    undefined,
    { locked_by: held.session_id },
  );
}

function queueView(entry: QueueEntry, position: number): QueueEntryView {
  return {
    queue_id: entry.queue_id,
    equipment_id: entry.equipment_id,
    session_id: entry.session_id,
    lock_mode: 'exclusive',
    queued_at: iso(entry.queuedAt),
    position,
  };
}
