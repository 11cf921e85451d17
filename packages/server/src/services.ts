// The service container: every service is created exactly once, here, and handed to the routes and the
// WebSocket gateway. (The original built its services twice through two import paths, which is why its alarms
// and jobs never reached WebSocket clients.)

import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type Db, openDatabase } from './storage/database.js';

export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  /** Instruments connected right now (for /health). */
  connectedDevices(): number;
  /** Releases everything in reverse order of creation. Safe to call twice. */
  close(): Promise<void>;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const db = openDatabase(config.dataDir);
  let closed = false;
  return {
    config,
    logger,
    db,
    connectedDevices: () => 0,
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
