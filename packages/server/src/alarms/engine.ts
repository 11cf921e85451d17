// The alarm engine: definitions, their evaluation on live readings, and the ISA-18.2 lifecycle of each occurrence.
//
// - Readings: a long-lived consumer of the readings pipeline. One claim per watched (instrument, kind, channel) at
//   each definition's interval_ms; claims wait through the instrument's absences by themselves. Each reading is
//   evaluated by conditions.ts (deadband as hysteresis, on-delay, count filter).
// - Instruments: the equipment service's state events raise one `communication` alarm per instrument (not
//   responding, reconnecting, in error); while it stands, that instrument's other alarms are `suppressed` instead of
//   flooding. Stale data (a connected instrument whose reads keep failing) raises its `equipment_error` alarm.
// - Safety: the emergency stop and setpoints refused by the safety limits raise `safety` alarms.
// - `custom` and `system` alarms are raised through REST.
// Alarms LabLink raises by itself need definitions: when an instrument has no `communication` (or `equipment_error`)
// definition, a built-in one is made for it on first need; `safety` has two built-ins (emergency stop, setpoint
// refused). Users may edit them (severity, notifications, enabled) or add their own of those types.
//
// Lifecycle of an occurrence (docs/alarms.md): active → acknowledged → cleared when back to normal; back to normal
// unacknowledged: cleared (auto_clear) or returned (latching) until acknowledged; shelved until an expiry that
// really fires (a timer, re-armed at start-up) → active if still in alarm, else cleared; suppressed while its
// instrument's communication alarm stands. Every transition is stored before its event is published, then
// notifications are sent. A restart keeps open occurrences as they were and evaluation resumes.

import { createHash, randomBytes } from 'node:crypto';
import type { EventPayload, StreamType } from '@lablink/protocol';
import type {
  AlarmConfig,
  AlarmEvent,
  AlarmEventsQuery,
  AlarmParameters,
  AlarmState,
  AlarmStatistics,
  CreateAlarmRequest,
  UpdateAlarmRequest,
} from '@lablink/protocol/rest';
import { ALARM_INTERVAL_MS } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import type { Bus, Published } from '../bus.js';
import type { EquipmentView } from '../equipment/types.js';
import { DomainError, notFound } from '../errors.js';
import type { Claim, ClaimRequest } from '../readings/pipeline.js';
import type { Db } from '../storage/database.js';
import { evaluate, type FilterState, freshState } from './conditions.js';
import { fieldValue, parametersOf, resolveParameter, setpointOf } from './parameters.js';
import { type AlarmFilter, AlarmStore, publicEvent, type StoredEvent } from './store.js';

/** What notify.ts receives after a transition is stored and published. */
export interface AlarmNotice {
  kind: 'raised' | 'cleared';
  event: AlarmEvent;
  alarm: AlarmConfig;
}

/** The notifications service as the engine sees it: never throws, never blocks. */
export interface AlarmNotifier {
  notify(notice: AlarmNotice): void;
}

export const noNotifications: AlarmNotifier = { notify() {} };

export interface AlarmDeps {
  db: Db;
  bus: Bus;
  logger: Logger;
  equipment: { find(id: string): Pick<EquipmentView, 'info' | 'model' | 'state'> | undefined };
  readings: { claim(request: ClaimRequest): Claim };
  notifier?: AlarmNotifier;
  /** Hook into the safety history (setpoints refused by the limits). */
  safety?: {
    onRecord(listener: (kind: string, equipmentId: string | null, detail: unknown) => void): () => void;
  };
  /** Milliseconds since the epoch (tests may move it). */
  now?: () => number;
}

const EVALUATED: ReadonlySet<string> = new Set(['threshold', 'deviation', 'rate_of_change']);
const RAISED_BY_REST: ReadonlySet<string> = new Set(['custom', 'system']);
const THRESHOLD_CONDITIONS: ReadonlySet<string> = new Set([
  'greater_than',
  'less_than',
  'equal_to',
  'not_equal_to',
  'rising_edge',
  'falling_edge',
]);
const SAFETY_PARAMETERS = ['emergency_stop', 'setpoint_refused'];
/** Equipment states that raise the instrument's communication alarm. */
const COMM_FAULT_STATES: ReadonlySet<string> = new Set(['error', 'not_responding', 'reconnecting']);
const SYSTEM = 'system';
const DAY_MS = 86_400_000;
const TEN_MIN_MS = 600_000;

interface Watch {
  claim: Claim;
  equipment_id: string;
  alarms: Set<string>;
}

const DEFAULTS = {
  description: null,
  equipment_id: null,
  channel: null,
  alarm_type: 'threshold',
  condition: 'greater_than',
  severity: 'warning',
  threshold: null,
  threshold_high: null,
  threshold_low: null,
  reference: null,
  window_seconds: 1,
  deadband: 0,
  delay_seconds: 0,
  count: null,
  count_window_seconds: null,
  auto_clear: true,
  enabled: true,
  notifications: ['websocket'],
  interval_ms: ALARM_INTERVAL_MS.default,
  tags: [],
} as const satisfies Partial<AlarmConfig>;

const WRITABLE = [
  'name',
  'parameter',
  ...(Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]),
] as const satisfies readonly (keyof AlarmConfig)[];

const invalid = (field: string, detail: string) => new DomainError('invalid_definition', detail, field);

