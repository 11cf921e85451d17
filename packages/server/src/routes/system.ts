// Server identity and health: what load balancers, the original's clients and `lablink check` ask first.

import { hostname } from 'node:os';
import { Health, ServerInfo } from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { VERSION } from '../version.js';

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
    async () => ({ status: 'healthy' as const, connected_devices: app.services.equipment.connectedCount() }),
  );
  app.get(
    '/api',
    { schema: { tags: ['system'], summary: 'Server name, version and host', response: { 200: ServerInfo } } },
    async () => ({
      name: 'LabLink Server',
      version: VERSION,
      hostname: hostname(),
      status: 'running' as const,
      // Sign-in required (not open mode: docs/security.md).
      security_enabled: !app.services.auth.open,
    }),
  );
}
