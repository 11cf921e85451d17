// Equipment profiles (reference §2.9): named sets of settings, stored in SQLite, applied to an instrument in one
// step. Applying really sets the instrument (the original only logged the settings): each setting becomes a driver
// command sent through the equipment service, so locks, the emergency stop and safety limits apply to profiles
// exactly as to any other caller, and a profile can never exceed a limit.

import type { ApplyProfileResult, Profile } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import type { CommandContext, EquipmentView } from './equipment/types.js';
import { DomainError, invalidRequest, notFound } from './errors.js';
import type { Db } from './storage/database.js';

/** A stored profile: the shape the REST API documents (@lablink/protocol/rest). */
export type EquipmentProfile = Profile;

export type ProfileInput = Pick<EquipmentProfile, 'name' | 'equipment_type'> &
  Partial<Pick<EquipmentProfile, 'description' | 'model' | 'settings' | 'tags'>>;

/** One driver command a setting became. */
export type AppliedSetting = ApplyProfileResult['applied'][number];

/** What profiles need from the equipment service. */
export interface ProfileTarget {
  find(id: string): EquipmentView | undefined;
  execute(id: string, action: string, params: Record<string, unknown>, ctx: CommandContext): Promise<unknown>;
}

export interface ProfileServiceOptions {
  db: Db;
  equipment: ProfileTarget;
  logger: Logger;
  now?: () => number;
}

/** The original's defaults, written once; a user's edits and deletions are never undone. */
export const DEFAULT_PROFILES: readonly Omit<EquipmentProfile, 'created_at' | 'modified_at'>[] = [
  {
    name: 'Oscilloscope - Debug Quick',
    description: 'Quick debug settings: 1ms/div, AC coupling, auto trigger',
    equipment_type: 'oscilloscope',
    model: 'generic',
    settings: { timebase_scale: 0.001, channel_1_scale: 1.0, channel_1_coupling: 'AC', trigger_mode: 'auto' },
    tags: ['debug', 'quick', 'default'],
  },
  {
    name: 'Oscilloscope - Power Analysis',
    description: 'Power supply analysis: 10us/div, DC coupling',
    equipment_type: 'oscilloscope',
    model: 'generic',
    settings: {
      timebase_scale: 0.00001,
      channel_1_scale: 5.0,
      channel_1_coupling: 'DC',
      trigger_mode: 'normal',
    },
    tags: ['power', 'analysis'],
  },
  {
    name: 'Power Supply - 5V Logic',
    description: '5V @ 1A for digital logic circuits',
    equipment_type: 'power_supply',
    model: 'generic',
    settings: { voltage: 5.0, current_limit: 1.0, output_enabled: false },
    tags: ['5v', 'logic', 'default'],
  },
  {
    name: 'Power Supply - 3.3V MCU',
    description: '3.3V @ 500mA for microcontrollers',
    equipment_type: 'power_supply',
    model: 'generic',
    settings: { voltage: 3.3, current_limit: 0.5, output_enabled: false },
    tags: ['3v3', 'mcu', 'default'],
  },
  {
    name: 'Power Supply - 12V Standard',
    description: '12V @ 2A for general use',
    equipment_type: 'power_supply',
    model: 'generic',
    settings: { voltage: 12.0, current_limit: 2.0, output_enabled: false },
    tags: ['12v', 'standard'],
  },
  {
    name: 'Electronic Load - Battery Test',
    description: 'Constant current mode for battery discharge testing',
    equipment_type: 'electronic_load',
    model: 'generic',
    settings: { mode: 'CC', current: 1.0, load_enabled: false },
    tags: ['battery', 'discharge', 'test'],
  },
  {
    name: 'Electronic Load - Power Supply Test',
    description: 'Constant resistance mode for power supply testing',
    equipment_type: 'electronic_load',
    model: 'generic',
    settings: { mode: 'CR', resistance: 10.0, load_enabled: false },
    tags: ['power_supply', 'test'],
  },
];

/** meta key listing the default profiles already written once. */
const SEEDED_KEY = 'default_profiles_seeded';

interface ProfileRow {
  name: string;
  description: string | null;
  equipment_type: string;
  model: string;
  settings: string;
  tags: string;
  created_at: string;
  modified_at: string;
}

