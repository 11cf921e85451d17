// Hub mode (`lablink hub --mqtt …`): a LabLink server that shows every bench on a broker. It subscribes to every
// bench's topics (topics.ts), keeps what the retained messages say — status, instruments, latest readings, open
// alarms, jobs — and republishes what changes on its own bus as `hub` events, so its WebSocket clients get them as
// typed messages. It holds nothing a restart loses: on (re)connection the broker hands it every retained message
// again. Commands go to a bench as MQTT 5 requests (response topic + correlation data) and the bench's reply —
// result or refusal, with its status — comes back to the caller. Several hubs can share a broker: each has its own
// client id and reply topic.

import { randomBytes, randomUUID } from 'node:crypto';
import {
  type BenchEquipment,
  type EventPayload,
  type Readings,
  validateEventPayload,
} from '@lablink/protocol';
import { AlarmEvent, ScheduledJob } from '@lablink/protocol/rest';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { alarmRaised } from '../alarms/engine.js';
import type { Bus } from '../bus.js';
import { DOMAIN_ERRORS, DomainError, type DomainErrorCode, notFound } from '../errors.js';
import { connectBroker, safeUrl } from './connect.js';
import type { MqttSettings } from './settings.js';
import {
  type ActiveAlarmsPayload,
  AUTHORIZATION_PROPERTY,
  benchTopics,
  type CommandReply,
  type CommandRequest,
  type EquipmentPayload,
  type EventEnvelope,
  hubSubscriptions,
  type JobsPayload,
  parseBenchTopic,
  type ReadingPayload,
  replyTopic,
  type StatusPayload,
  TOPIC_RULES,
} from './topics.js';

/** How long a bench has to answer a command. */
export const COMMAND_TIMEOUT_MS = 10_000;
/** Event ids remembered to drop duplicates (an event resent after an outage). */
const SEEN_IDS = 10_000;

export interface BenchRecord {
  bench: string;
  /** The bench's last status message; null until one arrives (a bench seen only through other topics). */
  status: StatusPayload | null;
  equipment: BenchEquipment[];
  /** Latest reading of each `equipment_id:channel`. */
  readings: Map<string, ReadingPayload>;
  alarms: AlarmEvent[];
  jobs: ScheduledJob[];
  /** When the hub last heard from the bench (hub time). */
  lastSeen: string;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (err: DomainError) => void;
  timer: NodeJS.Timeout;
}

/** A bounded set: the oldest entries go first. */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  /** Adds `key`; false when it was there already. */
  add(key: string): boolean {
    if (this.items.has(key)) return false;
    this.items.add(key);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
    return true;
  }
}

export class Hub {
  private client: MqttClient | null = null;
  private readonly benchRecords = new Map<string, BenchRecord>();
  private readonly pending = new Map<string, Pending>();
  private readonly seenIds = new RecentSet(SEEN_IDS);
  /** `bench/event_id` of alarm occurrences already announced (live, or rebuilt from the retained list). */
  private readonly announced = new RecentSet(SEEN_IDS);
  private readonly hubId = randomBytes(6).toString('hex');
  private readonly replies: string;

  constructor(
    private readonly bus: Bus,
    private readonly settings: MqttSettings,
    private readonly logger: Logger,
  ) {
    this.replies = replyTopic(settings.root, this.hubId);
  }

  start(): void {
    const client = connectBroker(this.settings, 'lablink-hub');
    this.client = client;
    client.on('connect', () => {
      this.logger.info({ broker: safeUrl(this.settings.url) }, 'hub connected to the broker');
      client.subscribe([...hubSubscriptions(this.settings.root), this.replies], { qos: 1 });
    });
    client.on('offline', () => this.logger.warn('hub: broker unreachable, reconnecting'));
    client.on('error', (err) => this.logger.warn({ err: err.message }, 'hub MQTT error'));
    client.on('message', (topic, payload, packet) => {
      try {
        if (topic === this.replies) this.onReply(payload, packet.properties?.correlationData);
        else this.onBenchMessage(topic, payload);
      } catch (err) {
        this.logger.warn({ topic, err: (err as Error).message }, 'hub: message ignored');
      }
    });
  }

