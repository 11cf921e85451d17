// The bridge: a bench's LabLink server on an MQTT broker. It publishes what the server's bus carries — its
// instruments and their states, readings, alarm, job and equipment events — under the topic scheme of topics.ts,
// and takes commands addressed to it (commands.ts). It claims readings from the readings pipeline like any other
// consumer (it never polls an instrument itself). Events go through the outbox (outbox.ts): persisted before they
// are sent, deleted when the broker acknowledges them, so a broker outage loses none (up to the outbox's bound).
// Retained state is republished in full on each connection: the broker may have restarted without it.

import { randomUUID } from 'node:crypto';
import type { EventTopic, Readings } from '@lablink/protocol';
import type { MqttClient } from 'mqtt';
import type { Published } from '../bus.js';
import type { Claim } from '../readings/pipeline.js';
import type { Services } from '../services.js';
import { VERSION } from '../version.js';
import { runCommand } from './commands.js';
import { connectBroker, safeUrl } from './connect.js';
import { Outbox } from './outbox.js';
import type { MqttSettings } from './settings.js';
import {
  AUTHORIZATION_PROPERTY,
  type BenchTopics,
  benchTopics,
  type EventEnvelope,
  hubsPrefix,
  type StatusPayload,
  TOPIC_RULES,
} from './topics.js';

export type BridgeServices = Pick<
  Services,
  'bus' | 'equipment' | 'readings' | 'alarms' | 'scheduler' | 'auth' | 'audit' | 'logger'
>;

/** Outbox messages sent per round; each waits for its PUBACK, so order is kept. */
const FLUSH_BATCH = 100;
/** A publish not acknowledged in this time is retried on the next round (the connection is probably gone). */
const ACK_TIMEOUT_MS = 10_000;

/** Which bus event topic goes to which MQTT event topic. */
const EVENT_ROUTES = {
  equipment: 'equipmentEvents',
  alarms: 'alarmEvents',
  scheduler: 'jobEvents',
} as const satisfies Partial<Record<EventTopic, keyof BenchTopics>>;

export interface BridgeStatus {
  connected: boolean;
  /** Events waiting for the broker. */
  buffered: number;
  /** Events dropped because the outbox was full. */
  dropped: number;
}

export class MqttBridge {
  private readonly topics: BenchTopics;
  private readonly outbox: Outbox;
  private client: MqttClient | null = null;
  private readonly claims = new Map<string, Claim>();
  private readonly unsubscribes: (() => void)[] = [];
  private flushing = false;
  /** Set when a flush is asked for while one runs: it goes round again. */
  private flushAgain = false;
  /**
   * Retained lists to republish once the outbox is empty: after the events that changed them, so a receiver gets
   * an event before the list that shows its effect.
   */
  private readonly dirty = new Set<'alarms' | 'jobs'>();
  private stopped = false;

  constructor(
    private readonly services: BridgeServices,
    private readonly settings: MqttSettings,
    dataDir: string,
  ) {
    this.topics = benchTopics(settings.root, settings.bench);
    this.outbox = new Outbox(dataDir, settings.bufferMax);
  }

  status(): BridgeStatus {
    return {
      connected: this.client?.connected ?? false,
      buffered: this.outbox.size,
      dropped: this.outbox.dropped,
    };
  }

  /** Connects (and keeps reconnecting in the background); returns at once. */
  start(): void {
    const { logger, bus } = this.services;
    const will: StatusPayload = {
      bench: this.settings.bench,
      state: 'offline',
      reason: 'connection lost',
      since: null,
      version: VERSION,
    };
    const client = connectBroker(this.settings, `lablink-${this.settings.bench}`, {
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      logger.info(
        { broker: safeUrl(this.settings.url), bench: this.settings.bench },
        'MQTT bridge connected',
      );
      client.subscribe(this.topics.command, { qos: 1 });
      this.publishState();
      void this.flush();
    });
    client.on('offline', () =>
      logger.warn({ bench: this.settings.bench }, 'MQTT broker unreachable; events are buffered'),
    );
    client.on('error', (err) => logger.warn({ err: err.message }, 'MQTT bridge error'));
    client.on('message', (topic, payload, packet) => {
      if (topic !== this.topics.command) return;
      this.answer(payload, packet.properties).catch((err: unknown) =>
        logger.error({ err }, 'MQTT command could not be answered'),
      );
    });

    for (const [busTopic, mqttTopic] of Object.entries(EVENT_ROUTES)) {
      this.unsubscribes.push(
        bus.subscribe(busTopic, (message) =>
          this.onEvent(busTopic as EventTopic, this.topics[mqttTopic], message),
        ),
      );
    }
    for (const item of this.services.equipment.list()) this.claimReadings(item.info.id);
  }

