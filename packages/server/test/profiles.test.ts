// Profiles: from settings to commands (pure), storage and defaults on a real database, then the REST API against a
// server with the simulated bench, where applying a profile really sets the instrument, within its limits.

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILES, ProfileService, planSettings } from '../src/profiles.js';
import { openDatabase } from '../src/storage/database.js';
import { http, httpErrorOf, type Json, startTestServer, type TestServer, tempDir } from './helpers.js';

const ONE_CHANNEL = { channel: 1, channels: 1 };

describe('planSettings', () => {
  it('switches an output off first, then setpoints, and on last', () => {
    const on = planSettings(
      'power_supply',
      { output_enabled: true, current_limit: 1, voltage: 5 },
      ONE_CHANNEL,
    );
    expect(on.steps.map((s) => s.action)).toEqual(['set_voltage', 'set_current', 'set_output']);
    expect(on.steps[2]?.params).toEqual({ enabled: true, channel: 1 });

    const off = planSettings(
      'power_supply',
      { voltage: 5, output_enabled: false },
      { channel: 2, channels: 3 },
    );
    expect(off.steps).toEqual([
      { setting: 'output_enabled', action: 'set_output', params: { enabled: false, channel: 2 } },
      { setting: 'voltage', action: 'set_voltage', params: { voltage: 5, channel: 2 } },
    ]);

    const load = planSettings(
      'electronic_load',
      { load_enabled: true, resistance: 10, mode: 'cr' },
      ONE_CHANNEL,
    );
    expect(load.steps.map((s) => [s.action, s.params])).toEqual([
      ['set_mode', { mode: 'CR' }],
      ['set_resistance', { resistance: 10 }],
      ['set_input', { enabled: true }],
    ]);
  });

  it('groups a scope channel’s settings into one set_channel and skips the trigger sweep it cannot set', () => {
    const plan = planSettings(
      'oscilloscope',
      {
        channel_2_coupling: 'ac',
        timebase_scale: 0.001,
        channel_2_scale: 0.5,
        channel_1_offset: 1,
        trigger_mode: 'auto',
      },
      { channel: 1, channels: 4 },
    );
    expect(plan.steps).toEqual([
      { setting: 'timebase_scale', action: 'set_timebase', params: { scale: 0.001 } },
      { setting: 'channel_1_offset', action: 'set_channel', params: { channel: 1, offset: 1 } },
      {
        setting: 'channel_2_coupling, channel_2_scale',
        action: 'set_channel',
        params: { channel: 2, coupling: 'AC', scale: 0.5 },
      },
    ]);
    expect(plan.skipped).toEqual([{ setting: 'trigger_mode', reason: expect.stringContaining('AUTO') }]);
  });

  it.each([
    ['power_supply', { voltage: 5, volts: 3 }, 'settings.volts', 'not known'],
    ['power_supply', { voltage: '5' }, 'settings.voltage', 'must be a number'],
    ['power_supply', { current: 1, current_limit: 1 }, 'settings.current', 'not both'],
    ['electronic_load', { load_enabled: 'yes' }, 'settings.load_enabled', 'must be a boolean'],
    ['oscilloscope', { channel_5_scale: 1 }, 'settings.channel_5_scale', 'channel 1 to 4'],
    ['oscilloscope', { timebase_offset: 0 }, 'settings.timebase_offset', 'needs timebase_scale'],
    ['multimeter', { range: 10 }, 'settings.range', 'cannot be applied'],
  ])('refuses a %s profile with %j, naming %s', (type, settings, field, words) => {
    const err = httpErrorOf(() => planSettings(type, settings, { channel: 1, channels: 4 }));
    expect(err.statusCode).toBe(400);
    expect(err.field).toBe(field);
    expect(err.message).toContain(words);
  });
});

