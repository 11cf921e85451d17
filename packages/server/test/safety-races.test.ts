// Safety under races, hung instruments and extreme numbers, against a real server and simulators over real
// sockets. What an output really does is read back from the simulator itself, through a second SCPI connection.

import { RawClient, type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import { TOPICS } from '@lablink/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rampPlan } from '../src/safety.js';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
let psuSim: RunningSimulator;
let loadSim: RunningSimulator;
/** A second supply that can be made to hang (its replies delayed beyond every timeout). */
let hungSim: RunningSimulator;
let psu: RawClient;
let psuId: string;
let loadId: string;
let hungId: string;

const connect = async (sim: RunningSimulator) => {
  const res = await http(`${server.url}/api/equipment/connect`, { body: { resource_string: sim.resource } });
  expect(res.status).toBe(200);
  return res.body.equipment_id as string;
};
const command = (id: string, action: string, parameters: Json = {}) =>
  http(`${server.url}/api/equipment/${id}/command`, { body: { action, parameters } });
const activate = () => http(`${server.url}/api/safety/emergency-stop/activate`, { method: 'POST' });
const deactivate = () => http(`${server.url}/api/safety/emergency-stop/deactivate`, { method: 'POST' });
const setLimits = (id: string, body: Json) =>
  http(`${server.url}/api/safety/limits/${id}`, { method: 'PUT', body });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const volts = async (channel: number) => Number(await psu.query(`:SOUR${channel}:VOLT?`));
const amps = async (channel: number) => Number(await psu.query(`:SOUR${channel}:CURR?`));

async function stateOf(id: string): Promise<string> {
  return (await http(`${server.url}/api/equipment/${id}`)).body.equipment.state;
}

async function until(what: string, check: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  server = await startTestServer();
  [psuSim, loadSim, hungSim] = await Promise.all([
    startSimulator('DP832'),
    startSimulator('DL3021A'),
    startSimulator('DP832'),
  ]);
  psuId = await connect(psuSim);
  loadId = await connect(loadSim);
  hungId = await connect(hungSim);
  psu = await RawClient.connect(psuSim.port);
});

afterAll(async () => {
  psu?.close();
  await server?.dispose();
  await Promise.all([psuSim, loadSim, hungSim].map((s) => s?.stop()));
});

beforeEach(async () => {
  await hungSim.faults.clear();
  await until('every instrument connected', async () =>
    (await Promise.all([psuId, loadId, hungId].map(stateOf))).every((s) => s === 'connected'),
  );
  await deactivate();
  // Back to the DP832's ratings (channel 3 is a 5 V output), no ramps, every output off.
  for (const [channel, max_voltage] of [
    [1, 30],
    [2, 30],
    [3, 5],
  ] as const) {
    const reset = await setLimits(psuId, {
      channel,
      max_voltage,
      max_current: 3,
      max_power: max_voltage * 3,
      voltage_slew_rate: 0,
    });
    expect(reset.status).toBe(200);
    await command(psuId, 'set_output', { enabled: false, channel });
  }
});