export class AlarmService {
  private readonly store: AlarmStore;
  private readonly notifier: AlarmNotifier;
  private readonly now: () => number;
  private readonly alarms = new Map<string, AlarmConfig>();
  private readonly filters = new Map<string, FilterState>();
  /** The occurrence not cleared of each alarm (at most one). */
  private readonly open = new Map<string, StoredEvent>();
  private readonly watches = new Map<string, Watch>();
  /** The watch key of each watched alarm. */
  private readonly watchOf = new Map<string, string>();
  /** Alarms whose instrument was unknown when they were watched: watched once it connects. */
  private readonly waiting = new Map<string, Set<string>>();
  private readonly shelveTimers = new Map<string, NodeJS.Timeout>();
  /** Instruments whose communication alarm stands: their other alarms are suppressed. */
  private readonly commDown = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private started = false;
  private closed = false;

  constructor(private readonly deps: AlarmDeps) {
    this.store = new AlarmStore(deps.db);
    this.notifier = deps.notifier ?? noNotifications;
    this.now = deps.now ?? Date.now;
  }

  /** Loads definitions and open occurrences, re-arms shelving timers and starts evaluation. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const alarm of this.store.listAlarms()) this.alarms.set(alarm.alarm_id, alarm);
    for (const event of this.store.openEvents()) {
      this.open.set(event.alarm_id, event);
      this.filters.set(event.alarm_id, freshState(event.in_alarm));
      if (event.alarm_type === 'communication' && event.in_alarm && event.equipment_id)
        this.commDown.add(event.equipment_id);
      if (event.state === 'shelved') this.armShelve(event);
    }
    for (const alarm of this.alarms.values()) if (alarm.enabled) this.watch(alarm);
    this.unsubscribe.push(this.deps.bus.subscribe('equipment', (m) => this.onEquipmentEvent(m)));
    // Instruments that answer again since the last run (connected before the engine started hears no event).
    for (const event of [...this.open.values()]) {
      const type = event.alarm_type;
      if ((type !== 'communication' && type !== 'equipment_error') || !event.equipment_id) continue;
      if (this.deps.equipment.find(event.equipment_id)?.state === 'connected')
        this.guard(() => this.instrumentRestored(type, event.equipment_id as string));
    }
    if (this.deps.safety) {
      this.unsubscribe.push(
        this.deps.safety.onRecord((kind, equipmentId, detail) => {
          if (kind === 'setpoint_refused') this.guard(() => this.onSetpointRefused(equipmentId, detail));
        }),
      );
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe) off();
    for (const watch of this.watches.values()) watch.claim.release();
    this.watches.clear();
    for (const timer of this.shelveTimers.values()) clearTimeout(timer);
    this.shelveTimers.clear();
  }

  // ---- definitions ------------------------------------------------------------------------------------------------

  list(filter: AlarmFilter = {}): AlarmConfig[] {
    return this.store.listAlarms(filter);
  }

  get(alarmId: string): AlarmConfig {
    const alarm = this.alarms.get(alarmId);
    if (!alarm) throw notFound(`Alarm ${alarmId}`);
    return alarm;
  }

  create(request: CreateAlarmRequest, createdBy: string | null = null): AlarmConfig {
    const at = new Date(this.now()).toISOString();
    const draft = {
      ...DEFAULTS,
      ...request,
      alarm_id: `alarm_${randomBytes(4).toString('hex')}`,
      builtin: false,
      created_at: at,
      created_by: createdBy,
      updated_at: at,
    } as AlarmConfig;
    const alarm = this.validated(draft);
    this.store.insertAlarm(alarm);
    this.alarms.set(alarm.alarm_id, alarm);
    if (alarm.enabled) this.watch(alarm);
    return alarm;
  }

  update(alarmId: string, patch: UpdateAlarmRequest): AlarmConfig {
    const old = this.get(alarmId);
    if (old.builtin) {
      for (const field of ['alarm_type', 'equipment_id', 'parameter'] as const) {
        if (patch[field] !== undefined && patch[field] !== old[field])
          throw invalid(field, `${field} of a built-in alarm cannot change (make your own alarm instead)`);
      }
    }
    const merged = { ...old, ...patch, updated_at: new Date(this.now()).toISOString() } as AlarmConfig;
    // A channel named for another instrument does not carry over.
    if (
      patch.equipment_id !== undefined &&
      patch.channel === undefined &&
      patch.equipment_id !== old.equipment_id
    )
      merged.channel = null;
    // An instrument disconnected for good does not stop its alarms from being renamed, disabled or retuned.
    const aboutInstrument = (
      ['equipment_id', 'channel', 'parameter', 'alarm_type', 'reference'] as const
    ).some((k) => patch[k] !== undefined && patch[k] !== old[k]);
    const alarm = this.validated(merged, aboutInstrument);
    this.store.updateAlarm(alarm);
    this.alarms.set(alarmId, alarm);
    this.unwatch(alarmId);
    this.filters.set(alarmId, freshState(this.open.get(alarmId)?.in_alarm ?? false));
    if (!alarm.enabled) this.clearOpen(alarmId, `${SYSTEM}: alarm disabled`);
    else this.watch(alarm);
    return alarm;
  }

  setEnabled(alarmId: string, enabled: boolean): AlarmConfig {
    return this.update(alarmId, { enabled });
  }

  delete(alarmId: string): void {
    this.get(alarmId);
    this.unwatch(alarmId);
    this.clearOpen(alarmId, `${SYSTEM}: alarm deleted`);
    this.store.deleteAlarm(alarmId);
    this.alarms.delete(alarmId);
    this.filters.delete(alarmId);
  }

  /** The reading fields an alarm on this instrument may watch. */
  parameters(equipmentId: string): AlarmParameters {
    const view = this.deps.equipment.find(equipmentId);
    if (!view) throw notFound(`Equipment ${equipmentId}`);
    const { channels, parameters } = parametersOf(view);
    return {
      equipment_id: equipmentId,
      equipment_type: view.info.type,
      channels: Math.max(1, channels),
      parameters,
    };
  }

