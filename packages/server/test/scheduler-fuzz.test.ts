// Random creates, edits, runs, pauses and previews of scheduled jobs on the simulated bench, with real job and
// instrument ids (rest-fuzz.test.ts fuzzes every route, but with no job to edit): never a 5xx, a 400 names its field,
// every job stays readable, and every event published validates (TestServer.dispose checks). Seeded, so a failure
// replays: LABLINK_FUZZ_SEED.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { http, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
});
afterAll(async () => {
  await server.dispose();
});
const vals: Record<string, unknown[]> = {
  trigger_type: ['cron', 'interval', 'date', 'daily', 'weekly', 'monthly'],
  cron_expression: [null, '* * * * *', 'x', '0 0 31 2 *', '*/1 * * * * *'],
  interval_seconds: [null, 0, 1, 1e9, 0.2],
  interval_days: [null, 366, 400],
  run_date: [null, '2020-01-01T00:00:00Z', '2099-01-01T00:00:00Z'],
  time_of_day: [null, '00:00', '23:59:59', '99:99'],
  day_of_week: [null, 0, 6],
  day_of_month: [null, 1, 31],
  start_date: [null, '2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z'],
  end_date: [null, '2001-01-01T00:00:00Z', '2099-06-01T00:00:00Z'],
  timezone: [null, 'UTC', 'Europe/Berlin', 'Bad/Zone', 'EST5EDT', 'Etc/GMT+14'],
  schedule_type: ['script', 'command', 'measurement', 'state_capture', 'equipment_test', 'acquisition'],
  equipment_id: [null, 'nope'],
  parameters: [
    {},
    { steps: [] },
    { steps: 'x' },
    { command: 'get_readings' },
    { steps: [{ type: 'wait', seconds: 0 }] },
  ],
  enabled: [true, false],
  max_instances: [1, 10],
  misfire_grace_time: [0, 604800],
  coalesce: [true, false],
  max_executions: [null, 1, 1000000000],
  profile_id: [null, 'none'],
  on_failure_alarm: [true, false],
  conflict_policy: ['skip', 'queue', 'replace'],
  tags: [[], ['a']],
};
const keys = Object.keys(vals);
/** mulberry32: a small seeded generator. */
let seed = Number(process.env.LABLINK_FUZZ_SEED ?? 20_261_129) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)] as T;
it('random jobs and edits: never a 5xx, a 400 names its field', async () => {
  const equipment = (await http(`${server.url}/api/equipment/list`)).body as { id: string }[];
  vals.equipment_id?.push(...equipment.map((e) => e.id));
  const statuses = new Map<number, number>();
  const ids: string[] = [];
  for (let i = 0; i < 600; i++) {
    const body: Record<string, unknown> = {};
    for (let k = 0; k < 1 + Math.floor(random() * 6); k++) {
      const key = pick(keys);
      body[key] = pick(vals[key] as unknown[]);
    }
    let res: Awaited<ReturnType<typeof http>>;
    if (ids.length === 0 || random() < 0.4) {
      res = await http(`${server.url}/api/scheduler/jobs/create`, {
        body: { name: 'f', schedule_type: 'script', trigger_type: 'interval', interval_hours: 1, ...body },
      });
      if (res.status === 200) ids.push(res.body.job_id);
    } else if (random() < 0.8) {
      res = await http(`${server.url}/api/scheduler/jobs/${pick(ids)}`, { method: 'PUT', body });
    } else {
      const id = pick(ids);
      const action = pick(['run', 'pause', 'resume', 'history', 'preview']);
      res =
        action === 'history'
          ? await http(`${server.url}/api/scheduler/jobs/${id}/history`)
          : action === 'preview'
            ? await http(`${server.url}/api/scheduler/triggers/preview`, {
                body: {
                  trigger_type: pick(vals.trigger_type as unknown[]),
                  ...body,
                  schedule_type: undefined,
                },
              })
            : await http(`${server.url}/api/scheduler/jobs/${id}/${action}`, { method: 'POST' });
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500)
      throw new Error(`${res.status} ${JSON.stringify(body)} ${JSON.stringify(res.body)}`);
    if (res.status === 400) expect(res.body.field, JSON.stringify(res.body)).toBeTruthy();
  }
  for (const id of ids) {
    const g = await http(`${server.url}/api/scheduler/jobs/${id}`);
    expect(g.status).toBe(200);
  }
  expect((await http(`${server.url}/api/scheduler/statistics`)).status).toBe(200);
  expect((await http(`${server.url}/api/scheduler/executions?limit=1000`)).status).toBe(200);
  // Both accepted and refused requests were made.
  expect(statuses.get(200)).toBeGreaterThan(50);
  expect(statuses.get(400)).toBeGreaterThan(50);
}, 120_000);
