// The topic scheme of LabLink on an MQTT broker, in one place: the bridge publishes on these topics, the hub
// subscribes to them, docs/mqtt.md documents them (with the QoS/retain table below). Payloads are JSON; readings and
// event `data` are exactly the WebSocket protocol's payloads (@lablink/protocol).
//
//   <root>/<bench>/status                              retained  QoS 1  online (birth) / offline (last will, clean stop)
//   <root>/<bench>/equipment                           retained  QoS 1  the bench's instruments and their states
//   <root>/<bench>/equipment/<id>/readings/<channel>   retained  QoS 0  the latest reading of one channel
//   <root>/<bench>/equipment/events                    —         QoS 1  connections, states, emergency stop, locks
//   <root>/<bench>/alarms/events                       —         QoS 1  alarm_event, alarm_updated, alarm_cleared
//   <root>/<bench>/alarms/active                       retained  QoS 1  every open alarm occurrence
//   <root>/<bench>/jobs/events                         —         QoS 1  job_created … job_failed, job_progress
//   <root>/<bench>/jobs                                retained  QoS 1  the bench's scheduled jobs
//   <root>/<bench>/command                             —         QoS 1  requests to the bench (MQTT 5 request/response)

import type { BenchEquipment, EventType, Readings } from '@lablink/protocol';
import type { AlarmEvent, ScheduledJob } from '@lablink/protocol/rest';

export interface TopicRule {
  qos: 0 | 1;
  retain: boolean;
}

/** The topics of one bench. */
export function benchTopics(root: string, bench: string) {
  const base = `${root}/${bench}`;
  return {
    status: `${base}/status`,
    equipment: `${base}/equipment`,
    readings: (equipmentId: string, channel: number) =>
      `${base}/equipment/${equipmentId}/readings/${channel}`,
    equipmentEvents: `${base}/equipment/events`,
    alarmEvents: `${base}/alarms/events`,
    alarmsActive: `${base}/alarms/active`,
    jobEvents: `${base}/jobs/events`,
    jobs: `${base}/jobs`,
    command: `${base}/command`,
  };
}
export type BenchTopics = ReturnType<typeof benchTopics>;

/** QoS and retain of each kind of topic: state is retained (a newcomer gets it at once), events are QoS 1. */
export const TOPIC_RULES = {
  status: { qos: 1, retain: true },
  equipment: { qos: 1, retain: true },
  readings: { qos: 0, retain: true },
  equipmentEvents: { qos: 1, retain: false },
  alarmEvents: { qos: 1, retain: false },
  alarmsActive: { qos: 1, retain: true },
  jobEvents: { qos: 1, retain: false },
  jobs: { qos: 1, retain: true },
  command: { qos: 1, retain: false },
} as const satisfies Record<keyof BenchTopics, TopicRule>;

/** What a hub subscribes to: every bench's state and events (not other hubs' commands). */
export function hubSubscriptions(root: string): string[] {
  return [
    `${root}/+/status`,
    `${root}/+/equipment`,
    `${root}/+/equipment/+/readings/+`,
    `${root}/+/alarms/+`,
    `${root}/+/jobs`,
    `${root}/+/jobs/events`,
  ];
}

/** Where a hub's replies come back: outside every bench's topics (a bench name cannot start with `_`). */
/** Where hubs take replies; a bench answers nowhere else. */
export const hubsPrefix = (root: string) => `${root}/_hubs/`;
export const replyTopic = (root: string, hubId: string) => `${hubsPrefix(root)}${hubId}/replies`;

/** A topic split into bench and what follows, or null when it is not a bench topic under `root`. */
export function parseBenchTopic(root: string, topic: string): { bench: string; rest: string[] } | null {
  if (!topic.startsWith(`${root}/`)) return null;
  const [bench, ...rest] = topic.slice(root.length + 1).split('/');
  if (!bench || bench.startsWith('_') || rest.length === 0) return null;
  return { bench, rest };
}

// ---------------------------------------------------------------------------------------------------- payloads

/** `<root>/<bench>/status`. */
export interface StatusPayload {
  bench: string;
  state: 'online' | 'offline';
  /** Why offline: `stopped` (a clean stop), `connection lost` (the last will). null when online. */
  reason: string | null;
  /** When the bench published it; null in the last will (written at connect time, sent much later by the broker). */
  since: string | null;
  /** The LabLink version of the bench. */
  version: string;
}

/** `<root>/<bench>/equipment`. */
export interface EquipmentPayload {
  bench: string;
  timestamp: string;
  equipment: BenchEquipment[];
}

/** `<root>/<bench>/equipment/<id>/readings/<channel>`: one reading with its seq on the bench. */
export interface ReadingPayload {
  seq: number;
  timestamp: string;
  data: Readings;
}

/**
 * An event on `…/equipment/events`, `…/alarms/events` or `…/jobs/events`: the WebSocket event's type, seq, timestamp
 * and data, plus an `id` unique to this message (it stays the same when the message is sent again after a broker
 * outage, so a receiver drops duplicates by it).
 */
export interface EventEnvelope {
  id: string;
  type: EventType;
  seq: number;
  timestamp: string;
  data: unknown;
}

/** `<root>/<bench>/alarms/active`. */
export interface ActiveAlarmsPayload {
  timestamp: string;
  events: AlarmEvent[];
}

/** `<root>/<bench>/jobs`. */
export interface JobsPayload {
  timestamp: string;
  jobs: ScheduledJob[];
}

// ---------------------------------------------------------------------------------------------------- commands

/** A request on `<root>/<bench>/command` (sent with a response topic and correlation data). */
export type CommandRequest =
  | {
      op: 'equipment_command';
      equipment_id: string;
      action: string;
      parameters?: Record<string, unknown>;
      session_id?: string;
    }
  | { op: 'acknowledge_alarm'; event_id: string; note?: string | null }
  | { op: 'emergency_stop' };

export const COMMAND_OPS = ['equipment_command', 'acknowledge_alarm', 'emergency_stop'] as const;

/**
 * The reply: the result, or the refusal with the error body REST would answer (code, detail, field and facts); the
 * code's HTTP status is in docs/mqtt.md.
 */
export type CommandReply =
  | { ok: true; data: unknown }
  | { ok: false; code: string; detail: string; field?: string; [extra: string]: unknown };

/** The MQTT 5 user property that carries a LabLink API token: `authorization: Bearer ll_…`. */
export const AUTHORIZATION_PROPERTY = 'authorization';
