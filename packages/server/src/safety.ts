// Safety: per-instrument limits (never above the model's ratings), slew-rate ramp plans, and the emergency-stop latch.
// Every setpoint passes here whatever its path — REST, WebSocket, a scheduled job, a profile — because the command
// path (equipment/commands.ts) calls `check` for every control command at the head of the instrument's lane.

import type { ChannelRating, CommandInfo, ModelInfo } from '@lablink/instruments';
import type { EventPayload, StopResult } from '@lablink/protocol';
import type { ChannelLimits as ChannelLimitsInForce, LimitsUpdate } from '@lablink/protocol/rest';
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { DomainError } from './errors.js';
import type { Db } from './storage/database.js';

/**
 * The limits a user set on one channel, as PUT /api/safety/limits/{id} sets them. Unset fields fall back to the
 * rating (max) or 0 (min); slew rates to none.
 */
export type ChannelLimits = Omit<LimitsUpdate, 'channel'>;

/** The limits in force on one channel: the user's, capped by the ratings (the protocol's ChannelLimits). */
export type EffectiveLimits = ChannelLimitsInForce;

/** What the safety layer reads of a command: the driver declares which quantity it sets and what turns on. */
export type SafetyCommand = Pick<CommandInfo, 'name' | 'sets' | 'enables'>;

/**
 * Instrument types with outputs that deliver energy (a supply's, a load's input, a source-measure unit's): their
 * setpoints are limited and raw writes to them are refused, since those would bypass the limits and the e-stop.
 */
export function hasOutputs(type: string): boolean {
  return type === 'power_supply' || type === 'electronic_load' || type === 'smu';
}

/** A command that turns an output or a load input on: refused while the emergency stop is active. */
export function turnsSomethingOn(command: SafetyCommand, params: Record<string, unknown>): boolean {
  return command.enables !== undefined && params[command.enables] === true;
}

/** The longest ramp LabLink runs, and the most steps it takes: slew rates are bounded so no ramp exceeds them. */
export const MAX_RAMP_MS = 3_600_000;
export const MAX_RAMP_STEPS = 10_000;
const RAMP_TICK_MS = 100;

/**
 * The steps of a ramp from `from` to `to` at `rate` per second: one every `tickMs` (100 ms, longer when the
 * ramp would otherwise take more than MAX_RAMP_STEPS), ending exactly at `to`; none when no ramp is due. A rate
 * too slow for MAX_RAMP_MS (stored before rates were bounded) is treated as the slowest allowed.
 */
export function rampPlan(from: number, to: number, rate: number | null): { steps: number[]; tickMs: number } {
  if (!rate || !(rate > 0) || from === to) return { steps: [], tickMs: RAMP_TICK_MS };
  const durationMs = Math.min((Math.abs(to - from) / rate) * 1000, MAX_RAMP_MS);
  const n = Math.min(Math.ceil(durationMs / RAMP_TICK_MS), MAX_RAMP_STEPS);
  if (!(n > 1)) return { steps: [], tickMs: RAMP_TICK_MS };
  const steps = Array.from({ length: n }, (_, i) => (i === n - 1 ? to : from + ((to - from) * (i + 1)) / n));
  return { steps, tickMs: Math.max(RAMP_TICK_MS, durationMs / n) };
}

/** The emergency stop's state, as its events and GET /api/safety/emergency-stop/status show it. */
export type EmergencyStopState = EventPayload<'emergency_stop_deactivated'>;

/** Hears an entry of the safety history: its kind ('setpoint_refused', 'limits_changed' …), instrument and detail. */
export type SafetyListener = (kind: string, equipmentId: string | null, detail: unknown) => void;

export class SafetyService {
  private estop: EmergencyStopState;
  private readonly listeners = new Set<SafetyListener>();

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {
    const saved = db.prepare("SELECT value FROM meta WHERE key = 'emergency_stop'").pluck().get() as
      | string
      | undefined;
    // An emergency stop survives a restart: it is cleared by a person, never by a reboot.
    this.estop = saved
      ? JSON.parse(saved)
      : { active: false, stop_time: null, equipment_count: 0, stopped_equipment: [] };
  }

  // ---- limits ---------------------------------------------------------------------------------------------------

