// Rigol oscilloscopes: the DS1000Z (DS1054Z, DS1104Z), MSO2000A (MSO2072A) and DS1000D (DS1102D) families. The
// command table is the one every scope shares (scope.ts); a dialect row says where each family spells a command
// differently (their programming guides). Waveforms carry real samples in volts, scaled from the preamble as the
// DS1000Z guide prescribes.

import type { ModelInfo } from '../driver.js';
import type { ScopeMeasurements, Waveform } from '../types.js';
import {
  measureItems,
  parsePreamble,
  type ScopeOps,
  type Slope,
  scopeDriver,
  type TriggerStatus,
} from './scope.js';
import { type DriverDefinition, fill, now, queryNumber, send } from './table.js';

interface ScopeDialect {
  /** The timebase subsystem: `:TIM:MAIN` (DS1000Z, MSO2000A) or `:TIM` (DS1000D). */
  timebase: string;
  /** Seconds per division the timebase takes. */
  timeScale: [number, number];
  /** Volts per division at the probe tip, over every probe ratio, and the probe ratios. */
  voltScale: [number, number];
  probeRatio: [number, number];
  slopes: readonly Slope[];
  /** Trigger sources besides the analog channels, by their common name → this family's keyword. */
  extraSources: Record<string, string>;
  /** Trigger coupling by common name → keyword, and where the coupling is set. */
  couplings: Record<string, string>;
  triggerCoupling: string;
  forceTrigger: string;
  autoscale: string;
  /** The query for one measurement of one source (`{source}` and `{item}` filled in). */
  measure: string;
  items: Record<keyof ScopeMeasurements, string>;
  /** Takes the seven measurement queries in one compound message (IEEE 488.2). */
  compound: boolean;
}

const DS1000Z: ScopeDialect = {
  timebase: ':TIM:MAIN',
  timeScale: [5e-9, 50],
  voltScale: [1e-5, 1e4],
  probeRatio: [0.01, 1000],
  slopes: ['POS', 'NEG', 'RFAL'],
  extraSources: { ACLINE: 'AC' },
  couplings: { DC: 'DC', AC: 'AC', LFREJECT: 'LFR', HFREJECT: 'HFR' },
  triggerCoupling: ':TRIG:COUP {coupling}',
  forceTrigger: ':TFOR',
  autoscale: ':AUT',
  measure: ':MEAS:ITEM? {item},{source}',
  items: { vpp: 'VPP', vmax: 'VMAX', vmin: 'VMIN', vavg: 'VAVG', vrms: 'VRMS', freq: 'FREQ', period: 'PER' },
  compound: true,
};

const MSO2000A: ScopeDialect = {
  ...DS1000Z,
  timeScale: [2e-9, 1000],
  voltScale: [5e-6, 1e4],
  extraSources: { EXT: 'EXT', ACLINE: 'ACL' },
  measure: ':MEAS:{item}? {source}',
};

const DS1000D: ScopeDialect = {
  timebase: ':TIM',
  timeScale: [2e-9, 50],
  voltScale: [2e-3, 1e4],
  probeRatio: [1, 1000],
  slopes: ['POS', 'NEG'],
  extraSources: { EXT: 'EXT', ACLINE: 'ACL' },
  couplings: { DC: 'DC', AC: 'AC', LFREJECT: 'LF', HFREJECT: 'HF' },
  triggerCoupling: ':TRIG:EDGE:COUP {coupling}',
  forceTrigger: ':FORC',
  autoscale: ':AUTO',
  measure: ':MEAS:{item}? {source}',
  items: { ...DS1000Z.items, vavg: 'VAV' },
  compound: false,
};

