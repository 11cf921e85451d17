// Sync groups (reference §3.2, on the original's routes): sessions started, paused, resumed and stopped together.
// A group's start starts every idle member in the same turn of the event loop with one start time; each member's
// data then also carries its timestamps relative to that start (relative_times, seconds).

import { randomUUID } from 'node:crypto';
import type { AcquisitionData, SyncGroupStatus } from '@lablink/protocol/rest';
import { DomainError, notFound } from '../errors.js';
import type { AcquisitionService } from './engine.js';

const MAX_GROUPS = 1000;
const MAX_MEMBERS = 64;

interface Group {
  group_id: string;
  name: string | null;
  /** acquisition_id → equipment_id */
  members: Map<string, string | null>;
  state: string;
  start_time: number | null;
  created_at: string;
}

export class SyncGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly acquisitions: AcquisitionService) {
    acquisitions.onDelete = (id) => {
      for (const g of this.groups.values()) g.members.delete(id);
    };
  }

  create(body: { name?: string; group_id?: string }): Group {
    if (this.groups.size >= MAX_GROUPS) throw new DomainError('too_many_sessions', 'too many sync groups');
    const id = body.group_id ?? randomUUID();
    if (this.groups.has(id)) throw new DomainError('conflict', `sync group "${id}" exists`, 'group_id');
    const group: Group = {
      group_id: id,
      name: body.name ?? null,
      members: new Map(),
      state: 'idle',
      start_time: null,
      created_at: new Date().toISOString(),
    };
    this.groups.set(id, group);
    return group;
  }

  private get(id: string): Group {
    const g = this.groups.get(id);
    if (!g) throw notFound(`Sync group ${id}`);
    return g;
  }

  add(id: string, body: { equipment_id?: string; acquisition_id: string }): void {
    const g = this.get(id);
    const s = this.acquisitions.find(body.acquisition_id);
    if (!s) throw new DomainError('not_found', `no acquisition "${body.acquisition_id}"`, 'acquisition_id');
    if (s.sync_group_id !== null && s.sync_group_id !== id) {
      throw new DomainError(
        'conflict',
        `acquisition is in sync group "${s.sync_group_id}"`,
        'acquisition_id',
      );
    }
    if (g.members.size >= MAX_MEMBERS && !g.members.has(s.acquisition_id)) {
      throw new DomainError(
        'invalid_request',
        `a sync group has at most ${MAX_MEMBERS} members`,
        'acquisition_id',
      );
    }
    g.members.set(s.acquisition_id, body.equipment_id ?? s.equipment_id);
    s.sync_group_id = id;
    if (g.state === 'idle') g.state = 'ready';
  }

  action(id: string, action: 'start' | 'stop' | 'pause' | 'resume'): Record<string, boolean> {
    const g = this.get(id);
    if (g.members.size === 0)
      throw new DomainError('invalid_request', 'the sync group has no members', 'group_id');
    const results: Record<string, boolean> = {};
    const startTime = Date.now();
    for (const acqId of g.members.keys()) {
      const r =
        action === 'start'
          ? this.acquisitions.start(acqId, startTime)
          : action === 'stop'
            ? this.acquisitions.stop(acqId, 'stopped with its sync group')
            : action === 'pause'
              ? this.acquisitions.pause(acqId)
              : this.acquisitions.resume(acqId);
      results[acqId] = r.success;
    }
    if (action === 'start') g.start_time = startTime;
    g.state = { start: 'running', stop: 'stopped', pause: 'paused', resume: 'running' }[action];
    return results;
  }

  status(id: string): SyncGroupStatus {
    const g = this.get(id);
    return {
      group_id: g.group_id,
      name: g.name,
      state: g.state,
      members: [...g.members].map(([acquisition_id, equipment_id]) => ({
        acquisition_id,
        equipment_id,
        state: this.acquisitions.find(acquisition_id)?.state ?? 'unknown',
      })),
      start_time: g.start_time === null ? null : new Date(g.start_time).toISOString(),
      created_at: g.created_at,
    };
  }

  list(): SyncGroupStatus[] {
    return [...this.groups.keys()].map((id) => this.status(id));
  }

  async data(id: string, numSamples?: number): Promise<Record<string, AcquisitionData>> {
    const g = this.get(id);
    const out: Record<string, AcquisitionData> = {};
    for (const acqId of g.members.keys())
      out[acqId] = await this.acquisitions.data(acqId, { num_samples: numSamples });
    return out;
  }

  startTime(id: string): string | null {
    const g = this.get(id);
    return g.start_time === null ? null : new Date(g.start_time).toISOString();
  }

  delete(id: string): void {
    const g = this.get(id);
    for (const acqId of g.members.keys()) {
      const s = this.acquisitions.find(acqId);
      if (s) s.sync_group_id = null;
    }
    this.groups.delete(id);
  }
}