  /** The limits in force on each channel: the user's, capped by the model's ratings. */
  limits(equipmentId: string, model: ModelInfo): EffectiveLimits[] {
    const saved = this.savedLimits(equipmentId);
    return model.ratings.map((rating) => effective(rating, saved[String(rating.channel)] ?? {}));
  }

  /** Sets limits of one channel; a limit above the model's rating is refused (limit_exceeded), nothing is stored. */
  setLimits(equipmentId: string, model: ModelInfo, channel: number, limits: ChannelLimits): EffectiveLimits {
    const rating = model.ratings.find((r) => r.channel === channel);
    if (!rating)
      throw new DomainError(
        'invalid_request',
        `channel ${channel} does not exist on ${model.model}`,
        'channel',
      );
    for (const [field, ceiling] of [
      ['max_voltage', rating.max_voltage],
      ['max_current', rating.max_current],
      ['max_power', rating.max_power],
      ['min_voltage', rating.max_voltage],
      ['min_current', rating.max_current],
    ] as const) {
      const value = limits[field];
      if (value !== undefined && value > ceiling) {
        const unit = LIMIT_WORDS[field]?.unit ?? '';
        throw new DomainError(
          'limit_exceeded',
          `${field} ${say(value)} ${unit} is above the ${model.model}'s ${say(ceiling)} ${unit} rating of CH${channel}`,
          field,
          { limit: `the ${model.model}'s rating`, limit_value: ceiling, attempted: value, channel },
        );
      }
    }
    // A source-measure unit's power follows from its level and its compliance; LabLink bounds those (max_voltage,
    // max_current), not their product, so a power limit below the rating would be shown but not kept.
    if (model.type === 'smu' && limits.max_power !== undefined && limits.max_power < rating.max_power) {
      throw new DomainError(
        'invalid_limits',
        `max_power is not limited separately on a source-measure unit: lower max_voltage or max_current instead`,
        'max_power',
      );
    }
    for (const [field, ceiling] of [
      ['voltage_slew_rate', rating.max_voltage],
      ['current_slew_rate', rating.max_current],
    ] as const) {
      const rate = limits[field];
      // The slowest rate allowed still crosses the whole rated range within the longest ramp LabLink runs.
      const slowest = ceiling / (MAX_RAMP_MS / 1000);
      if (rate !== undefined && rate !== 0 && !(rate >= slowest)) {
        throw new DomainError(
          'invalid_limits',
          `${field} ${rate} is too slow: a ramp over the ${ceiling} ${field === 'voltage_slew_rate' ? 'V' : 'A'} range would take more than an hour; use at least ${slowest.toPrecision(3)} per second, or 0 for no ramp`,
          field,
          { channel, minimum: slowest },
        );
      }
    }
    const merged = { ...this.savedLimits(equipmentId)[String(channel)], ...limits };
    const result = effective(rating, merged);
    if (result.min_voltage > result.max_voltage) {
      throw new DomainError(
        'invalid_limits',
        `min_voltage ${result.min_voltage} is above max_voltage ${result.max_voltage}`,
        'min_voltage',
      );
    }
    if (result.min_current > result.max_current) {
      throw new DomainError(
        'invalid_limits',
        `min_current ${result.min_current} is above max_current ${result.max_current}`,
        'min_current',
      );
    }
    const all = { ...this.savedLimits(equipmentId), [String(channel)]: merged };
    this.db.prepare('UPDATE equipment SET limits = ? WHERE id = ?').run(JSON.stringify(all), equipmentId);
    this.record('limits_changed', equipmentId, { channel, limits });
    return result;
  }

