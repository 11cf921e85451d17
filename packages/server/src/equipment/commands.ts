// The command path of control commands: who may (locks) → the emergency-stop latch → limits → slew ramp → the
// instrument. Each instrument has one lane; its control commands run there one at a time, and each is judged at
// the head of the lane against the rules of that moment and the state the lane will produce, then handed to the
// driver with no await in between. So a command queued before an emergency stop or a limit change is judged by
// the rules in force when it runs, not those of when it arrived; and two setpoints sent together cannot slip past
// the power limit by each being checked against the other's old value.

import type { CommandInfo, Driver, ModelInfo, SetpointQuantity } from '@lablink/instruments';
import type { EquipmentLimits } from '@lablink/protocol/rest';
import { DomainError } from '../errors.js';
import { type EffectiveLimits, rampPlan, type SafetyService } from '../safety.js';
import type { CommandContext } from './types.js';

/** What the command path needs from the lock service (src/locks.ts). */
export interface LockGuard {
  assertCanControl(equipmentId: string, sessionId: string | undefined): void;
  releaseAll(equipmentId: string): void;
}

/** An instrument as the command path sees it. */
export interface Target {
  id: string;
  /** The connected driver; throws (`not_connected`) when the instrument is not connected at this moment. */
  driver(): Driver;
}

/** A setpoint a lowered limit brought down, as the limits reply reports it. */
export type Adjustment = NonNullable<EquipmentLimits['adjusted']>[number];
/** An adjustment with the command that made it (an SMU lowers a level or a compliance of the same quantity). */
export interface Lowering extends Adjustment {
  command: string;
  param: string;
}

/** A higher setpoint delivers more, except a resistance (a load in CR draws more at a lower one). */
const delivers = (quantity: SetpointQuantity, from: number, to: number) =>
  quantity === 'resistance' ? to < from : to > from;

/** Present setpoints of one channel, by field; a load knows only the one of its active mode. */
type Setpoints = Partial<Record<string, number>>;

interface Ramp {
  field: 'voltage' | 'current';
  channel: number;
  target: number;
  /** Set when a newer setpoint of the same field and channel takes over. */
  superseded: boolean;
}

/** One instrument's queue of control commands. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  /** Ramps in progress, by `field@channel`: their targets are the state this lane will produce. */
  readonly ramps = new Map<string, Ramp>();

  /** Runs `job` once everything queued before it has finished, whatever its outcome. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The value a field will have once the ramps in progress end: the larger of now and the ramp's target. */
  planned(field: string, channel: number, present: number | undefined): number | undefined {
    const target = this.ramps.get(`${field}@${channel}`)?.target;
    if (target === undefined) return present;
    return present === undefined ? target : Math.max(present, target);
  }
}

export class CommandPath {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly safety: SafetyService,
    private readonly locks: LockGuard,
    /** Wait between ramp steps; tests shorten it. */
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Runs a control command through locks, the emergency stop, limits and the slew ramp. */
  async execute(
    target: Target,
    command: CommandInfo,
    params: Record<string, unknown>,
    ctx: CommandContext,
  ): Promise<unknown> {
    this.locks.assertCanControl(target.id, ctx.sessionId); // fail fast, before queueing
    const lane = this.lane(target.id);
    const started = await lane.run(async () => {
      this.locks.assertCanControl(target.id, ctx.sessionId); // the lock may have changed while queued
      const driver = target.driver();
      const channel = channelOf(params);
      const present = await this.present(target.id, driver, command, params, channel);
      // From here until the driver has the command, nothing awaits: the rules checked are the rules applied.
      this.judge(target.id, driver.info, command, params, channel, present, lane);
      const ramp = this.startRamp(target.id, driver.info, command, params, channel, present, lane);
      if (ramp) return { ramp };
      return { result: await driver.execute(command.name, params) };
    });
    if ('result' in started) return started.result;
    return this.runRamp(target, command, started.ramp, params, lane);
  }

