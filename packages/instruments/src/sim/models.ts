// Every simulated model: its identity (as *IDN? gives it), its physics, and its command table. Adding a model is
// one entry here.

import {
  BK9130B_RATINGS,
  BK9205B_RATING,
  BK9206B_RATING,
  bk9130bCommands,
  bk9200Commands,
} from './instruments/bk-scpi.js';
import {
  BK1685B_FORMAT,
  BK1902B_FORMAT,
  type BkSerialFormat,
  bkSerialProtocol,
} from './instruments/bk-serial.js';
import { dl3000Commands } from './instruments/dl3000.js';
import { DP832_RATINGS, dp800Commands } from './instruments/dp800.js';
import { keithley2400Commands } from './instruments/keithley-2400.js';
import { keysight34461aCommands } from './instruments/keysight-34461a.js';
import { E36312A_RATINGS, E36313A_RATINGS, e36300Commands } from './instruments/keysight-e36300.js';
import { infiniiVisionCommands } from './instruments/keysight-infiniivision.js';
import { KA3005P_RATING, koradProtocol } from './instruments/korad.js';
import { Dm3068State, dm3068Commands } from './instruments/rigol-dm3068.js';
import {
  DS1000D_DIALECT,
  DS1000Z_DIALECT,
  MSO2000A_DIALECT,
  rigolScopeCommands,
  type ScopeDialect,
} from './instruments/rigol-scope.js';
import { sds1000xeCommands, sds2000xPlusCommands } from './instruments/siglent-scope.js';
import { sdl1000xCommands } from './instruments/siglent-sdl1000x.js';
import { SPD3303X_RATINGS, spd3303xCommands } from './instruments/siglent-spd3303x.js';
import { MultimeterSim } from './physics/dmm.js';
import { ElectronicLoadSim } from './physics/load.js';
import { type ChannelRating, PowerSupplySim } from './physics/psu.js';
import { OscilloscopeSim, type ScopeGeometry } from './physics/scope.js';
import { SmuSim } from './physics/smu.js';
import { type SimProtocol, scpiProtocol } from './protocol.js';
import type { Rng } from './rng.js';
import {
  type CommandSpec,
  type Identity,
  ScpiInstrument,
  type ScpiInstrumentOptions,
} from './scpi/engine.js';

export interface ModelDefinition<I> {
  manufacturer: string;
  firmware: string;
  /** Serial numbers look like the real ones: this prefix, then a unit number. */
  serialPrefix: string;
  build(identity: Identity, rng: Rng): { protocol: SimProtocol; instrument: I };
}

/** A SCPI model: an in-process instrument with a reset, and the command table that drives it. */
function scpiModel<I extends { reset(): void }>(
  manufacturer: string,
  firmware: string,
  serialPrefix: string,
  create: (rng: Rng) => I,
  commands: (instrument: I) => CommandSpec[],
  options: Pick<ScpiInstrumentOptions, 'errorQueueSize' | 'scpiVersion' | 'signedErrorCodes'> = {},
): ModelDefinition<I> {
  return {
    manufacturer,
    firmware,
    serialPrefix,
    build(identity, rng) {
      const instrument = create(rng);
      const scpi = new ScpiInstrument({
        identity,
        commands: commands(instrument),
        reset: () => instrument.reset(),
        ...options,
      });
      return { protocol: scpiProtocol(scpi), instrument };
    },
  };
}

const rigol = 'RIGOL TECHNOLOGIES';
const bk = 'B&K Precision';
const siglent = 'Siglent Technologies';
const keysightTech = 'Keysight Technologies';

const psu = (ratings: readonly ChannelRating[]) => (rng: Rng) => new PowerSupplySim(ratings, rng);
const sdl = (maxPower: number) => (rng: Rng) =>
  new ElectronicLoadSim({ maxVoltage: 150, maxCurrent: 30, maxPower }, rng);