  async stop(): Promise<void> {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DomainError('not_connected', 'the hub is shutting down'));
      this.pending.delete(id);
    }
    const client = this.client;
    if (client) await client.endAsync(!client.connected).catch(() => undefined);
  }

  // ---- what the hub knows ----------------------------------------------------------------------------------------

  benches(): BenchRecord[] {
    return [...this.benchRecords.values()].sort((a, b) => a.bench.localeCompare(b.bench));
  }

  bench(name: string): BenchRecord {
    const record = this.benchRecords.get(name);
    if (!record)
      throw notFound(`bench "${name}" (no LabLink server on the broker has published under that name)`);
    return record;
  }

  // ---- commands --------------------------------------------------------------------------------------------------

  /** Sends a request to a bench and resolves with its result; rejects with the bench's refusal as it gave it. */
  command(benchName: string, request: CommandRequest): Promise<unknown> {
    const record = this.bench(benchName);
    const client = this.client;
    if (record.status?.state !== 'online') {
      return Promise.reject(
        new DomainError(
          'not_connected',
          `bench "${benchName}" is offline (${record.status?.reason ?? 'no status'})`,
        ),
      );
    }
    if (!client?.connected)
      return Promise.reject(new DomainError('not_connected', 'the hub is not connected to the broker'));
    const correlation = randomUUID();
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlation);
        reject(
          new DomainError(
            'instrument_timeout',
            `bench "${benchName}" did not answer within ${COMMAND_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(correlation, { resolve, reject, timer });
      // Only with a token: mqtt.js never sends a publish whose userProperties is an empty object.
      const properties = {
        responseTopic: this.replies,
        correlationData: Buffer.from(correlation),
        ...(this.settings.token
          ? { userProperties: { [AUTHORIZATION_PROPERTY]: `Bearer ${this.settings.token}` } }
          : {}),
      };
      client.publish(
        benchTopics(this.settings.root, benchName).command,
        JSON.stringify(request),
        { qos: TOPIC_RULES.command.qos, properties },
        (err) => {
          if (!err) return;
          clearTimeout(timer);
          this.pending.delete(correlation);
          reject(
            new DomainError('not_connected', `the request could not be sent to the broker: ${err.message}`),
          );
        },
      );
    });
  }

  private onReply(payload: Buffer, correlationData: Buffer | undefined): void {
    const id = correlationData?.toString('utf8');
    const pending = id ? this.pending.get(id) : undefined;
    if (!id || !pending) return; // late (timed out) or another hub's
    this.pending.delete(id);
    clearTimeout(pending.timer);
    let reply: CommandReply;
    try {
      reply = JSON.parse(payload.toString('utf8')) as CommandReply;
      if (reply === null || typeof reply !== 'object') throw new Error('not a JSON object');
    } catch (err) {
      pending.reject(
        new DomainError('instrument_error', `the bench's reply was malformed: ${(err as Error).message}`),
      );
      return;
    }
    if (reply.ok) {
      pending.resolve(reply.data);
      return;
    }
    const { ok: _ok, code, detail, field, ...extra } = reply;
    // The bench's code maps to the same HTTP status here (one table, http-errors.ts).
    const known = Object.hasOwn(DOMAIN_ERRORS, code) ? (code as DomainErrorCode) : 'internal';
    pending.reject(new DomainError(known, detail, field, extra));
  }

  // ---- bench topics ------------------------------------------------------------------------------------------------

  private onBenchMessage(topic: string, payload: Buffer): void {
    const parsed = parseBenchTopic(this.settings.root, topic);
    if (!parsed) return;
    const { bench, rest } = parsed;
    const path = rest.join('/');
    if (payload.length === 0) {
      // A retained message cleared (a bench retired by hand): forget the bench when its status goes.
      if (path === 'status') this.benchRecords.delete(bench);
      return;
    }
    const body = JSON.parse(payload.toString('utf8')) as unknown;
    // Whatever is on the broker is checked against the protocol's schemas before the hub keeps or forwards any of
    // it: a malformed message (another version, another program, a hostile publisher) is ignored and logged, and
    // creates no bench.
    const problems = benchMessageProblems(bench, path, rest, body);
    if (problems.length > 0) throw new Error(`malformed ${path}: ${problems.slice(0, 3).join('; ')}`);
    const record = this.record(bench);
    record.lastSeen = new Date().toISOString();
    switch (path) {
      case 'status':
        this.onStatus(record, body as StatusPayload);
        break;
      case 'equipment':
        this.onEquipment(record, body as EquipmentPayload);
        break;
      case 'alarms/active':
        this.onActiveAlarms(record, body as ActiveAlarmsPayload);
        break;
      case 'alarms/events':
        this.onEvent(record, 'bench_alarm', body as EventEnvelope);
        break;
      case 'jobs':
        record.jobs = (body as JobsPayload).jobs;
        break;
      case 'jobs/events':
        this.onEvent(record, 'bench_job', body as EventEnvelope);
        break;
      default:
        if (rest[0] === 'equipment' && rest[2] === 'readings' && rest.length === 4) {
          this.onReading(record, rest[1] as string, Number(rest[3]), body as ReadingPayload);
        }
    }
  }

  private record(bench: string): BenchRecord {
    let record = this.benchRecords.get(bench);
    if (!record) {
      record = {
        bench,
        status: null,
        equipment: [],
        readings: new Map(),
        alarms: [],
        jobs: [],
        lastSeen: new Date().toISOString(),
      };
      this.benchRecords.set(bench, record);
    }
    return record;
  }

  private onStatus(record: BenchRecord, status: StatusPayload): void {
    record.status = status;
    this.bus.publishEvent('bench_status', {
      bench: record.bench,
      state: status.state === 'online' ? 'online' : 'offline',
      reason: status.reason,
      since: status.since,
    });
  }

  private onEquipment(record: BenchRecord, body: EquipmentPayload): void {
    record.equipment = body.equipment;
    this.bus.publishEvent('bench_equipment', { bench: record.bench, equipment: body.equipment });
  }

  private onReading(record: BenchRecord, equipmentId: string, channel: number, body: ReadingPayload): void {
    if (!Number.isInteger(channel) || channel < 1) return;
    record.readings.set(`${equipmentId}:${channel}`, body);
    this.bus.publishEvent('bench_reading', {
      bench: record.bench,
      equipment_id: equipmentId,
      channel,
      bench_seq: body.seq,
      data: body.data as Readings,
    });
  }

  /** A live event of a bench: forwarded once (by its id), and an alarm occurrence announced once. */
  private onEvent(record: BenchRecord, type: 'bench_alarm' | 'bench_job', envelope: EventEnvelope): void {
    if (!this.seenIds.add(envelope.id)) return;
    if (envelope.type === 'alarm_event') {
      const eventId = (envelope.data as { event_id: string }).event_id;
      if (!this.announced.add(`${record.bench}/${eventId}`)) return;
    }
    const wrapped = {
      bench: record.bench,
      id: envelope.id,
      source: 'live',
      type: envelope.type,
      data: envelope.data,
    };
    this.bus.publishEvent(type, wrapped as EventPayload<typeof type>);
  }

  /**
   * The bench's open alarms. An occurrence in it that was never announced (its live event went out while this hub
   * was away from the broker, or before it started) is announced now, rebuilt from the list, marked `retained`.
   */
  private onActiveAlarms(record: BenchRecord, body: ActiveAlarmsPayload): void {
    record.alarms = body.events;
    for (const event of body.events) {
      if (!this.announced.add(`${record.bench}/${event.event_id}`)) continue;
      this.bus.publishEvent('bench_alarm', {
        bench: record.bench,
        id: `retained:${event.event_id}`,
        source: 'retained',
        type: 'alarm_event',
        data: alarmRaised(event),
      });
    }
  }
}