  /**
   * Brings every setpoint above the limits now in force down to them, at once (a lowered limit must not leave the
   * output above it). Runs in the instrument's lane, so no command queued earlier can raise it again afterwards.
   */
  enforceLimits(target: Target): Promise<Lowering[]> {
    return this.lane(target.id).run(async () => {
      const driver = target.driver();
      const adjusted: Lowering[] = [];
      for (const limits of this.safety.limits(target.id, driver.info)) {
        const { channel } = limits;
        const present = await readSetpoints(driver, channel);
        const lower = async (setter: CommandInfo, field: Adjustment['field'], to: number) => {
          const param = setter.sets?.param ?? field;
          const key = setpointKey(present, param, field);
          const from = present[key] as number;
          await driver.execute(
            setter.name,
            'channel' in setter.params ? { [param]: to, channel } : { [param]: to },
          );
          present[key] = to;
          adjusted.push({ channel, field, from, to, command: setter.name, param });
        };
        // Every setter of a limited quantity: an SMU has two per quantity (its source level and its compliance),
        // each read back under its parameter's name.
        for (const [field, max] of [
          ['voltage', limits.max_voltage],
          ['current', limits.max_current],
          ['power', limits.max_power],
        ] as const) {
          for (const setter of driver.commands.filter((c) => c.sets?.quantity === field)) {
            const value = present[setpointKey(present, setter.sets?.param ?? field, field)];
            if (value !== undefined && value > max) await lower(setter, field, max);
          }
        }
        // A supply's power is its two setpoints together: lower the current limit to fit.
        const { voltage, current } = present;
        if (
          driver.info.type === 'power_supply' &&
          voltage &&
          current &&
          voltage * current > limits.max_power
        ) {
          await lower(setterOf(driver, 'current') as CommandInfo, 'current', limits.max_power / voltage);
        }
      }
      return adjusted;
    });
  }

  /** Forgets an instrument's lane (it was disconnected); ramps in progress stop at their next step. */
  forget(id: string): void {
    const lane = this.lanes.get(id);
    if (!lane) return;
    for (const ramp of lane.ramps.values()) ramp.superseded = true;
    this.lanes.delete(id);
  }

  private lane(id: string): Lane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = new Lane();
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /** Reads the present setpoints when a check needs them (power limit, e-stop, ramp start); otherwise none. */
  private async present(
    id: string,
    driver: Driver,
    command: CommandInfo,
    params: Record<string, unknown>,
    channel: number,
  ): Promise<Setpoints> {
    const sets = command.sets;
    if (!sets || typeof params[sets.param] !== 'number') return {};
    const needed =
      this.safety.emergencyStop.active ||
      this.safety.needsSetpoints(id, driver.info, channel) ||
      rampRate(this.limitsOf(id, driver.info, channel), sets.quantity) !== null;
    return needed ? readSetpoints(driver, channel) : {};
  }

  /** The e-stop latch and the limits, against the state the lane will produce. Throws; never awaits. */
  private judge(
    id: string,
    model: ModelInfo,
    command: CommandInfo,
    params: Record<string, unknown>,
    channel: number,
    present: Setpoints,
    lane: Lane,
  ): void {
    this.safety.assertNotStopped(command, params);
    const sets = command.sets;
    const value = sets ? params[sets.param] : undefined;
    if (!sets || typeof value !== 'number') return;
    const now = present[setpointKey(present, sets.param, sets.quantity)];
    if (this.safety.emergencyStop.active && now !== undefined && delivers(sets.quantity, now, value)) {
      this.safety.refuseIncrease(sets.param, now, value);
    }
    this.safety.check(id, model, command, params, this.planned(lane, channel, present));
  }

  /** Both setpoints of a supply's channel as the lane will leave them (ramps in progress at their targets). */
  private planned(lane: Lane, channel: number, present: Setpoints) {
    return {
      voltage: lane.planned('voltage', channel, present.voltage) ?? 0,
      current: lane.planned('current', channel, present.current) ?? 0,
    };
  }

  private limitsOf(id: string, model: ModelInfo, channel: number): EffectiveLimits | undefined {
    return this.safety.limits(id, model).find((l) => l.channel === channel);
  }

  /**
   * Registers a ramp when the change is due one (a supply's voltage or current with a slew rate). Any setpoint of
   * the same output replaces a ramp in progress, ramped or not.
   */
  private startRamp(
    id: string,
    model: ModelInfo,
    command: CommandInfo,
    params: Record<string, unknown>,
    channel: number,
    present: Setpoints,
    lane: Lane,
  ): Ramp | null {
    const field = command.sets?.quantity;
    if (model.type !== 'power_supply' || (field !== 'voltage' && field !== 'current')) return null;
    const key = `${field}@${channel}`;
    const previous = lane.ramps.get(key);
    if (previous) {
      previous.superseded = true;
      lane.ramps.delete(key);
    }
    const target = params[command.sets?.param ?? field] as number;
    const from = present[field];
    const rate = rampRate(this.limitsOf(id, model, channel), field);
    if (rate === null || from === undefined || rampPlan(from, target, rate).steps.length === 0) return null;
    const ramp: Ramp = { field, channel, target, superseded: false };
    lane.ramps.set(key, ramp);
    return ramp;
  }

