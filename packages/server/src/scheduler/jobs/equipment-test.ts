// `equipment_test`: checks an instrument, a verdict per check and for the run.
//
// - identification: asks `*IDN?` again and compares the answer with the model and serial LabLink knows (an
//   instrument swapped at the same address fails it). The B&K serial protocol has no *IDN?: there the instrument
//   must answer a query of its readings.
// - self_test: `*TST?` (0 = passed) on SCPI instruments. Not run on supplies and loads: LabLink refuses acting
//   queries to them, because a self-test may drive their outputs past the safety limits and the emergency stop.
// - readback: sets a safe value and reads it back within `tolerance` (default 0.01 in the value's unit), then
//   restores the previous setpoint. A supply's voltage setpoint (1 V, or 1.5 V if it is at 1 V, within its limits),
//   a load's setpoint of its mode; while the output or input is on, the present setpoint is written back unchanged
//   (nothing a device under test sees changes). A meter's range is written back unchanged and read back. Scopes
//   have no setting LabLink can read back.
//
// Every command goes through the command path as the job's session: a lock held by another session, the emergency
// stop and the limits apply. Parameters: `checks` (default all three), `channel` (default 1), `tolerance`,
// `test_value` (the value the readback sets while the output is off).

import { findDriver } from '@lablink/instruments';
import type { EquipmentView } from '../../equipment/types.js';
import { DomainError } from '../../errors.js';
import { hasOutputs } from '../../safety.js';
import type { JobContext, JobServices, JobType, StepVerdict, Verdict } from '../types.js';
import {
  checkChannel,
  commandContext,
  equipmentOf,
  invalid,
  jsonSafe,
  messageOf,
  onlyKeys,
  optionalNum,
  type Params,
  paramsOf,
  worst,
} from './common.js';

export const EQUIPMENT_CHECKS = ['identification', 'self_test', 'readback'] as const;
type Check = (typeof EQUIPMENT_CHECKS)[number];
const KEYS = ['checks', 'channel', 'tolerance', 'test_value'];
const LOAD_QUANTITY: Record<string, string> = { CC: 'current', CV: 'voltage', CR: 'resistance', CP: 'power' };
const LOAD_TEST_VALUE: Record<string, [number, number]> = {
  current: [0.1, 0.2],
  voltage: [1, 1.5],
  resistance: [10, 20],
  power: [1, 2],
};

interface Plan {
  view: EquipmentView;
  checks: Check[];
  channel: number;
  tolerance: number;
  testValue: number | undefined;
}

function plan(job: Parameters<JobType['validate']>[0], services: JobServices): Plan {
  const p = paramsOf(job);
  onlyKeys(p, KEYS, 'parameters');
  const view = equipmentOf(services, job, undefined, 'parameters');
  let checks: Check[] = [...EQUIPMENT_CHECKS];
  if (p.checks !== undefined && p.checks !== null) {
    if (!Array.isArray(p.checks) || p.checks.length === 0) {
      throw invalid(
        'parameters.checks',
        `parameters.checks must be a non-empty list of ${EQUIPMENT_CHECKS.join(', ')}`,
      );
    }
    p.checks.forEach((c, i) => {
      if (!EQUIPMENT_CHECKS.includes(c as Check)) {
        throw invalid(
          `parameters.checks[${i}]`,
          `unknown check ${JSON.stringify(c)} (known: ${EQUIPMENT_CHECKS.join(', ')})`,
        );
      }
    });
    checks = [...new Set(p.checks as Check[])];
  }
  return {
    view,
    checks,
    channel: checkChannel(view, p.channel, 'parameters.channel') ?? 1,
    tolerance: optionalNum(p.tolerance, 'parameters.tolerance', { min: 0, max: 1e6 }) ?? 0.01,
    testValue: optionalNum(p.test_value, 'parameters.test_value', { min: 0, max: 1e6 }),
  };
}

type Outcome = Omit<StepVerdict, 'path' | 'type' | 'label'> & { details?: Params };

const protocolOf = (view: EquipmentView) => findDriver(view.info.model)?.protocol ?? 'scpi';

/** "RIGOL TECHNOLOGIES,DP832,DP8C123,00.01.14" → its four fields. */
function parseIdn(reply: string) {
  const [manufacturer = '', model = '', serial = '', firmware = ''] = reply
    .trim()
    .split(',')
    .map((s) => s.trim());
  return { manufacturer, model, serial_number: serial, firmware_version: firmware };
}