/** How a Rigol family does each operation of the shared scope table. */
function rigolOps(d: ScopeDialect): ScopeOps {
  return {
    timeScale: d.timeScale,
    voltScale: d.voltScale,
    probeRatio: d.probeRatio,
    slopes: d.slopes,
    extraTriggerSources: Object.keys(d.extraSources),
    triggerCouplings: Object.keys(d.couplings),
    setTimebase: async (io, scale, offset) => {
      await send(`${d.timebase}:SCAL {scale}`, `${d.timebase}:OFFS {offset}`)(io, { scale, offset });
    },
    setChannel: async (io, setup) => {
      const p = { ...setup };
      // The probe ratio goes first: the instrument rescales V/div when it changes.
      if (p.probe !== undefined) await io.write(fill(':CHAN{channel}:PROB {probe}', p));
      await send(
        ':CHAN{channel}:DISP {enabled}',
        ':CHAN{channel}:SCAL {scale}',
        ':CHAN{channel}:OFFS {offset}',
        ':CHAN{channel}:COUP {coupling}',
      )(io, p);
    },
    setTrigger: async (io, t) => {
      const source = d.extraSources[t.source] ?? t.source;
      await send(
        ':TRIG:MODE EDGE',
        ':TRIG:EDGE:SOUR {source}',
        ':TRIG:EDGE:LEV {level}',
        ':TRIG:EDGE:SLOP {slope}',
      )(io, { source, level: t.level, slope: t.slope });
      if (t.coupling !== undefined) {
        await io.write(fill(d.triggerCoupling, { coupling: d.couplings[t.coupling] ?? '' }));
      }
    },
    single: (io) => io.write(':SING'),
    run: (io) => io.write(':RUN'),
    stop: (io) => io.write(':STOP'),
    autoscale: (io) => io.write(d.autoscale),
    force: (io) => io.write(d.forceTrigger),
    // Rigol answers in these words already (the DS1000D spells TD as T'D).
    triggerStatus: async (io) =>
      (await io.query(':TRIG:STAT?')).trim().toUpperCase().replace("T'D", 'TD') as TriggerStatus,
    measure: (io, channel) =>
      measureItems(io, d.items, (item) => fill(d.measure, { item, source: `CHAN${channel}` }), d.compound),
    waveform: async (io, channel): Promise<Waveform> => {
      const p = { channel };
      await send(':WAV:SOUR CHAN{channel}', ':WAV:MODE NORM', ':WAV:FORM BYTE')(io, p);
      const pre = parsePreamble(await io.query(':WAV:PRE?'));
      const data = await io.queryBlock(':WAV:DATA?');
      const samples = Array.from(data, (byte) => (byte - pre.yorigin - pre.yref) * pre.yinc);
      return {
        timestamp: now(),
        channel,
        sample_rate: pre.xinc > 0 ? 1 / pre.xinc : 0,
        time_scale: await queryNumber(io, `${d.timebase}:SCAL?`),
        voltage_scale: await queryNumber(io, fill(':CHAN{channel}:SCAL?', p)),
        voltage_offset: await queryNumber(io, fill(':CHAN{channel}:OFFS?', p)),
        num_samples: samples.length,
        x_increment: pre.xinc,
        x_origin: pre.xorigin,
        samples,
      };
    },
  };
}

function rigolScope(
  model: string,
  dialect: ScopeDialect,
  channels: number,
  capabilities: Record<string, unknown>,
): DriverDefinition {
  const info: ModelInfo = {
    type: 'oscilloscope',
    manufacturer: 'Rigol',
    model,
    channels,
    ratings: [],
    capabilities,
  };
  return scopeDriver(info, rigolOps(dialect));
}

export const rigolDS1054Z = rigolScope('DS1054Z', DS1000Z, 4, {
  bandwidth: '50MHz',
  sample_rate: '1GSa/s',
  memory_depth: '12Mpts',
});
export const rigolDS1104Z = rigolScope('DS1104Z', DS1000Z, 4, {
  bandwidth: '100MHz',
  sample_rate: '1GSa/s',
  memory_depth: '12Mpts',
});
export const rigolDS1102D = rigolScope('DS1102D', DS1000D, 2, {
  bandwidth: '100MHz',
  sample_rate: '1GSa/s',
  memory_depth: '16kpts',
  digital_channels: 16,
});
export const rigolMSO2072A = rigolScope('MSO2072A', MSO2000A, 2, {
  bandwidth: '70MHz',
  sample_rate: '2GSa/s',
  memory_depth: '14Mpts',
  digital_channels: 16,
});