  /** Says `offline` (stopped) and disconnects; what the outbox still holds stays there for the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const off of this.unsubscribes) off();
    for (const claim of this.claims.values()) claim.release();
    this.claims.clear();
    const client = this.client;
    if (client?.connected) {
      const offline: StatusPayload = {
        bench: this.settings.bench,
        state: 'offline',
        reason: 'stopped',
        since: new Date().toISOString(),
        version: VERSION,
      };
      await withTimeout(
        client.publishAsync(this.topics.status, JSON.stringify(offline), TOPIC_RULES.status),
        2000,
      ).catch(() => undefined);
    }
    // Not connected: force the end (a graceful one would wait for a broker that is away).
    if (client) await withTimeout(client.endAsync(!client.connected), 3000).catch(() => undefined);
    this.outbox.close();
  }

  // ---- publishing --------------------------------------------------------------------------------------------

  private onEvent(busTopic: EventTopic, mqttTopic: string, message: Published): void {
    const envelope = {
      id: randomUUID(),
      type: message.type,
      seq: message.seq,
      timestamp: message.timestamp,
      data: message.data,
    } as EventEnvelope;
    // Persisted first: an event the broker has not acknowledged survives an outage and a restart.
    this.outbox.push(mqttTopic, JSON.stringify(envelope));
    if (busTopic === 'equipment') {
      if (message.type === 'equipment_connected')
        this.claimReadings((message.data as { equipment_id: string }).equipment_id);
      this.publishEquipment();
    } else if (busTopic === 'alarms') {
      this.dirty.add('alarms');
    } else if (message.type !== 'job_progress') {
      this.dirty.add('jobs');
    }
    void this.flush();
  }

  /** Everything retained, in full: after a (re)connection the broker may hold none of it. */
  private publishState(): void {
    const status: StatusPayload = {
      bench: this.settings.bench,
      state: 'online',
      reason: null,
      since: new Date().toISOString(),
      version: VERSION,
    };
    this.publish(this.topics.status, status, TOPIC_RULES.status);
    this.publishEquipment();
    // After the buffered events (flush): a hub that sees the list first would take their alarms for missed ones.
    this.dirty.add('alarms');
    this.dirty.add('jobs');
    for (const claim of this.claims.values()) {
      const latest = this.services.bus.latest(claim.topic);
      if (latest) this.publishReading(latest);
    }
  }

  private publishEquipment(): void {
    const equipment = this.services.equipment.list().map((item) => ({
      info: item.info,
      state: item.state,
      error: item.error,
      channels: item.model?.channels ?? 1,
    }));
    this.publish(
      this.topics.equipment,
      { bench: this.settings.bench, timestamp: new Date().toISOString(), equipment },
      TOPIC_RULES.equipment,
    );
  }

  private publishActiveAlarms(): void {
    this.publish(
      this.topics.alarmsActive,
      { timestamp: new Date().toISOString(), events: this.services.alarms.activeEvents() },
      TOPIC_RULES.alarmsActive,
    );
  }

  private publishJobs(): void {
    this.publish(
      this.topics.jobs,
      { timestamp: new Date().toISOString(), jobs: this.services.scheduler.list() },
      TOPIC_RULES.jobs,
    );
  }

  private publishReading(message: Published): void {
    const data = message.data as Readings;
    const channel = 'channel' in data ? data.channel : 1;
    this.publish(
      this.topics.readings(data.equipment_id, channel),
      { seq: message.seq, timestamp: message.timestamp, data },
      TOPIC_RULES.readings,
    );
  }

