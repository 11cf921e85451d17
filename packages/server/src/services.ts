// The service container: every service is created exactly once, here, and handed to the routes and the
// WebSocket gateway. (The original built its services twice through two import paths, which is why its alarms
// and jobs never reached WebSocket clients.)

import { type Bench, startBench } from '@lablink/instruments/sim';
import { LIMITS } from '@lablink/protocol';
import type { Logger } from 'pino';
import { AcquisitionService } from './acquisition/engine.js';
import { SyncGroups } from './acquisition/sync.js';
import { AlarmService } from './alarms/engine.js';
import { NotificationService } from './alarms/notify.js';
import { AuditLog } from './auth/audit.js';
import { AuthService, NoAdminError } from './auth/service.js';
import { Bus } from './bus.js';
import type { Config } from './config.js';
import { EquipmentService } from './equipment/service.js';
import { isLoopback } from './http-guard.js';
import { LockService } from './locks.js';
import { MqttBridge } from './mqtt/bridge.js';
import { Hub } from './mqtt/hub.js';
import { ProfileService } from './profiles.js';
import { ReadingsPipeline } from './readings/pipeline.js';
import { SafetyService } from './safety.js';
import { SchedulerService } from './scheduler/engine.js';
import { JOB_TYPES } from './scheduler/jobs/index.js';
import { type Db, openDatabase } from './storage/database.js';

export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  bus: Bus;
  /** Users, API tokens, web sessions; open mode (docs/security.md). */
  auth: AuthService;
  /** Who did what, when, from where. */
  audit: AuditLog;
  safety: SafetyService;
  equipment: EquipmentService;
  locks: LockService;
  profiles: ProfileService;
  /** Claims of readings: one poller per (instrument, kind, channel), shared by streams, alarms, acquisitions, jobs. */
  readings: ReadingsPipeline;
  /** Alarm notifications by webhook and e-mail, their settings and delivery history. */
  notifications: NotificationService;
  /** The alarm engine: definitions, evaluation on live readings, the ISA-18.2 lifecycle of each occurrence. */
  alarms: AlarmService;
  /** Acquisition sessions: recordings from polled reading fields and block sources, stored in chunks. */
  acquisitions: AcquisitionService;
  /** Acquisition sync groups (members started together). */
  syncGroups: SyncGroups;
  /** Scheduled jobs: triggers, runs and their history. */
  scheduler: SchedulerService;
  /** The MQTT bridge of this bench, when a broker is configured (docs/mqtt.md); null in hub mode. */
  mqtt: MqttBridge | null;
  /** Hub mode: every bench on the broker; null otherwise. */
  hub: Hub | null;
  /** The simulated bench, when `sim` is on. */
  bench: Bench | null;
  /** Releases everything in reverse order of creation: outputs safe, instruments closed, database closed. */
  close(): Promise<void>;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const db = openDatabase(config.dataDir);
  const bus = new Bus(LIMITS.replayDepth, (err, message) =>
    logger.error({ err, topic: message.topic }, 'bus subscriber failed'),
  );
  const loopbackOnly = isLoopback(config.host);
  const auth = new AuthService(db, loopbackOnly);
  // Before any instrument is touched: beyond loopback someone must be able to sign in as admin.
  if (!loopbackOnly && !auth.hasAdmin()) {
    db.close();
    throw new NoAdminError(config.host);
  }
  const audit = new AuditLog(db);
  const safety = new SafetyService(db, bus, logger);
  const locks = new LockService({ bus, logger: logger.child({ component: 'locks' }) });
  const equipment = new EquipmentService(db, bus, logger.child({ component: 'equipment' }), safety, locks);
  const profiles = new ProfileService({ db, equipment, logger: logger.child({ component: 'profiles' }) });
  const readings = new ReadingsPipeline({ bus, equipment });
  const notifications = new NotificationService({ db, logger: logger.child({ component: 'notifications' }) });
  const alarms = new AlarmService({
    db,
    bus,
    logger: logger.child({ component: 'alarms' }),
    equipment,
    readings,
    safety,
    notifier: notifications,
  });

  const acquisitions = new AcquisitionService({
    db,
    bus,
    logger: logger.child({ component: 'acquisition' }),
    dataDir: config.dataDir,
    equipment,
    readings,
  });
  const syncGroups = new SyncGroups(acquisitions);
  const scheduler = new SchedulerService({
    db,
    bus,
    logger: logger.child({ component: 'scheduler' }),
    services: {
      equipment,
      readings,
      acquisitions,
      profiles,
      safety,
      locks,
      db,
      logger: logger.child({ component: 'jobs' }),
    },
    jobTypes: JOB_TYPES,
    alarms,
  });

  let bench: Bench | null = null;
  let mqtt: MqttBridge | null = null;
  let hub: Hub | null = null;
  const close = async () => {
    // First: the bench says `offline` on the broker and its readings claims end while everything still runs.
    await mqtt?.stop();
    await hub?.stop();
    // First: no job fires into services that are closing; running runs are aborted, their records kept (the next
    // start marks them failed, "server restarted during the run").
    scheduler.close();
    // Before the pipeline ends its claims: the samples recorded so far are flushed, sessions saved.
    acquisitions.close();
    alarms.close();
    readings.close();
    await notifications.close();
    await equipment.close();
    locks.close();
    await bench?.stop();
    db.close();
  };
  try {
    equipment.restoreKnown();
    if (config.sim) bench = await startSimulatedBench(equipment, logger);
    for (const entry of config.instruments) {
      equipment
        .connect({ resource_string: entry.resource, model: entry.model, nickname: entry.nickname })
        .catch((err: Error) =>
          logger.warn({ resource: entry.resource, err: err.message }, 'configured instrument not connected'),
        );
    }
    // After the instruments it may watch are known: open occurrences as they were, evaluation resumed.
    alarms.start();
    // Sessions that were running when the server stopped become `stopped`, "server restarted", data kept.
    await acquisitions.open();
    // Last: jobs may use every service above; runs a stopped server left open are settled, missed runs handled.
    scheduler.start();
    // On the broker once the services it publishes exist; it connects (and reconnects) in the background.
    if (config.mqtt && config.hub) {
      hub = new Hub(bus, config.mqtt, logger.child({ component: 'hub' }));
      hub.start();
    } else if (config.mqtt) {
      mqtt = new MqttBridge(
        {
          bus,
          equipment,
          readings,
          alarms,
          scheduler,
          auth,
          audit,
          logger: logger.child({ component: 'mqtt' }),
        },
        config.mqtt,
        config.dataDir,
      );
      mqtt.start();
    }
  } catch (err) {
    await close();
    throw err;
  }

  let closed = false;
  return {
    config,
    logger,
    db,
    bus,
    auth,
    audit,
    safety,
    equipment,
    locks,
    profiles,
    readings,
    notifications,
    alarms,
    acquisitions,
    syncGroups,
    scheduler,
    mqtt,
    hub,
    bench,
    async close() {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}

/** Starts the simulated bench and connects to each instrument through the real TCP drivers. */
async function startSimulatedBench(equipment: EquipmentService, logger: Logger): Promise<Bench> {
  const bench = await startBench();
  const seen = new Map<string, number>();
  for (const sim of bench.instruments) {
    const n = (seen.get(sim.model) ?? 0) + 1;
    seen.set(sim.model, n);
    await equipment.connect({ resource_string: sim.resource, simKey: `sim:${sim.model}:${n}` });
    logger.info({ model: sim.model, resource: sim.resource }, 'simulated instrument connected');
  }
  return bench;
}
