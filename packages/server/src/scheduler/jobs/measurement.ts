// `measurement`: reads the instrument now (a supply's, load's or meter's readings through the readings pipeline, so
// a poller already running answers without a second query; a scope's measurements) and stores them in the result.
// Parameters: `channel`, `fields` (the ones to keep; default all), `limits` ({field: {min?, max?}}) → a verdict per
// field and for the run (a value outside its limits fails it; a value the instrument could not measure is
// inconclusive).

import { parametersOf } from '../../alarms/parameters.js';
import { DomainError } from '../../errors.js';
import type { JobType, StepVerdict } from '../types.js';
import {
  checkChannel,
  checkField,
  equipmentOf,
  fieldOfReading,
  invalid,
  isObject,
  jsonSafe,
  onlyKeys,
  optionalNum,
  type Params,
  paramsOf,
  readNow,
  unitOf,
  worst,
} from './common.js';

const KEYS = ['channel', 'fields', 'limits'];

interface Plan {
  channel: number | undefined;
  fields: { name: string; field: string }[] | null;
  limits: { name: string; field: string; min?: number; max?: number }[];
}

function plan(job: Parameters<JobType['validate']>[0], services: Parameters<JobType['validate']>[1]) {
  const p = paramsOf(job);
  onlyKeys(p, KEYS, 'parameters');
  const view = equipmentOf(services, job, undefined, 'parameters');
  if (parametersOf(view).kind === null) {
    throw new DomainError(
      'unsupported',
      `${view.info.model} (${view.info.id}) has no readings or measurements LabLink can read`,
      'equipment_id',
    );
  }
  const result: Plan = {
    channel: checkChannel(view, p.channel, 'parameters.channel'),
    fields: null,
    limits: [],
  };
  if (p.fields !== undefined && p.fields !== null) {
    if (!Array.isArray(p.fields) || p.fields.length === 0 || p.fields.length > 64) {
      throw invalid('parameters.fields', 'parameters.fields must be a list of 1 to 64 reading fields');
    }
    result.fields = p.fields.map((f, i) => ({
      name: f as string,
      field: checkField(view, f, `parameters.fields[${i}]`),
    }));
  }
  if (p.limits !== undefined && p.limits !== null) {
    if (!isObject(p.limits)) {
      throw invalid('parameters.limits', 'parameters.limits must be an object: {field: {min?, max?}}');
    }
    for (const [name, limit] of Object.entries(p.limits)) {
      const at = `parameters.limits.${name}`;
      const field = checkField(view, name, at);
      if (!isObject(limit)) throw invalid(at, `${at} must be an object: {min?, max?}`);
      onlyKeys(limit, ['min', 'max'], at);
      const min = optionalNum(limit.min, `${at}.min`);
      const max = optionalNum(limit.max, `${at}.max`);
      if (min === undefined && max === undefined) throw invalid(at, `${at} needs min or max`);
      if (min !== undefined && max !== undefined && min > max) {
        throw invalid(`${at}.min`, `${at}.min (${min}) is above max (${max})`);
      }
      result.limits.push({
        name,
        field,
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
      });
    }
  }
  return { view, plan: result };
}

export const measurementJob: JobType = {
  name: 'measurement',
  needsEquipment: true,
  validate(job, services) {
    plan(job, services);
  },
  async run(ctx) {
    const { view, plan: p } = plan(ctx.job, ctx.services);
    const reading = (await readNow(ctx.services, view, p.channel)) as Params;
    const values: Params = {};
    if (p.fields) for (const f of p.fields) values[f.name] = fieldOfReading(reading, f.field);
    const steps: StepVerdict[] = p.limits.map((l, i) => {
      const value = fieldOfReading(reading, l.field);
      const low = l.min ?? null;
      const high = l.max ?? null;
      const number = typeof value === 'number' ? value : null;
      const verdict =
        number === null
          ? 'inconclusive'
          : (low !== null && number < low) || (high !== null && number > high)
            ? 'fail'
            : 'pass';
      const range = `[${low ?? '-∞'}, ${high ?? '∞'}]`;
      return {
        path: `limits[${i}]`,
        type: 'check',
        label: `${l.name} within ${range}`,
        verdict,
        value: number,
        low,
        high,
        unit: unitOf(view, l.field),
        message:
          number === null
            ? `${l.name} could not be measured`
            : `${l.name} = ${number}${verdict === 'fail' ? `, outside ${range}` : ''}`,
      };
    });
    for (const s of steps) ctx.log(`${s.verdict}: ${s.message}`);
    const verdict = steps.length > 0 ? worst(steps.map((s) => s.verdict)) : 'pass';
    const failed = steps.filter((s) => s.verdict === 'fail');
    return {
      result: jsonSafe({
        equipment_id: view.info.id,
        channel: p.channel ?? null,
        timestamp: typeof reading.timestamp === 'string' ? reading.timestamp : new Date().toISOString(),
        measurement: p.fields ? values : reading,
        ...(steps.length > 0 ? { checks: steps } : {}),
      }),
      verdict: verdict ?? 'pass',
      ...(steps.length > 0 ? { steps } : {}),
      ...(failed.length > 0 ? { error: `out of limits: ${failed.map((s) => s.message).join('; ')}` } : {}),
    };
  },
};
