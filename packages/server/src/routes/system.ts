// Server identity and health: what load balancers, the original's clients and `lablink check` ask first.

import { hostname } from 'node:os';
import { Type } from '@fastify/type-provider-typebox';
import type { AppInstance } from '../app.js';
import { VERSION } from '../version.js';

const Health = Type.Object({
  status: Type.Literal('healthy'),
  connected_devices: Type.Integer({ minimum: 0, description: 'Instruments connected right now' }),
});

const Info = Type.Object({
  name: Type.String(),
  version: Type.String(),
  hostname: Type.String(),
  status: Type.Literal('running'),
  security_enabled: Type.Boolean(),
});

export async function systemRoutes(app: AppInstance): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness and connected instrument count',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'healthy' as const, connected_devices: app.services.connectedDevices() }),
  );
  app.get(
    '/api',
    { schema: { tags: ['system'], summary: 'Server name, version and host', response: { 200: Info } } },
    async () => ({
      name: 'LabLink Server',
      version: VERSION,
      hostname: hostname(),
      status: 'running' as const,
      security_enabled: false,
    }),
  );
}