const load = (rng: Rng) => new ElectronicLoadSim({ maxVoltage: 150, maxCurrent: 40, maxPower: 200 }, rng);
/** A 2400-series SourceMeter: its *IDN? model field reads "MODEL 2400". */
function keithleyModel(
  maxVoltage: number,
  maxCurrent: number,
  manufacturer = 'KEITHLEY INSTRUMENTS INC.',
  firmware = 'C32   Oct  4 2010 14:20:11/A02  /S/K',
): ModelDefinition<SmuSim> {
  const model = scpiModel(
    manufacturer,
    firmware,
    '4',
    (rng) => new SmuSim({ maxVoltage, maxCurrent }, rng),
    keithley2400Commands,
  );
  return {
    ...model,
    build: (identity, rng) => model.build({ ...identity, model: `MODEL ${identity.model}` }, rng),
  };
}
const scope = (geometry: ScopeGeometry, dialect: ScopeDialect) => ({
  create: (rng: Rng) => new OscilloscopeSim(geometry, rng),
  commands: (instrument: OscilloscopeSim) => rigolScopeCommands(instrument, dialect),
});
const ds1000z = scope(
  { channels: 4, divisions: 12, screenPoints: 1200, memoryPoints: 12000 },
  DS1000Z_DIALECT,
);
const ds1000d = scope({ channels: 2, divisions: 12, screenPoints: 600, memoryPoints: 8192 }, DS1000D_DIALECT);
const mso2000a = scope(
  { channels: 2, divisions: 14, screenPoints: 1400, memoryPoints: 14000 },
  MSO2000A_DIALECT,
);

/** A scope on the physics of OscilloscopeSim with another vendor's command table. */
const scopeOn = (geometry: ScopeGeometry, commands: (scope: OscilloscopeSim) => CommandSpec[]) => ({
  create: (rng: Rng) => new OscilloscopeSim(geometry, rng),
  commands,
});
const sds1104xe = scopeOn(
  { channels: 4, divisions: 14, screenPoints: 1400, memoryPoints: 14000 },
  sds1000xeCommands,
);
const sds1202xe = scopeOn(
  { channels: 2, divisions: 14, screenPoints: 1400, memoryPoints: 14000 },
  sds1000xeCommands,
);
const sds2104xPlus = scopeOn(
  { channels: 4, divisions: 10, screenPoints: 1000, memoryPoints: 10000 },
  sds2000xPlusCommands,
);

const infiniiVision = scopeOn(
  { channels: 4, divisions: 10, screenPoints: 1000, memoryPoints: 10000 },
  infiniiVisionCommands,
);

/** A B&K supply on its serial protocol: no *IDN?, so the identity only names the unit. */
function bkSerialModel(format: BkSerialFormat): ModelDefinition<PowerSupplySim> {
  return {
    manufacturer: bk,
    firmware: '',
    serialPrefix: 'BK',
    build(_identity, rng) {
      const instrument = new PowerSupplySim([format.rating], rng);
      return { protocol: bkSerialProtocol(instrument, format), instrument };
    },
  };
}

/** A Korad supply on its serial protocol: *IDN? answers KORAD <model> <firmware> SN:<serial>. */
function koradModel(model: string): ModelDefinition<PowerSupplySim> {
  return {
    manufacturer: 'KORAD',
    firmware: 'V5.8',
    serialPrefix: '0',
    build(identity, rng) {
      const instrument = new PowerSupplySim([KA3005P_RATING], rng);
      const serial = identity.serial.slice(-8).padStart(8, '0');
      return {
        protocol: koradProtocol(instrument, { model, firmware: identity.firmware, serial }),
        instrument,
      };
    },
  };
}

