// Issue 4 over HTTP against the real server and its simulated bench (real SCPI over loopback TCP). What the
// instrument really did is checked on the simulator itself, through a second raw SCPI connection.

import { RawClient, startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
/** Equipment ids by type: power_supply, electronic_load, oscilloscope, multimeter. */
let ids: Json;
const raws: RawClient[] = [];

/** A second SCPI connection to the simulator behind an equipment id. */
async function simulator(id: string): Promise<RawClient> {
  const { body } = await http(`${server.url}/api/equipment/${id}`);
  const port = Number(String(body.equipment.resource_string).split('::')[2]);
  const raw = await RawClient.connect(port);
  raws.push(raw);
  return raw;
}

const command = (id: string, action: string, parameters: Json = {}, extra: Json = {}) =>
  http(`${server.url}/api/equipment/${id}/command`, { body: { action, parameters, ...extra } });

beforeAll(async () => {
  server = await startTestServer({ LABLINK_SIM: 'on' });
  const { body } = await http(`${server.url}/api/equipment/list`);
  ids = Object.fromEntries((body as Json[]).map((e) => [e.type, e.id]));
});

afterAll(async () => {
  for (const raw of raws) raw.close();
  await server.dispose();
});

describe('the simulated bench', () => {
  it('is connected at start-up, one instrument of each type, each identified by *IDN?', async () => {
    const { body } = await http(`${server.url}/api/equipment/list`);
    expect(body.map((e: Json) => [e.type, e.model]).sort()).toEqual([
      ['electronic_load', 'DL3021A'],
      ['multimeter', '34461A'],
      ['oscilloscope', 'DS1104Z'],
      ['power_supply', 'DP832'],
    ]);
    expect((await http(`${server.url}/health`)).body).toEqual({ status: 'healthy', connected_devices: 4 });
  });

  it('answers GET /api/equipment/{id} with {"equipment": …} and its live state', async () => {
    const { status, body } = await http(`${server.url}/api/equipment/${ids.power_supply}`);
    expect(status).toBe(200);
    expect(body.equipment).toMatchObject({
      id: ids.power_supply,
      type: 'power_supply',
      state: 'connected',
      error: null,
      channels: 3,
      connection_type: 'ethernet',
    });
    expect(body.equipment.resource_string).toMatch(/^TCPIP0::127\.0\.0\.1::\d+::SOCKET$/);
  });
});

describe('discovery', () => {
  it('lists the simulated bench, each already connected, with its identity', async () => {
    const { status, body } = await http(`${server.url}/api/equipment/discover`, { method: 'POST' });
    expect(status).toBe(200);
    const simulated = body.devices.filter((d: Json) => d.discovery_method === 'simulated');
    expect(simulated).toHaveLength(4);
    for (const device of simulated) {
      expect(device).toMatchObject({ is_connected: true, status: 'connected' });
      expect(device.resource_name).toMatch(/::SOCKET$/);
      expect(Object.values(ids)).toContain(device.equipment_id);
    }
  });
});

describe('power supply', () => {
  it('sets a voltage and an output, and the readings follow the physics (5 V into 10 Ω = 0.5 A, CV)', async () => {
    const id = ids.power_supply;
    expect((await command(id, 'set_voltage', { voltage: 5, channel: 2 })).status).toBe(200);
    expect((await command(id, 'set_current', { current: 1, channel: 2 })).status).toBe(200);
    const on = await command(id, 'set_output', { enabled: true, channel: 2 });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ success: true, error: null });

    const { body } = await http(`${server.url}/api/equipment/${id}/readings?channel=2`);
    expect(body).toMatchObject({
      equipment_id: id,
      channel: 2,
      voltage_set: 5,
      current_set: 1,
      output_enabled: true,
      in_cv_mode: true,
    });
    expect(body.voltage_actual).toBeCloseTo(5, 1);
    expect(body.current_actual).toBeCloseTo(0.5, 2);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(body.timestamp).toMatch(/Z$/);

    const sim = await simulator(id);
    expect(await sim.query(':OUTP? CH2')).toBe('ON');
    await command(id, 'set_output', { enabled: false, channel: 2 });
  });

  it('refuses a setpoint above the rating with 422 naming the limit and value, and changes nothing', async () => {
    const id = ids.power_supply;
    await command(id, 'set_voltage', { voltage: 3, channel: 1 });
    const res = await command(id, 'set_voltage', { voltage: 40, channel: 1 });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('voltage');
    // In words for people, the limit's name and value for programs.
    expect(res.body.detail).toBe('40 V is above the 30 V voltage limit of CH1');
    expect(res.body).toMatchObject({ limit: 'max_voltage', limit_value: 30, attempted: 40, channel: 1 });
    const sim = await simulator(id);
    expect(Number(await sim.query(':SOUR1:VOLT?'))).toBe(3);
  });

  it('applies limits set lower than the rating, and refuses a limit above the rating', async () => {
    const id = ids.power_supply;
    const set = await http(`${server.url}/api/safety/limits/${id}`, {
      method: 'PUT',
      body: { channel: 3, max_voltage: 4 },
    });
    expect(set.status).toBe(200);
    expect(set.body.limits[2]).toMatchObject({ channel: 3, max_voltage: 4, voltage_slew_rate: null });

    const refused = await command(id, 'set_voltage', { voltage: 4.5, channel: 3 });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      field: 'voltage',
      limit: 'max_voltage',
      limit_value: 4,
      attempted: 4.5,
      channel: 3,
    });
    expect((await command(id, 'set_voltage', { voltage: 3.9, channel: 3 })).status).toBe(200);

    const tooHigh = await http(`${server.url}/api/safety/limits/${id}`, {
      method: 'PUT',
      body: { channel: 3, max_voltage: 6 },
    });
    expect(tooHigh.status).toBe(422);
    expect(tooHigh.body.detail).toMatch(/rating/);
  });

  it('enforces a power limit against the present setpoints', async () => {
    const id = ids.power_supply;
    await http(`${server.url}/api/safety/limits/${id}`, {
      method: 'PUT',
      body: { channel: 1, max_power: 10 },
    });
    await command(id, 'set_voltage', { voltage: 4, channel: 1 });
    await command(id, 'set_current', { current: 2, channel: 1 });
    const res = await command(id, 'set_voltage', { voltage: 6, channel: 1 });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ limit: 'max_power', limit_value: 10 });
  });

  it('ramps a voltage change at the slew rate instead of jumping', async () => {
    const id = ids.power_supply;
    await http(`${server.url}/api/safety/limits/${id}`, {
      method: 'PUT',
      body: { channel: 2, voltage_slew_rate: 20 },
    });
    await command(id, 'set_voltage', { voltage: 0, channel: 2 });
    const sim = await simulator(id);
    const seen: number[] = [];
    const done = command(id, 'set_voltage', { voltage: 6, channel: 2 });
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      seen.push(Number(await sim.query(':SOUR2:VOLT?')));
      await new Promise((r) => setTimeout(r, 30));
    }
    expect((await done).status).toBe(200);
    expect(Number(await sim.query(':SOUR2:VOLT?'))).toBe(6);
    // The supply passed through intermediate setpoints on its way up.
    expect(seen.some((v) => v > 0 && v < 6)).toBe(true);
    await http(`${server.url}/api/safety/limits/${id}`, {
      method: 'PUT',
      body: { channel: 2, voltage_slew_rate: 0 },
    });
  });
});