let compiled: ReturnType<typeof compileChecks> | undefined;
/** The checks of the lists and envelopes, compiled on a hub's first message rather than at every server's start. */
const checks = () => {
  compiled ??= compileChecks();
  return compiled;
};
const compileChecks = () => ({
  alarms: Compile(Type.Object({ events: Type.Array(AlarmEvent) })),
  jobs: Compile(Type.Object({ jobs: Type.Array(ScheduledJob) })),
  envelope: Compile(Type.Object({ id: Type.String(), type: Type.String(), data: Type.Unknown() })),
});

/** What is wrong with a bench message, against the shape the hub relies on; empty when nothing is. */
function benchMessageProblems(bench: string, path: string, rest: string[], body: unknown): string[] {
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  const field = (name: string) => (isObject ? (body as Record<string, unknown>)[name] : undefined);
  switch (path) {
    case 'status':
      return validateEventPayload('bench_status', {
        bench,
        state: field('state'),
        reason: field('reason') ?? null,
        since: field('since') ?? null,
      });
    case 'equipment':
      return validateEventPayload('bench_equipment', { bench, equipment: field('equipment') });
    case 'alarms/active':
      return checks().alarms.Check(body) ? [] : ['not a list of alarm events'];
    case 'jobs':
      return checks().jobs.Check(body) ? [] : ['not a list of jobs'];
    case 'alarms/events':
    case 'jobs/events': {
      if (!checks().envelope.Check(body)) return ['not an event envelope {id, type, data}'];
      const envelope = body as EventEnvelope;
      return validateEventPayload(envelope.type, envelope.data);
    }
    default:
      if (rest[0] === 'equipment' && rest[2] === 'readings' && rest.length === 4) {
        return validateEventPayload('bench_reading', {
          bench,
          equipment_id: rest[1],
          channel: Number(rest[3]),
          bench_seq: field('seq'),
          data: field('data'),
        });
      }
      return [];
  }
}