  /** Completes and checks a definition; throws invalid_definition naming the field. Stores nothing. */
  private validated(alarm: AlarmConfig, checkInstrument = true): AlarmConfig {
    const out: AlarmConfig = { ...alarm, tags: [...alarm.tags], notifications: [...alarm.notifications] };
    const type = out.alarm_type;
    const view = out.equipment_id !== null ? this.deps.equipment.find(out.equipment_id) : undefined;
    if (out.equipment_id !== null && (view || checkInstrument)) {
      if (!view)
        throw invalid('equipment_id', `no equipment "${out.equipment_id}" (GET /api/equipment/list)`);
      const { channels, parameters, kind } = parametersOf(view);
      if (channels > 0) {
        out.channel ??= 1;
        if (out.channel > channels)
          throw invalid(
            'channel',
            `equipment "${out.equipment_id}" has channels 1–${channels}, not ${out.channel}`,
          );
      } else out.channel = null;
      if (EVALUATED.has(type)) {
        if (!kind || resolveParameter(view, out.parameter) === undefined) {
          throw invalid(
            'parameter',
            `equipment "${out.equipment_id}" (${view.info.type}) has no reading field "${out.parameter}"; it has: ${parameters.map((p) => p.name).join(', ') || 'none'}`,
          );
        }
        if (type === 'deviation' && out.reference === null) {
          const field = resolveParameter(view, out.parameter) as string;
          if (!parameters.find((p) => p.name === field)?.setpoint)
            throw invalid(
              'reference',
              `"${out.parameter}" has no setpoint of its own: give a reference to deviate from`,
            );
        }
      }
    } else if (out.equipment_id === null) {
      out.channel = null;
      if (type === 'communication' || type === 'equipment_error')
        throw invalid('equipment_id', `a ${type} alarm watches one instrument: equipment_id is required`);
      if (type === 'deviation' && out.reference === null)
        throw invalid('reference', 'a deviation alarm of no instrument needs a reference');
    }
    if (type === 'safety' && !SAFETY_PARAMETERS.includes(out.parameter))
      throw invalid(
        'parameter',
        `a safety alarm watches ${SAFETY_PARAMETERS.join(' or ')}, not "${out.parameter}"`,
      );
    if (EVALUATED.has(type)) {
      if (THRESHOLD_CONDITIONS.has(out.condition) && out.threshold === null)
        throw invalid('threshold', `condition ${out.condition} needs a threshold`);
      if (out.condition === 'in_range' || out.condition === 'out_of_range') {
        if (out.threshold_low === null)
          throw invalid('threshold_low', `condition ${out.condition} needs threshold_low and threshold_high`);
        if (out.threshold_high === null)
          throw invalid(
            'threshold_high',
            `condition ${out.condition} needs threshold_low and threshold_high`,
          );
        if (out.threshold_low > out.threshold_high)
          throw invalid('threshold_low', 'threshold_low is above threshold_high');
      }
    }
    if (out.count !== null && out.count_window_seconds === null)
      throw invalid('count_window_seconds', 'a count filter needs count_window_seconds');
    return Object.fromEntries(
      [...WRITABLE, 'alarm_id', 'builtin', 'created_at', 'created_by', 'updated_at'].map((k) => [
        k,
        out[k as keyof AlarmConfig],
      ]),
    ) as AlarmConfig;
  }

  // ---- watching readings ------------------------------------------------------------------------------------------

  private watch(alarm: AlarmConfig): void {
    if (this.closed || !EVALUATED.has(alarm.alarm_type) || alarm.equipment_id === null) return;
    const equipmentId = alarm.equipment_id;
    const view = this.deps.equipment.find(equipmentId);
    const kind = view ? parametersOf(view).kind : null;
    if (!view || !kind) {
      this.waitFor(equipmentId, alarm.alarm_id);
      return;
    }
    const channel = alarm.channel ?? 1;
    const key = `${equipmentId}|${kind}|${channel}|${alarm.interval_ms}`;
    let watch = this.watches.get(key);
    if (!watch) {
      try {
        watch = this.claim(key, equipmentId, kind, channel, alarm.interval_ms);
      } catch (err) {
        if (err instanceof DomainError && err.code === 'unknown_equipment') {
          this.waitFor(equipmentId, alarm.alarm_id);
          return;
        }
        throw err;
      }
    }
    watch.alarms.add(alarm.alarm_id);
    this.watchOf.set(alarm.alarm_id, key);
    if (!this.filters.has(alarm.alarm_id))
      this.filters.set(alarm.alarm_id, freshState(this.open.get(alarm.alarm_id)?.in_alarm ?? false));
  }

  private claim(
    key: string,
    equipmentId: string,
    kind: StreamType,
    channel: number,
    interval: number,
  ): Watch {
    const alarms = new Set<string>();
    const claim = this.deps.readings.claim({
      equipment_id: equipmentId,
      kind,
      channel,
      interval_ms: interval,
      consumer: 'alarms',
      onReading: (message) => this.guard(() => this.onReading(watch, message)),
      onFreshness: (freshness, reason) =>
        this.guard(() => {
          if (freshness === 'stale')
            this.instrumentFault('equipment_error', equipmentId, `stale readings: ${reason}`);
          else if (freshness === 'live') this.instrumentRestored('equipment_error', equipmentId);
        }),
    });
    const watch: Watch = { claim, equipment_id: equipmentId, alarms };
    this.watches.set(key, watch);
    return watch;
  }

  private unwatch(alarmId: string): void {
    for (const set of this.waiting.values()) set.delete(alarmId);
    const key = this.watchOf.get(alarmId);
    if (key === undefined) return;
    this.watchOf.delete(alarmId);
    const watch = this.watches.get(key);
    if (!watch) return;
    watch.alarms.delete(alarmId);
    if (watch.alarms.size === 0) {
      watch.claim.release();
      this.watches.delete(key);
    }
  }