  /** Retained state and readings: sent only while connected (the next connection republishes them anyway). */
  private publish(topic: string, payload: unknown, rule: { qos: 0 | 1; retain: boolean }): void {
    const client = this.client;
    if (!client?.connected || this.stopped) return;
    client.publish(topic, JSON.stringify(payload), rule, (err) => {
      if (err) this.services.logger.debug({ topic, err: err.message }, 'MQTT publish not sent');
    });
  }

  /** Sends the outbox in order, each message deleted once the broker has acknowledged it; then the dirty lists. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        await this.drain();
      } while (this.flushAgain);
      if (!this.client?.connected || this.stopped) return;
      if (this.dirty.delete('alarms')) this.publishActiveAlarms();
      if (this.dirty.delete('jobs')) this.publishJobs();
    } catch (err) {
      this.services.logger.warn({ err: (err as Error).message }, 'MQTT events kept for the next connection');
    } finally {
      this.flushing = false;
      // A flush asked for while a failed one was waiting (a reconnection meanwhile) runs now.
      if (this.flushAgain && this.client?.connected && !this.stopped) void this.flush();
    }
  }

  private async drain(): Promise<void> {
    while (this.client?.connected && !this.stopped) {
      const batch = this.outbox.peek(FLUSH_BATCH);
      if (batch.length === 0) return;
      for (const item of batch) {
        await withTimeout(
          this.client.publishAsync(item.topic, item.payload, { qos: 1, retain: false }),
          ACK_TIMEOUT_MS,
        );
        if (this.stopped) return;
        this.outbox.remove(item.id);
      }
    }
  }

  // ---- readings ------------------------------------------------------------------------------------------------

  /** One claim per channel of an instrument that has readings; claims wait for an instrument that is away. */
  private claimReadings(equipmentId: string): void {
    const item = this.services.equipment.find(equipmentId);
    if (!item?.stream_types.includes('readings')) return;
    const channels = item.model?.channels ?? 1;
    for (let channel = 1; channel <= channels; channel++) {
      const key = `${equipmentId}:${channel}`;
      if (this.claims.has(key)) continue;
      try {
        const claim = this.services.readings.claim({
          equipment_id: equipmentId,
          kind: 'readings',
          channel,
          interval_ms: this.settings.readingsIntervalMs,
          consumer: `mqtt:${this.settings.bench}`,
          onReading: (message) => this.publishReading(message),
          onEnd: () => this.claims.delete(key),
        });
        this.claims.set(key, claim);
      } catch (err) {
        this.services.logger.warn(
          { equipmentId, channel, err: (err as Error).message },
          'MQTT bridge cannot claim readings',
        );
      }
    }
  }

  // ---- commands --------------------------------------------------------------------------------------------------

  private async answer(
    payload: Buffer,
    properties:
      | {
          responseTopic?: string;
          correlationData?: Buffer;
          userProperties?: Record<string, string | string[]>;
        }
      | undefined,
  ): Promise<void> {
    const raw = properties?.userProperties?.[AUTHORIZATION_PROPERTY];
    const authorization = Array.isArray(raw) ? raw[0] : raw;
    const reply = await runCommand(this.services, payload, authorization);
    const responseTopic = properties?.responseTopic;
    if (!responseTopic || !this.client) {
      if (!reply.ok) this.services.logger.warn({ reply }, 'MQTT command without a response topic refused');
      return;
    }
    // Never into LabLink's own topics, except hubs' reply topics: a requester naming a bench's state topic as its
    // response topic would otherwise have this bench overwrite it.
    const ownTopic = responseTopic.startsWith(`${this.settings.root}/`);
    if (ownTopic && !responseTopic.startsWith(hubsPrefix(this.settings.root))) {
      this.services.logger.warn({ responseTopic }, 'MQTT command answering into LabLink topics ignored');
      return;
    }
    const correlationData = properties?.correlationData;
    this.client.publish(
      responseTopic,
      JSON.stringify(reply),
      correlationData ? { qos: 1, properties: { correlationData } } : { qos: 1 },
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