export const MODELS = {
  DP832: scpiModel(rigol, '00.01.14', 'DP8C', psu(DP832_RATINGS), dp800Commands),
  '9130B': scpiModel(bk, '1.60-1.62', '913B', psu(BK9130B_RATINGS), bk9130bCommands),
  '9205B': scpiModel(bk, '1.04-1.05', '925B', psu([BK9205B_RATING]), bk9200Commands),
  '9206B': scpiModel(bk, '1.04-1.05', '926B', psu([BK9206B_RATING]), bk9200Commands),
  '1685B': bkSerialModel(BK1685B_FORMAT),
  '1902B': bkSerialModel(BK1902B_FORMAT),
  DL3021: scpiModel(rigol, '00.01.05.00.01', 'DL3A', load, dl3000Commands),
  DL3021A: scpiModel(rigol, '00.01.05.00.01', 'DL3A', load, dl3000Commands),
  DS1054Z: scpiModel(rigol, '00.04.04.SP4', 'DS1ZA', ds1000z.create, ds1000z.commands),
  DS1104Z: scpiModel(rigol, '00.04.04.SP4', 'DS1ZA', ds1000z.create, ds1000z.commands),
  // The DS1000D identifies itself in mixed case.
  DS1102D: scpiModel('Rigol Technologies', '00.04.04', 'DS1EB', ds1000d.create, ds1000d.commands),
  MSO2072A: scpiModel(rigol, '00.03.02.00.00', 'MS2A', mso2000a.create, mso2000a.commands),
  '34461A': scpiModel(
    'Keysight Technologies',
    'A.02.14-02.40-02.14-00.49-03-01',
    'MY5',
    (rng) => new MultimeterSim(rng),
    keysight34461aCommands,
    { signedErrorCodes: true, scpiVersion: '1994.0' },
  ),
  SPD3303X: scpiModel(siglent, '1.01.01.02.07R2,V3.0', 'SPD3XIED', psu(SPD3303X_RATINGS), spd3303xCommands),
  'SPD3303X-E': scpiModel(
    siglent,
    '1.01.01.02.07R2,V3.0',
    'SPD3EEED',
    psu(SPD3303X_RATINGS),
    spd3303xCommands,
  ),
  E36312A: scpiModel(keysightTech, '2.1.0-1.0.4-1.12', 'MY5', psu(E36312A_RATINGS), e36300Commands, {
    signedErrorCodes: true,
  }),
  E36313A: scpiModel(keysightTech, '2.1.0-1.0.4-1.12', 'MY5', psu(E36313A_RATINGS), e36300Commands, {
    signedErrorCodes: true,
  }),
  SDL1020X: scpiModel(siglent, '1.1.1.21R2', 'SDL13GCX', sdl(200), sdl1000xCommands),
  'SDL1020X-E': scpiModel(siglent, '1.1.1.21R2', 'SDL13GCQ', sdl(200), sdl1000xCommands),
  SDL1030X: scpiModel(siglent, '1.1.1.21R2', 'SDL13HCX', sdl(300), sdl1000xCommands),
  'SDL1030X-E': scpiModel(siglent, '1.1.1.21R2', 'SDL13HCQ', sdl(300), sdl1000xCommands),
  '34465A': scpiModel(
    keysightTech,
    'A.03.01-03.15-03.01-00.52-04-02',
    'MY5',
    (rng) => new MultimeterSim(rng),
    keysight34461aCommands,
    { signedErrorCodes: true, scpiVersion: '1994.0' },
  ),
  // The DM3000 series identifies itself in mixed case.
  DM3068: scpiModel(
    'Rigol Technologies',
    '01.01.00.01.11.00',
    'DM3O',
    (rng) => new Dm3068State(new MultimeterSim(rng), rng),
    dm3068Commands,
  ),
  'SDS1104X-E': scpiModel(siglent, '8.2.6.1.37R9', 'SDSMMEBD', sds1104xe.create, sds1104xe.commands),
  'SDS1202X-E': scpiModel(siglent, '8.2.6.1.37R9', 'SDSMMEBC', sds1202xe.create, sds1202xe.commands),
  'SDS2104X Plus': scpiModel(siglent, '1.5.2R3', 'SDS2PDDX', sds2104xPlus.create, sds2104xPlus.commands),
  // InfiniiVision scopes identify themselves in capitals.
  DSOX1204G: scpiModel(
    'KEYSIGHT TECHNOLOGIES',
    '02.12.2021071625',
    'CN6',
    infiniiVision.create,
    infiniiVision.commands,
    { signedErrorCodes: true },
  ),
  'DSO-X 2024A': scpiModel(
    'KEYSIGHT TECHNOLOGIES',
    '02.50.2019022736',
    'MY5',
    infiniiVision.create,
    infiniiVision.commands,
    { signedErrorCodes: true },
  ),
  KA3005P: koradModel('KA3005P'),
  '2400': keithleyModel(210, 1.05),
  '2401': keithleyModel(21, 1.05),
  '2410': keithleyModel(1100, 1.05),
  '2420': keithleyModel(63, 3.15),
  // The 2450 in its 2400-compatible command set; it drops "INC." from its maker's name.
  '2450': keithleyModel(210, 1.05, 'KEITHLEY INSTRUMENTS', '1.7.12b'),
} satisfies Record<string, ModelDefinition<unknown>>;

export type SimModel = keyof typeof MODELS;

/** The in-process instrument type of a model (PowerSupplySim, OscilloscopeSim …). */
export type InstrumentOf<M extends SimModel> = ReturnType<(typeof MODELS)[M]['build']>['instrument'];
