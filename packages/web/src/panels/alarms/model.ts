// The Alarms panel's pure logic, kept apart from React so it is unit-tested: the active list as the server's
// events change it, which alarms count as unacknowledged, severity order and words, shelving durations, the
// definition form (which fields a condition needs, the request it becomes, the server's refusals by field),
// and the alarm-load chart's data.

import type {
  AlarmCondition,
  AlarmConfig,
  AlarmDefinition,
  AlarmEvent,
  AlarmHistoryQuery,
  AlarmNotificationMethod,
  AlarmSeverity,
  AlarmState,
  AlarmType,
} from '@lablink/client';
import { parseQuantity } from '../../lib/format';

// ---- severities and states -------------------------------------------------------------------------------------

export const SEVERITIES: readonly AlarmSeverity[] = ['critical', 'error', 'warning', 'info'];

export const SEVERITY_TEXT: Record<AlarmSeverity, string> = {
  critical: 'Critical',
  error: 'Error',
  warning: 'Warning',
  info: 'Info',
};

/** A shape per severity, so that severity never rests on colour alone. */
export const SEVERITY_ICON: Record<AlarmSeverity, string> = {
  critical: '◆',
  error: '■',
  warning: '▲',
  info: '●',
};

const SEVERITY_RANK: Record<string, number> = { critical: 0, error: 1, warning: 2, info: 3 };

export const STATE_TEXT: Record<AlarmState, string> = {
  active: 'Active, unacknowledged',
  acknowledged: 'Acknowledged',
  returned: 'Back to normal, unacknowledged',
  shelved: 'Shelved',
  suppressed: 'Suppressed (instrument offline)',
  cleared: 'Cleared',
};

export const STATES: readonly AlarmState[] = [
  'active',
  'acknowledged',
  'returned',
  'shelved',
  'suppressed',
  'cleared',
];

export function stateText(state: string): string {
  return STATE_TEXT[state as AlarmState] ?? state;
}

/** States that wait for someone to acknowledge them (the badge counts these). */
export function needsAcknowledgement(event: Pick<AlarmEvent, 'state'>): boolean {
  return event.state === 'active' || event.state === 'returned';
}

export function unacknowledgedCount(events: readonly Pick<AlarmEvent, 'state'>[]): number {
  return events.filter(needsAcknowledgement).length;
}