  /**
   * Refuses (limit_exceeded, naming the limit and the attempted value) a setpoint outside the channel's limits.
   * `setpoints` gives the channel's present setpoints for the power check.
   */
  check(
    equipmentId: string,
    model: ModelInfo,
    command: SafetyCommand,
    params: Record<string, unknown>,
    setpoints?: { voltage: number; current: number },
  ): void {
    const quantity = command.sets?.quantity;
    const value = command.sets ? params[command.sets.param] : undefined;
    if (quantity === undefined || typeof value !== 'number') return;
    const action = command.name;
    const channel = typeof params.channel === 'number' ? params.channel : 1;
    const limits = this.limits(equipmentId, model).find((l) => l.channel === channel);
    if (!limits) return;
    const refuse = (
      field: string,
      value: number,
      limit: keyof EffectiveLimits,
      bound: number,
      power?: number,
    ) => {
      const error = limitError(field, value, limit, bound, channel, power);
      this.record('setpoint_refused', equipmentId, { action, params, limit, limit_value: bound });
      throw error;
    };
    const field = command.sets?.param ?? quantity;
    const within = (min: keyof EffectiveLimits, max: keyof EffectiveLimits) => {
      const lo = limits[min] as number;
      const hi = limits[max] as number;
      if (value > hi) refuse(field, value, max, hi);
      if (value < lo) refuse(field, value, min, lo);
    };
    switch (quantity) {
      case 'voltage':
      case 'current': {
        within(`min_${quantity}`, `max_${quantity}`);
        // A supply's power is its two setpoints together: checked against the other one as it will be.
        if (model.type === 'power_supply' && setpoints) {
          const other = quantity === 'voltage' ? setpoints.current : setpoints.voltage;
          if (value * other > limits.max_power)
            refuse(field, value, 'max_power', limits.max_power, value * other);
        }
        break;
      }
      case 'power':
        if (value > limits.max_power) refuse(field, value, 'max_power', limits.max_power);
        break;
      case 'resistance':
        break; // no limit bounds a resistance; the driver's range does
    }
  }

  /** True when a power check needs the channel's present setpoints (a max_power below V_max × I_max). */
  needsSetpoints(equipmentId: string, model: ModelInfo, channel: number): boolean {
    if (model.type !== 'power_supply') return false;
    const limits = this.limits(equipmentId, model).find((l) => l.channel === channel);
    return limits !== undefined && limits.max_power < limits.max_voltage * limits.max_current;
  }

  /** Refuses (emergency_stop_active) a setpoint that would deliver more than now while the emergency stop is active. */
  refuseIncrease(field: string, present: number, attempted: number): never {
    throw new DomainError(
      'emergency_stop_active',
      `Emergency stop is active since ${this.estop.stop_time}: ${field} may be lowered but not raised (${present} → ${attempted}) until it is deactivated`,
      field,
    );
  }

  // ---- emergency stop ---------------------------------------------------------------------------------------------

  get emergencyStop(): Readonly<EmergencyStopState> {
    return this.estop;
  }

  assertNotStopped(command: SafetyCommand, params: Record<string, unknown>): void {
    if (this.estop.active && turnsSomethingOn(command, params)) {
      throw new DomainError(
        'emergency_stop_active',
        `Emergency stop is active since ${this.estop.stop_time}: outputs stay off until it is deactivated`,
      );
    }
  }

  /**
   * Sets the latch, before any instrument I/O: from this moment every path refuses turn-ons and increases. The
   * stop is persisted at once, so a crash while outputs are being turned off restarts with it active.
   */
  latch(): EmergencyStopState {
    if (!this.estop.active) {
      this.estop = {
        active: true,
        stop_time: new Date().toISOString(),
        equipment_count: 0,
        stopped_equipment: [],
      };
      this.persistStop();
    }
    return this.estop;
  }

  /** Records what the stop did to each instrument (persist, then publish), once the caller has tried them all. */
  stopped(results: readonly StopResult[]): EmergencyStopState {
    const stopped = results.filter((r) => r.safe).map((r) => r.equipment_id);
    const failed = results
      .filter((r) => !r.safe)
      .map((r) => ({ equipment_id: r.equipment_id, error: r.error ?? '' }));
    // A deactivation while the outputs were being turned off stands: the latch is not set again here.
    this.estop = { ...this.estop, equipment_count: stopped.length, stopped_equipment: stopped };
    this.persistStop();
    this.record('emergency_stop_activated', null, { stopped, failed });
    if (failed.length > 0)
      this.logger.error({ stopped, failed }, 'emergency stop: some instruments could not be made safe');
    else this.logger.warn({ stopped }, 'emergency stop activated');
    this.bus.publishEvent('emergency_stop_activated', {
      ...this.estop,
      failed,
      results: [...results],
    });
    return this.estop;
  }

  deactivate(): EmergencyStopState {
    const was = this.estop;
    this.estop = { ...was, active: false };
    this.persistStop();
    this.record('emergency_stop_deactivated', null, { stop_time: was.stop_time });
    this.logger.warn('emergency stop deactivated');
    this.bus.publishEvent('emergency_stop_deactivated', { ...this.estop });
    return this.estop;
  }