export class ProfileService {
  private readonly db: Db;
  private readonly equipment: ProfileTarget;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: ProfileServiceOptions) {
    this.db = options.db;
    this.equipment = options.equipment;
    this.logger = options.logger;
    this.now = options.now ?? (() => Date.now());
    this.seedDefaults();
  }

  /** Newest modified first, optionally of one equipment type. */
  list(equipmentType?: string): EquipmentProfile[] {
    const rows = (
      equipmentType === undefined
        ? this.db.prepare('SELECT * FROM profiles ORDER BY modified_at DESC, name').all()
        : this.db
            .prepare('SELECT * FROM profiles WHERE equipment_type = ? ORDER BY modified_at DESC, name')
            .all(equipmentType)
    ) as ProfileRow[];
    return rows.map(fromRow);
  }

  get(name: string): EquipmentProfile | undefined {
    const row = this.db.prepare('SELECT * FROM profiles WHERE name = ?').get(name) as ProfileRow | undefined;
    return row && fromRow(row);
  }

  /** Refused (`conflict`) when the name is taken. */
  create(input: ProfileInput): EquipmentProfile {
    const at = new Date(this.now()).toISOString();
    const profile: EquipmentProfile = {
      name: input.name,
      description: input.description ?? null,
      equipment_type: input.equipment_type,
      model: input.model ?? 'generic',
      settings: input.settings ?? {},
      created_at: at,
      modified_at: at,
      tags: input.tags ?? [],
    };
    if (!this.insert(profile)) throw nameTaken(profile.name);
    this.logger.info({ profile: profile.name }, 'profile created');
    return profile;
  }

  /** Changes the given fields; a new `name` renames it (`conflict` if taken); `not_found` for an unknown profile. */
  update(name: string, changes: Partial<ProfileInput>): EquipmentProfile {
    const existing = this.require(name);
    const profile: EquipmentProfile = {
      ...existing,
      ...definedOnly(changes),
      modified_at: new Date(this.now()).toISOString(),
    };
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM profiles WHERE name = ?').run(name);
      if (!this.insert(profile)) throw nameTaken(profile.name); // renamed onto another profile: rolled back
    })();
    this.logger.info(
      { profile: name, renamed_to: profile.name !== name ? profile.name : undefined },
      'profile updated',
    );
    return profile;
  }

  /** False when there was no such profile. */
  delete(name: string): boolean {
    const deleted = this.db.prepare('DELETE FROM profiles WHERE name = ?').run(name).changes > 0;
    if (deleted) this.logger.info({ profile: name }, 'profile deleted');
    return deleted;
  }

  /**
   * Sets the instrument as the profile says. Everything that can be checked without the instrument is checked
   * first (type, setting names and values, channel), so a bad profile sends nothing. Then the settings go out in a
   * safe order; the first one refused (lock, e-stop, limit) or failed stops the rest, and the error says which
   * setting it was and which were applied before it.
   */
  async apply(
    name: string,
    equipmentId: string,
    options: { sessionId?: string; user?: string; channel?: number } = {},
  ): Promise<ApplyProfileResult> {
    const profile = this.require(name);
    const view = this.equipment.find(equipmentId);
    if (!view) throw notFound(`Equipment ${equipmentId}`);
    if (profile.equipment_type !== view.info.type) {
      throw invalidRequest(
        'equipment_type',
        `Profile '${name}' is for a ${profile.equipment_type}, but ${equipmentId} is a ${view.info.type}`,
      );
    }
    const plan = planSettings(profile.equipment_type, profile.settings, {
      channel: options.channel ?? 1,
      channels: view.model?.channels ?? 1,
    });

    const ctx: CommandContext = {
      source: 'profile',
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
      ...(options.user ? { user: options.user } : {}),
    };
    const applied: AppliedSetting[] = [];
    for (const step of plan.steps) {
      try {
        await this.equipment.execute(equipmentId, step.action, step.params, ctx);
      } catch (err) {
        throw stoppedAt(name, step, applied, err);
      }
      applied.push(step);
    }
    this.logger.info(
      { profile: name, equipment_id: equipmentId, applied: applied.length },
      'profile applied',
    );
    return {
      success: true,
      message: `Profile '${name}' applied to equipment ${equipmentId}`,
      applied,
      skipped: plan.skipped,
    };
  }

  private require(name: string): EquipmentProfile {
    const profile = this.get(name);
    if (!profile) throw notFound(`Profile '${name}'`);
    return profile;
  }

  /** False when the name is taken. */
  private insert(profile: EquipmentProfile): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO profiles (name, description, equipment_type, model, settings, tags, created_at, modified_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...toRow(profile)).changes > 0
    );
  }

  /**
   * Writes each default profile the first time this database sees it. Remembering which were written (in `meta`)
   * means a default the user deleted stays deleted, and one they edited keeps their edits.
   */
  private seedDefaults(): void {
    const saved = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(SEEDED_KEY) as
      | string
      | undefined;
    const seeded = new Set<string>(saved ? JSON.parse(saved) : []);
    const missing = DEFAULT_PROFILES.filter((p) => !seeded.has(p.name));
    if (missing.length === 0) return;
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => {
      for (const p of missing) {
        this.insert({
          ...p,
          settings: { ...p.settings },
          tags: [...p.tags],
          created_at: at,
          modified_at: at,
        });
        seeded.add(p.name);
      }
      this.db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        )
        .run(SEEDED_KEY, JSON.stringify([...seeded]));
    })();
  }
}

