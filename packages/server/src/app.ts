// The Fastify app, made by one function from one service container. Each feature is a plugin with its routes
// and schemas together; every route has a schema, so /docs documents them all.

import { existsSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAuth, lockEventView } from './auth/hook.js';
import { frameworkErrors, installErrorHandler } from './http-errors.js';
import { installRequestGuard } from './http-guard.js';
import { realtimePlugin } from './realtime/plugin.js';
import { acquisitionRoutes } from './routes/acquisition.js';
import { acquisitionExportRoutes } from './routes/acquisition-export.js';
import { acquisitionStatsRoutes } from './routes/acquisition-stats.js';
import { alarmNotificationRoutes } from './routes/alarm-notifications.js';
import { alarmRoutes } from './routes/alarms.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { equipmentRoutes } from './routes/equipment.js';
import { hubRoutes } from './routes/hub.js';
import { lockRoutes } from './routes/locks.js';
import { profileRoutes } from './routes/profiles.js';
import { safetyRoutes } from './routes/safety.js';
import { schedulerRoutes } from './routes/scheduler.js';
import { systemRoutes } from './routes/system.js';
import type { Services } from './services.js';
import { installValidators } from './validation.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export type AppInstance = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Fastify's own serializer compiler (fast-json-stringify), each route's compiled when it first replies. */
function lazySerializers(...factoryArgs: Parameters<ReturnType<typeof SerializerSelector>>) {
  const compile = SerializerSelector()(...factoryArgs);
  return (route: Parameters<typeof compile>[0]) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      serialize ??= compile(route);
      return serialize(data);
    };
  };
}

export async function buildApp(services: Services) {
  const base = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    // Large enough for a config import, small enough that a runaway client cannot exhaust memory.
    bodyLimit: 1024 * 1024,
    // Refusals of the router itself (an over-long path segment, a broken %-escape) get the one error body too.
    frameworkErrors,
    // Response serializers are compiled on a route's first reply, not at start (as validators are, validation.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
  });
  installErrorHandler(base);
  installValidators(base);
  // First of all hooks, for every route, the /ws upgrade and the web app: the Host must name this server and a
  // request from another site's page does not act (http-guard.ts, docs/security.md).
  installRequestGuard(base, services.config);
  // Then who the request is and whether its role may use the route (auth/roles.ts), security headers, audit.
  installAuth(base, services.auth, services.audit, services.locks);
  const app: AppInstance = base.withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('services', services);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'LabLink',
        version: VERSION,
        description:
          'REST API of a LabLink server. Real-time data and events: WebSocket at /ws (docs/protocol.md).',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(systemRoutes);
  await app.register(authRoutes);
  await app.register(auditRoutes);
  await app.register(equipmentRoutes);
  await app.register(safetyRoutes);
  await app.register(lockRoutes);
  await app.register(profileRoutes);
  await app.register(alarmRoutes);
  await app.register(alarmNotificationRoutes);
  await app.register(acquisitionRoutes);
  await app.register(acquisitionExportRoutes);
  await app.register(acquisitionStatsRoutes, { readerOf: (id) => services.acquisitions.reader(id) });
  await app.register(schedulerRoutes);
  await app.register(hubRoutes);
  await app.register(realtimePlugin, {
    bus: services.bus,
    readings: services.readings,
    acquisitions: services.acquisitions,
    auth: services.auth,
    eventView: lockEventView(services.locks),
    maxConnections: services.config.maxWsConnections,
    maxConnectionsPerAddress: services.config.maxWsPerAddress,
    messageRatePerAddress: services.config.wsMessageRate,
  });

  // The web app, built by `npm run build` (npm start does it when missing). wildcard:false keeps unknown /api
  // paths answering with the JSON 404.
  if (existsSync(WEB_DIST)) await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false });
  else app.log.warn('web app not built: run npm run build');

  app.addHook('onClose', async () => services.close());
  return app;
}
