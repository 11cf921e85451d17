// The state a request could change, read over REST as any client would, for the hostile-input suites: what they
// assert is that a refused request (4xx) or a read (GET) leaves it exactly as it was. Clock-driven fields (last
// activity, time remaining) and history (lock, session and safety events) are left out: they move by themselves.
// `restore` brings a bench back to a recorded state after a request that was allowed to change it.

import { http, type Json } from './helpers.js';

export interface BenchState {
  equipment: Json[];
  limits: Record<string, Json>;
  instruments: Record<string, Json>;
  locks: Json;
  sessions: Json[];
  profiles: Json[];
  estop: Json;
  /** Users' alarm definitions (built-in ones appear on demand; occurrences move by themselves). */
  alarms: Json[];
  /** Acquisition sessions (settings and state; sample counts move by themselves) and sync groups. */
  acquisitions: Json[];
  syncGroups: Json[];
  /** Scheduled jobs (their definitions; run counts and next runs move by themselves). */
  jobs: Json[];
}

const byId = (a: Json, b: Json) =>
  String(a.id ?? a.session_id ?? a.name).localeCompare(b.id ?? b.session_id ?? b.name);

async function get(base: string, path: string): Promise<Json> {
  const res = await http(`${base}${path}`);
  return { status: res.status, body: res.body };
}

/** What an instrument itself says about its setpoints and outputs (never a measured value, which drifts). */
function settingsOf(type: string, readings: Json): Json {
  if (readings.status !== 200) return { status: readings.status, code: readings.body?.code };
  const r = readings.body;
  if (type === 'power_supply') return pick(r, ['channel', 'voltage_set', 'current_set', 'output_enabled']);
  if (type === 'electronic_load') return pick(r, ['mode', 'setpoint', 'load_enabled']);
  if (type === 'multimeter') return pick(r, ['function', 'range']);
  return { status: readings.status };
}

function pick(o: Json, keys: string[]): Json {
  return Object.fromEntries(keys.map((k) => [k, o?.[k]]));
}

export async function snapshot(base: string): Promise<BenchState> {
  const list = (await get(base, '/api/equipment/list')).body as Json[];
  const equipment = await Promise.all(list.map((e) => get(base, `/api/equipment/${e.id}`)));
  const limits: Record<string, Json> = {};
  const instruments: Record<string, Json> = {};
  await Promise.all(
    list.map(async (e) => {
      const l = await get(base, `/api/safety/limits/${e.id}`);
      limits[e.id] = l.status === 200 ? l.body.limits : l.status;
      if (e.type === 'power_supply') {
        const channels = (l.body?.limits ?? []).map((c: Json) => c.channel as number);
        instruments[e.id] = [];
        for (const ch of channels) {
          instruments[e.id].push(
            settingsOf(e.type, await get(base, `/api/equipment/${e.id}/readings?channel=${ch}`)),
          );
        }
      } else if (e.type !== 'oscilloscope') {
        instruments[e.id] = settingsOf(e.type, await get(base, `/api/equipment/${e.id}/readings`));
      }
    }),
  );
  const [all, sessions, profiles, estop, alarms, acquisitions, groups, jobs] = await Promise.all([
    get(base, '/api/locks/all'),
    get(base, '/api/locks/sessions'),
    get(base, '/api/profiles/list'),
    get(base, '/api/safety/emergency-stop/status'),
    get(base, '/api/alarms'),
    get(base, '/api/acquisition/sessions'),
    get(base, '/api/acquisition/sync/groups'),
    get(base, '/api/scheduler/jobs'),
  ]);
  const lockOf = (l: Json) => pick(l, ['lock_id', 'session_id', 'lock_mode', 'timeout_seconds']);
  return {
    equipment: equipment.map((e) => (e.status === 200 ? e.body.equipment : e)).sort(byId),
    limits,
    instruments,
    locks: {
      status: all.status,
      exclusive: Object.fromEntries(
        Object.entries(all.body.exclusive_locks ?? {}).map(([k, v]) => [k, lockOf(v)]),
      ),
      observers: all.body.observer_locks,
      queues: Object.fromEntries(
        Object.entries(all.body.queues ?? {}).map(([k, q]) => [k, (q as Json[]).map((e) => e.session_id)]),
      ),
    },
    sessions: [
      sessions.status,
      ...((sessions.body.sessions ?? []) as Json[])
        .map((s) => pick(s, ['session_id', 'client_name', 'client_ip', 'timeout_seconds', 'metadata']))
        .sort(byId),
    ],
    profiles: [profiles.status, ...((profiles.body.profiles ?? []) as Json[]).sort(byId)],
    estop: { status: estop.status, ...pick(estop.body, ['active', 'stop_time', 'equipment_count']) },
    alarms: [alarms.status, ...((alarms.body.alarms ?? []) as Json[]).filter((a) => !a.builtin)],
    acquisitions: [
      acquisitions.status,
      ...((acquisitions.body.sessions ?? []) as Json[])
        .map((a) => pick(a, ['acquisition_id', 'equipment_id', 'name', 'state', 'mode', 'created_at']))
        .sort((a, b) => String(a.acquisition_id).localeCompare(b.acquisition_id)),
    ],
    syncGroups: [
      groups.status,
      ...((groups.body.groups ?? []) as Json[])
        .map((g) => ({ ...pick(g, ['group_id', 'name', 'state', 'start_time']), members: g.members }))
        .sort((a, b) => String(a.group_id).localeCompare(b.group_id)),
    ],
    jobs: [
      jobs.status,
      ...((jobs.body.jobs ?? []) as Json[])
        .map((j) => pick(j, ['job_id', 'name', 'schedule_type', 'trigger_type', 'enabled', 'updated_at']))
        .sort((a, b) => String(a.job_id).localeCompare(b.job_id)),
    ],
  };
}

