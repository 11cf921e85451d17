// Starting and stopping a LabLink server: the one place that turns a Config into a listening process.

import v8 from 'node:v8';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { createServices, type Services } from './services.js';

export { createLogger };

export interface RunningServer {
  url: string;
  port: number;
  /** The server's services (tests use them to reach the simulated bench for fault injection). */
  services: Services;
  stop(): Promise<void>;
}

/** What `lablink serve` prints once listening: the address, where the data lives, how to stop it. */
export function startMessage(url: string, config: Pick<Config, 'dataDir' | 'dataDirSource'>): string {
  const data =
    config.dataDirSource === 'legacy'
      ? `Data:    ${config.dataDir} (the ./data of an earlier LabLink, kept in use; --data-dir or LABLINK_DATA_DIR moves it)`
      : `Data:    ${config.dataDir}`;
  return `LabLink listening on ${url}\n${data}\nCtrl-C stops it (outputs are made safe first).\n`;
}

export async function startServer(
  config: Config,
  logger: Logger = createLogger(config),
): Promise<RunningServer> {
  const services = await createServices(config, logger);
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(services);
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await services.close();
    throw err;
  }
  // V8's default: the young generation grows again with the load (the built dist/cli.js held it while loading).
  v8.setFlagsFromString('--semi-space-growth-factor=2');
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    stop: () => app.close(),
  };
}
