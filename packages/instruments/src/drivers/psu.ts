// The power-supply command set every PSU driver shares (the original's action names, reference §2.3), built
// from a small per-model table of how the supply spells each operation. A dialect line is a SCPI template whose
// `{channel}`, `{voltage}`, `{current}` and `{enabled}` are filled with validated parameters.

import type { ModelInfo } from '../driver.js';
import type { PowerSupplyReadings } from '../types.js';
import {
  amps,
  type CommandTable,
  channelOf,
  confirm,
  type DriverDefinition,
  fill,
  flag,
  forEachChannel,
  type Io,
  now,
  parseBoolean,
  parseNumber,
  queryAll,
  send,
  volts,
} from './table.js';

export interface Regulation {
  cv: boolean;
  cc: boolean;
}

/** How one power supply does each operation. */
export interface PsuDialect {
  /** Sent before every channel-less command to address the channel (BK 9130B: `INST:NSEL {channel}`). */
  select?: string;
  setVoltage: string;
  setCurrent: string;
  setOutput: string;
  voltageSetpoint: string;
  currentSetpoint: string;
  outputState: string;
  measureVoltage: string;
  measureCurrent: string;
  /**
   * How to ask whether the output regulates voltage (CV) or current (CC); an output that is off regulates
   * nothing, whatever the answer. Without it the mode is told from the measurements (see inferRegulation).
   */
  regulation?: { query: string; parse(reply: string, query: string): Regulation };
  /**
   * The supply takes several queries in one program message, joined with ';', and answers them in one response
   * message, joined with ';' (IEEE 488.2 compound messages): a reading is then one round trip instead of six,
   * which is what lets a bench of them be polled at 100 Hz.
   */
  compound?: boolean;
}

export interface PsuState {
  voltage_set: number;
  current_set: number;
  voltage_actual: number;
  current_actual: number;
  output_enabled: boolean;
  regulation: Regulation;
}

/** Reads everything `get_readings` reports for one channel, in the supply's own dialect. */
export type PsuReader = (io: Io, channel: number) => Promise<PsuState>;

/**
 * CV or CC from the measurements, for supplies that do not report it: an output held below its voltage setpoint
 * while delivering its current limit is in CC; otherwise it holds its voltage (CV). Tolerances of 1 % (at least
 * 5 mV / 1 mA) absorb meter noise.
 */
export function inferRegulation(s: Omit<PsuState, 'regulation'>): Regulation {
  if (!s.output_enabled) return { cv: false, cc: false };
  const sagging = s.voltage_actual < s.voltage_set - Math.max(0.01 * s.voltage_set, 0.005);
  const limiting = s.current_actual >= s.current_set - Math.max(0.01 * s.current_set, 0.001);
  const cc = sagging && limiting;
  return { cv: !cc, cc };
}

/** The reader of a SCPI supply: one query per quantity (all in one message when the dialect is `compound`). */
export function scpiReader(dialect: PsuDialect): PsuReader {
  return async (io, channel) => {
    const p = { channel };
    if (dialect.select) await io.write(fill(dialect.select, p));
    const queries = [
      dialect.outputState,
      dialect.voltageSetpoint,
      dialect.currentSetpoint,
      dialect.measureVoltage,
      dialect.measureCurrent,
    ].map((template) => fill(template, p));
    const regulationQuery = dialect.regulation && fill(dialect.regulation.query, p);
    const all = dialect.compound && regulationQuery ? [...queries, regulationQuery] : queries;
    const replies = await queryAll(io, all, dialect.compound === true);
    const [output, voltageSet, currentSet, voltage, current] = replies as [
      string,
      string,
      string,
      string,
      string,
    ];
    const state = {
      output_enabled: parseBoolean(output, queries[0] as string),
      voltage_set: parseNumber(voltageSet, queries[1] as string),
      current_set: parseNumber(currentSet, queries[2] as string),
      voltage_actual: parseNumber(voltage, queries[3] as string),
      current_actual: parseNumber(current, queries[4] as string),
    };
    // An output that is off regulates nothing, whatever the instrument says (the DP800 answers CV).
    if (!state.output_enabled || !dialect.regulation || !regulationQuery) {
      return {
        ...state,
        regulation: state.output_enabled ? inferRegulation(state) : { cv: false, cc: false },
      };
    }
    const mode = dialect.compound ? (replies[5] as string) : await io.query(regulationQuery);
    return { ...state, regulation: dialect.regulation.parse(mode, regulationQuery) };
  };
}

/** The PSU command table: set_voltage, set_current, set_output, get_readings, get_setpoints. */
export function psuCommands(
  info: ModelInfo,
  ops: {
    setVoltage: CommandTable[string]['run'];
    setCurrent: CommandTable[string]['run'];
    setOutput: CommandTable[string]['run'];
    read: PsuReader;
  },
): CommandTable {
  const channel = channelOf(info.channels);
  return {
    set_voltage: {
      description: 'Set the output voltage of a channel (V)',
      control: true,
      sets: { quantity: 'voltage', param: 'voltage' },
      params: { voltage: volts, channel },
      run: ops.setVoltage,
    },
    set_current: {
      description: 'Set the current limit of a channel (A)',
      control: true,
      sets: { quantity: 'current', param: 'current' },
      params: { current: amps, channel },
      run: ops.setCurrent,
    },
    set_output: {
      description: 'Turn a channel output on or off',
      control: true,
      enables: 'enabled',
      params: { enabled: flag(), channel },
      run: ops.setOutput,
    },
    get_readings: {
      description: 'Setpoints, measured voltage and current, output state and CV/CC mode of a channel',
      control: false,
      params: { channel },
      run: async (io, p): Promise<PowerSupplyReadings> => {
        const ch = Number(p.channel);
        const s = await ops.read(io, ch);
        return {
          timestamp: now(),
          channel: ch,
          voltage_set: s.voltage_set,
          current_set: s.current_set,
          voltage_actual: s.voltage_actual,
          current_actual: s.current_actual,
          output_enabled: s.output_enabled,
          in_cv_mode: s.regulation.cv,
          in_cc_mode: s.regulation.cc,
        };
      },
    },
    get_setpoints: {
      description: 'The voltage and current setpoints of a channel',
      control: false,
      params: { channel },
      run: async (io, p) => {
        const s = await ops.read(io, Number(p.channel));
        return { voltage: s.voltage_set, current: s.current_set };
      },
    },
  };
}

/** A complete SCPI power-supply driver from its model description and dialect. */
export function scpiPowerSupply(info: ModelInfo, dialect: PsuDialect): DriverDefinition {
  const selected = (template: string) => (dialect.select ? send(dialect.select, template) : send(template));
  const setOutput = selected(dialect.setOutput);
  return {
    info,
    protocol: 'scpi',
    readingKinds: ['readings'],
    commands: psuCommands(info, {
      setVoltage: selected(dialect.setVoltage),
      setCurrent: selected(dialect.setCurrent),
      setOutput,
      read: scpiReader(dialect),
    }),
    safeState: async (io) => {
      await forEachChannel(info.channels, (channel) => setOutput(io, { channel, enabled: false }));
      await confirm(io);
    },
  };
}
