// The equipment service: the one owner of every connected instrument. It connects, remembers (ids stable
// across restarts), reconnects, and runs every command through locks, the emergency stop and the safety limits
// before the driver sees it — whatever the caller (REST, WebSocket, scheduler, profile).

import { createHash } from 'node:crypto';
import {
  ACCEPTED_FORMS,
  addressCandidates,
  assertOpenable,
  type CommandInfo,
  type ConnectOptions,
  connectInstrument,
  connectionType,
  type Driver,
  findDriver,
  InstrumentError,
  InstrumentIOError,
  InstrumentTimeoutError,
  OutOfRangeError,
  ParameterError,
  parseResource,
  type Readings,
  ResourceSyntaxError,
  reconnectDelay,
  type ScopeMeasurements,
  type SessionState,
  UnknownCommandError,
  UnsupportedInterfaceError,
  type Waveform,
} from '@lablink/instruments';
import type { EquipmentInfo, EquipmentState, StopResult } from '@lablink/protocol';
import type { Logger } from 'pino';
import type { Bus } from '../bus.js';
import { DomainError, notFound } from '../errors.js';
import { type ChannelLimits, type EffectiveLimits, hasOutputs, type SafetyService } from '../safety.js';
import type { Db } from '../storage/database.js';
import { type Adjustment, CommandPath, type LockGuard } from './commands.js';
import type { CommandContext, EquipmentView } from './types.js';

export interface ConnectRequest {
  resource_string: string;
  equipment_type?: string;
  model?: string;
  nickname?: string;
  /** Stable identity of a simulated instrument, whose port changes each run. */
  simKey?: string;
}

const ID_PREFIX: Record<EquipmentInfo['type'], string> = {
  power_supply: 'ps_',
  electronic_load: 'load_',
  oscilloscope: 'scope_',
  multimeter: 'dmm_',
  smu: 'smu_',
  generic: 'inst_',
};

/** An e-stop reply never waits longer than this for one instrument; a hung one is reported as not safe. */
const SAFE_STATE_TIMEOUT_MS = 5000;

/** One instrument LabLink manages, connected or not. */
interface Managed {
  id: string;
  resource: string;
  modelHint: string | undefined;
  simKey: string | undefined;
  nickname: string | null;
  driver: Driver | null;
  info: EquipmentInfo;
  state: EquipmentState;
  error: string | null;
  retry: NodeJS.Timeout | null;
  /** Failed attempts to open it since it last connected (the session's own reconnect policy times them). */
  retryAttempt: number;
  unsubscribe: (() => void) | null;
}

interface EquipmentRow {
  id: string;
  resource: string;
  type: string;
  manufacturer: string;
  model: string;
  serial_number: string | null;
  nickname: string | null;
  model_hint: string | null;
}