  private waitFor(equipmentId: string, alarmId: string): void {
    let set = this.waiting.get(equipmentId);
    if (!set) {
      set = new Set();
      this.waiting.set(equipmentId, set);
    }
    set.add(alarmId);
  }

  private onReading(watch: Watch, message: Published): void {
    const reading = message.data as Record<string, unknown>;
    const view = this.deps.equipment.find(watch.equipment_id);
    if (!view) return;
    const parameters = parametersOf(view).parameters;
    for (const alarmId of watch.alarms) {
      const alarm = this.alarms.get(alarmId);
      if (!alarm?.enabled) continue;
      const field = resolveParameter(view, alarm.parameter);
      if (!field) continue;
      const setpointField = parameters.find((p) => p.name === field)?.setpoint ?? null;
      this.feed(alarm, fieldValue(reading, field), setpointOf(reading, field, setpointField));
    }
  }

  /** Evaluates one value of an alarm and applies what it changes. Returns the occurrence it touched. */
  private feed(alarm: AlarmConfig, value: number | null, setpoint: number | null): StoredEvent | undefined {
    let filter = this.filters.get(alarm.alarm_id);
    if (!filter) {
      filter = freshState(this.open.get(alarm.alarm_id)?.in_alarm ?? false);
      this.filters.set(alarm.alarm_id, filter);
    }
    const result = evaluate(alarm, filter, { value, at: this.now(), setpoint });
    const open = this.open.get(alarm.alarm_id);
    if (result.change === 'raise') {
      const text = this.conditionMessage(alarm, result.quantity, result.threshold);
      if (!open) return this.raise(alarm, result.quantity, result.threshold, text);
      return this.backInAlarm(open, result.quantity);
    }
    if (result.change === 'return' && open) return this.returnToNormal(open, alarm, result.quantity);
    if (open && result.quantity !== null) open.value = result.quantity;
    return open;
  }

  private conditionMessage(alarm: AlarmConfig, value: number | null, threshold: number | null): string {
    const what =
      alarm.alarm_type === 'deviation'
        ? `deviation of ${alarm.parameter}`
        : alarm.alarm_type === 'rate_of_change'
          ? `rate of ${alarm.parameter} per second`
          : alarm.parameter;
    const bound =
      alarm.condition === 'in_range' || alarm.condition === 'out_of_range'
        ? `${alarm.condition} ${fmt(alarm.threshold_low)}..${fmt(alarm.threshold_high)}`
        : `${alarm.condition} ${fmt(threshold)}`;
    return `${alarm.name}: ${what} = ${fmt(value)} (${bound})`;
  }

  // ---- transitions ------------------------------------------------------------------------------------------------

  /** A new occurrence: stored, announced (alarm_event), then notified. */
  private raise(
    alarm: AlarmConfig,
    value: number | null,
    threshold: number | null,
    message: string,
  ): StoredEvent {
    const suppressed =
      alarm.equipment_id !== null &&
      alarm.alarm_type !== 'communication' &&
      this.commDown.has(alarm.equipment_id);
    const event: StoredEvent = {
      event_id: `aev_${randomBytes(6).toString('hex')}`,
      alarm_id: alarm.alarm_id,
      alarm_name: alarm.name,
      alarm_type: alarm.alarm_type,
      severity: alarm.severity,
      state: suppressed ? 'suppressed' : 'active',
      prior_state: suppressed ? 'active' : null,
      equipment_id: alarm.equipment_id,
      channel: alarm.channel,
      parameter: alarm.parameter,
      value,
      threshold,
      message,
      in_alarm: true,
      triggered_at: new Date(this.now()).toISOString(),
      returned_at: null,
      acknowledged_at: null,
      acknowledged_by: null,
      acknowledgment_note: null,
      shelved_until: null,
      shelved_by: null,
      cleared_at: null,
      cleared_by: null,
    };
    this.store.saveTransition(event, null, null, null);
    this.open.set(alarm.alarm_id, event);
    this.deps.bus.publishEvent('alarm_event', alarmRaised(event));
    if (!suppressed) this.notify('raised', event, alarm);
    if (alarm.alarm_type === 'communication' && alarm.equipment_id) this.suppressOthers(alarm.equipment_id);
    return event;
  }

  /** Changes an open occurrence: stored, then announced (alarm_updated). */
  private change(
    event: StoredEvent,
    to: AlarmState,
    fields: Partial<StoredEvent>,
    by: string | null = null,
    note: string | null = null,
  ): StoredEvent {
    const from = event.state;
    Object.assign(event, fields, { state: to });
    this.store.saveTransition(event, from, by, note);
    this.deps.bus.publishEvent('alarm_updated', {
      event_id: event.event_id,
      alarm_id: event.alarm_id,
      state: event.state,
      severity: event.severity,
      acknowledged_at: event.acknowledged_at,
      acknowledged_by: event.acknowledged_by,
      note: event.acknowledgment_note,
      shelved_until: event.shelved_until,
      value: finiteOrNull(event.value),
      timestamp: new Date(this.now()).toISOString(),
    });
    return event;
  }

  /** Ends an occurrence: stored, announced (alarm_cleared), notified. */
  private clear(
    event: StoredEvent,
    by: string | null,
    fields: Partial<StoredEvent> = {},
    note: string | null = null,
  ): StoredEvent {
    const from = event.state;
    const at = new Date(this.now()).toISOString();
    Object.assign(event, fields, { state: 'cleared', prior_state: null, cleared_at: at, cleared_by: by });
    this.disarmShelve(event.event_id);
    this.store.saveTransition(event, from, by, note);
    if (this.open.get(event.alarm_id) === event) this.open.delete(event.alarm_id);
    this.deps.bus.publishEvent('alarm_cleared', {
      event_id: event.event_id,
      alarm_id: event.alarm_id,
      cleared_at: at,
      cleared_by: by,
    });
    const alarm = this.alarms.get(event.alarm_id);
    if (alarm) this.notify('cleared', event, alarm);
    if (event.alarm_type === 'communication' && event.equipment_id) this.maybeUnsuppress(event.equipment_id);
    return event;
  }