describe('the emergency stop is a latch set before any I/O', () => {
  it('never leaves an output on when a turn-on races it (100 trials, the last 10 with a hung instrument)', async () => {
    const outcomes = { turnOnFirst: 0, refused: 0 };
    for (let trial = 0; trial < 100; trial++) {
      const hung = trial >= 90;
      if (hung) hungSim.faults.delay(60_000);
      // Offsets of -4..+5 ms: sometimes the turn-on leaves first, sometimes the stop.
      const offset = (trial % 10) - 4;
      const turnOn = sleep(Math.max(0, offset)).then(() =>
        command(psuId, 'set_output', { enabled: true, channel: 1 }),
      );
      const stop = sleep(Math.max(0, -offset)).then(activate);
      const [on, stopped] = await Promise.all([turnOn, stop]);
      expect(stopped.status).toBe(200);
      expect(stopped.body.active).toBe(true);
      expect([200, 409]).toContain(on.status);
      if (on.status === 200) outcomes.turnOnFirst++;
      else {
        expect(on.body.code).toBe('emergency_stop_active');
        outcomes.refused++;
      }
      // Whatever the order, the output is off once the stop has answered.
      expect(
        await psu.query(':OUTP? CH1'),
        `trial ${trial} (offset ${offset} ms${hung ? ', hung' : ''})`,
      ).toBe('OFF');
      if (hung) {
        const hungResult = stopped.body.results.find((r: Json) => r.equipment_id === hungId);
        expect(hungResult.safe).toBe(false);
        expect(stopped.body.failed.map((f: Json) => f.equipment_id)).toContain(hungId);
        await hungSim.faults.clear();
        await until('the hung supply back', async () => (await stateOf(hungId)) === 'connected');
      }
      expect((await deactivate()).status).toBe(200);
      await command(psuId, 'set_output', { enabled: false, channel: 1 });
    }
    // Both orders really happened, so the property was tested from both sides.
    expect(outcomes.turnOnFirst).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 180_000);

  it('refuses a turn-on while a hung instrument holds the stop up, and reports which instrument is not safe', async () => {
    await command(psuId, 'set_output', { enabled: true, channel: 2 });
    await command(loadId, 'set_input', { enabled: true });
    hungSim.faults.delay(60_000);
    const stop = activate();
    await until(
      'the latch',
      async () => (await http(`${server.url}/api/safety/emergency-stop/status`)).body.active,
    );
    // The reply to the stop is still waiting for the hung supply; a turn-on now must not get through.
    const during = await command(psuId, 'set_output', { enabled: true, channel: 1 });
    expect(during.status).toBe(409);
    expect(during.body.code).toBe('emergency_stop_active');
    const reply = await stop;
    expect(reply.status).toBe(200);
    const byId = Object.fromEntries(reply.body.results.map((r: Json) => [r.equipment_id, r]));
    expect(byId[psuId]).toEqual({ equipment_id: psuId, safe: true });
    expect(byId[loadId]).toEqual({ equipment_id: loadId, safe: true });
    expect(byId[hungId].safe).toBe(false);
    expect(byId[hungId].error).toMatch(/\w/);
    expect(reply.body.equipment_count).toBe(2);
    expect(reply.body.message).toContain(hungId);
    for (const ch of [1, 2, 3]) expect(await psu.query(`:OUTP? CH${ch}`)).toBe('OFF');
    const load = await RawClient.connect(loadSim.port);
    expect(await load.query(':SOUR:INP:STAT?')).toMatch(/^(0|OFF)$/);
    load.close();
  });

  it('while active, lets setpoints go down but not up', async () => {
    await command(psuId, 'set_voltage', { voltage: 5, channel: 1 });
    await command(psuId, 'set_current', { current: 1, channel: 1 });
    expect((await activate()).status).toBe(200);
    const up = await command(psuId, 'set_voltage', { voltage: 6, channel: 1 });
    expect(up.status).toBe(409);
    expect(up.body).toMatchObject({ code: 'emergency_stop_active', field: 'voltage' });
    expect(await volts(1)).toBe(5);
    expect((await command(psuId, 'set_current', { current: 0.5, channel: 1 })).status).toBe(200);
    expect(await amps(1)).toBe(0.5);
    await deactivate();
    await command(loadId, 'set_mode', { mode: 'CC' });
    await command(loadId, 'set_current', { current: 1 });
    await activate();
    const loadUp = await command(loadId, 'set_current', { current: 2 });
    expect(loadUp.status).toBe(409);
    expect((await command(loadId, 'set_current', { current: 0.5 })).status).toBe(200);
  });

  it('publishes the activation with every result, after persisting it', async () => {
    const seen: Json[] = [];
    const off = server.services.bus.subscribe(TOPICS.equipment, (m) => {
      if (m.type === 'emergency_stop_activated') seen.push(m.data as Json);
    });
    await activate();
    off();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.results.map((r: Json) => r.equipment_id).sort()).toEqual([psuId, loadId, hungId].sort());
    const status = await http(`${server.url}/api/safety/emergency-stop/status`);
    expect(status.body).toMatchObject({ active: true, equipment_count: 3 });
  });
});