describe('electronic load', () => {
  it('sets its mode with the real keyword, a setpoint and the input, and reads V/I/P', async () => {
    const id = ids.electronic_load;
    // The wired bench: the load draws from supply CH1 (through 50 mΩ leads), set here on the simulator itself.
    const supply = await simulator(ids.power_supply);
    supply.write(':APPL CH1,4,2.5;:OUTP CH1,ON');
    expect(await supply.query('*OPC?')).toBe('1');
    expect((await command(id, 'set_mode', { mode: 'CC' })).status).toBe(200);
    expect((await command(id, 'set_current', { current: 2 })).status).toBe(200);
    expect((await command(id, 'set_input', { enabled: true })).status).toBe(200);
    const { body } = await http(`${server.url}/api/equipment/${id}/readings`);
    expect(body).toMatchObject({ equipment_id: id, mode: 'CC', setpoint: 2, load_enabled: true });
    expect(body.current).toBeCloseTo(2, 1);
    expect(body.power).toBeCloseTo(body.voltage * body.current, 0);
    const sim = await simulator(id);
    expect((await sim.query(':SOUR:FUNC?')).toUpperCase()).toMatch(/^(CC|CURR)/);
    // 4 V less 2 A × 50 mΩ at the load; the supply in CV delivers the 2 A.
    expect(body.voltage).toBeCloseTo(3.9, 1);
    expect(Number(await supply.query(':MEAS:CURR? CH1'))).toBeCloseTo(2, 1);
    await command(id, 'set_input', { enabled: false });
    supply.write(':OUTP CH1,OFF');
    expect(await supply.query('*OPC?')).toBe('1');
  });

  it('refuses a power setpoint above the load rating with 422', async () => {
    const res = await command(ids.electronic_load, 'set_power', { power: 500 });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('power');
  });
});