/**
 * Brings the bench back to `target` (a snapshot taken earlier): the emergency stop cleared, locks released and
 * sessions ended, instruments reconnected or removed, nicknames, limits and profiles as they were, and every
 * instrument connected again. Instrument setpoints are left where the last request put them.
 */
export async function restore(base: string, target: BenchState): Promise<void> {
  const send = async (path: string, init: Parameters<typeof http>[1]) => {
    const res = await http(`${base}${path}`, init);
    if (res.status >= 400)
      throw new Error(
        `restore: ${init?.method ?? 'POST'} ${path} → ${res.status} ${JSON.stringify(res.body)}`,
      );
    return res.body;
  };
  if ((await http(`${base}/api/safety/emergency-stop/status`)).body.active) {
    await send('/api/safety/emergency-stop/deactivate', { method: 'POST' });
  }
  const all = (await http(`${base}/api/locks/all`)).body;
  for (const [equipment_id, lock] of Object.entries(all.exclusive_locks as Record<string, Json>)) {
    await send('/api/locks/release', { body: { equipment_id, session_id: lock.session_id, force: true } });
  }
  for (const [equipment_id, observers] of Object.entries(all.observer_locks as Record<string, string[]>)) {
    for (const session_id of observers)
      await send('/api/locks/release', { body: { equipment_id, session_id } });
  }
  // Queued sessions got the lock as each holder left: release those too, until nothing is held.
  for (let again = true; again; ) {
    const held = (await http(`${base}/api/locks/all`)).body.exclusive_locks as Record<string, Json>;
    again = Object.keys(held).length > 0;
    for (const [equipment_id, lock] of Object.entries(held)) {
      await send('/api/locks/release', { body: { equipment_id, session_id: lock.session_id, force: true } });
    }
  }
  for (const s of (await http(`${base}/api/locks/sessions`)).body.sessions as Json[]) {
    await send(`/api/locks/sessions/${encodeURIComponent(s.session_id)}`, { method: 'DELETE' });
  }

  // Instruments are matched by resource: one disconnected and connected again may come back under a new id.
  const wanted = new Map(target.equipment.map((e: Json) => [e.resource_string as string, e]));
  const list = async () => (await http(`${base}/api/equipment/list`)).body as Json[];
  for (const e of await list()) {
    if (!wanted.has(e.resource_string)) await send(`/api/equipment/disconnect/${e.id}`, { method: 'POST' });
  }
  const present = new Set((await list()).map((e) => e.resource_string));
  for (const resource_string of wanted.keys()) {
    if (!present.has(resource_string)) await send('/api/equipment/connect', { body: { resource_string } });
  }
  const ids = new Map((await list()).map((e) => [e.resource_string as string, e.id as string]));
  for (const [resource, e] of wanted) {
    const id = ids.get(resource) as string;
    const now = (await http(`${base}/api/equipment/${id}`)).body.equipment;
    if (now.nickname !== e.nickname) {
      await send(`/api/equipment/${id}`, { method: 'PATCH', body: { nickname: e.nickname } });
    }
    const limits = target.limits[e.id];
    if (Array.isArray(limits)) await restoreLimits(send, `${base}`, id, limits);
  }

  const profiles = new Map((target.profiles.slice(1) as Json[]).map((p) => [p.name, p]));
  for (const p of (await http(`${base}/api/profiles/list`)).body.profiles as Json[]) {
    const was = profiles.get(p.name);
    if (was && JSON.stringify(was) === JSON.stringify(p)) continue;
    await send(`/api/profiles/${encodeURIComponent(p.name)}`, { method: 'DELETE' });
  }
  const left = new Set(
    ((await http(`${base}/api/profiles/list`)).body.profiles as Json[]).map((p) => p.name),
  );
  for (const [name, p] of profiles) {
    if (left.has(name)) continue;
    const { description, equipment_type, model, settings, tags } = p;
    await send('/api/profiles/create', {
      body: { name, description, equipment_type, model, settings, tags },
    });
  }

  // Alarm definitions: those added since go, those deleted or changed come back (a deleted one under a new id).
  const alarmsNow = ((await http(`${base}/api/alarms`)).body.alarms as Json[]).filter((a) => !a.builtin);
  const wantedAlarms = new Map((target.alarms.slice(1) as Json[]).map((a) => [a.alarm_id, a]));
  for (const a of alarmsNow) {
    const was = wantedAlarms.get(a.alarm_id);
    if (was && JSON.stringify(was) === JSON.stringify(a)) wantedAlarms.delete(a.alarm_id);
    else await send(`/api/alarms/${a.alarm_id}`, { method: 'DELETE' });
  }
  // An instrument reconnected under a new id takes its alarms along; one gone for good, its alarms too.
  const newId = new Map(target.equipment.map((e: Json) => [e.id, ids.get(e.resource_string)]));
  for (const a of wantedAlarms.values()) {
    const { alarm_id, builtin, created_at, created_by, updated_at, ...writable } = a;
    if (writable.equipment_id !== null) {
      writable.equipment_id = newId.get(writable.equipment_id);
      if (writable.equipment_id === undefined) continue;
    }
    await send('/api/alarms/create', { body: writable });
  }

  // Acquisition sessions and sync groups made since: deleted (ids are never reused, so none is "put back").
  const keptGroups = new Set((target.syncGroups ?? []).slice(1).map((g: Json) => g.group_id));
  for (const g of ((await http(`${base}/api/acquisition/sync/groups`)).body.groups ?? []) as Json[]) {
    if (!keptGroups.has(g.group_id))
      await send(`/api/acquisition/sync/group/${g.group_id}`, { method: 'DELETE' });
  }
  const keptSessions = new Set((target.acquisitions ?? []).slice(1).map((a: Json) => a.acquisition_id));
  for (const a of ((await http(`${base}/api/acquisition/sessions`)).body.sessions ?? []) as Json[]) {
    if (!keptSessions.has(a.acquisition_id))
      await send(`/api/acquisition/session/${a.acquisition_id}`, { method: 'DELETE' });
  }

  // Scheduled jobs made since: deleted before they fire (a job's runs would change the bench on their own).
  const keptJobs = new Set((target.jobs ?? []).slice(1).map((j: Json) => j.job_id));
  for (const j of ((await http(`${base}/api/scheduler/jobs`)).body.jobs ?? []) as Json[]) {
    if (!keptJobs.has(j.job_id)) await send(`/api/scheduler/jobs/${j.job_id}`, { method: 'DELETE' });
  }

  // Instruments come back by themselves after a reconnect; wait for every one of them.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(
      [...ids.values()].map(async (id) => (await http(`${base}/api/equipment/${id}`)).body.equipment?.state),
    );
    if (states.every((s) => s === 'connected')) break;
    if (Date.now() > deadline)
      throw new Error(`restore: instruments not connected again: ${states.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Send = (path: string, init: Parameters<typeof http>[1]) => Promise<Json>;

async function restoreLimits(send: Send, base: string, id: string, limits: Json[]): Promise<void> {
  const now = (await http(`${base}/api/safety/limits/${id}`)).body.limits as Json[];
  for (const channel of limits) {
    const current = now.find((c) => c.channel === channel.channel);
    if (JSON.stringify(current) === JSON.stringify(channel)) continue;
    const put = (body: Json) =>
      send(`/api/safety/limits/${id}`, { method: 'PUT', body: { channel: channel.channel, ...body } });
    // Slew rates first (no ramp while the rest is put back), then the limits in an order always valid.
    await put({
      voltage_slew_rate: channel.voltage_slew_rate ?? 0,
      current_slew_rate: channel.current_slew_rate ?? 0,
    });
    await put({ min_voltage: 0, min_current: 0 });
    await put({
      max_voltage: channel.max_voltage,
      max_current: channel.max_current,
      max_power: channel.max_power,
    });
    await put({ min_voltage: channel.min_voltage, min_current: channel.min_current });
  }
}

/** The differences between two snapshots, as readable paths (empty when equal). */
export function differences(a: Json, b: Json, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences(a[k], b[k], `${path}.${k}`));
  }
  return [`${path || '.'}: ${JSON.stringify(a)?.slice(0, 200)} → ${JSON.stringify(b)?.slice(0, 200)}`];
}