/** Most severe first; within a severity, unacknowledged before the rest, then newest first. */
export function sortActive<T extends Pick<AlarmEvent, 'severity' | 'state' | 'triggered_at'>>(
  events: readonly T[],
): T[] {
  return [...events].sort(
    (a, b) =>
      (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
      Number(needsAcknowledgement(b)) - Number(needsAcknowledgement(a)) ||
      Date.parse(b.triggered_at) - Date.parse(a.triggered_at),
  );
}

// ---- the active list, kept current by the server's events -------------------------------------------------------

export type AlarmMessageType = 'alarm_event' | 'alarm_updated' | 'alarm_cleared';

export interface ApplyResult {
  events: AlarmEvent[];
  /** The message named an event this list does not hold (a missed alarm_event): re-read the list over REST. */
  unknown: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The active list after one alarm event from the WebSocket (`data` is the event's payload). alarm_event adds or
 * replaces the event, alarm_updated changes what it says, alarm_cleared removes it (cleared events belong to the
 * history only).
 */
export function applyAlarmMessage(
  events: readonly AlarmEvent[],
  type: string,
  data: Record<string, unknown>,
): ApplyResult {
  const eventId = str(data.event_id);
  if (!eventId) return { events: [...events], unknown: false };
  const index = events.findIndex((e) => e.event_id === eventId);
  const current = index >= 0 ? events[index] : undefined;

  if (type === 'alarm_cleared' || data.state === 'cleared') {
    return { events: events.filter((e) => e.event_id !== eventId), unknown: false };
  }
  if (type === 'alarm_event') {
    const event: AlarmEvent = {
      ...(current ?? emptyEvent(eventId)),
      alarm_id: str(data.alarm_id) ?? current?.alarm_id ?? '',
      alarm_name: str(data.alarm_name) ?? current?.alarm_name ?? '',
      severity: (str(data.severity) as AlarmSeverity | null) ?? current?.severity ?? 'warning',
      state: (str(data.state) as AlarmState | null) ?? 'active',
      equipment_id: str(data.equipment_id),
      parameter: str(data.parameter),
      value: num(data.value),
      threshold: num(data.threshold),
      message: str(data.message) ?? current?.message ?? '',
      triggered_at: str(data.timestamp) ?? current?.triggered_at ?? new Date().toISOString(),
      ...(typeof data.alarm_type === 'string' ? { alarm_type: data.alarm_type as AlarmType } : {}),
      ...(typeof data.channel === 'number' ? { channel: data.channel } : {}),
    };
    const next = current ? events.map((e) => (e.event_id === eventId ? event : e)) : [...events, event];
    return { events: next, unknown: false };
  }
  if (type === 'alarm_updated') {
    if (!current) return { events: [...events], unknown: true };
    const updated: AlarmEvent = { ...current };
    if (typeof data.state === 'string') updated.state = data.state as AlarmState;
    if (typeof data.severity === 'string') updated.severity = data.severity as AlarmSeverity;
    if ('acknowledged_at' in data) updated.acknowledged_at = str(data.acknowledged_at);
    if ('acknowledged_by' in data) updated.acknowledged_by = str(data.acknowledged_by);
    if ('note' in data) updated.acknowledgment_note = str(data.note);
    if ('shelved_until' in data) updated.shelved_until = str(data.shelved_until);
    if (typeof data.value === 'number') updated.value = data.value;
    return { events: events.map((e) => (e.event_id === eventId ? updated : e)), unknown: false };
  }
  return { events: [...events], unknown: false };
}

function emptyEvent(eventId: string): AlarmEvent {
  return {
    event_id: eventId,
    alarm_id: '',
    alarm_name: '',
    alarm_type: 'threshold',
    severity: 'warning',
    state: 'active',
    equipment_id: null,
    channel: null,
    parameter: null,
    value: null,
    threshold: null,
    message: '',
    in_alarm: true,
    triggered_at: new Date(0).toISOString(),
    returned_at: null,
    acknowledged_at: null,
    acknowledged_by: null,
    acknowledgment_note: null,
    shelved_until: null,
    shelved_by: null,
    cleared_at: null,
    cleared_by: null,
  };
}

// ---- shelving ----------------------------------------------------------------------------------------------------

export const SHELVE_CHOICES: readonly { label: string; seconds: number }[] = [
  { label: '15 min', seconds: 15 * 60 },
  { label: '1 h', seconds: 3600 },
  { label: '8 h', seconds: 8 * 3600 },
];

/** The longest shelving the server accepts. */
export const MAX_SHELVE_SECONDS = 86_400;

/**
 * A typed shelving time in seconds: "90" (minutes), "90 min", "2h", "1 h 30 min", "45s". Null when it is not a
 * time or is outside 1 s … 24 h.
 */
export function parseDuration(text: string): number | null {
  const rest = text.trim().toLowerCase();
  if (!rest) return null;
  if (/^\d+(\.\d+)?$/.test(rest)) return bounded(Number(rest) * 60);
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
  let total = 0;
  let matched = '';
  for (const m of rest.matchAll(
    /(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\s*/g,
  )) {
    total += Number(m[1]) * (unit[(m[2] as string)[0] as string] as number);
    matched += m[0];
  }
  if (matched.length !== rest.length) return null;
  return bounded(total);
}

function bounded(seconds: number): number | null {
  const s = Math.round(seconds);
  return s >= 1 && s <= MAX_SHELVE_SECONDS ? s : null;
}

/** "15 min", "1 h 30 min", "45 s". */
export function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(' ') || '0 s';
}

// ---- the definition form ----------------------------------------------------------------------------------------

export const ALARM_TYPES: readonly { value: AlarmType; label: string }[] = [
  { value: 'threshold', label: 'Threshold' },
  { value: 'deviation', label: 'Deviation from setpoint' },
  { value: 'rate_of_change', label: 'Rate of change' },
  { value: 'equipment_error', label: 'Instrument error' },
  { value: 'communication', label: 'Communication' },
  { value: 'safety', label: 'Safety' },
  { value: 'system', label: 'System' },
  { value: 'custom', label: 'Custom (raised through the API)' },
];

export const CONDITIONS: readonly { value: AlarmCondition; label: string }[] = [
  { value: 'greater_than', label: 'above (>)' },
  { value: 'less_than', label: 'below (<)' },
  { value: 'equal_to', label: 'equal to (=)' },
  { value: 'not_equal_to', label: 'not equal to (≠)' },
  { value: 'in_range', label: 'inside a range' },
  { value: 'out_of_range', label: 'outside a range' },
  { value: 'rising_edge', label: 'rising through' },
  { value: 'falling_edge', label: 'falling through' },
];

export const NOTIFICATION_METHODS: readonly { value: AlarmNotificationMethod; label: string }[] = [
  { value: 'websocket', label: 'In the app' },
  { value: 'webhook', label: 'Webhook' },
  { value: 'email', label: 'E-mail' },
];

/** Types whose value comes from an instrument's readings (they need an instrument and a reading field). */
export function watchesReadings(type: AlarmType): boolean {
  return type === 'threshold' || type === 'deviation' || type === 'rate_of_change';
}

export function isRange(condition: AlarmCondition): boolean {
  return condition === 'in_range' || condition === 'out_of_range';
}

/** The form as typed: numbers stay text until the request is built, so a half-typed value is not lost. */
export interface AlarmForm {
  name: string;
  description: string;
  equipment_id: string;
  channel: string;
  parameter: string;
  alarm_type: AlarmType;
  condition: AlarmCondition;
  severity: AlarmSeverity;
  threshold: string;
  threshold_low: string;
  threshold_high: string;
  reference: string;
  window_seconds: string;
  deadband: string;
  delay_seconds: string;
  count: string;
  count_window_seconds: string;
  latching: boolean;
  enabled: boolean;
  notifications: AlarmNotificationMethod[];
  interval_ms: string;
  tags: string;
}

export function emptyForm(): AlarmForm {
  return {
    name: '',
    description: '',
    equipment_id: '',
    channel: '',
    parameter: '',
    alarm_type: 'threshold',
    condition: 'greater_than',
    severity: 'warning',
    threshold: '',
    threshold_low: '',
    threshold_high: '',
    reference: '',
    window_seconds: '',
    deadband: '',
    delay_seconds: '',
    count: '',
    count_window_seconds: '',
    latching: false,
    enabled: true,
    notifications: ['websocket'],
    interval_ms: '',
    tags: '',
  };
}

const text = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

export function formFromAlarm(alarm: AlarmConfig): AlarmForm {
  return {
    name: alarm.name,
    description: alarm.description ?? '',
    equipment_id: alarm.equipment_id ?? '',
    channel: text(alarm.channel),
    parameter: alarm.parameter ?? '',
    alarm_type: alarm.alarm_type,
    condition: alarm.condition,
    severity: alarm.severity,
    threshold: text(alarm.threshold),
    threshold_low: text(alarm.threshold_low),
    threshold_high: text(alarm.threshold_high),
    reference: text(alarm.reference),
    window_seconds: alarm.alarm_type === 'rate_of_change' ? text(alarm.window_seconds) : '',
    deadband: alarm.deadband ? String(alarm.deadband) : '',
    delay_seconds: alarm.delay_seconds ? String(alarm.delay_seconds) : '',
    count: text(alarm.count),
    count_window_seconds: text(alarm.count_window_seconds),
    latching: !alarm.auto_clear,
    enabled: alarm.enabled,
    notifications: [...alarm.notifications],
    interval_ms: alarm.interval_ms && alarm.interval_ms !== 500 ? String(alarm.interval_ms) : '',
    tags: alarm.tags.join(', '),
  };
}

export type FieldErrors = Partial<Record<keyof AlarmForm | string, string>>;

/** The reading an alarm of no instrument (custom, system) is said to watch. */
export const NO_INSTRUMENT_PARAMETER = 'value';

/**
 * The request a form becomes, or the fields that cannot be sent as typed. Only what the form can judge is
 * checked here (numbers that are not numbers, a missing name, reading or threshold); the server checks the rest
 * and names the field it refuses. An empty optional field is left out (the server's default) when creating, and
 * set back to its default when editing.
 */
export function definitionFromForm(
  form: AlarmForm,
  editing: boolean,
): { definition: AlarmDefinition; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const number = (key: keyof AlarmForm, required = false): number | null => {
    const raw = String(form[key]).trim();
    if (!raw) {
      if (required) errors[key] = 'Required';
      return null;
    }
    const value = parseQuantity(raw);
    if (value === null) errors[key] = `Not a number: ${raw}`;
    return value;
  };
  if (!form.name.trim()) errors.name = 'Required';
  const readings = watchesReadings(form.alarm_type);
  if (readings && !form.equipment_id) errors.equipment_id = 'Choose an instrument';
  if (form.equipment_id && !form.parameter) errors.parameter = 'Choose a reading';
  const range = readings && isRange(form.condition);
  const definition: AlarmDefinition = {
    name: form.name.trim(),
    parameter: form.parameter || NO_INSTRUMENT_PARAMETER,
    description: form.description.trim() || null,
    equipment_id: form.equipment_id || null,
    channel: form.equipment_id && form.channel ? Number(form.channel) : null,
    alarm_type: form.alarm_type,
    condition: form.condition,
    severity: form.severity,
    threshold: readings && !range ? number('threshold', true) : null,
    threshold_low: range ? number('threshold_low', true) : null,
    threshold_high: range ? number('threshold_high', true) : null,
    reference: form.alarm_type === 'deviation' ? number('reference') : null,
    count: number('count'),
    count_window_seconds: number('count_window_seconds'),
    auto_clear: !form.latching,
    enabled: form.enabled,
    notifications: [...form.notifications],
    tags: form.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
  // Fields that are numbers on the server, never null: left out for its default, or reset to it when editing.
  const defaults = { deadband: 0, delay_seconds: 0, window_seconds: 1, interval_ms: 500 } as const;
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    if (key === 'window_seconds' && form.alarm_type !== 'rate_of_change') continue;
    const value = number(key);
    if (value !== null) definition[key] = value;
    else if (editing) definition[key] = defaults[key];
  }
  if (definition.count !== null && definition.count_window_seconds === null && !errors.count)
    errors.count_window_seconds = 'Required with a count';
  return { definition, errors };
}

/**
 * The form field a server refusal names. The server's `field` is the request's key, possibly as a path
 * ("body.threshold", "/threshold", "notifications/1"); unknown ones go to the form as a whole ("").
 */
export function formFieldOf(field: string | undefined): string {
  if (!field) return '';
  const key = field.replace(/^(body|\/)[./]?/, '').split(/[./[]/)[0] ?? '';
  if (key === 'auto_clear') return 'latching';
  return key in emptyForm() ? key : '';
}

/** "voltage_actual > 5", "voltage_actual outside 1 … 5" — a definition's condition in a few words. */
export function conditionText(
  alarm: Pick<
    AlarmConfig,
    'alarm_type' | 'condition' | 'parameter' | 'threshold' | 'threshold_low' | 'threshold_high' | 'channel'
  >,
): string {
  if (!watchesReadings(alarm.alarm_type))
    return ALARM_TYPES.find((t) => t.value === alarm.alarm_type)?.label ?? alarm.alarm_type;
  const what = `${alarm.channel ? `CH${alarm.channel} ` : ''}${alarm.parameter ?? ''}`;
  const prefix =
    alarm.alarm_type === 'deviation'
      ? `${what} deviates`
      : alarm.alarm_type === 'rate_of_change'
        ? `d${what}/dt`
        : what;
  const t = alarm.threshold;
  switch (alarm.condition) {
    case 'greater_than':
      return `${prefix} > ${t}`;
    case 'less_than':
      return `${prefix} < ${t}`;
    case 'equal_to':
      return `${prefix} = ${t}`;
    case 'not_equal_to':
      return `${prefix} ≠ ${t}`;
    case 'in_range':
      return `${prefix} inside ${alarm.threshold_low} … ${alarm.threshold_high}`;
    case 'out_of_range':
      return `${prefix} outside ${alarm.threshold_low} … ${alarm.threshold_high}`;
    case 'rising_edge':
      return `${prefix} rises through ${t}`;
    case 'falling_edge':
      return `${prefix} falls through ${t}`;
  }
}

/** The channel numbers to offer: none when the instrument has a single channel (or none). */
export function channelList(channels: number | null | undefined): number[] {
  return typeof channels === 'number' && channels > 1
    ? Array.from({ length: channels }, (_, i) => i + 1)
    : [];
}

// ---- alarm load -------------------------------------------------------------------------------------------------

/** alarms_per_10_min as uPlot data: x in seconds, y the count of each bin. */
export function loadSeries(bins: readonly { start: string; count: number }[]): [number[], number[]] {
  const sorted = [...bins].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return [sorted.map((b) => Date.parse(b.start) / 1000), sorted.map((b) => b.count)];
}

/** EEMUA 191: more than 10 alarms in 10 minutes is a flood. */
export const FLOOD_PER_10_MIN = 10;

export function floodBins(bins: readonly { count: number }[]): number {
  return bins.filter((b) => b.count > FLOOD_PER_10_MIN).length;
}

// ---- history -----------------------------------------------------------------------------------------------------

/** The history filters as the form holds them ('' = any; times from datetime-local inputs, local time). */
export interface HistoryFilters {
  state: string;
  severity: string;
  equipment_id: string;
  since: string;
  until: string;
}

/** The filters as a history query: empty ones left out, local times as ISO-8601 UTC. */
export function historyQuery(filters: HistoryFilters): AlarmHistoryQuery {
  const query: AlarmHistoryQuery = {};
  if (filters.state) query.state = filters.state as AlarmState;
  if (filters.severity) query.severity = filters.severity as AlarmSeverity;
  if (filters.equipment_id) query.equipment_id = filters.equipment_id;
  const iso = (local: string) => {
    const date = new Date(local);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  };
  const since = filters.since ? iso(filters.since) : undefined;
  const until = filters.until ? iso(filters.until) : undefined;
  if (since) query.since = since;
  if (until) query.until = until;
  return query;
}

/** "1–50 of 230". */
export function pageText(offset: number, count: number, total: number): string {
  return count === 0 ? `0 of ${total}` : `${offset + 1}–${offset + count} of ${total}`;
}
