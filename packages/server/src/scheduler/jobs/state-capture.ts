// `state_capture`: stores an instrument's settings as they are now. It reads what the instrument reports (a supply's
// setpoints and output state on every channel, a load's mode, setpoint and input, a meter's function and range, a
// scope's trigger state) and what LabLink last set on it (ranges, a scope's channels and time base, which no query
// reports), and stores them in the execution's result. With `profile_name` it also saves them as a profile of that
// name, which can be applied later to put the instrument back as it was (a profile this job made before is updated;
// one a user made is never overwritten). Parameters: `channel` (the channel the profile is for, default 1),
// `profile_name`, `description`.

import type { EquipmentView } from '../../equipment/types.js';
import { DomainError } from '../../errors.js';
import type { JobServices, JobType } from '../types.js';
import {
  checkChannel,
  equipmentOf,
  invalid,
  jsonSafe,
  messageOf,
  onlyKeys,
  optionalStr,
  type Params,
  paramsOf,
  readNow,
} from './common.js';

const KEYS = ['channel', 'profile_name', 'description'];
/** The tag of profiles this job type made (and may update). */
export const CAPTURE_TAG = 'state_capture';
const PROFILE_TYPES = ['power_supply', 'electronic_load', 'oscilloscope'];
const LOAD_QUANTITY: Record<string, string> = { CC: 'current', CV: 'voltage', CR: 'resistance', CP: 'power' };

function plan(job: Parameters<JobType['validate']>[0], services: JobServices) {
  const p = paramsOf(job);
  onlyKeys(p, KEYS, 'parameters');
  const view = equipmentOf(services, job, undefined, 'parameters');
  const channel = checkChannel(view, p.channel, 'parameters.channel') ?? 1;
  const profileName = optionalStr(p.profile_name, 'parameters.profile_name', 100);
  const description = optionalStr(p.description, 'parameters.description', 1000);
  if (profileName !== undefined) {
    if (profileName.includes('/')) {
      throw invalid('parameters.profile_name', 'a profile name has no "/"');
    }
    if (!PROFILE_TYPES.includes(view.info.type)) {
      throw invalid(
        'parameters.profile_name',
        `a ${view.info.type}'s settings cannot be saved as a profile (profiles are for ${PROFILE_TYPES.join(', ')})`,
      );
    }
    const existing = services.profiles.get(profileName);
    if (existing && !existing.tags.includes(CAPTURE_TAG)) {
      throw new DomainError(
        'conflict',
        `profile '${profileName}' exists and was not made by a state capture: choose another name`,
        'parameters.profile_name',
      );
    }
  }
  return { view, channel, profileName, description };
}

/** What the instrument reports now, per channel where it has channels. */
async function readState(services: JobServices, view: EquipmentView): Promise<Params> {
  const id = view.info.id;
  switch (view.info.type) {
    case 'power_supply': {
      const channels: Params[] = [];
      for (let ch = 1; ch <= Math.max(1, view.model?.channels ?? 1); ch++) {
        channels.push((await services.equipment.readings(id, ch)) as unknown as Params);
      }
      return { channels };
    }
    case 'electronic_load':
    case 'multimeter':
      return { readings: await readNow(services, view, undefined, true) };
    case 'oscilloscope':
      return {
        trigger_status: await services.equipment.execute(id, 'get_trigger_status', {}, { source: 'system' }),
      };
    default:
      return {};
  }
}

type LastSettings = Record<string, { params: Record<string, unknown>; at: string }>;

/** The state as profile settings (what applying the profile sets again). */
function profileSettings(
  view: EquipmentView,
  state: Params,
  last: LastSettings,
  channel: number,
): Params | null {
  switch (view.info.type) {
    case 'power_supply': {
      const r = (state.channels as Params[])[channel - 1];
      if (!r) return null;
      return { voltage: r.voltage_set, current_limit: r.current_set, output_enabled: r.output_enabled };
    }
    case 'electronic_load': {
      const r = state.readings as Params;
      const quantity = LOAD_QUANTITY[String(r.mode)];
      return {
        mode: r.mode,
        ...(quantity && typeof r.setpoint === 'number' ? { [quantity]: r.setpoint } : {}),
        load_enabled: r.load_enabled,
      };
    }
    case 'oscilloscope': {
      const settings: Params = {};
      const timebase = last.set_timebase?.params;
      if (typeof timebase?.scale === 'number') {
        settings.timebase_scale = timebase.scale;
        if (typeof timebase.offset === 'number') settings.timebase_offset = timebase.offset;
      }
      for (const [key, { params }] of Object.entries(last)) {
        if (!key.startsWith('set_channel@')) continue;
        const n = Number(key.slice('set_channel@'.length));
        for (const field of ['scale', 'offset', 'coupling', 'enabled']) {
          if (params[field] !== undefined) settings[`channel_${n}_${field}`] = params[field];
        }
      }
      return settings;
    }
    default:
      return null;
  }
}

export const stateCaptureJob: JobType = {
  name: 'state_capture',
  needsEquipment: true,
  validate(job, services) {
    plan(job, services);
  },
  async run(ctx) {
    const { services, job } = ctx;
    const { view, channel, profileName, description } = plan(job, services);
    const id = view.info.id;
    const capturedAt = new Date().toISOString();
    const state = jsonSafe(await readState(services, view)) as Params;
    const last = services.equipment.lastSettings(id) as LastSettings;
    const settings = profileSettings(view, state, last, channel);
    ctx.log(`captured ${id} (${view.info.model})`);
    let profile: string | null = null;
    if (profileName !== undefined && settings) {
      const input = {
        equipment_type: view.info.type,
        model: view.info.model,
        description:
          description ??
          `Settings of ${id} (${view.info.model}) captured by job ${job.name} at ${capturedAt}`,
        settings,
        tags: [CAPTURE_TAG],
      };
      try {
        const existing = services.profiles.get(profileName);
        if (existing && !existing.tags.includes(CAPTURE_TAG)) {
          throw new DomainError(
            'conflict',
            `profile '${profileName}' exists and was not made by a state capture: not overwritten`,
            'parameters.profile_name',
          );
        }
        if (existing) services.profiles.update(profileName, input);
        else services.profiles.create({ name: profileName, ...input });
      } catch (err) {
        throw new DomainError(
          err instanceof DomainError ? err.code : 'internal',
          `the state was read but could not be saved as profile '${profileName}': ${messageOf(err)}`,
          'parameters.profile_name',
        );
      }
      profile = profileName;
      ctx.log(`saved as profile '${profileName}'`);
    }
    return {
      verdict: 'pass',
      result: jsonSafe({
        equipment_id: id,
        captured_at: capturedAt,
        identity: {
          manufacturer: view.info.manufacturer,
          model: view.info.model,
          serial_number: view.info.serial_number,
          firmware_version: view.firmware_version,
        },
        state,
        last_settings: last,
        profile_settings: settings,
        stored: {
          execution_id: ctx.executionId,
          profile: profile,
          where: profile
            ? `this execution's result, and profile '${profile}' (apply it to restore these settings)`
            : "this execution's result",
        },
      }),
    };
  },
};