// ---- from settings to commands ---------------------------------------------------------------------------------

export interface SettingsPlan {
  steps: AppliedSetting[];
  skipped: { setting: string; reason: string }[];
}

type Kind = 'number' | 'boolean' | 'string';

/** Trigger sweeps, which no driver command sets yet (set_trigger's `mode` is the trigger type: EDGE …). */
const SWEEPS = ['AUTO', 'NORMAL', 'SINGLE'];

/**
 * Turns a profile's settings into driver commands for an instrument of `type`, in the order they must be sent:
 * an output or input being switched off goes first (nothing changes on a live output), setpoints next, and an
 * output being switched on last, so it comes on at the new setpoints. Throws invalid_request naming the first
 * setting that is unknown for the type or has a value of the wrong kind, before anything is sent.
 */
export function planSettings(
  type: string,
  settings: Record<string, unknown>,
  target: { channel: number; channels: number },
): SettingsPlan {
  const value = <K extends Kind>(key: string, kind: K) => {
    const v = settings[key];
    const ok = kind === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === kind;
    if (!ok)
      throw invalidRequest(`settings.${key}`, `setting ${key} must be a ${kind}, not ${JSON.stringify(v)}`);
    return v as K extends 'number' ? number : K extends 'boolean' ? boolean : string;
  };
  const checkChannel = (n: number, key: string) => {
    if (!Number.isInteger(n) || n < 1 || n > target.channels) {
      throw invalidRequest(
        key,
        `channel ${n} does not exist: this instrument has channel 1 to ${target.channels}`,
      );
    }
    return n;
  };
  const first: AppliedSetting[] = [];
  const middle: AppliedSetting[] = [];
  const last: AppliedSetting[] = [];
  const skipped: SettingsPlan['skipped'] = [];
  const onOff = (setting: string, action: string, extra: Record<string, unknown>) => {
    const enabled = value(setting, 'boolean');
    (enabled ? last : first).push({ setting, action, params: { enabled, ...extra } });
  };
  const unknown = (key: string) =>
    invalidRequest(
      `settings.${key}`,
      `setting ${key} is not known for a ${type} (known: ${known(type).join(', ')})`,
    );

  if (type === 'power_supply') {
    const channel = checkChannel(target.channel, 'channel');
    if ('current' in settings && 'current_limit' in settings) {
      throw invalidRequest('settings.current', 'give current_limit or current, not both');
    }
    for (const key of Object.keys(settings)) {
      if (key === 'voltage')
        middle.push(step(key, 'set_voltage', { voltage: value(key, 'number'), channel }));
      else if (key === 'current_limit' || key === 'current') {
        middle.push(step(key, 'set_current', { current: value(key, 'number'), channel }));
      } else if (key === 'output_enabled') onOff(key, 'set_output', { channel });
      else throw unknown(key);
    }
    middle.sort(by(['voltage', 'current_limit', 'current']));
  } else if (type === 'electronic_load') {
    const setpoints = ['mode', 'current', 'voltage', 'resistance', 'power'];
    for (const key of Object.keys(settings)) {
      if (key === 'mode') middle.push(step(key, 'set_mode', { mode: value(key, 'string').toUpperCase() }));
      else if (setpoints.includes(key)) middle.push(step(key, `set_${key}`, { [key]: value(key, 'number') }));
      else if (key === 'load_enabled') onOff(key, 'set_input', {});
      else throw unknown(key);
    }
    // The mode first: a setpoint is then written to the mode it belongs to.
    middle.sort(by(setpoints));
  } else if (type === 'smu') {
    // The function first, then the compliance before the level it clamps, the output last.
    const order = ['source_function', 'current_compliance', 'voltage_compliance', 'voltage', 'current'];
    for (const key of Object.keys(settings)) {
      if (key === 'source_function') {
        middle.push(step(key, 'set_source_function', { function: value(key, 'string').toUpperCase() }));
      } else if (order.includes(key)) middle.push(step(key, `set_${key}`, { [key]: value(key, 'number') }));
      else if (key === 'output_enabled') onOff(key, 'set_output', {});
      else throw unknown(key);
    }
    middle.sort(by(order));
  } else if (type === 'oscilloscope') {
    // One set_channel per channel, with all of that channel's settings: the command sets every field at once.
    const channels = new Map<number, AppliedSetting>();
    let timebase: AppliedSetting | undefined;
    for (const key of Object.keys(settings)) {
      const match = /^channel_(\d+)_(scale|offset|coupling|enabled)$/.exec(key);
      if (match) {
        const n = checkChannel(Number(match[1]), `settings.${key}`);
        const field = match[2] as 'scale' | 'offset' | 'coupling' | 'enabled';
        const v =
          field === 'coupling'
            ? value(key, 'string').toUpperCase()
            : value(key, field === 'enabled' ? 'boolean' : 'number');
        const existing = channels.get(n);
        if (existing) {
          existing.setting += `, ${key}`;
          existing.params[field] = v;
        } else channels.set(n, step(key, 'set_channel', { channel: n, [field]: v }));
      } else if (key === 'timebase_scale' || key === 'timebase_offset') {
        const field = key === 'timebase_scale' ? 'scale' : 'offset';
        if (timebase) {
          timebase.setting += `, ${key}`;
          timebase.params[field] = value(key, 'number');
        } else timebase = step(key, 'set_timebase', { [field]: value(key, 'number') });
      } else if (key === 'trigger_mode') {
        const mode = value(key, 'string').toUpperCase();
        if (SWEEPS.includes(mode)) {
          skipped.push({ setting: key, reason: `no driver command sets the trigger sweep (${mode}) yet` });
        } else last.push(step(key, 'set_trigger', { mode }));
      } else throw unknown(key);
    }
    if (timebase && timebase.params.scale === undefined) {
      throw invalidRequest(
        'settings.timebase_offset',
        'timebase_offset needs timebase_scale in the same profile',
      );
    }
    if (timebase) middle.push(timebase);
    middle.push(...[...channels.entries()].sort(([a], [b]) => a - b).map(([, s]) => s));
  } else {
    const key = Object.keys(settings)[0];
    if (key !== undefined) throw unknown(key);
  }
  return { steps: [...first, ...middle, ...last], skipped };
}