  private backInAlarm(event: StoredEvent, value: number | null): StoredEvent {
    const fields = { in_alarm: true, value, returned_at: null };
    if (event.state === 'returned') return this.change(event, 'active', fields);
    if (event.state === 'suppressed' && event.prior_state === 'returned')
      return this.change(event, 'suppressed', { ...fields, prior_state: 'active' });
    Object.assign(event, fields);
    this.store.saveValue(event.event_id, event.value, true);
    return event;
  }

  /** Back to normal: cleared (auto_clear, or already acknowledged) or returned (latching, unacknowledged). */
  private returnToNormal(event: StoredEvent, alarm: AlarmConfig, value: number | null): StoredEvent {
    const at = new Date(this.now()).toISOString();
    const fields = { in_alarm: false, value, returned_at: at };
    switch (event.state) {
      case 'active':
        return alarm.auto_clear ? this.clear(event, SYSTEM, fields) : this.change(event, 'returned', fields);
      case 'acknowledged':
        return this.clear(event, SYSTEM, fields);
      case 'suppressed': {
        const prior = event.prior_state;
        if (prior === 'acknowledged' || (prior === 'active' && alarm.auto_clear))
          return this.clear(event, SYSTEM, fields);
        if (prior === 'active')
          return this.change(event, 'suppressed', { ...fields, prior_state: 'returned' });
        break;
      }
      default:
        break;
    }
    // shelved (decided at expiry), returned (waits for its acknowledgment): only the value changes.
    Object.assign(event, fields);
    this.store.saveValue(event.event_id, event.value, false);
    return event;
  }

  private clearOpen(alarmId: string, by: string): void {
    const event = this.open.get(alarmId);
    if (event) this.clear(event, by);
  }

  private notify(kind: AlarmNotice['kind'], event: StoredEvent, alarm: AlarmConfig): void {
    try {
      this.notifier.notify({ kind, event: publicEvent(event), alarm });
    } catch (err) {
      this.deps.logger.error({ err, alarm_id: alarm.alarm_id }, 'alarm notification failed');
    }
  }

  // ---- what people do ---------------------------------------------------------------------------------------------

  event(eventId: string): AlarmEvent {
    return publicEvent(this.requireEvent(eventId));
  }

  /** Every occurrence not cleared, oldest first. */
  activeEvents(): AlarmEvent[] {
    return [...this.open.values()]
      .sort((a, b) => (a.triggered_at < b.triggered_at ? -1 : a.triggered_at > b.triggered_at ? 1 : 0))
      .map(publicEvent);
  }

  events(query: AlarmEventsQuery): { total: number; events: AlarmEvent[] } {
    return this.store.listEvents(query);
  }

  acknowledge(eventId: string, by: string | null, note: string | null): AlarmEvent {
    const event = this.requireOpen(eventId, 'acknowledged');
    const at = new Date(this.now()).toISOString();
    const fields = { acknowledged_at: at, acknowledged_by: by, acknowledgment_note: note };
    switch (event.state) {
      case 'active':
        return publicEvent(this.change(event, 'acknowledged', fields, by, note));
      case 'returned':
        return publicEvent(this.clear(event, by, fields, note));
      case 'suppressed':
        if (event.prior_state === 'active')
          return publicEvent(
            this.change(event, 'suppressed', { ...fields, prior_state: 'acknowledged' }, by, note),
          );
        if (event.prior_state === 'returned') return publicEvent(this.clear(event, by, fields, note));
        break;
      default:
        break;
    }
    throw new DomainError(
      'invalid_transition',
      event.state === 'acknowledged'
        ? `alarm event ${eventId} is already acknowledged`
        : `alarm event ${eventId} is ${event.state}${event.state === 'shelved' ? ': unshelve it first' : ''}`,
      'event_id',
      { state: event.state },
    );
  }

  shelve(eventId: string, seconds: number, by: string | null, note: string | null): AlarmEvent {
    const event = this.requireOpen(eventId, 'shelved');
    if (event.state === 'suppressed')
      throw new DomainError(
        'invalid_transition',
        `alarm event ${eventId} is suppressed (its instrument is not communicating)`,
        'event_id',
        {
          state: event.state,
        },
      );
    const until = new Date(this.now() + seconds * 1000).toISOString();
    const prior = event.state === 'shelved' ? event.prior_state : event.state;
    this.change(event, 'shelved', { shelved_until: until, shelved_by: by, prior_state: prior }, by, note);
    this.armShelve(event);
    return publicEvent(event);
  }

  /** A person ends the shelving: acknowledged if still in alarm (IEC 62682 §11.7.3), else cleared. */
  unshelve(eventId: string, by: string | null): AlarmEvent {
    const event = this.requireEvent(eventId);
    if (event.state !== 'shelved')
      throw new DomainError(
        'invalid_transition',
        `alarm event ${eventId} is ${event.state}, not shelved`,
        'event_id',
        {
          state: event.state,
        },
      );
    this.disarmShelve(eventId);
    const fields = { shelved_until: null, shelved_by: null, prior_state: null };
    if (!event.in_alarm) return publicEvent(this.clear(event, by, fields));
    const at = new Date(this.now()).toISOString();
    return publicEvent(
      this.change(
        event,
        'acknowledged',
        {
          ...fields,
          acknowledged_at: event.acknowledged_at ?? at,
          acknowledged_by: event.acknowledged_by ?? by,
        },
        by,
      ),
    );
  }

