// Keysight 34461A digital multimeter (Truevolt series programming reference), DC volts, DC amps, 2-wire ohms.
// Replies: READ? → +4.99998765E+00 (9.90000000E+37 on overload), FUNCtion? → "VOLT", CONFigure? →
// "VOLT +1.000000E+01,+3.000000E-06", RANGe? → +1.00000000E+01; errors print as +0,"No error".

import { DMM_RANGES, type DmmFunction, type MultimeterSim, rangeFor } from '../physics/dmm.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { keysight, sci } from './format.js';

/** Header keyword and FUNCtion string spellings of each function. */
const FUNCTIONS: ReadonlyArray<{ fn: DmmFunction; node: string; names: readonly string[] }> = [
  { fn: 'VOLT', node: 'VOLTage[:DC]', names: ['VOLT', 'VOLT:DC', 'VOLTAGE', 'VOLTAGE:DC'] },
  { fn: 'CURR', node: 'CURRent[:DC]', names: ['CURR', 'CURR:DC', 'CURRENT', 'CURRENT:DC'] },
  { fn: 'RES', node: 'RESistance', names: ['RES', 'RESISTANCE'] },
];

/** Resolution the instrument reports at its default 10 PLC: 0.3 ppm of range. */
const resolution = (range: number) => range * 3e-7;
const signedSci = (value: number) => {
  const text = sci(value, 6).toUpperCase();
  return text.startsWith('-') ? text : `+${text}`;
};

export function keysight34461aCommands(dmm: MultimeterSim): CommandSpec[] {
  /** The last INITiate's reading, for FETCh?; any configuration change makes it stale. */
  let stored: number | undefined;
  const reconfigured = () => {
    stored = undefined;
  };

  /** CONFigure/MEASure's optional range parameter: AUTO, DEF, MIN, MAX or a value rounded up to a range. */
  const configure = (fn: DmmFunction, ctx: CommandContext) => {
    ctx.params.atMost(2);
    const ranges = DMM_RANGES[fn];
    let manual: number | undefined;
    if (ctx.params.has(0) && !/^(AUTO|DEF|DEFAULT)$/i.test(ctx.params.text(0))) {
      const wanted = ctx.params.number(0, { keywords: { MIN: ranges[0], MAX: ranges.at(-1) } });
      manual = rangeFor(fn, wanted);
      if (manual === undefined) throw new ScpiError(-222);
    }
    dmm.function = fn;
    dmm.autorange[fn] = manual === undefined;
    if (manual !== undefined) dmm.ranges[fn] = manual;
    reconfigured();
  };

  const perFunction = FUNCTIONS.flatMap(({ fn, node }): CommandSpec[] => [
    { pattern: `:CONFigure:${node}`, set: (ctx) => configure(fn, ctx) },
    {
      pattern: `:MEASure:${node}`,
      query: (ctx) => {
        configure(fn, ctx);
        return keysight(dmm.read());
      },
    },
    {
      pattern: `[:SENSe]:${node}:RANGe`,
      set: (ctx) => {
        const text = ctx.params.atMost(1).text(0);
        if (/^AUTO$/i.test(text)) dmm.autorange[fn] = true;
        else {
          const ranges = DMM_RANGES[fn];
          const wanted = ctx.params.number(0, {
            keywords: { MIN: ranges[0], MAX: ranges.at(-1), DEF: ranges[2] },
          });
          const range = rangeFor(fn, wanted);
          if (range === undefined) throw new ScpiError(-222);
          dmm.ranges[fn] = range;
          dmm.autorange[fn] = false;
        }
        reconfigured();
      },
      query: () => keysight(dmm.range(fn)),
    },
    {
      pattern: `[:SENSe]:${node}:RANGe:AUTO`,
      set: (ctx) => {
        // ONCE autoranges once and then holds that range.
        if (/^ONCE$/i.test(ctx.params.atMost(1).text(0))) {
          dmm.ranges[fn] = dmm.range(fn);
          dmm.autorange[fn] = false;
        } else dmm.autorange[fn] = ctx.params.bool(0);
        reconfigured();
      },
      query: () => (dmm.autorange[fn] ? '1' : '0'),
    },
  ]);

  return [
    ...perFunction,
    {
      pattern: ':CONFigure',
      query: () => {
        const range = dmm.range();
        return `"${dmm.function} ${signedSci(range)},${signedSci(resolution(range))}"`;
      },
    },
    {
      pattern: '[:SENSe]:FUNCtion[:ON]',
      set: (ctx) => {
        const name = ctx.params.atMost(1).string(0).toUpperCase();
        const entry = FUNCTIONS.find(({ names }) => names.includes(name));
        if (!entry) throw new ScpiError(-224);
        dmm.function = entry.fn;
        reconfigured();
      },
      query: () => `"${dmm.function}"`,
    },
    { pattern: ':READ', query: () => keysight(dmm.read()) },
    {
      pattern: ':INITiate[:IMMediate]',
      set: () => {
        stored = dmm.read();
      },
    },
    {
      pattern: ':FETCh',
      query: () => {
        if (stored === undefined) throw new ScpiError(-230);
        return keysight(stored);
      },
    },
    // Sim-only: SIMulate:INPut <value>[,VOLTage|CURRent|RESistance] sets what the leads measure.
    {
      pattern: ':SIMulate:INPut',
      set: (ctx) => {
        ctx.params.atMost(2);
        const quantity = ctx.params.has(1) ? quantityArg(ctx, 1) : 'voltage';
        const value = ctx.params.number(0);
        if (quantity === 'resistance' && value < 0) throw new ScpiError(-222);
        dmm.setInput(value, quantity);
      },
      query: (ctx) => keysight(dmm.input(ctx.params.has(0) ? quantityArg(ctx, 0) : 'voltage')),
    },
  ];
}

function quantityArg(ctx: CommandContext, index: number) {
  const keyword = ctx.params.keyword(index, ['VOLTage', 'CURRent', 'RESistance']);
  return ({ VOLTage: 'voltage', CURRent: 'current', RESistance: 'resistance' } as const)[keyword];
}