  /**
   * Steps towards the target, each step queued in the lane and judged like a command of its own against the
   * limits of that moment, so a limit lowered or an e-stop pressed mid-ramp stops it where it is. Other commands
   * to the instrument run between the steps.
   */
  private async runRamp(
    target: Target,
    command: CommandInfo,
    ramp: Ramp,
    params: Record<string, unknown>,
    lane: Lane,
  ): Promise<unknown> {
    const key = `${ramp.field}@${ramp.channel}`;
    const param = command.sets?.param ?? ramp.field;
    try {
      let plan: ReturnType<typeof rampPlan> | null = null;
      let result: unknown;
      for (let i = 0; ; i++) {
        const step = await lane.run(async () => {
          if (ramp.superseded) {
            throw new DomainError(
              'ramp_superseded',
              `ramp of ${ramp.field} to ${ramp.target} replaced by a newer setpoint`,
            );
          }
          const driver = target.driver();
          const present = await readSetpoints(driver, ramp.channel);
          const from = present[ramp.field] ?? 0;
          const rate = rampRate(this.limitsOf(target.id, driver.info, ramp.channel), ramp.field);
          // The plan is made once, from the first step's present value; a cleared slew rate finishes at once.
          plan ??= rampPlan(from, ramp.target, rate);
          const value = rate === null ? ramp.target : (plan.steps[i] ?? ramp.target);
          const stepParams = { ...params, [param]: value };
          try {
            this.judge(target.id, driver.info, command, stepParams, ramp.channel, present, lane);
            // The ramp's own target must still be allowed too: a lowered limit ends it now, not at the crossing.
            this.safety.check(
              target.id,
              driver.info,
              command,
              { ...params, [param]: ramp.target },
              this.planned(lane, ramp.channel, present),
            );
          } catch (err) {
            if (err instanceof DomainError) {
              throw new DomainError(
                err.code,
                `ramp of ${ramp.field} to ${ramp.target} stopped at ${from}: ${err.detail}`,
                err.field,
                err.extra,
              );
            }
            throw err;
          }
          result = await driver.execute(command.name, stepParams);
          return { value, last: value === ramp.target, tickMs: plan.tickMs };
        });
        if (step.last) return result ?? { ramped: true };
        await this.sleep(step.tickMs);
      }
    } finally {
      if (lane.ramps.get(key) === ramp) lane.ramps.delete(key);
    }
  }
}

function channelOf(params: Record<string, unknown>): number {
  return typeof params.channel === 'number' ? params.channel : 1;
}

/**
 * Where a setter's present value is in the setpoints read back: under its parameter's name when the driver reports
 * it so (an SMU's `current_compliance` beside its source level `current`), otherwise under its quantity.
 */
function setpointKey(present: Setpoints, param: string, quantity: string): string {
  return param in present ? param : quantity;
}

/** The command that sets `quantity`, as the driver declares it. */
function setterOf(driver: Driver, quantity: SetpointQuantity): CommandInfo | undefined {
  return driver.commands.find((c) => c.sets?.quantity === quantity);
}

function rampRate(limits: EffectiveLimits | undefined, field: string): number | null {
  if (!limits) return null;
  if (field === 'voltage') return limits.voltage_slew_rate;
  if (field === 'current') return limits.current_slew_rate;
  return null;
}

/** A supply's voltage and current setpoints; a load's setpoint of its active mode. */
async function readSetpoints(driver: Driver, channel: number): Promise<Setpoints> {
  const getSetpoints = driver.commands.find((c) => c.name === 'get_setpoints');
  if (getSetpoints) {
    const params = 'channel' in getSetpoints.params ? { channel } : {};
    return (await driver.execute('get_setpoints', params)) as Setpoints;
  }
  if (driver.info.type === 'electronic_load' && driver.readings) {
    const r = (await driver.readings()) as { mode?: string; setpoint?: number };
    const field = { CC: 'current', CV: 'voltage', CR: 'resistance', CP: 'power' }[r.mode ?? ''];
    return field && typeof r.setpoint === 'number' ? { [field]: r.setpoint } : {};
  }
  return {};
}
