// Shared by the driver suites: a simulator plus a driver connected to it over real TCP, and a second, raw
// connection to the same simulator for checking what the driver did from the outside.

import { afterAll, beforeAll } from 'vitest';
import { connectInstrument } from '../src/connect.js';
import type { Driver } from '../src/driver.js';
import { RawClient } from '../src/sim/client.js';
import { type InstrumentOf, type RunningSimulator, type SimModel, startSimulator } from '../src/sim/index.js';
import type { Waveform } from '../src/types.js';

export interface Bench<M extends SimModel> {
  sim: RunningSimulator<InstrumentOf<M>>;
  driver: Driver;
  /** A second connection, independent of the driver's session. */
  raw: RawClient;
}

/** Starts the simulator and connects a driver (naming the model when `named`) for the suite's lifetime. */
export function useBench<M extends SimModel>(model: M, options: { named?: boolean } = {}): Bench<M> {
  const bench = {} as Bench<M>;
  beforeAll(async () => {
    bench.sim = await startSimulator(model);
    bench.driver = await connectInstrument(bench.sim.resource, options.named ? { model } : {});
    bench.raw = await RawClient.connect(bench.sim.port);
  });
  afterAll(async () => {
    bench.raw?.close();
    await bench.driver?.close();
    await bench.sim?.stop();
  });
  return bench;
}

/** Resolves once the instrument has executed everything sent before (SCPI writes are not answered). */
export async function settled(driver: Driver): Promise<void> {
  await driver.raw('*OPC?');
}

export type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `action`, expecting it to reject with `type`, and checks that the driver sent nothing meanwhile. */
export async function rejectsWithoutIo(
  driver: Driver,
  action: () => Promise<unknown>,
  type: ErrorClass,
): Promise<Error> {
  const before = driver.stats.commands;
  const error = await action().then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
  if (!(error instanceof type)) throw error;
  if (driver.stats.commands !== before)
    throw new Error(`${driver.stats.commands - before} commands were sent`);
  return error;
}

/** Frequency of a sampled periodic signal from its rising crossings, with hysteresis so noise adds none. */
export function frequencyOf(w: Waveform): number {
  const high = Math.max(...w.samples);
  const low = Math.min(...w.samples);
  const [below, above] = [low + 0.3 * (high - low), low + 0.7 * (high - low)];
  const rising: number[] = [];
  let armed = false;
  w.samples.forEach((v, i) => {
    if (v < below) armed = true;
    else if (armed && v > above) {
      rising.push(i);
      armed = false;
    }
  });
  const span = ((rising.at(-1) ?? 0) - (rising[0] ?? 0)) * w.x_increment;
  return (rising.length - 1) / span;
}