  /** Clears an alarm's open occurrence, whatever its state; evaluation starts afresh (it rises again if still in alarm). */
  clearAlarm(alarmId: string, by: string | null): AlarmEvent {
    this.get(alarmId);
    const event = this.open.get(alarmId);
    if (!event) throw new DomainError('not_found', `No active alarm for ${alarmId}`, 'alarm_id');
    this.filters.set(alarmId, freshState(false));
    return publicEvent(this.clear(event, by ?? 'user'));
  }

  /** A value fed from outside, evaluated as a reading would be. */
  check(alarmId: string, value: number): { triggered: boolean; event: AlarmEvent | null } {
    const alarm = this.get(alarmId);
    if (!EVALUATED.has(alarm.alarm_type))
      throw new DomainError(
        'invalid_request',
        `${alarmId} is a ${alarm.alarm_type} alarm: only threshold, deviation and rate_of_change alarms evaluate values${RAISED_BY_REST.has(alarm.alarm_type) ? ' (raise it with POST /api/alarms/raise)' : ''}`,
        'alarm_id',
      );
    if (!alarm.enabled) return { triggered: false, event: null };
    const touched = this.feed(alarm, value, null);
    const open = this.open.get(alarmId);
    return { triggered: open?.in_alarm ?? false, event: touched ? publicEvent(touched) : null };
  }

  /** Raises a custom or system alarm; it stays in alarm until cleared. An open occurrence is returned as it is. */
  raiseByRequest(alarmId: string, value: number | null, message: string | null): AlarmEvent {
    const alarm = this.get(alarmId);
    if (!RAISED_BY_REST.has(alarm.alarm_type))
      throw new DomainError(
        'invalid_request',
        `${alarmId} is a ${alarm.alarm_type} alarm, raised by ${EVALUATED.has(alarm.alarm_type) ? 'its readings' : 'LabLink itself'}; only custom and system alarms are raised through REST`,
        'alarm_id',
      );
    if (!alarm.enabled)
      throw new DomainError('invalid_transition', `alarm ${alarmId} is disabled`, 'alarm_id', {
        state: 'disabled',
      });
    const open = this.open.get(alarmId);
    if (open) return publicEvent(open);
    const text = message ?? `${alarm.name}${value !== null ? `: ${alarm.parameter} = ${fmt(value)}` : ''}`;
    return publicEvent(this.raise(alarm, value, alarm.threshold, text));
  }

  private requireEvent(eventId: string): StoredEvent {
    const open = [...this.open.values()].find((e) => e.event_id === eventId);
    if (open) return open;
    const stored = this.store.getEvent(eventId);
    if (!stored) throw notFound(`Alarm event ${eventId}`);
    return stored;
  }

  private requireOpen(eventId: string, goal: string): StoredEvent {
    const event = this.requireEvent(eventId);
    if (event.state === 'cleared')
      throw new DomainError(
        'invalid_transition',
        `alarm event ${eventId} is cleared: it cannot be ${goal}`,
        'event_id',
        {
          state: event.state,
        },
      );
    return event;
  }

  // ---- shelving ---------------------------------------------------------------------------------------------------

  private armShelve(event: StoredEvent): void {
    this.disarmShelve(event.event_id);
    if (!event.shelved_until) return;
    const ms = Math.max(0, Date.parse(event.shelved_until) - this.now());
    const timer = setTimeout(
      () => this.guard(() => this.shelveExpired(event.event_id)),
      Math.min(ms, 2 ** 31 - 1),
    );
    timer.unref();
    this.shelveTimers.set(event.event_id, timer);
  }

  private disarmShelve(eventId: string): void {
    const timer = this.shelveTimers.get(eventId);
    if (timer) clearTimeout(timer);
    this.shelveTimers.delete(eventId);
  }

  /** The shelving ran out: back to active (unacknowledged) if still in alarm, else cleared. */
  private shelveExpired(eventId: string): void {
    this.shelveTimers.delete(eventId);
    const event = [...this.open.values()].find((e) => e.event_id === eventId);
    if (event?.state !== 'shelved') return;
    if (event.shelved_until && Date.parse(event.shelved_until) > this.now()) {
      this.armShelve(event);
      return;
    }
    const fields = { shelved_until: null, shelved_by: null, prior_state: null };
    if (!event.in_alarm) {
      this.clear(event, `${SYSTEM}: shelving expired`, fields);
      return;
    }
    const unacknowledged = {
      ...fields,
      acknowledged_at: null,
      acknowledged_by: null,
      acknowledgment_note: null,
    };
    // Its instrument not communicating now: it comes back suppressed, active once the instrument answers.
    if (
      event.equipment_id !== null &&
      event.alarm_type !== 'communication' &&
      this.commDown.has(event.equipment_id)
    ) {
      this.change(
        event,
        'suppressed',
        { ...unacknowledged, prior_state: 'active' },
        `${SYSTEM}: shelving expired`,
      );
      return;
    }
    this.change(event, 'active', unacknowledged, `${SYSTEM}: shelving expired`);
  }

  // ---- instruments and safety -------------------------------------------------------------------------------------