  // ---- history ----------------------------------------------------------------------------------------------------

  record(kind: string, equipmentId: string | null, detail: unknown): void {
    this.db
      .prepare('INSERT INTO safety_events (at, kind, equipment_id, detail) VALUES (?, ?, ?, ?)')
      .run(new Date().toISOString(), kind, equipmentId, JSON.stringify(detail));
    for (const listener of this.listeners) {
      try {
        listener(kind, equipmentId, detail);
      } catch (err) {
        this.logger.error({ err, kind }, 'safety history listener failed');
      }
    }
  }

  /**
   * Hears each entry of the safety history once it is stored (the alarm engine raises `safety` alarms for refused
   * setpoints). A listener's failure is logged, never thrown into the command path. Returns the function that stops.
   */
  onRecord(listener: SafetyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  events(
    equipmentId: string | null,
    limit: number,
  ): { at: string; kind: string; equipment_id: string | null; detail: unknown }[] {
    const rows = (
      equipmentId === null
        ? this.db
            .prepare('SELECT at, kind, equipment_id, detail FROM safety_events ORDER BY id DESC LIMIT ?')
            .all(limit)
        : this.db
            .prepare(
              'SELECT at, kind, equipment_id, detail FROM safety_events WHERE equipment_id = ? ORDER BY id DESC LIMIT ?',
            )
            .all(equipmentId, limit)
    ) as { at: string; kind: string; equipment_id: string | null; detail: string }[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  private savedLimits(equipmentId: string): Record<string, ChannelLimits> {
    const raw = this.db.prepare('SELECT limits FROM equipment WHERE id = ?').pluck().get(equipmentId) as
      | string
      | undefined;
    return raw ? JSON.parse(raw) : {};
  }

  private persistStop(): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES ('emergency_stop', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(JSON.stringify(this.estop));
  }
}

function effective(rating: ChannelRating, saved: ChannelLimits): EffectiveLimits {
  return {
    channel: rating.channel,
    max_voltage: Math.min(saved.max_voltage ?? rating.max_voltage, rating.max_voltage),
    min_voltage: saved.min_voltage ?? 0,
    max_current: Math.min(saved.max_current ?? rating.max_current, rating.max_current),
    min_current: saved.min_current ?? 0,
    max_power: Math.min(saved.max_power ?? rating.max_power, rating.max_power),
    // Unset (or 0) means no ramp; null rather than absent, so clients see every field.
    voltage_slew_rate: saved.voltage_slew_rate || null,
    current_slew_rate: saved.current_slew_rate || null,
  };
}

/** What each limit bounds, in the words and units of a refusal. */
const LIMIT_WORDS: Record<string, { unit: string; words: string }> = {
  max_voltage: { unit: 'V', words: 'voltage limit' },
  min_voltage: { unit: 'V', words: 'minimum voltage' },
  max_current: { unit: 'A', words: 'current limit' },
  min_current: { unit: 'A', words: 'minimum current' },
  max_power: { unit: 'W', words: 'power limit' },
};
const UNIT_OF: Record<string, string> = { voltage: 'V', current: 'A', power: 'W' };

/** A number as a person would write it: 30, 0.5, 1.2345 (never 0.30000000000000004). */
const say = (n: number) => String(Number(n.toPrecision(6)));

/**
 * The refusal of a setpoint past a limit, in words ("40 V is above the 30 V voltage limit of CH1"); the body keeps
 * the limit's name and value for programs. `power` is what the setpoint would deliver, for a power limit.
 */
function limitError(
  field: string,
  attempted: number,
  limit: string,
  limitValue: number,
  channel: number,
  power?: number,
): DomainError {
  const above = attempted > limitValue || (power !== undefined && power > limitValue);
  const { unit, words } = LIMIT_WORDS[limit] ?? { unit: '', words: limit };
  const value = `${say(attempted)}${UNIT_OF[field] ? ` ${UNIT_OF[field]}` : ''}`;
  const what = power === undefined ? value : `${value} would deliver ${say(power)} W, which`;
  return new DomainError(
    'limit_exceeded',
    `${what} is ${above ? 'above' : 'below'} the ${say(limitValue)} ${unit} ${words} of CH${channel}`,
    field,
    { limit, limit_value: limitValue, attempted, channel },
  );
}