export class EquipmentService {
  private readonly items = new Map<string, Managed>();
  private closed = false;
  private readonly commandPath: CommandPath;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly safety: SafetyService,
    private readonly locks: LockGuard,
    private readonly open: (resource: string, options: ConnectOptions) => Promise<Driver> = connectInstrument,
  ) {
    this.commandPath = new CommandPath(safety, locks);
  }

  // ---- queries ----------------------------------------------------------------------------------------------------

  list(): EquipmentView[] {
    return [...this.items.values()].map(view);
  }

  find(id: string): EquipmentView | undefined {
    const item = this.items.get(id);
    return item ? view(item) : undefined;
  }

  connectedCount(): number {
    let n = 0;
    for (const item of this.items.values()) if (item.state === 'connected') n++;
    return n;
  }

  /** The original's EquipmentStatus, filled with what LabLink actually knows. */
  status(id: string) {
    const item = this.require(id);
    return {
      id,
      connected: item.state === 'connected',
      state: item.state,
      error: item.error,
      firmware_version: item.driver?.identity.firmware_version ?? null,
      capabilities: item.driver
        ? {
            ...item.driver.info.capabilities,
            channels: item.driver.info.channels,
            ratings: item.driver.info.ratings,
          }
        : {},
      statistics: item.driver?.stats ?? null,
    };
  }

  /** The commands the instrument's driver accepts (empty while it is not connected). */
  commands(id: string): readonly CommandInfo[] {
    return this.require(id).driver?.commands ?? [];
  }

  // ---- connecting -------------------------------------------------------------------------------------------------

  /** Connects an instrument (or returns the one already connected at that resource). */
  async connect(request: ConnectRequest): Promise<EquipmentView> {
    const candidates = addressCandidates(request.resource_string);
    for (const candidate of candidates) this.checkAddress(candidate);
    const known = [...this.items.values()].find((i) => candidates.includes(i.resource));
    if (known) return view(known);

    // A bare host may mean several addresses (VXI-11, HiSLIP, socket 5025, Rigol's 5555): the first that answers is
    // the instrument, kept under that full address.
    const options = request.model ? { model: request.model } : {};
    let opened: { resource: string; driver: Driver } | undefined;
    const failures: string[] = [];
    for (const candidate of candidates) {
      try {
        opened = { resource: candidate, driver: await this.open(candidate, options) };
        break;
      } catch (err) {
        const nobodyThere = err instanceof InstrumentIOError || err instanceof InstrumentTimeoutError;
        if (candidates.length === 1 || !nobodyThere)
          throw toDomainError(err, `cannot connect to ${candidate}`);
        failures.push(`${candidate}: ${(err as Error).message}`);
      }
    }
    if (!opened) {
      throw new DomainError(
        'instrument_io',
        `nothing answered at ${request.resource_string.trim()} (tried ${failures.join('; ')})`,
        'resource_string',
      );
    }
    const { resource, driver } = opened;
    if (request.equipment_type && request.equipment_type !== driver.info.type) {
      await driver.close();
      throw new DomainError(
        'invalid_request',
        `the instrument at ${resource} is a ${driver.info.type} (${driver.identity.model}), not a ${request.equipment_type}`,
        'equipment_type',
      );
    }
    return this.adopt(request, resource, driver);
  }

  /** Refuses an address LabLink cannot read or open (400 invalid_resource, naming resource_string). */
  private checkAddress(resource: string): void {
    try {
      assertOpenable(parseResource(resource));
    } catch (err) {
      if (err instanceof ResourceSyntaxError) {
        // One line of reason; the forms LabLink reads go with it, for a client to show under it.
        throw new DomainError('invalid_resource', err.message, 'resource_string', {
          accepted_forms: ACCEPTED_FORMS,
        });
      }
      if (err instanceof UnsupportedInterfaceError) {
        throw new DomainError('invalid_resource', err.message, 'resource_string');
      }
      throw err;
    }
  }

  /** Takes an opened instrument under management: its id (kept across restarts), row, events. */
  private async adopt(request: ConnectRequest, resource: string, driver: Driver): Promise<EquipmentView> {
    const key = request.simKey ?? resource;
    const row = this.rowFor(key, resource, request.simKey !== undefined);
    const id =
      row?.id ?? ID_PREFIX[driver.info.type] + createHash('sha256').update(key).digest('hex').slice(0, 8);
    const item: Managed = {
      id,
      resource,
      modelHint: request.model,
      simKey: request.simKey,
      nickname: request.nickname ?? row?.nickname ?? null,
      driver: null,
      info: infoOf(id, resource, driver, request.nickname ?? row?.nickname ?? null),
      state: 'connecting',
      error: null,
      retry: null,
      retryAttempt: 0,
      unsubscribe: null,
    };
    this.items.set(id, item);
    this.persist(item, driver, request.simKey !== undefined);
    await this.attach(item, driver);
    this.bus.publishEvent('equipment_connected', { equipment_id: id, info: item.info });
    return view(item);
  }

  /** Reconnects the instruments known from earlier runs, without waiting for them. */
  restoreKnown(): void {
    const rows = this.db
      .prepare('SELECT * FROM equipment WHERE simulated = 0 AND auto_connect = 1')
      .all() as EquipmentRow[];
    for (const row of rows) {
      if (this.items.has(row.id)) continue;
      const item: Managed = {
        id: row.id,
        resource: row.resource,
        modelHint: row.model_hint ?? undefined,
        simKey: undefined,
        nickname: row.nickname,
        driver: null,
        info: {
          id: row.id,
          type: row.type as EquipmentInfo['type'],
          manufacturer: row.manufacturer,
          model: row.model,
          serial_number: row.serial_number,
          connection_type: safeConnectionType(row.resource),
          resource_string: row.resource,
          nickname: row.nickname,
        },
        state: 'connecting',
        error: null,
        retry: null,
        retryAttempt: 0,
        unsubscribe: null,
      };
      this.items.set(row.id, item);
      void this.reopen(item);
    }
  }

  /** Safe state first, then close; the instrument is forgotten for auto-reconnect but keeps its row. */
  async disconnect(id: string, ctx: CommandContext): Promise<void> {
    const item = this.require(id);
    this.locks.assertCanControl(id, ctx.sessionId);
    this.items.delete(id);
    this.commandPath.forget(id);
    await this.release(item, 'disconnected by user');
    this.locks.releaseAll(id);
    this.db.prepare('UPDATE equipment SET auto_connect = 0 WHERE id = ?').run(id);
    this.bus.publishEvent('equipment_disconnected', {
      equipment_id: id,
      reason: 'disconnected by user',
    });
  }

  setNickname(id: string, nickname: string | null): EquipmentView {
    const item = this.require(id);
    item.nickname = nickname;
    item.info = { ...item.info, nickname };
    this.db.prepare('UPDATE equipment SET nickname = ? WHERE id = ?').run(nickname, id);
    return view(item);
  }

  // ---- reading and commanding -------------------------------------------------------------------------------------

  async readings(id: string, channel?: number): Promise<Readings> {
    const driver = this.connected(id);
    if (!driver.readings) {
      throw new DomainError(
        'unsupported',
        `${driver.info.model} (${driver.info.type}) has no readings; use measurements or waveform`,
      );
    }
    if (channel !== undefined) this.checkChannel(driver, channel);
    const readings = await call(() => (driver.readings as (c?: number) => Promise<Readings>)(channel));
    return { ...readings, equipment_id: id };
  }

  async measurements(id: string, channel = 1): Promise<ScopeMeasurements> {
    return (await this.execute(
      id,
      'get_measurements',
      { channel },
      { source: 'system' },
    )) as ScopeMeasurements;
  }

  async waveform(id: string, channel = 1): Promise<Waveform> {
    const waveform = (await this.execute(id, 'get_waveform', { channel }, { source: 'system' })) as Waveform;
    return { ...waveform, equipment_id: id };
  }

  /** Runs a named driver command through locks, the emergency stop and safety limits. */
  async execute(
    id: string,
    action: string,
    params: Record<string, unknown>,
    ctx: CommandContext,
  ): Promise<unknown> {
    const driver = this.connected(id);
    const command = driver.commands.find((c) => c.name === action);
    if (!command) {
      throw new DomainError(
        'unknown_command',
        `${driver.info.model} has no command ${action} (it has: ${driver.commands.map((c) => c.name).join(', ')})`,
        'action',
      );
    }
    if (!command.control) return call(() => driver.execute(action, params));
    const result = await call(() => this.commandPath.execute(this.target(id), command, params, ctx));
    this.remember(id, action, params);
    return result;
  }

  /**
   * Sets one channel's limits, then brings any setpoint above them down at once (a lowered limit never leaves the
   * output above it). Returns the setpoints it lowered.
   */
  async setLimits(
    id: string,
    channel: number,
    limits: ChannelLimits,
  ): Promise<{ limits: EffectiveLimits[]; adjusted: Adjustment[] }> {
    const driver = this.connected(id);
    refuseBelowSetterFloor(driver, limits);
    this.safety.setLimits(id, driver.info, channel, limits);
    const lowered = await this.commandPath.enforceLimits(this.target(id)).catch((err: unknown) => {
      const cause = toDomainError(err);
      throw new DomainError(
        cause.code,
        `the limits are saved, but the present setpoints could not be checked against them: ${cause.detail}`,
      );
    });
    // Remembered under the command that lowered it: an SMU's lowered compliance is not its source level.
    for (const { command, param, ...a } of lowered) {
      this.remember(
        id,
        command,
        driver.info.channels > 1 ? { [param]: a.to, channel: a.channel } : { [param]: a.to },
      );
    }
    const adjusted = lowered.map(({ command: _command, param: _param, ...a }) => a);
    if (adjusted.length > 0) this.safety.record('setpoints_lowered', id, { adjusted });
    return { limits: this.safety.limits(id, driver.info), adjusted };
  }

  /** The last value of each setting the instrument took, as the user sees it after a restart. */
  lastSettings(id: string): Record<string, { params: Record<string, unknown>; at: string }> {
    const raw = this.db.prepare('SELECT settings FROM equipment WHERE id = ?').pluck().get(id) as
      | string
      | undefined;
    return raw ? JSON.parse(raw) : {};
  }

  /** Keyed by command and channel: `set_voltage@1` keeps the last voltage set on channel 1. */
  private remember(id: string, action: string, params: Record<string, unknown>): void {
    const key = typeof params.channel === 'number' ? `${action}@${params.channel}` : action;
    const settings = { ...this.lastSettings(id), [key]: { params, at: new Date().toISOString() } };
    this.db.prepare('UPDATE equipment SET settings = ? WHERE id = ?').run(JSON.stringify(settings), id);
  }

  /**
   * Raw SCPI. Every raw command respects the lock: while another session holds it, queries are refused too
   * (`locked`, naming the holder). Writes — and queries that act, such as `*TST?` (a self-test), `*CAL?` (a
   * calibration) and those the driver declares — are refused on supplies and loads, because they could bypass the
   * safety limits and the emergency stop. A query gets a short timeout; one left unanswered (an unknown header, say) costs that
   * timeout and a resync of the link, never a reconnect.
   */
  async raw(id: string, command: string, ctx: CommandContext): Promise<string | undefined> {
    const driver = this.connected(id);
    const kind = driver.rawKind(command);
    if (kind !== 'query' && hasOutputs(driver.info.type)) {
      const what =
        kind === 'write'
          ? 'raw SCPI writes (a chained command counts as one)'
          : `raw queries that act (${command.trim().split(/\s/, 1)[0]} runs a self-test, a calibration or the like)`;
      throw new DomainError(
        'raw_write_refused',
        `${what} to a ${driver.info.type} are refused: they would bypass its safety limits and the emergency stop; use the named commands (plain queries are fine)`,
        'command',
      );
    }
    this.locks.assertCanControl(id, ctx.sessionId);
    // A plain query gets 1 s: an unknown header is never answered. One that acts (a self-test, a calibration) may
    // take long and is allowed only where it cannot bypass safety; writes are not answered at all.
    const timeoutMs = kind === 'query' ? 1000 : kind === 'acting_query' ? 30_000 : undefined;
    return call(() => driver.raw(command, { timeoutMs }));
  }

  // ---- safety -----------------------------------------------------------------------------------------------------

  /**
   * The emergency stop. The latch is set before any I/O, so from this moment every path refuses turn-ons and
   * increases; then every instrument is turned off in parallel, each bounded in time, so a hung one delays no
   * other. The reply says, for each instrument, whether it is confirmed safe.
   */
  async emergencyStop() {
    this.safety.latch();
    const results = await Promise.all([...this.items.values()].map((item) => this.makeSafe(item)));
    const state = this.safety.stopped(results);
    return { state, results };
  }

  private async makeSafe(item: Managed): Promise<StopResult> {
    const { id, driver } = item;
    if (!driver || item.state !== 'connected') {
      // It is made safe the moment it comes back (see attach and onSessionState).
      return {
        equipment_id: id,
        safe: false,
        error: `${item.state}${item.error ? `: ${item.error}` : ''}; outputs will be turned off when it reconnects`,
      };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no confirmation within ${SAFE_STATE_TIMEOUT_MS} ms`)),
        SAFE_STATE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([driver.safeState(), timeout]);
      return { equipment_id: id, safe: true };
    } catch (err) {
      return { equipment_id: id, safe: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns everything off and closes every instrument (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const items = [...this.items.values()];
    this.items.clear();
    await Promise.allSettled(items.map((item) => this.release(item, 'server shutting down')));
  }

  // ---- internals --------------------------------------------------------------------------------------------------

  private require(id: string): Managed {
    const item = this.items.get(id);
    if (!item) throw notFound(`Equipment ${id}`);
    return item;
  }

  private connected(id: string): Driver {
    const item = this.require(id);
    if (!item.driver || item.state !== 'connected') {
      throw new DomainError(
        'not_connected',
        `Equipment ${id} is ${item.state}${item.error ? `: ${item.error}` : ''}`,
      );
    }
    return item.driver;
  }

  private checkChannel(driver: Driver, channel: number): void {
    if (!Number.isInteger(channel) || channel < 1 || channel > Math.max(1, driver.info.channels)) {
      throw new DomainError(
        'invalid_request',
        `channel must be an integer from 1 to ${Math.max(1, driver.info.channels)}`,
        'channel',
      );
    }
  }

  /** The command path's view of an instrument: its driver, looked up again at each step. */
  private target(id: string) {
    return { id, driver: () => this.connected(id) };
  }

  private async attach(item: Managed, driver: Driver): Promise<void> {
    item.driver = driver;
    item.unsubscribe = driver.onStateChange((state, reason) => this.onSessionState(item, state, reason));
    this.db
      .prepare('UPDATE equipment SET last_connected_at = ? WHERE id = ?')
      .run(new Date().toISOString(), item.id);
    this.setState(item, 'connected', null);
    // An instrument that comes (back) while the emergency stop is active is made safe at once.
    if (this.safety.emergencyStop.active) await driver.safeState().catch(() => undefined);
  }

  private onSessionState(item: Managed, state: SessionState, reason: string | null): void {
    if (this.items.get(item.id) !== item) return;
    switch (state) {
      case 'connected':
        this.setState(item, 'connected', null);
        if (this.safety.emergencyStop.active) void item.driver?.safeState().catch(() => undefined);
        return;
      case 'reconnecting':
        this.setState(item, 'reconnecting', reason ?? 'connection lost');
        return;
      case 'not_responding':
        // The link opens but the instrument does not answer (hung): the session keeps probing it and reports
        // 'connected' by itself once it answers again.
        this.setState(item, 'not_responding', reason ?? 'the instrument does not answer');
        return;
      case 'error':
      case 'closed':
        // The session gave up: start over with a fresh connection.
        this.setState(item, 'error', reason ?? 'connection lost');
        item.unsubscribe?.();
        void item.driver?.close().catch(() => undefined);
        item.driver = null;
        this.scheduleReopen(item);
        return;
      default:
        return;
    }
  }

  private async reopen(item: Managed): Promise<void> {
    item.retry = null;
    if (this.closed || this.items.get(item.id) !== item) return;
    try {
      const driver = await this.open(item.resource, item.modelHint ? { model: item.modelHint } : {});
      if (this.closed || this.items.get(item.id) !== item) {
        await driver.close();
        return;
      }
      const foreign = foreignInstrument(item.info, driver);
      if (foreign) {
        await driver.close();
        throw new Error(foreign);
      }
      item.retryAttempt = 0;
      item.info = infoOf(item.id, item.resource, driver, item.nickname);
      await this.attach(item, driver);
    } catch (err) {
      // A link that opens to an instrument that never answers (*IDN? times out) is a hung instrument, not an error.
      this.setState(
        item,
        err instanceof InstrumentTimeoutError ? 'not_responding' : 'error',
        (err as Error).message,
      );
      this.scheduleReopen(item);
    }
  }

  private scheduleReopen(item: Managed): void {
    if (this.closed || item.retry) return;
    item.retry = setTimeout(() => void this.reopen(item), reconnectDelay(item.retryAttempt++));
    item.retry.unref();
  }

  private setState(item: Managed, state: EquipmentState, error: string | null): void {
    if (item.state === state && item.error === error) return;
    item.state = state;
    item.error = error;
    this.logger.info({ equipment_id: item.id, state, error }, 'equipment state');
    this.bus.publishEvent('equipment_state', { equipment_id: item.id, state, error });
  }

  private async release(item: Managed, reason: string): Promise<void> {
    if (item.retry) clearTimeout(item.retry);
    item.unsubscribe?.();
    const driver = item.driver;
    item.driver = null;
    item.state = 'disconnected';
    item.error = null;
    if (!driver) return;
    try {
      await driver.safeState();
    } catch (err) {
      this.logger.warn({ equipment_id: item.id, err, reason }, 'could not put outputs in a safe state');
    }
    await driver.close().catch(() => undefined);
  }

  private rowFor(key: string, resource: string, simulated: boolean): EquipmentRow | undefined {
    return (
      simulated
        ? this.db.prepare('SELECT * FROM equipment WHERE simulated = 1 AND model_hint = ?').get(key)
        : this.db.prepare('SELECT * FROM equipment WHERE resource = ?').get(resource)
    ) as EquipmentRow | undefined;
  }

  private persist(item: Managed, driver: Driver, simulated: boolean): void {
    const { identity, info } = driver;
    this.db
      .prepare(
        `INSERT INTO equipment (id, resource, type, manufacturer, model, serial_number, nickname, model_hint, simulated, auto_connect, created_at)
         VALUES (@id, @resource, @type, @manufacturer, @model, @serial, @nickname, @hint, @simulated, 1, @now)
         ON CONFLICT(id) DO UPDATE SET resource = excluded.resource, type = excluded.type,
           manufacturer = excluded.manufacturer, model = excluded.model, serial_number = excluded.serial_number,
           nickname = excluded.nickname, model_hint = excluded.model_hint, auto_connect = 1`,
      )
      .run({
        id: item.id,
        // A simulated instrument's port changes each run; its resource column stays unique by carrying its key.
        resource: simulated ? `${item.simKey}@${item.resource}` : item.resource,
        type: info.type,
        manufacturer: identity.manufacturer,
        model: identity.model,
        serial: identity.serial_number,
        nickname: item.nickname,
        hint: simulated ? item.simKey : (item.modelHint ?? null),
        simulated: simulated ? 1 : 0,
        now: new Date().toISOString(),
      });
  }
}

function view(item: Managed): EquipmentView {
  const model = item.driver?.info ?? null;
  return {
    info: item.info,
    state: item.state,
    error: item.error,
    model,
    firmware_version: item.driver?.identity.firmware_version ?? null,
    // Declared by the driver; known from the model before the instrument has (re)connected.
    stream_types: [...(item.driver?.readingKinds ?? findDriver(item.info.model)?.readingKinds ?? [])],
  };
}

function infoOf(id: string, resource: string, driver: Driver, nickname: string | null): EquipmentInfo {
  return {
    id,
    type: driver.info.type,
    manufacturer: driver.identity.manufacturer,
    model: driver.identity.model,
    serial_number: driver.identity.serial_number,
    connection_type: safeConnectionType(resource),
    resource_string: resource,
    nickname,
  };
}

/**
 * Why the instrument that answered at a known address is not the one LabLink knew there (another model or serial:
 * an instrument moved, a DHCP lease reassigned); null when it is the same, or when the one known had no serial.
 */
function foreignInstrument(known: EquipmentInfo, driver: Driver): string | null {
  const found = driver.identity;
  if (known.serial_number === null) return null;
  if (found.model === known.model && found.serial_number === known.serial_number) return null;
  return `${known.resource_string} now answers as ${found.model} ${found.serial_number ?? '(no serial)'}, not the ${known.model} ${known.serial_number} known there (disconnect it and connect again to take the new one over)`;
}

function safeConnectionType(resource: string): EquipmentInfo['connection_type'] {
  try {
    return connectionType(parseResource(resource));
  } catch {
    return 'ethernet';
  }
}

/** Runs driver I/O, turning the instruments package's typed errors into domain errors. */
async function call<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw toDomainError(err);
  }
}

/** The domain error of a failure in driver I/O (a DomainError passes through); `context` prefixes its detail. */
export function toDomainError(err: unknown, context?: string): DomainError {
  if (err instanceof DomainError) return err;
  const prefix = context ? `${context}: ` : '';
  if (err instanceof OutOfRangeError) {
    return new DomainError('limit_exceeded', `${prefix}${err.message}`, err.field, {
      limit: err.bound === 'max' ? 'rating' : 'minimum',
      limit_value: err.limit,
      attempted: err.value,
    });
  }
  if (err instanceof UnknownCommandError)
    return new DomainError('unknown_command', `${prefix}${err.message}`, 'action');
  if (err instanceof ParameterError)
    return new DomainError('invalid_parameter', `${prefix}${err.message}`, err.field);
  if (err instanceof InstrumentTimeoutError)
    return new DomainError('instrument_timeout', `${prefix}${err.message}`);
  if (err instanceof InstrumentIOError) return new DomainError('instrument_io', `${prefix}${err.message}`);
  if (err instanceof InstrumentError) return new DomainError('instrument_error', `${prefix}${err.message}`);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new DomainError('instrument_io', `${prefix}${(err as Error).message}`);
  }
  return new DomainError('internal', `${prefix}${(err as Error)?.message ?? String(err)}`);
}

/**
 * Refuses a maximum below the smallest value a setter of that quantity takes (an SMU's compliance cannot go below
 * its floor): saved, it could not be enforced, and the output would stay above it.
 */
function refuseBelowSetterFloor(driver: Driver, limits: ChannelLimits): void {
  for (const [field, quantity] of [
    ['max_voltage', 'voltage'],
    ['max_current', 'current'],
  ] as const) {
    const value = limits[field];
    if (value === undefined) continue;
    for (const setter of driver.commands.filter((c) => c.sets?.quantity === quantity)) {
      const spec = setter.params[setter.sets?.param ?? quantity];
      const floor = spec?.type === 'number' ? spec.min : undefined;
      if (floor !== undefined && value < floor) {
        throw new DomainError(
          'invalid_limits',
          `${field} ${value} is below the smallest ${setter.sets?.param ?? quantity} the ${driver.info.model} takes (${floor}): it could not be enforced`,
          field,
          { minimum: floor },
        );
      }
    }
  }
}
