// The audit log, newest first, a page at a time (admin; auth/audit.ts says what is recorded).

import { AuditPage, AuditQuery } from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';

export async function auditRoutes(app: AppInstance): Promise<void> {
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who did what, when, from where: control, configuration, users, tokens, sign-ins',
        querystring: AuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) => app.services.audit.page(request.query.limit ?? 100, request.query.before),
  );
}