describe('ProfileService storage', () => {
  const noEquipment = { find: () => undefined, execute: async () => undefined };
  const open = (dir: string) =>
    new ProfileService({ db: openDatabase(dir), equipment: noEquipment, logger: pino({ level: 'silent' }) });

  it('writes the defaults once and never undoes a user’s edit or deletion', () => {
    const tmp = tempDir();
    try {
      const first = open(tmp.dir);
      expect(
        first
          .list()
          .map((p) => p.name)
          .sort(),
      ).toEqual(DEFAULT_PROFILES.map((p) => p.name).sort());
      first.update('Power Supply - 5V Logic', { settings: { voltage: 5.1 } });
      first.delete('Power Supply - 12V Standard');

      const again = open(tmp.dir);
      expect(again.get('Power Supply - 5V Logic')?.settings).toEqual({ voltage: 5.1 });
      expect(again.get('Power Supply - 12V Standard')).toBeUndefined();
      expect(again.list()).toHaveLength(DEFAULT_PROFILES.length - 1);
    } finally {
      tmp.remove();
    }
  });
});

describe('profiles over HTTP, with the simulated bench', () => {
  let server: TestServer;
  let ids: Record<string, string>;
  let api: (path: string, init?: Parameters<typeof http>[1]) => ReturnType<typeof http>;

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    api = (path, init) => http(`${server.url}${path}`, init);
    const { body } = await api('/api/equipment/list');
    ids = Object.fromEntries(body.map((e: Json) => [e.type, e.id]));
  });
  afterAll(() => server.dispose());

  const profilePath = (name: string) => `/api/profiles/${encodeURIComponent(name)}`;
  const apply = (name: string, equipmentId: string, body?: Json) =>
    api(`${profilePath(name)}/apply/${equipmentId}`, { method: 'POST', body: body ?? {} });
  const psuReadings = async () => (await api(`/api/equipment/${ids.power_supply}/readings`)).body;
  const create = (body: Json) => api('/api/profiles/create', { body });

  it('lists the seven defaults, newest modified first, filtered by type', async () => {
    const all = await api('/api/profiles/list');
    expect(all.body.count).toBe(7);
    const psus = await api('/api/profiles/list?equipment_type=power_supply');
    expect(psus.body.profiles.map((p: Json) => p.name).sort()).toEqual([
      'Power Supply - 12V Standard',
      'Power Supply - 3.3V MCU',
      'Power Supply - 5V Logic',
    ]);
    const one = await api(profilePath('Power Supply - 5V Logic'));
    expect(one.body).toMatchObject({
      success: true,
      profile: {
        equipment_type: 'power_supply',
        model: 'generic',
        settings: { voltage: 5, current_limit: 1, output_enabled: false },
        tags: ['5v', 'logic', 'default'],
      },
    });
    expect(one.body.profile.created_at).toMatch(/Z$/);
    expect((await api(profilePath('No Such Profile'))).status).toBe(404);
  });

  it('creates, updates, renames and deletes profiles', async () => {
    const made = await create({ name: 'Bench 9V', equipment_type: 'power_supply', settings: { voltage: 9 } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      success: true,
      profile: { name: 'Bench 9V', model: 'generic', description: null, tags: [], settings: { voltage: 9 } },
    });
    expect((await api('/api/profiles/list')).body.profiles[0].name).toBe('Bench 9V');

    const duplicate = await create({ name: 'Bench 9V', equipment_type: 'power_supply', settings: {} });
    expect(duplicate.status).toBe(409);
    const invalid = await create({ name: 'No type', settings: {} });
    expect(invalid.status).toBe(400);
    expect(invalid.body.field).toBe('equipment_type');

    const updated = await api(profilePath('Bench 9V'), {
      method: 'PUT',
      body: { description: 'nine volts' },
    });
    expect(updated.body.profile).toMatchObject({ description: 'nine volts', settings: { voltage: 9 } });
    expect(updated.body.profile.created_at).toBe(made.body.profile.created_at);

    const renamed = await api(profilePath('Bench 9V'), { method: 'PUT', body: { name: 'Bench 9 V' } });
    expect(renamed.body.profile.name).toBe('Bench 9 V');
    expect((await api(profilePath('Bench 9V'))).status).toBe(404);
    const clash = await api(profilePath('Bench 9 V'), {
      method: 'PUT',
      body: { name: 'Power Supply - 5V Logic' },
    });
    expect(clash.status).toBe(409);
    expect((await api(profilePath('Bench 9 V'))).status).toBe(200);

    expect((await api(profilePath('Bench 9 V'), { method: 'DELETE' })).body.success).toBe(true);
    expect((await api(profilePath('Bench 9 V'), { method: 'DELETE' })).status).toBe(404);
  });

  it('really sets the power supply when "Power Supply - 5V Logic" is applied', async () => {
    const res = await apply('Power Supply - 5V Logic', ids.power_supply as string);
    expect(res.status).toBe(200);
    expect(res.body.applied.map((s: Json) => s.action)).toEqual(['set_output', 'set_voltage', 'set_current']);
    expect(await psuReadings()).toMatchObject({ voltage_set: 5, current_set: 1, output_enabled: false });
  });

  it('sets the electronic load and the scope too', async () => {
    expect((await apply('Electronic Load - Battery Test', ids.electronic_load as string)).status).toBe(200);
    expect((await api(`/api/equipment/${ids.electronic_load}/readings`)).body).toMatchObject({
      mode: 'CC',
      setpoint: 1,
      load_enabled: false,
    });

    const scope = ids.oscilloscope as string;
    const res = await apply('Oscilloscope - Debug Quick', scope);
    expect(res.status).toBe(200);
    expect(res.body.skipped.map((s: Json) => s.setting)).toEqual(['trigger_mode']);
    const ask = async (command: string) =>
      Number((await api(`/api/equipment/${scope}/scpi`, { body: { command } })).body.reply);
    expect(await ask(':TIM:MAIN:SCAL?')).toBeCloseTo(0.001);
    expect(await ask(':CHAN1:SCAL?')).toBeCloseTo(1);
  });

  it('never exceeds a safety limit: 422, the setting named, the instrument unchanged', async () => {
    const psu = ids.power_supply as string;
    const limit = await api(`/api/safety/limits/${psu}`, {
      method: 'PUT',
      body: { channel: 1, max_voltage: 10 },
    });
    expect(limit.status).toBe(200);
    try {
      const before = await psuReadings();
      const res = await apply('Power Supply - 12V Standard', psu);
      expect(res.status).toBe(422);
      expect(res.body.setting).toBe('voltage');
      expect(res.body.detail).toContain("Profile 'Power Supply - 12V Standard' stopped at voltage");
      expect(res.body.applied.map((s: Json) => s.setting)).toEqual(['output_enabled']);
      const after = await psuReadings();
      expect(after.voltage_set).toBe(before.voltage_set);
      expect(after.current_set).toBe(before.current_set);
    } finally {
      await api(`/api/safety/limits/${psu}`, { method: 'PUT', body: { channel: 1, max_voltage: 30 } });
    }
  });

  it('refuses an unknown setting with 400 before sending anything', async () => {
    await create({ name: 'Typo', equipment_type: 'power_supply', settings: { voltage: 2, currnet: 0.1 } });
    const before = await psuReadings();
    const res = await apply('Typo', ids.power_supply as string);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('settings.currnet');
    expect((await psuReadings()).voltage_set).toBe(before.voltage_set);
  });

  it('refuses a profile of another equipment type, unknown equipment and unknown profiles', async () => {
    const wrongType = await apply('Electronic Load - Battery Test', ids.power_supply as string);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.detail).toContain('electronic_load');
    expect((await apply('Power Supply - 5V Logic', 'ps_00000000')).status).toBe(404);
    expect((await apply('No Such Profile', ids.power_supply as string)).status).toBe(404);
  });

  it('applies through the lock: only the holder may apply to a locked instrument', async () => {
    const psu = ids.power_supply as string;
    await api('/api/locks/acquire', { body: { equipment_id: psu, session_id: 'holder' } });
    try {
      const refused = await apply('Power Supply - 3.3V MCU', psu, { session_id: 'someone-else' });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('locked by session holder');
      expect(refused.body.applied).toEqual([]);
      expect((await psuReadings()).voltage_set).toBe(5);

      expect((await apply('Power Supply - 3.3V MCU', psu, { session_id: 'holder' })).status).toBe(200);
      expect((await psuReadings()).voltage_set).toBe(3.3);
    } finally {
      await api('/api/locks/release', { body: { equipment_id: psu, session_id: 'holder' } });
    }
  });

  it('documents the profile routes in OpenAPI', async () => {
    const { body } = await api('/docs/json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/profiles/list', '/api/profiles/{name}/apply/{equipment_id}']),
    );
  });
});
