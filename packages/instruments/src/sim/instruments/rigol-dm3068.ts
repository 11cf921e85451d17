// Rigol DM3068 6½-digit multimeter in its own command set (DM3000 programming guide, `CMDS RIGOL`): the function
// is chosen with :FUNCtion:VOLTage:DC | :FUNCtion:CURRent:DC | :FUNCtion:RESistance and read back as DCV | DCI |
// 2WR; a range is set by its index (`:MEASure:VOLTage:DC 2` is the 20 V range) and the same header as a query
// measures (`:MEASure:VOLTage:DC?`). :MEASure:AUTO / :MEASure:MANUal switch autorange, :MEASure? reads the present
// function, :MEASure:<function>:RANGe? the range index. Readings print as %e (5.000012e+00), 9.9E37 on overload.

import type { DmmQuantity, MultimeterSim } from '../physics/dmm.js';
import type { Rng } from '../rng.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { INVALID, sci } from './format.js';

/** Each function: its :FUNCtion node and reply, the quantity at the leads and the ranges by index. */
export const DM3068_FUNCTIONS = {
  DCV: { node: 'VOLTage:DC', quantity: 'voltage', ranges: [0.2, 2, 20, 200, 1000] },
  DCI: { node: 'CURRent:DC', quantity: 'current', ranges: [2e-4, 2e-3, 2e-2, 0.2, 2, 10] },
  '2WR': { node: 'RESistance', quantity: 'resistance', ranges: [200, 2e3, 2e4, 2e5, 1e6, 1e7, 1e8] },
} as const satisfies Record<string, { node: string; quantity: DmmQuantity; ranges: readonly number[] }>;
type Dm3068Function = keyof typeof DM3068_FUNCTIONS;
const NAMES = Object.keys(DM3068_FUNCTIONS) as Dm3068Function[];

/** Readings beyond 120 % of the range overload. */
const OVERRANGE = 1.2;

/** The DM3068's front end: function, autorange and range index per function; the input comes from `leads`. */
export class Dm3068State {
  function: Dm3068Function = 'DCV';
  readonly auto: Record<Dm3068Function, boolean> = { DCV: true, DCI: true, '2WR': true };
  readonly range: Record<Dm3068Function, number> = { DCV: 2, DCI: 4, '2WR': 1 };

  constructor(
    readonly leads: MultimeterSim,
    private readonly rng: Rng,
  ) {}

  reset(): void {
    this.function = 'DCV';
    Object.assign(this.auto, { DCV: true, DCI: true, '2WR': true });
    Object.assign(this.range, { DCV: 2, DCI: 4, '2WR': 1 });
  }

  /** The range index in use: autorange picks the smallest range the input fits in. */
  rangeIndex(fn: Dm3068Function = this.function): number {
    const { ranges, quantity } = DM3068_FUNCTIONS[fn];
    if (!this.auto[fn]) return this.range[fn];
    const magnitude = Math.abs(this.leads.input(quantity));
    const fits = ranges.findIndex((range) => magnitude <= range * OVERRANGE);
    return fits < 0 ? ranges.length - 1 : fits;
  }

  read(): string {
    const { ranges, quantity } = DM3068_FUNCTIONS[this.function];
    const range = ranges[this.rangeIndex()] as number;
    const value = this.leads.input(quantity);
    if (Math.abs(value) > range * OVERRANGE) return INVALID;
    return sci(value + this.rng.gaussian(range * 1e-6));
  }
}

export function dm3068Commands(dmm: Dm3068State): CommandSpec[] {
  let commandSet = 'RIGOL';
  const perFunction = NAMES.flatMap((fn): CommandSpec[] => {
    const { node, ranges } = DM3068_FUNCTIONS[fn];
    return [
      {
        pattern: `:FUNCtion:${node}`,
        set: (ctx) => {
          ctx.params.atMost(0);
          dmm.function = fn;
        },
      },
      {
        pattern: `:MEASure:${node}`,
        // The range by index, MIN, MAX or DEF (autorange).
        set: (ctx) => {
          const text = ctx.params.atMost(1).text(0);
          if (/^DEF(ault)?$/i.test(text)) {
            dmm.auto[fn] = true;
            return;
          }
          dmm.range[fn] = ctx.params.integer(0, {
            min: 0,
            max: ranges.length - 1,
          });
          dmm.auto[fn] = false;
        },
        query: (ctx) => {
          ctx.params.atMost(0);
          dmm.function = fn;
          return dmm.read();
        },
      },
      { pattern: `:MEASure:${node}:RANGe`, query: () => String(dmm.rangeIndex(fn)) },
    ];
  });
  const setAuto = (on: boolean) => (ctx: CommandContext) => {
    ctx.params.atMost(0);
    if (!on) dmm.range[dmm.function] = dmm.rangeIndex();
    dmm.auto[dmm.function] = on;
  };
  return [
    {
      pattern: ':CMDSet',
      set: (ctx) => {
        commandSet = ctx.params.atMost(1).keyword(0, ['RIGOL', 'AGILent', 'FLUKe']).toUpperCase();
        // Only Rigol's own command set is simulated.
        if (commandSet !== 'RIGOL') throw new ScpiError(-221);
      },
      query: () => commandSet,
    },
    { pattern: ':FUNCtion', query: () => dmm.function },
    ...perFunction,
    { pattern: ':MEASure:AUTO', set: setAuto(true), query: () => (dmm.auto[dmm.function] ? '1' : '0') },
    { pattern: ':MEASure:MANUal', set: setAuto(false) },
    { pattern: ':MEASure', query: () => dmm.read() },
    {
      pattern: ':SIMulate:INPut',
      set: (ctx) => {
        ctx.params.atMost(2);
        const quantity = ctx.params.has(1)
          ? ({ VOLTage: 'voltage', CURRent: 'current', RESistance: 'resistance' } as const)[
              ctx.params.keyword(1, ['VOLTage', 'CURRent', 'RESistance'])
            ]
          : 'voltage';
        const value = ctx.params.number(0);
        if (quantity === 'resistance' && value < 0) throw new ScpiError(-222);
        dmm.leads.setInput(value, quantity);
      },
      query: () => sci(dmm.leads.input('voltage')),
    },
  ];
}