async function identification(ctx: JobContext, p: Plan): Promise<Outcome> {
  const { view } = p;
  const id = view.info.id;
  if (protocolOf(view) !== 'scpi') {
    await ctx.services.equipment.readings(id, p.channel);
    return {
      verdict: 'pass',
      message: `${view.info.model} answers (its serial protocol has no *IDN? LabLink can read; identity as configured: ${view.info.manufacturer} ${view.info.model})`,
    };
  }
  const reply = (await ctx.services.equipment.raw(id, '*IDN?', commandContext(ctx.job))) ?? '';
  const idn = parseIdn(reply);
  const details = {
    answer: reply.trim(),
    known: { model: view.info.model, serial_number: view.info.serial_number },
  };
  const norm = (s: string) => s.toUpperCase().replace(/\s+/g, '');
  const modelOk =
    norm(idn.model) === norm(view.info.model) || norm(idn.model).startsWith(norm(view.info.model));
  const serialOk =
    view.info.serial_number === null || norm(idn.serial_number) === norm(view.info.serial_number);
  if (modelOk && serialOk) {
    return { verdict: 'pass', message: `*IDN? answers ${reply.trim()}`, details };
  }
  return {
    verdict: 'fail',
    message: `*IDN? answers ${JSON.stringify(reply.trim())}, but LabLink knows ${view.info.model} ${view.info.serial_number ?? ''} at ${view.info.resource_string}`,
    details,
  };
}

async function selfTest(ctx: JobContext, p: Plan): Promise<Outcome> {
  const { view } = p;
  if (protocolOf(view) !== 'scpi') {
    return { verdict: null, message: `not run: ${view.info.model}'s serial protocol has no *TST?` };
  }
  if (hasOutputs(view.info.type)) {
    return {
      verdict: null,
      message: `not run: LabLink sends no self-test to a ${view.info.type === 'smu' ? 'source-measure unit' : view.info.type.replace('_', ' ')} (*TST? may drive its outputs past the safety limits and the emergency stop)`,
    };
  }
  const reply = (
    (await ctx.services.equipment.raw(view.info.id, '*TST?', commandContext(ctx.job))) ?? ''
  ).trim();
  const code = Number(reply);
  if (reply !== '' && code === 0)
    return { verdict: 'pass', value: 0, message: '*TST? answers 0 (self-test passed)' };
  return {
    verdict: 'fail',
    value: Number.isFinite(code) ? code : null,
    message: `*TST? answers ${JSON.stringify(reply)} (0 means passed)`,
  };
}

interface Readback {
  setter: string;
  param: string;
  /** Parameters besides the value (the channel). */
  extra: Params;
  read(): Promise<number | string | null>;
  present: number | string;
  test: number | string;
  unit: string | null;
  note: string;
}

async function readbackPlan(ctx: JobContext, p: Plan): Promise<Readback | string> {
  const { view, channel } = p;
  const eq = ctx.services.equipment;
  const id = view.info.id;
  const stopped = ctx.services.safety.emergencyStop.active;
  switch (view.info.type) {
    case 'power_supply': {
      const r = (await eq.readings(id, channel)) as unknown as Params;
      const present = Number(r.voltage_set);
      const limits = view.model
        ? ctx.services.safety.limits(id, view.model).find((l) => l.channel === channel)
        : undefined;
      const current = Number(r.current_set);
      let test = p.testValue ?? (Math.abs(present - 1) > 1e-9 ? 1 : 1.5);
      const within =
        !limits ||
        (test >= limits.min_voltage && test <= limits.max_voltage && test * current <= limits.max_power);
      let note = `voltage setpoint of channel ${channel}: ${present} → ${test} V and back`;
      if (stopped) {
        test = present;
        note = `the emergency stop is active (a setpoint may not be raised back): the voltage setpoint of channel ${channel} (${present} V) is written back unchanged`;
      } else if (r.output_enabled === true) {
        test = present;
        note = `output ${channel} is on: its voltage setpoint (${present} V) is written back unchanged`;
      } else if (!within) {
        if (p.testValue !== undefined) {
          throw invalid(
            'parameters.test_value',
            `test_value ${test} V is outside the limits of channel ${channel}`,
          );
        }
        test = present;
        note = `1 V is outside the limits of channel ${channel}: its voltage setpoint (${present} V) is written back unchanged`;
      }
      const channelled = view.info.type === 'power_supply' && (view.model?.channels ?? 1) > 1;
      return {
        setter: 'set_voltage',
        param: 'voltage',
        extra: channelled ? { channel } : {},
        read: async () => Number(((await eq.readings(id, channel)) as unknown as Params).voltage_set),
        present,
        test,
        unit: 'V',
        note,
      };
    }
    case 'electronic_load': {
      const r = (await eq.readings(id)) as unknown as Params;
      const quantity = LOAD_QUANTITY[String(r.mode)];
      if (!quantity) return `the load's mode ${String(r.mode)} has no setpoint to read back`;
      const present = Number(r.setpoint);
      const [a, b] = LOAD_TEST_VALUE[quantity] as [number, number];
      let test = p.testValue ?? (Math.abs(present - a) > 1e-9 ? a : b);
      let note = `${quantity} setpoint (${r.mode}): ${present} → ${test} and back`;
      if (r.load_enabled === true || stopped) {
        test = present;
        note = `${stopped ? 'the emergency stop is active (a setpoint may not be raised back)' : 'the input is on'}: its ${quantity} setpoint (${present}) is written back unchanged`;
      }
      return {
        setter: `set_${quantity}`,
        param: quantity,
        extra: {},
        read: async () => Number(((await eq.readings(id)) as unknown as Params).setpoint),
        present,
        test,
        unit: { current: 'A', voltage: 'V', resistance: 'Ω', power: 'W' }[quantity] ?? null,
        note,
      };
    }
    case 'multimeter': {
      const r = (await eq.readings(id)) as unknown as Params;
      const range = r.range as number | string;
      return {
        setter: 'set_range',
        param: 'range',
        extra: {},
        read: async () => ((await eq.readings(id)) as unknown as Params).range as number | string,
        present: range,
        test: range,
        unit: typeof r.unit === 'string' ? r.unit : null,
        note: `range of ${String(r.function)} (${range}) written back unchanged`,
      };
    }
    default:
      return `not run: LabLink can read back no setting of a ${view.info.type.replace('_', ' ')}`;
  }
}