  private onEquipmentEvent(message: Published): void {
    this.guard(() => {
      const data = message.data as Record<string, unknown>;
      const id = typeof data.equipment_id === 'string' ? data.equipment_id : null;
      switch (message.type) {
        case 'equipment_state':
          if (!id) return;
          if (COMM_FAULT_STATES.has(String(data.state)))
            this.instrumentFault(
              'communication',
              id,
              `${id} is ${data.state}${data.error ? `: ${data.error}` : ''}`,
            );
          else if (data.state === 'connected') {
            this.instrumentRestored('communication', id);
            this.watchWaiting(id);
          }
          return;
        case 'equipment_connected':
          if (!id) return;
          this.instrumentRestored('communication', id);
          this.watchWaiting(id);
          return;
        case 'equipment_disconnected':
          // Disconnected by a person: no communication fault.
          if (id) this.instrumentRestored('communication', id);
          return;
        case 'emergency_stop_activated': {
          const count = Number(data.equipment_count ?? 0);
          const failed = Array.isArray(data.failed) ? data.failed.length : 0;
          this.safetyRaise(
            'emergency_stop',
            null,
            count,
            `Emergency stop activated: ${count} instrument(s) made safe${failed > 0 ? `, ${failed} could not be` : ''}`,
          );
          return;
        }
        case 'emergency_stop_deactivated':
          for (const alarm of this.safetyAlarms('emergency_stop', null)) {
            const open = this.open.get(alarm.alarm_id);
            if (open?.in_alarm) this.returnToNormal(open, alarm, open.value);
          }
          return;
        default:
          return;
      }
    });
  }

  private watchWaiting(equipmentId: string): void {
    const set = this.waiting.get(equipmentId);
    if (!set) return;
    this.waiting.delete(equipmentId);
    for (const alarmId of set) {
      const alarm = this.alarms.get(alarmId);
      if (alarm?.enabled && !this.watchOf.has(alarmId)) this.watch(alarm);
    }
  }

  /** The alarms of this type watching the instrument; a built-in one is made when it has none at all. */
  private instrumentAlarms(
    type: 'communication' | 'equipment_error',
    equipmentId: string,
    create: boolean,
  ): AlarmConfig[] {
    const all = [...this.alarms.values()].filter(
      (a) => a.alarm_type === type && a.equipment_id === equipmentId,
    );
    if (all.length === 0 && create && this.deps.equipment.find(equipmentId)) {
      const view = this.deps.equipment.find(equipmentId);
      const label = view?.info.nickname ?? equipmentId;
      all.push(
        this.builtin(`${type}:${equipmentId}`, {
          name: type === 'communication' ? `Communication lost: ${label}` : `Instrument error: ${label}`,
          description:
            type === 'communication'
              ? 'Raised by LabLink while the instrument does not respond, reconnects or is in error.'
              : 'Raised by LabLink while the instrument is connected but its readings keep failing.',
          equipment_id: equipmentId,
          parameter: type === 'communication' ? 'connection' : 'readings',
          alarm_type: type,
          severity: type === 'communication' ? 'error' : 'warning',
          auto_clear: true,
        }),
      );
    }
    return all.filter((a) => a.enabled);
  }

  private instrumentFault(type: 'communication' | 'equipment_error', equipmentId: string, why: string): void {
    for (const alarm of this.instrumentAlarms(type, equipmentId, true)) {
      const open = this.open.get(alarm.alarm_id);
      if (open) {
        if (!open.in_alarm) this.backInAlarm(open, null);
        continue;
      }
      this.raise(alarm, null, null, `${alarm.name}: ${why}`);
    }
  }

  private instrumentRestored(type: 'communication' | 'equipment_error', equipmentId: string): void {
    for (const alarm of this.instrumentAlarms(type, equipmentId, false)) {
      const open = this.open.get(alarm.alarm_id);
      if (open?.in_alarm) this.returnToNormal(open, alarm, null);
    }
    if (type === 'communication') this.maybeUnsuppress(equipmentId);
  }

  /** The instrument's communication alarm stands: its other open alarms are suppressed. */
  private suppressOthers(equipmentId: string): void {
    this.commDown.add(equipmentId);
    for (const event of [...this.open.values()]) {
      if (event.equipment_id !== equipmentId || event.alarm_type === 'communication') continue;
      if (event.state === 'active' || event.state === 'acknowledged' || event.state === 'returned')
        this.change(
          event,
          'suppressed',
          { prior_state: event.state },
          SYSTEM,
          'instrument not communicating',
        );
    }
  }

  /** No communication alarm of the instrument is in alarm any more: its suppressed alarms come back. */
  private maybeUnsuppress(equipmentId: string): void {
    const standing = [...this.open.values()].some(
      (e) => e.equipment_id === equipmentId && e.alarm_type === 'communication' && e.in_alarm,
    );
    if (standing) return;
    this.commDown.delete(equipmentId);
    for (const event of [...this.open.values()]) {
      if (event.equipment_id !== equipmentId || event.state !== 'suppressed') continue;
      this.change(
        event,
        event.prior_state ?? 'active',
        { prior_state: null },
        SYSTEM,
        'instrument communicating again',
      );
    }
  }

  private safetyAlarms(
    parameter: 'emergency_stop' | 'setpoint_refused',
    equipmentId: string | null,
  ): AlarmConfig[] {
    const all = [...this.alarms.values()].filter(
      (a) => a.alarm_type === 'safety' && a.parameter === parameter,
    );
    if (all.length === 0) {
      all.push(
        this.builtin(`safety:${parameter}`, {
          name: parameter === 'emergency_stop' ? 'Emergency stop' : 'Setpoint refused by the safety limits',
          description:
            parameter === 'emergency_stop'
              ? 'Raised by LabLink when the emergency stop is activated; back to normal when it is deactivated.'
              : 'Raised by LabLink when a setpoint is refused by the safety limits.',
          equipment_id: null,
          parameter,
          alarm_type: 'safety',
          severity: parameter === 'emergency_stop' ? 'critical' : 'warning',
          auto_clear: false,
        }),
      );
    }
    return all.filter((a) => a.enabled && (a.equipment_id === null || a.equipment_id === equipmentId));
  }