describe('limits are atomic and follow the present state', () => {
  it('never lets two setpoints sent together exceed max_power (40 trials)', async () => {
    await setLimits(psuId, { channel: 1, max_power: 20 });
    let refusedByPower = 0;
    for (let trial = 0; trial < 40; trial++) {
      await command(psuId, 'set_current', { current: 0.1, channel: 1 });
      await command(psuId, 'set_voltage', { voltage: 1, channel: 1 });
      const [v, i] = await Promise.all([
        command(psuId, 'set_voltage', { voltage: 19, channel: 1 }),
        command(psuId, 'set_current', { current: 1.9, channel: 1 }),
      ]);
      const power = (await volts(1)) * (await amps(1));
      expect(power, `trial ${trial}`).toBeLessThanOrEqual(20);
      // Exactly one of the two got through: each alone is fine, both together are 36 W.
      expect([v.status, i.status].sort()).toEqual([200, 422]);
      const refused = v.status === 422 ? v : i;
      expect(refused.body).toMatchObject({ code: 'limit_exceeded', limit: 'max_power', limit_value: 20 });
      refusedByPower++;
    }
    expect(refusedByPower).toBe(40);
  });

  it('counts a ramp in progress at its target when checking power', async () => {
    await setLimits(psuId, { channel: 1, max_power: 20, voltage_slew_rate: 40 });
    await command(psuId, 'set_current', { current: 0.1, channel: 1 });
    await command(psuId, 'set_voltage', { voltage: 1, channel: 1 });
    const ramp = command(psuId, 'set_voltage', { voltage: 19, channel: 1 });
    await until('the ramp under way', async () => (await volts(1)) > 1);
    const current = await command(psuId, 'set_current', { current: 1.9, channel: 1 });
    expect(current.status).toBe(422);
    expect(current.body.limit).toBe('max_power');
    expect((await ramp).status).toBe(200);
    expect(await volts(1)).toBe(19);
    expect(await amps(1)).toBe(0.1);
  });

  it('stops a ramp when a limit is lowered under it, and brings the setpoint down at once', async () => {
    await setLimits(psuId, { channel: 2, voltage_slew_rate: 10 });
    await command(psuId, 'set_voltage', { voltage: 0, channel: 2 });
    const ramp = command(psuId, 'set_voltage', { voltage: 20, channel: 2 });
    await until('the ramp past 2 V', async () => (await volts(2)) > 2);
    const lowered = await setLimits(psuId, { channel: 2, max_voltage: 2 });
    expect(lowered.status).toBe(200);
    expect(lowered.body.adjusted).toEqual([
      { channel: 2, field: 'voltage', from: expect.any(Number), to: 2 },
    ]);
    const stopped = await ramp;
    expect(stopped.status).toBe(422);
    expect(stopped.body).toMatchObject({ code: 'limit_exceeded', limit: 'max_voltage', limit_value: 2 });
    expect(stopped.body.detail).toMatch(/ramp of voltage to 20 stopped/);
    await sleep(300); // a step that slipped through would show by now
    expect(await volts(2)).toBeLessThanOrEqual(2);
  });

  it('lowering a limit below the present setpoint brings it down and says so', async () => {
    await command(psuId, 'set_voltage', { voltage: 12, channel: 2 });
    await command(psuId, 'set_current', { current: 2, channel: 2 });
    const res = await setLimits(psuId, { channel: 2, max_voltage: 10, max_power: 10 });
    expect(res.status).toBe(200);
    expect(res.body.adjusted).toEqual([
      { channel: 2, field: 'voltage', from: 12, to: 10 },
      { channel: 2, field: 'current', from: 2, to: 1 },
    ]);
    expect(await volts(2)).toBe(10);
    expect(await amps(2)).toBe(1);
    const events = await http(`${server.url}/api/safety/events/${psuId}`);
    expect(events.body.events[0]).toMatchObject({ kind: 'setpoints_lowered' });
    // Raising the limit again changes no setpoint.
    const raised = await setLimits(psuId, { channel: 2, max_voltage: 30, max_power: 90 });
    expect(raised.body.adjusted).toEqual([]);
    expect(await volts(2)).toBe(10);
  });

  it('lowers a load setpoint above a lowered limit', async () => {
    await command(loadId, 'set_mode', { mode: 'CC' });
    await command(loadId, 'set_current', { current: 5 });
    const res = await setLimits(loadId, { max_current: 3 });
    expect(res.body.adjusted).toEqual([{ channel: 1, field: 'current', from: 5, to: 3 }]);
    const load = await RawClient.connect(loadSim.port);
    expect(Number(await load.query(':SOUR:CURR:LEV:IMM?'))).toBe(3);
    load.close();
    await setLimits(loadId, { max_current: 40 });
  });
});

describe('slew rates are bounded', () => {
  it.each([2.5e-8, 1e-20, 0.001])(
    'refuses a voltage slew rate of %s V/s and stores nothing',
    async (rate) => {
      const res = await setLimits(psuId, { channel: 1, voltage_slew_rate: rate });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'invalid_limits', field: 'voltage_slew_rate' });
      const now = await http(`${server.url}/api/safety/limits/${psuId}`);
      expect(now.body.limits[0].voltage_slew_rate).toBeNull();
      // And the server still answers a setpoint at once.
      expect((await command(psuId, 'set_voltage', { voltage: 3, channel: 1 })).status).toBe(200);
    },
  );

  it('accepts the slowest rate that still crosses the rated range within an hour', async () => {
    const res = await setLimits(psuId, { channel: 1, voltage_slew_rate: 30 / 3600 });
    expect(res.status).toBe(200);
    expect(res.body.limits[0].voltage_slew_rate).toBeCloseTo(30 / 3600);
  });

  it('plans no ramp longer than an hour or with more than 10 000 steps, whatever rate was stored', () => {
    for (const rate of [2.5e-8, 1e-20, 1e-3, 0.5, 20]) {
      const { steps, tickMs } = rampPlan(0, 30, rate);
      expect(steps.length).toBeLessThanOrEqual(10_000);
      expect(steps.length * tickMs).toBeLessThanOrEqual(3_600_000 + 1e-6);
      expect(steps.at(-1)).toBe(30);
    }
    expect(rampPlan(5, 5, 1).steps).toEqual([]);
    expect(rampPlan(0, 1, 1e308).steps).toEqual([]);
  });
});