function known(type: string): string[] {
  switch (type) {
    case 'power_supply':
      return ['voltage', 'current_limit', 'current', 'output_enabled'];
    case 'electronic_load':
      return ['mode', 'current', 'voltage', 'resistance', 'power', 'load_enabled'];
    case 'smu':
      return [
        'source_function',
        'voltage',
        'current',
        'voltage_compliance',
        'current_compliance',
        'output_enabled',
      ];
    case 'oscilloscope':
      return [
        'timebase_scale',
        'timebase_offset',
        'channel_N_scale',
        'channel_N_offset',
        'channel_N_coupling',
        'channel_N_enabled',
        'trigger_mode',
      ];
    default:
      return ['none: profiles for this type cannot be applied yet'];
  }
}

function step(setting: string, action: string, params: Record<string, unknown>): AppliedSetting {
  return { setting, action, params };
}

function by(order: string[]) {
  return (a: AppliedSetting, b: AppliedSetting) => order.indexOf(a.setting) - order.indexOf(b.setting);
}

/** The equipment service's error for one setting, re-worded to say where the profile stopped. */
function stoppedAt(
  name: string,
  failed: AppliedSetting,
  applied: AppliedSetting[],
  err: unknown,
): DomainError {
  const cause =
    err instanceof DomainError
      ? err
      : new DomainError('instrument_error', (err as Error)?.message ?? String(err));
  const before = applied.length
    ? `applied before it: ${applied.map((s) => s.setting).join(', ')}`
    : 'nothing was applied';
  return new DomainError(
    cause.code,
    `Profile '${name}' stopped at ${failed.setting} (${failed.action}): ${cause.detail}; ${before}`,
    // A value refused names the profile's setting; a lock, the emergency stop or a failure names no field.
    cause.kind === 'invalid' ? `settings.${failed.setting.split(',')[0]}` : undefined,
    { ...cause.extra, setting: failed.setting, applied },
  );
}

function nameTaken(name: string): DomainError {
  return new DomainError('conflict', `Profile '${name}' already exists`, 'name');
}

function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toRow(p: EquipmentProfile) {
  return [
    p.name,
    p.description,
    p.equipment_type,
    p.model,
    JSON.stringify(p.settings),
    JSON.stringify(p.tags),
    p.created_at,
    p.modified_at,
  ] as const;
}

function fromRow(row: ProfileRow): EquipmentProfile {
  return { ...row, settings: JSON.parse(row.settings), tags: JSON.parse(row.tags) };
}
