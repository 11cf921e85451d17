// Hub mode's REST API (docs/mqtt.md): every bench on the broker, as the hub knows it from their retained messages,
// and commands forwarded to a bench through the broker. The bench checks and runs each command on its own command
// path; its refusal comes back with its status and reason. On a server that is not a hub, every route says so (404).

import {
  BenchAcknowledgeRequest,
  BenchAlarms,
  BenchCommandRequest,
  BenchCommandResponse,
  BenchEquipmentList,
  BenchEquipmentParams,
  BenchJobs,
  BenchList,
  BenchParams,
  BenchSummary,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { DomainError } from '../errors.js';
import type { BenchRecord, Hub } from '../mqtt/hub.js';
import { ErrorResponses } from './schemas.js';

function summary(record: BenchRecord): BenchSummary {
  return {
    bench: record.bench,
    state: record.status?.state ?? 'unknown',
    reason: record.status?.reason ?? null,
    since: record.status?.since ?? null,
    version: record.status?.version ?? null,
    equipment_count: record.equipment.length,
    active_alarms: record.alarms.filter((a) => a.state === 'active' || a.state === 'returned').length,
    last_seen: record.lastSeen,
  };
}

export async function hubRoutes(app: AppInstance): Promise<void> {
  const tags = ['hub'];
  const hub = (): Hub => {
    const found = app.services.hub;
    if (!found) {
      throw new DomainError(
        'not_found',
        'this LabLink server is not a hub: start one with `lablink hub --mqtt <url>` (docs/mqtt.md)',
      );
    }
    return found;
  };

  app.get(
    '/api/hub/benches',
    {
      schema: {
        tags,
        summary: 'Every bench on the broker, online or offline',
        response: { 200: BenchList, ...ErrorResponses },
      },
    },
    async () => ({ benches: hub().benches().map(summary) }),
  );

  app.get(
    '/api/hub/benches/:bench',
    {
      schema: {
        tags,
        summary: 'One bench',
        params: BenchParams,
        response: { 200: BenchSummary, ...ErrorResponses },
      },
    },
    async (request) => summary(hub().bench(request.params.bench)),
  );

  app.get(
    '/api/hub/benches/:bench/equipment',
    {
      schema: {
        tags,
        summary: 'A bench’s instruments, their states and latest readings (by channel)',
        params: BenchParams,
        response: { 200: BenchEquipmentList, ...ErrorResponses },
      },
    },
    async (request) => {
      const record = hub().bench(request.params.bench);
      return {
        bench: record.bench,
        equipment: record.equipment.map((item) => {
          const readings: Record<string, unknown> = {};
          for (let channel = 1; channel <= item.channels; channel++) {
            const reading = record.readings.get(`${item.info.id}:${channel}`);
            if (reading) readings[String(channel)] = reading;
          }
          return { ...item, readings } as BenchEquipmentList['equipment'][number];
        }),
      };
    },
  );

  app.get(
    '/api/hub/benches/:bench/alarms',
    {
      schema: {
        tags,
        summary: 'A bench’s open alarm occurrences (active, acknowledged, returned, shelved, suppressed)',
        params: BenchParams,
        response: { 200: BenchAlarms, ...ErrorResponses },
      },
    },
    async (request) => {
      const record = hub().bench(request.params.bench);
      return { bench: record.bench, events: record.alarms };
    },
  );

  app.get(
    '/api/hub/benches/:bench/jobs',
    {
      schema: {
        tags,
        summary: 'A bench’s scheduled jobs',
        params: BenchParams,
        response: { 200: BenchJobs, ...ErrorResponses },
      },
    },
    async (request) => {
      const record = hub().bench(request.params.bench);
      return { bench: record.bench, jobs: record.jobs };
    },
  );

  app.post(
    '/api/hub/benches/:bench/equipment/:equipment_id/command',
    {
      schema: {
        tags,
        summary:
          'Run a named command on a bench’s instrument, through the broker and the bench’s own command path',
        params: BenchEquipmentParams,
        body: BenchCommandRequest,
        response: { 200: BenchCommandResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { bench, equipment_id } = request.params;
      const data = await hub().command(bench, {
        op: 'equipment_command',
        equipment_id,
        action: request.body.action,
        parameters: request.body.parameters ?? {},
      });
      return { bench, success: true, data };
    },
  );

  app.post(
    '/api/hub/benches/:bench/alarms/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an alarm occurrence on its bench',
        params: BenchParams,
        body: BenchAcknowledgeRequest,
        response: { 200: BenchCommandResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { bench } = request.params;
      const data = await hub().command(bench, {
        op: 'acknowledge_alarm',
        event_id: request.body.event_id,
        note: request.body.note ?? null,
      });
      return { bench, success: true, data };
    },
  );

  app.post(
    '/api/hub/benches/:bench/emergency-stop',
    {
      schema: {
        tags,
        summary: 'Emergency stop of one bench: every output and load input off there',
        params: BenchParams,
        response: { 200: BenchCommandResponse, ...ErrorResponses },
      },
    },
    async (request) => {
      const { bench } = request.params;
      return { bench, success: true, data: await hub().command(bench, { op: 'emergency_stop' }) };
    },
  );
}