const same = (a: unknown, b: unknown, tolerance: number) =>
  typeof a === 'number' && typeof b === 'number'
    ? Math.abs(a - b) <= tolerance + 1e-12 * Math.abs(b)
    : String(a).toUpperCase() === String(b).toUpperCase();

async function readback(ctx: JobContext, p: Plan): Promise<Outcome> {
  const rb = await readbackPlan(ctx, p);
  if (typeof rb === 'string') return { verdict: null, message: rb };
  const id = p.view.info.id;
  const set = (value: number | string) =>
    ctx.services.equipment.execute(
      id,
      rb.setter,
      { ...rb.extra, [rb.param]: value },
      commandContext(ctx.job),
    );
  ctx.log(`readback: ${rb.note}`);
  let outcome: Outcome | undefined;
  let failure: unknown;
  try {
    await set(rb.test);
    const got = await rb.read();
    const ok = same(got, rb.test, p.tolerance);
    const numeric = typeof rb.test === 'number';
    outcome = {
      verdict: ok ? 'pass' : 'fail',
      value: typeof got === 'number' ? got : null,
      ...(numeric ? { low: (rb.test as number) - p.tolerance, high: (rb.test as number) + p.tolerance } : {}),
      unit: rb.unit,
      message: `${rb.setter} ${rb.param}=${rb.test}, read back ${got}${ok ? '' : `: differs by more than ${p.tolerance}`} (${rb.note})`,
      details: { set: rb.test, read_back: got, previous: rb.present },
    };
  } catch (err) {
    failure = err;
  }
  // The previous setpoint is restored whatever happened; a setpoint left changed fails the run.
  if (rb.test !== rb.present) {
    try {
      await set(rb.present);
      ctx.log(`readback: ${rb.param} restored to ${rb.present}`);
    } catch (err) {
      const detail = `${rb.param} was set to ${rb.test} for the readback but could not be restored to ${rb.present}: ${messageOf(err)}`;
      ctx.log(`readback: ${detail}`);
      failure = new DomainError(
        err instanceof DomainError ? err.code : 'internal',
        failure ? `${messageOf(failure)}; ${detail}` : detail,
      );
    }
  }
  if (failure !== undefined || outcome === undefined) throw failure;
  return outcome;
}

const RUNNERS: Record<Check, (ctx: JobContext, p: Plan) => Promise<Outcome>> = {
  identification,
  self_test: selfTest,
  readback,
};

export const equipmentTestJob: JobType = {
  name: 'equipment_test',
  needsEquipment: true,
  validate(job, services) {
    plan(job, services);
  },
  async run(ctx) {
    const p = plan(ctx.job, ctx.services);
    const steps: StepVerdict[] = [];
    const details: Params = {};
    for (const [i, check] of p.checks.entries()) {
      if (ctx.signal.aborted)
        throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('cancelled');
      ctx.progress(i, p.checks.length, check);
      const t0 = Date.now();
      let outcome: Outcome;
      try {
        outcome = await RUNNERS[check](ctx, p);
      } catch (err) {
        outcome = { verdict: 'error', message: messageOf(err) };
      }
      const { details: d, ...verdict } = outcome;
      if (d) details[check] = d;
      const step: StepVerdict = {
        path: `checks[${i}]`,
        type: check,
        label: check.replace('_', ' '),
        ...verdict,
        duration_seconds: Math.round(Date.now() - t0) / 1000,
      };
      steps.push(step);
      ctx.log(`${check}: ${step.verdict ?? 'not run'} — ${step.message}`);
    }
    ctx.progress(p.checks.length, p.checks.length, 'done');
    const verdict: Verdict = worst(steps.map((s) => s.verdict)) ?? 'inconclusive';
    const bad = steps.filter((s) => s.verdict === 'fail' || s.verdict === 'error');
    return {
      verdict,
      steps,
      ...(bad.length > 0
        ? {
            error: bad
              .map((s) => `${s.type} ${s.verdict === 'error' ? 'in error' : 'failed'}: ${s.message}`)
              .join('; '),
          }
        : {}),
      result: jsonSafe({
        equipment_id: p.view.info.id,
        model: p.view.info.model,
        verdict,
        checks: Object.fromEntries(
          steps.map((s) => [
            s.type,
            {
              verdict: s.verdict,
              message: s.message,
              ...(details[s.type] ? { details: details[s.type] } : {}),
            },
          ]),
        ),
      }),
    };
  },
};