  private safetyRaise(
    parameter: 'emergency_stop' | 'setpoint_refused',
    equipmentId: string | null,
    value: number | null,
    message: string,
  ): StoredEvent[] {
    const raised: StoredEvent[] = [];
    for (const alarm of this.safetyAlarms(parameter, equipmentId)) {
      const open = this.open.get(alarm.alarm_id);
      if (open) {
        if (!open.in_alarm) raised.push(this.backInAlarm(open, value));
        continue;
      }
      raised.push(this.raise(alarm, value, null, `${alarm.name}: ${message}`));
    }
    return raised;
  }

  /** A refused setpoint is a moment, not a state: raised and back to normal at once (latching: until acknowledged). */
  private onSetpointRefused(equipmentId: string | null, detail: unknown): void {
    const d = (detail ?? {}) as {
      action?: string;
      limit?: string;
      limit_value?: number;
      params?: Record<string, unknown>;
    };
    const message = `${equipmentId ?? 'an instrument'}: ${d.action ?? 'a setpoint'} refused (${d.limit ?? 'limit'} ${fmt(d.limit_value ?? null)})`;
    for (const event of this.safetyRaise('setpoint_refused', equipmentId, d.limit_value ?? null, message)) {
      const alarm = this.alarms.get(event.alarm_id);
      if (alarm && event.state !== 'cleared') this.returnToNormal(event, alarm, event.value);
    }
  }

  private builtin(key: string, fields: Partial<AlarmConfig>): AlarmConfig {
    const existing = this.store.builtinAlarm(key);
    if (existing) {
      this.alarms.set(existing.alarm_id, existing);
      return existing;
    }
    const at = new Date(this.now()).toISOString();
    const alarm = {
      ...DEFAULTS,
      ...fields,
      alarm_id: `alarm_${createHash('sha256').update(key).digest('hex').slice(0, 8)}`,
      builtin: true,
      created_at: at,
      created_by: SYSTEM,
      updated_at: at,
    } as AlarmConfig;
    this.store.insertAlarm(alarm, key);
    this.alarms.set(alarm.alarm_id, alarm);
    return alarm;
  }

  /** Runs engine work triggered by an event or a timer: a failure is logged, never thrown into the caller. */
  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err }, 'alarm engine failed');
    }
  }

  // ---- statistics -------------------------------------------------------------------------------------------------

  statistics(): AlarmStatistics {
    const now = this.now();
    const byState = this.store.countByState();
    const since = now - DAY_MS;
    const raised = this.store.raisedSince(new Date(since).toISOString());
    // 144 ten-minute slots ending with the present one.
    const lastStart = Math.floor(now / TEN_MIN_MS) * TEN_MIN_MS;
    const firstStart = lastStart - 143 * TEN_MIN_MS;
    const slots = Array.from({ length: 144 }, (_, i) => ({
      start: new Date(firstStart + i * TEN_MIN_MS).toISOString(),
      count: 0,
    }));
    for (const r of raised) {
      const i = Math.floor((r.at - firstStart) / TEN_MIN_MS);
      if (i >= 0 && i < 144) (slots[i] as { count: number }).count += 1;
    }
    // Flood: any 10-minute window with more than 10 alarms. The window ending at t holds raises in (t − 10 min, t];
    // it floods from the 11th raise a_i until a_{i−10} leaves it.
    const times = raised.map((r) => r.at);
    const intervals: [number, number][] = [];
    for (let i = 10; i < times.length; i++) {
      const start = times[i] as number;
      const end = Math.min((times[i - 10] as number) + TEN_MIN_MS, now);
      if (end > start) intervals.push([Math.max(start, since), end]);
    }
    let flooded = 0;
    let reach = Number.NEGATIVE_INFINITY;
    for (const [a, b] of intervals) {
      const from = Math.max(a, reach);
      if (b > from) flooded += b - from;
      reach = Math.max(reach, b);
    }
    const perAlarm = new Map<string, { name: string; at: number[] }>();
    for (const r of raised) {
      const entry = perAlarm.get(r.alarm_id) ?? { name: r.alarm_name, at: [] };
      entry.at.push(r.at);
      perAlarm.set(r.alarm_id, entry);
    }
    const chattering = [...perAlarm]
      .filter(([, { at }]) => at.some((t, i) => i >= 2 && t - (at[i - 2] as number) <= 60_000))
      .map(([alarm_id, { name, at }]) => ({ alarm_id, alarm_name: name, count: at.length }))
      .sort((a, b) => b.count - a.count);
    return {
      success: true,
      total_active: byState.active ?? 0,
      total_acknowledged: byState.acknowledged ?? 0,
      total_returned: byState.returned ?? 0,
      total_shelved: byState.shelved ?? 0,
      total_suppressed: byState.suppressed ?? 0,
      total_cleared: byState.cleared ?? 0,
      by_severity: this.store.openBy('severity'),
      by_equipment: this.store.openBy('equipment_id'),
      most_frequent: this.store.topAlarms(null, 10),
      load: {
        alarms_per_10_min: slots,
        average_per_10_min: raised.length / 144,
        flood_time_percent: (flooded / DAY_MS) * 100,
        bad_actors: this.store.topAlarms(new Date(since).toISOString(), 10),
        chattering,
        stale: this.store.staleEvents(new Date(since).toISOString()),
      },
    };
  }
}

function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/** The `alarm_event` announcing an occurrence (a bench's, or one a hub rebuilds from a bench's list). */
export function alarmRaised(event: AlarmEvent): EventPayload<'alarm_event'> {
  return {
    event_id: event.event_id,
    alarm_id: event.alarm_id,
    alarm_name: event.alarm_name,
    severity: event.severity,
    state: event.state,
    equipment_id: event.equipment_id,
    parameter: event.parameter,
    value: finiteOrNull(event.value),
    threshold: finiteOrNull(event.threshold),
    message: event.message,
    timestamp: event.triggered_at,
  };
}
