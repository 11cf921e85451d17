// The command path reads what drivers declare — which command sets which limited quantity, which parameter turns
// an output on — not command names: a driver whose commands are called something else is held to the same limits
// and the same emergency stop. Every driver LabLink ships declares its setpoint commands and reading kinds.

import {
  type CommandInfo,
  type Driver,
  findDriver,
  type ModelInfo,
  SUPPORTED_MODELS,
} from '@lablink/instruments';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../src/bus.js';
import { CommandPath } from '../src/equipment/commands.js';
import { DomainError } from '../src/errors.js';
import { httpStatus } from '../src/http-errors.js';
import { SafetyService } from '../src/safety.js';
import { type Db, openDatabase } from '../src/storage/database.js';
import { tempDir } from './helpers.js';

const model: ModelInfo = {
  type: 'power_supply',
  manufacturer: 'Acme',
  model: 'PS-1',
  channels: 1,
  ratings: [{ channel: 1, max_voltage: 30, max_current: 5, max_power: 150 }],
  capabilities: {},
};

/** A supply whose commands have names no other driver uses; it records what reaches the instrument. */
function oddlyNamedSupply() {
  const sent: [string, Record<string, unknown>][] = [];
  const state = { volts: 0, amps: 0, on: false };
  const commands: CommandInfo[] = [
    {
      name: 'program_volts',
      description: '',
      control: true,
      params: {},
      sets: { quantity: 'voltage', param: 'v' },
    },
    {
      name: 'program_amps',
      description: '',
      control: true,
      params: {},
      sets: { quantity: 'current', param: 'a' },
    },
    { name: 'energise', description: '', control: true, params: {}, enables: 'on' },
    { name: 'get_setpoints', description: '', control: false, params: {} },
  ];
  const driver = {
    info: model,
    commands,
    readingKinds: ['readings'],
    async execute(name: string, params: Record<string, unknown> = {}) {
      if (name === 'get_setpoints') return { voltage: state.volts, current: state.amps };
      sent.push([name, params]);
      if (name === 'program_volts') state.volts = params.v as number;
      if (name === 'program_amps') state.amps = params.a as number;
      if (name === 'energise') state.on = params.on as boolean;
      return undefined;
    },
  } as unknown as Driver;
  return {
    driver,
    sent,
    state,
    command: (name: string) => commands.find((c) => c.name === name) as CommandInfo,
  };
}

let dir: ReturnType<typeof tempDir>;
let db: Db;
let safety: SafetyService;
let path: CommandPath;

beforeAll(() => {
  dir = tempDir();
  db = openDatabase(dir.dir);
  db.prepare(
    "INSERT INTO equipment (id, resource, type, manufacturer, model, created_at) VALUES ('ps_odd', 'x', 'power_supply', 'Acme', 'PS-1', '')",
  ).run();
  safety = new SafetyService(db, new Bus(), pino({ level: 'silent' }));
  path = new CommandPath(safety, { assertCanControl: () => {}, releaseAll: () => {} }, async () => {});
});

afterAll(() => {
  db.close();
  dir.remove();
});

const refusal = async (task: Promise<unknown>) => {
  try {
    await task;
  } catch (err) {
    if (err instanceof DomainError) return { status: httpStatus(err), code: err.code, field: err.field };
    throw err;
  }
  return null;
};

describe('the command path works from what the driver declares', () => {
  it('holds a command called program_volts to the voltage limit and the power limit', async () => {
    const psu = oddlyNamedSupply();
    const target = { id: 'ps_odd', driver: () => psu.driver };
    safety.setLimits('ps_odd', model, 1, { max_voltage: 12, max_power: 20 });
    const ctx = { source: 'rest' } as const;
    expect(await refusal(path.execute(target, psu.command('program_volts'), { v: 13 }, ctx))).toEqual({
      status: 422,
      code: 'limit_exceeded',
      field: 'v',
    });
    await path.execute(target, psu.command('program_amps'), { a: 2 }, ctx);
    expect(await refusal(path.execute(target, psu.command('program_volts'), { v: 11 }, ctx))).toMatchObject({
      code: 'limit_exceeded',
    });
    await path.execute(target, psu.command('program_volts'), { v: 10 }, ctx);
    expect(psu.state).toMatchObject({ volts: 10, amps: 2 });
    expect(psu.sent.map(([name]) => name)).toEqual(['program_amps', 'program_volts']);
  });

  it('refuses energise {on: true} while the emergency stop is active, and a raised setpoint, but not a lowered one', async () => {
    const psu = oddlyNamedSupply();
    const target = { id: 'ps_odd', driver: () => psu.driver };
    const ctx = { source: 'rest' } as const;
    await path.execute(target, psu.command('program_volts'), { v: 5 }, ctx);
    safety.latch();
    try {
      expect(await refusal(path.execute(target, psu.command('energise'), { on: true }, ctx))).toMatchObject({
        status: 409,
        code: 'emergency_stop_active',
      });
      expect(await refusal(path.execute(target, psu.command('program_volts'), { v: 6 }, ctx))).toMatchObject({
        status: 409,
        field: 'v',
      });
      await path.execute(target, psu.command('program_volts'), { v: 4 }, ctx);
      await path.execute(target, psu.command('energise'), { on: false }, ctx);
      expect(psu.state).toMatchObject({ volts: 4, on: false });
    } finally {
      safety.deactivate();
    }
  });
});

describe('every driver declares what the safety layer reads', () => {
  it.each(SUPPORTED_MODELS.map((m) => [m.model, m.type] as const))('%s (%s)', (name, type) => {
    const driver = findDriver(name);
    expect(driver).toBeDefined();
    const { commands, readingKinds } = driver as NonNullable<typeof driver>;
    const declared = (command: string) => commands[command];
    for (const [command, quantity] of [
      ['set_voltage', 'voltage'],
      ['set_current', 'current'],
      ['set_power', 'power'],
      ['set_resistance', 'resistance'],
    ] as const) {
      if (declared(command)) expect(declared(command)?.sets).toEqual({ quantity, param: quantity });
    }
    for (const command of ['set_output', 'set_input']) {
      if (declared(command)) expect(declared(command)?.enables).toBe('enabled');
    }
    const expected = {
      power_supply: ['readings'],
      electronic_load: ['readings'],
      multimeter: ['readings'],
      smu: ['readings'],
      oscilloscope: ['measurements', 'waveform'],
      generic: [],
    }[type];
    expect(readingKinds).toEqual(expected);
    if (type === 'power_supply') expect(declared('set_output')?.enables).toBe('enabled');
  });
});