describe('oscilloscope', () => {
  it('returns a waveform of real samples in volts, and measurements', async () => {
    const id = ids.oscilloscope;
    // CH1 and CH2 are wired to the supply and the load (flat while they are off); CH3 has the 250 Hz triangle.
    const sim = await simulator(id);
    sim.write(':CHAN3:DISP ON');
    expect(await sim.query('*OPC?')).toBe('1');
    const wave = await command(id, 'get_waveform', { channel: 3 });
    expect(wave.status).toBe(200);
    const samples: number[] = wave.body.data.samples;
    expect(samples.length).toBe(wave.body.data.num_samples);
    expect(samples.length).toBeGreaterThan(100);
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(0.5);

    const meas = await command(id, 'get_measurements', { channel: 3 });
    expect(meas.body.data.freq).toBeGreaterThan(0);
    expect(meas.body.data.vpp).toBeGreaterThan(0.5);
  });

  it('has no readings: 501 saying so', async () => {
    const res = await http(`${server.url}/api/equipment/${ids.oscilloscope}/readings`);
    expect(res.status).toBe(501);
    expect(res.body.detail).toMatch(/no readings/);
  });

  it('sets the timebase', async () => {
    const id = ids.oscilloscope;
    expect((await command(id, 'set_timebase', { scale: 0.0005 })).status).toBe(200);
    const sim = await simulator(id);
    expect(Number(await sim.query(':TIM:MAIN:SCAL?'))).toBeCloseTo(0.0005, 6);
  });
});

describe('multimeter', () => {
  it('reads its input', async () => {
    const { status, body } = await http(`${server.url}/api/equipment/${ids.multimeter}/readings`);
    expect(status).toBe(200);
    expect(typeof body.value).toBe('number');
    expect(body.function).toMatch(/VOLT/);
  });
});

describe('raw SCPI passthrough', () => {
  it('answers queries, and refuses writes to output-bearing instruments', async () => {
    const q = await http(`${server.url}/api/equipment/${ids.power_supply}/scpi`, {
      body: { command: '*IDN?' },
    });
    expect(q.status).toBe(200);
    expect(q.body.reply).toMatch(/DP832/);
    const w = await http(`${server.url}/api/equipment/${ids.power_supply}/scpi`, {
      body: { command: ':OUTP CH1,ON' },
    });
    expect(w.status).toBe(403);
    expect(w.body.detail).toMatch(/bypass/);
    // A query with parameters is still a query, and its reply is read.
    const measured = await http(`${server.url}/api/equipment/${ids.power_supply}/scpi`, {
      body: { command: ':MEAS:VOLT? CH1' },
    });
    expect(measured.status).toBe(200);
    expect(Number.isFinite(Number(measured.body.reply))).toBe(true);
    // A write chained behind a query is a write.
    const chained = await http(`${server.url}/api/equipment/${ids.power_supply}/scpi`, {
      body: { command: ':MEAS:VOLT? CH1;:OUTP CH1,ON' },
    });
    expect(chained.status).toBe(403);
    const sim = await simulator(ids.power_supply);
    expect(await sim.query(':OUTP? CH1')).toBe('OFF');
  });
});

