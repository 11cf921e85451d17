// Every driver LabLink has, and how an instrument is matched to one. The table reads like the original's rules
// (reference §2.1), corrected: one row per model, matched on the model field of *IDN?, no model sharing another's
// ratings or protocol.

import type { EquipmentType } from '../types.js';
import { bk9130B, bk9205B, bk9206B } from './bk-scpi.js';
import { bk1685B, bk1902B } from './bk-serial.js';
import { genericScpi } from './generic.js';
import { keithley2400, keithley2401, keithley2410, keithley2420, keithley2450 } from './keithley-2400.js';
import { keysight34461A, keysight34465A } from './keysight-34461a.js';
import { keysightE36312A, keysightE36313A } from './keysight-e36300.js';
import { keysightDSOX1204G, keysightDSOX2024A } from './keysight-infiniivision.js';
import { koradKA3005P } from './korad.js';
import { rigolDL3021, rigolDL3021A } from './rigol-dl3000.js';
import { rigolDM3068 } from './rigol-dm3068.js';
import { rigolDP832 } from './rigol-dp832.js';
import { rigolDS1054Z, rigolDS1102D, rigolDS1104Z, rigolMSO2072A } from './rigol-scope.js';
import { siglentSDS1104XE, siglentSDS1202XE, siglentSDS2104XPlus } from './siglent-scope.js';
import { siglentSDL1020X, siglentSDL1020XE, siglentSDL1030X, siglentSDL1030XE } from './siglent-sdl1000x.js';
import { siglentSPD3303X, siglentSPD3303XE } from './siglent-spd3303x.js';
import type { DriverDefinition } from './table.js';

interface ModelRow {
  /** Matches the *IDN? model field, or a model the user names, upper-cased and without a vendor prefix. */
  match: RegExp;
  driver: DriverDefinition;
}

const MODELS: readonly ModelRow[] = [
  { match: /^DP832A?$/, driver: rigolDP832 },
  { match: /^DL3021A$/, driver: rigolDL3021A },
  { match: /^DL3021$/, driver: rigolDL3021 },
  { match: /^DS1054Z( PLUS)?$/, driver: rigolDS1054Z },
  { match: /^DS1104Z( PLUS)?$/, driver: rigolDS1104Z },
  { match: /^DS1102D$/, driver: rigolDS1102D },
  { match: /^MSO2072A$/, driver: rigolMSO2072A },
  { match: /^9130B$/, driver: bk9130B },
  { match: /^9205B$/, driver: bk9205B },
  { match: /^9206B$/, driver: bk9206B },
  // The serial-protocol models never answer *IDN?: they are only ever chosen by name.
  { match: /^1685B$/, driver: bk1685B },
  { match: /^1902B$/, driver: bk1902B },
  { match: /^34461A$/, driver: keysight34461A },
  { match: /^SPD3303X$/, driver: siglentSPD3303X },
  { match: /^SPD3303X-E$/, driver: siglentSPD3303XE },
  { match: /^E36312A$/, driver: keysightE36312A },
  { match: /^E36313A$/, driver: keysightE36313A },
  { match: /^SDL1020X$/, driver: siglentSDL1020X },
  { match: /^SDL1020X-E$/, driver: siglentSDL1020XE },
  { match: /^SDL1030X$/, driver: siglentSDL1030X },
  { match: /^SDL1030X-E$/, driver: siglentSDL1030XE },
  { match: /^34465A$/, driver: keysight34465A },
  { match: /^DM3068$/, driver: rigolDM3068 },
  { match: /^SDS1104X-E$/, driver: siglentSDS1104XE },
  { match: /^SDS1202X-E$/, driver: siglentSDS1202XE },
  { match: /^SDS2104X ?PLUS$/, driver: siglentSDS2104XPlus },
  { match: /^DSOX1204G$/, driver: keysightDSOX1204G },
  { match: /^DSO-?X ?2024A$/, driver: keysightDSOX2024A },
  // Korad's protocol frames no *IDN? reply: chosen by name only. RND sells it as the 320-KA3005P.
  { match: /^(320-)?KA3005P$/, driver: koradKA3005P },
  // *IDN? names them "MODEL 2400".
  { match: /^(MODEL )?2400$/, driver: keithley2400 },
  { match: /^(MODEL )?2401$/, driver: keithley2401 },
  { match: /^(MODEL )?2410$/, driver: keithley2410 },
  { match: /^(MODEL )?2420$/, driver: keithley2420 },
  { match: /^(MODEL )?2450$/, driver: keithley2450 },
];

/** "B&K Precision 9130B", "BK9130B", "rigol dp832" → "9130B", "DP832". */
function normalise(model: string): string {
  return model
    .trim()
    .toUpperCase()
    .replace(
      /^(B&K( PRECISION)?|BK( PRECISION)?|RIGOL( TECHNOLOGIES)?|KEYSIGHT( TECHNOLOGIES)?|AGILENT( TECHNOLOGIES)?|SIGLENT( TECHNOLOGIES)?|KORAD|RND|KEITHLEY( INSTRUMENTS)?)[\s_-]*/,
      '',
    );
}

/** The driver for a model name or *IDN? model field; undefined when LabLink has none. */
export function findDriver(model: string): DriverDefinition | undefined {
  const name = normalise(model);
  return MODELS.find((row) => row.match.test(name))?.driver;
}

export interface SupportedModel {
  manufacturer: string;
  model: string;
  type: EquipmentType;
  channels: number;
  /** 'bk-serial' and 'korad' models are not identified by *IDN?: connect to them with their model named. */
  protocol: DriverDefinition['protocol'];
}

export const SUPPORTED_MODELS: readonly SupportedModel[] = MODELS.map(({ driver: { info, protocol } }) => ({
  manufacturer: info.manufacturer,
  model: info.model,
  type: info.type,
  channels: info.channels,
  protocol,
}));

export { BK_SERIAL_PROBE, bkSerialIo } from './bk-serial.js';
export { KORAD_SESSION, koradIo } from './korad.js';
export type { CommandTable, DriverDefinition, DriverSession, Io, Param, Values } from './table.js';
export {
  COMMON_ACTING_QUERIES,
  classifyRaw,
  formatNumber,
  formatSteps,
  isQuery,
  namedIdentity,
  queryAll,
  TableDriver,
  validate,
} from './table.js';
export {
  bk1685B,
  bk1902B,
  bk9130B,
  bk9205B,
  bk9206B,
  genericScpi,
  keithley2400,
  keithley2401,
  keithley2410,
  keithley2420,
  keithley2450,
  keysight34461A,
  keysight34465A,
  keysightDSOX1204G,
  keysightDSOX2024A,
  keysightE36312A,
  keysightE36313A,
  koradKA3005P,
  rigolDL3021,
  rigolDL3021A,
  rigolDM3068,
  rigolDP832,
  rigolDS1054Z,
  rigolDS1102D,
  rigolDS1104Z,
  rigolMSO2072A,
  siglentSDL1020X,
  siglentSDL1020XE,
  siglentSDL1030X,
  siglentSDL1030XE,
  siglentSDS1104XE,
  siglentSDS1202XE,
  siglentSDS2104XPlus,
  siglentSPD3303X,
  siglentSPD3303XE,
};