describe('emergency stop', () => {
  it('turns every output and load input off in the simulators, blocks turning one on, and is recorded', async () => {
    const ps = ids.power_supply;
    const load = ids.electronic_load;
    await command(ps, 'set_voltage', { voltage: 2, channel: 1 });
    await command(ps, 'set_output', { enabled: true, channel: 1 });
    await command(ps, 'set_output', { enabled: true, channel: 3 });
    await command(load, 'set_input', { enabled: true });

    // The original's clients POST with no body at all.
    const res = await fetch(`${server.url}/api/safety/emergency-stop/activate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ success: true, active: true, equipment_count: 4 });
    expect(body.message).toBe('Emergency stop activated - 4 equipment outputs disabled');

    const psu = await simulator(ps);
    for (const ch of [1, 2, 3]) expect(await psu.query(`:OUTP? CH${ch}`)).toBe('OFF');
    const el = await simulator(load);
    expect(await el.query(':SOUR:INP:STAT?')).toMatch(/^(0|OFF)$/);

    const blocked = await command(ps, 'set_output', { enabled: true, channel: 1 });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('emergency_stop_active');
    expect(await psu.query(':OUTP? CH1')).toBe('OFF');
    // Turning things off, and setpoints, stay allowed.
    expect((await command(ps, 'set_voltage', { voltage: 1, channel: 1 })).status).toBe(200);

    const status = await http(`${server.url}/api/safety/emergency-stop/status`);
    expect(status.body).toMatchObject({ active: true });
    const events = await http(`${server.url}/api/safety/events`);
    expect(events.body.events.map((e: Json) => e.kind)).toContain('emergency_stop_activated');

    const cleared = await http(`${server.url}/api/safety/emergency-stop/deactivate`, { method: 'POST' });
    expect(cleared.body).toMatchObject({
      active: false,
      message: 'Emergency stop deactivated - outputs remain disabled',
    });
    expect(await psu.query(':OUTP? CH1')).toBe('OFF');
    expect((await command(ps, 'set_output', { enabled: true, channel: 1 })).status).toBe(200);
    await command(ps, 'set_output', { enabled: false, channel: 1 });
  });
});

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('an unknown id is 404 on every route', async () => {
    const bad = 'ps_doesnotexist';
    const calls = [
      http(`${server.url}/api/equipment/${bad}`),
      http(`${server.url}/api/equipment/${bad}/status`),
      http(`${server.url}/api/equipment/${bad}/readings`),
      http(`${server.url}/api/equipment/${bad}/commands`),
      command(bad, 'get_readings'),
      http(`${server.url}/api/equipment/disconnect/${bad}`, { method: 'POST' }),
      http(`${server.url}/api/safety/limits/${bad}`),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain(bad);
    }
  });

  it.each([
    ['a string where a number belongs', { voltage: '5', channel: 1 }, 'voltage'],
    ['SCPI smuggled in a parameter', { voltage: '5;*RST', channel: 1 }, 'voltage'],
    ['a channel that does not exist', { voltage: 1, channel: 7 }, 'channel'],
    ['an unknown parameter', { voltage: 1, channel: 1, volts: 2 }, 'volts'],
    ['a negative voltage', { voltage: -1, channel: 1 }, 'voltage'],
  ])('%s → 4xx naming the field, instrument untouched', async (_what, parameters, field) => {
    const id = ids.power_supply;
    await command(id, 'set_voltage', { voltage: 1.5, channel: 1 });
    const res = await command(id, 'set_voltage', parameters);
    expect([400, 422]).toContain(res.status);
    expect(res.body.field).toBe(field);
    const sim = await simulator(id);
    expect(Number(await sim.query(':SOUR1:VOLT?'))).toBe(1.5);
    expect(await sim.query('SYST:ERR?')).toMatch(/^0,/);
  });

  it('an unknown action is 400 naming the action', async () => {
    const res = await command(ids.power_supply, 'set_warp_drive', {});
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('action');
  });

  it('a malformed body is 400', async () => {
    const res = await http(`${server.url}/api/equipment/${ids.power_supply}/command`, {
      body: '{"action": ',
    });
    expect(res.status).toBe(400);
    const missing = await http(`${server.url}/api/equipment/${ids.power_supply}/command`, {
      body: { parameters: {} },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('action');
  });

  it.each([
    ['TCPIP0::127.0.0.1', /not an instrument address/],
    ['TCPIP0::127.0.0.1::99999::SOCKET', /port/i],
    ['GPIB0::5::INSTR', /not supported/i],
    // (A bare word is a host name LabLink tries; two words are no address at all.)
    ['hello there', /not an instrument address/],
  ])('a bad resource string %s is 400 saying why', async (resource, message) => {
    const res = await http(`${server.url}/api/equipment/connect`, { body: { resource_string: resource } });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('resource_string');
    expect(res.body.detail).toMatch(message);
  });

  it('an instrument that does not answer is a 502 with the reason', async () => {
    const res = await http(`${server.url}/api/equipment/connect`, {
      body: { resource_string: 'TCPIP0::127.0.0.1::1::SOCKET' },
    });
    expect(res.status).toBe(502);
    expect(res.body.detail).toMatch(/ECONNREFUSED/);
    expect((await http(`${server.url}/api/equipment/list`)).body).toHaveLength(4);
  });
});

describe('an instrument that drops off the network', () => {
  it('is reported with its reason and comes back by itself', async () => {
    const id = ids.multimeter;
    const sim = server.services.bench?.instruments.find((s) => s.model === '34461A');
    if (!sim) throw new Error('no simulated multimeter');
    await sim.faults.dropConnections({ refuseNew: true });
    // A command notices the loss at once; the state is then visible over REST.
    await http(`${server.url}/api/equipment/${id}/readings`);
    await waitFor(
      async () => (await http(`${server.url}/api/equipment/${id}`)).body.equipment.state !== 'connected',
    );
    const down = (await http(`${server.url}/api/equipment/${id}`)).body.equipment;
    expect(['reconnecting', 'error']).toContain(down.state);
    expect(down.error).toBeTruthy();
    // Other instruments keep answering meanwhile.
    expect((await http(`${server.url}/api/equipment/${ids.power_supply}/readings`)).status).toBe(200);

    await sim.faults.clear();
    await waitFor(
      async () => (await http(`${server.url}/api/equipment/${id}`)).body.equipment.state === 'connected',
    );
    expect((await http(`${server.url}/api/equipment/${id}/readings`)).status).toBe(200);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('addresses as people type them', () => {
  it('takes a bare host[:port] (VXI-11, HiSLIP, then the SCPI sockets 5025 and 5555), and refuses a malformed address in one line, listing the forms apart', async () => {
    const sim = await startSimulator('34461A');
    try {
      const connected = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: `127.0.0.1:${sim.port}` },
      });
      expect(connected.status).toBe(200);
      const id = connected.body.equipment_id;
      const { body } = await http(`${server.url}/api/equipment/${id}`);
      expect(body.equipment).toMatchObject({
        resource_string: `TCPIP0::127.0.0.1::${sim.port}::SOCKET`,
        model: '34461A',
        state: 'connected',
      });
      await http(`${server.url}/api/equipment/disconnect/${id}`, { method: 'POST' });
    } finally {
      await sim.stop();
    }
    // Without a port, VXI-11, HiSLIP, 5025 then Rigol's 5555: a DP832 on 127.0.0.2:5555 (nothing else) is found there.
    const rigol = await startSimulator('DP832', { host: '127.0.0.2', port: 5555 });
    try {
      const found = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: '127.0.0.2' },
      });
      expect(found.status).toBe(200);
      expect(found.body.equipment.resource_string).toBe('TCPIP0::127.0.0.2::5555::SOCKET');
      await http(`${server.url}/api/equipment/disconnect/${found.body.equipment_id}`, { method: 'POST' });
    } finally {
      await rigol.stop();
    }
    const nobody = await http(`${server.url}/api/equipment/connect`, {
      body: { resource_string: '127.0.0.3' },
    });
    expect(nobody.status).toBe(502);
    expect(nobody.body.detail).toMatch(
      /^nothing answered at 127\.0\.0\.3 \(tried TCPIP0::127\.0\.0\.3::inst0::INSTR: .*; TCPIP0::127\.0\.0\.3::hislip0::INSTR: .*; TCPIP0::127\.0\.0\.3::5025::SOCKET: .*; TCPIP0::127\.0\.0\.3::5555::SOCKET: .*\)$/,
    );

    const refused = await http(`${server.url}/api/equipment/connect`, {
      body: { resource_string: 'TCPIP0::x' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_resource', field: 'resource_string' });
    expect(refused.body.detail).toBe(
      '"TCPIP0::x" is not an instrument address: it does not end in ::INSTR or ::SOCKET',
    );
    expect(refused.body.accepted_forms).toEqual(
      expect.arrayContaining(['TCPIP[board]::host::port::SOCKET', 'COM<n>']),
    );
  });
});
