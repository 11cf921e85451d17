// The simulated bench: real instruments' command sets over real sockets, backed by physical models.
// See README.md for the models, the sim-only commands and fault injection.

import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { HislipSimServer } from './hislip-server.js';
import { type InstrumentOf, MODELS, type SimModel } from './models.js';
import { createRng } from './rng.js';
import { type FaultControls, SimServer } from './server.js';
import { Vxi11SimHost } from './vxi11-server.js';
import { applyWiring, DEFAULT_WIRING, type WiredLoop, type Wiring } from './wiring.js';

export { RawClient } from './client.js';
export type { HislipServerOptions } from './hislip-server.js';
export { HislipSimServer } from './hislip-server.js';
export type { InstrumentOf, SimModel } from './models.js';
export type { LoopPoint } from './physics/circuit.js';
export { LOAD_SATURATION_OHMS, solveLoop } from './physics/circuit.js';
export type { MultimeterSim } from './physics/dmm.js';
export type { ElectronicLoadSim } from './physics/load.js';
export type { PowerSupplySim } from './physics/psu.js';
export type { OscilloscopeSim, Signal, SignalShape } from './physics/scope.js';
export type { SmuSim } from './physics/smu.js';
export type { FaultControls } from './server.js';
export type { Vxi11HostOptions } from './vxi11-server.js';
export { Vxi11SimHost } from './vxi11-server.js';
export type { InstrumentRef, LoopNode, LoopWiring, WiredLoop, Wiring } from './wiring.js';
export { applyWiring, DEFAULT_WIRING } from './wiring.js';

/** Every model the simulator knows, by the model name its *IDN? reports. */
export const SIM_MODELS = Object.keys(MODELS) as readonly SimModel[];

export interface RunningSimulator<I = InstrumentOf<SimModel>> {
  model: SimModel;
  host: string;
  port: number;
  /** The VISA address to open it with: TCPIP0::127.0.0.1::<port>::SOCKET. */
  resource: string;
  /**
   * Every address it answers at: the socket first, then VXI-11 and HiSLIP ones once served there (serveVxi11,
   * serveHislip, startBench({ lan: true })).
   */
  addresses: string[];
  /** The byte that ends a message to it ('\n' for SCPI, '\r' for the B&K serial protocol). */
  inputTerminator: string;
  /** The in-process model behind the wire: load resistance, signals, input … */
  instrument: I;
  faults: FaultControls;
  /** Messages (commands and queries) received so far, on every connection: how often it was spoken to. */
  messages(): number;
  /** Listeners called after each message the instrument handled (a wired circuit notes its changes). */
  handled: Set<() => void>;
  /** Also serves the instrument on a stream (a pty, a serial port); returns a function that detaches it. */
  serveStream(stream: Duplex): () => void;
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  /** Default: a random serial, shaped like the vendor's. */
  serial?: string;
}

let unitsStarted = 0;

export function startSimulator<M extends SimModel>(
  model: M,
  options?: SimulatorOptions,
): Promise<RunningSimulator<InstrumentOf<M>>>;
export function startSimulator(model: string, options?: SimulatorOptions): Promise<RunningSimulator>;
export async function startSimulator(
  model: string,
  options: SimulatorOptions = {},
): Promise<RunningSimulator> {
  const name = SIM_MODELS.find((known) => known.toUpperCase() === model.toUpperCase());
  if (!name) throw new Error(`unknown simulator model "${model}"; known: ${SIM_MODELS.join(', ')}`);
  const definition = MODELS[name];
  const unit = ++unitsStarted;
  const identity = {
    manufacturer: definition.manufacturer,
    model: name,
    // Every simulator a serial of its own, in this process and any other: a server checks serials to tell
    // instruments apart, and a server left over from another test must never take this one for its own.
    serial: options.serial ?? `${definition.serialPrefix}${String(randomInt(1e9)).padStart(9, '0')}`,
    firmware: definition.firmware,
  };
  const { protocol, instrument } = definition.build(identity, createRng(unit));
  const server = new SimServer(protocol);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(host, options.port ?? 0);
  return {
    model: name,
    host,
    port,
    resource: `TCPIP0::${host}::${port}::SOCKET`,
    addresses: [`TCPIP0::${host}::${port}::SOCKET`],
    inputTerminator: protocol.inputTerminator,
    instrument,
    faults: server.faults,
    messages: () => server.messages,
    handled: server.handled,
    serveStream: (stream) => server.serveStream(stream),
    stop: () => server.close(),
  };
}

/**
 * Serves instruments over VXI-11 from one host, as inst0, inst1, … in the order given (a LAN/GPIB gateway's
 * way). The host takes a loopback address of its own unless `host` is given; each instrument's `addresses` gains
 * its VXI-11 address. Stop the host before the instruments.
 */
export async function serveVxi11(
  instruments: readonly RunningSimulator[],
  options: { host?: string } = {},
): Promise<Vxi11SimHost> {
  const host = await Vxi11SimHost.start(instruments, options);
  for (const [i, resource] of host.resources.entries()) instruments[i]?.addresses.push(resource);
  return host;
}

/** Serves one instrument over HiSLIP as hislip0 on its own port; its `addresses` gains the HiSLIP address. */
export async function serveHislip(
  instrument: RunningSimulator,
  options: { host?: string; port?: number; overlapped?: boolean } = {},
): Promise<HislipSimServer> {
  const server = await HislipSimServer.start(instrument, {
    host: options.host ?? instrument.host,
    ...options,
  });
  instrument.addresses.push(server.resource);
  return server;
}

export interface Bench {
  instruments: RunningSimulator[];
  /** The wired loops (none when the bench is not wired): their operating points, for tests and tools. */
  loops: WiredLoop[];
  stop(): Promise<void>;
}

export const DEFAULT_BENCH: readonly SimModel[] = ['DP832', 'DL3021A', 'DS1104Z', '34461A'];

export interface BenchSpec {
  models?: readonly string[];
  count?: number;
  host?: string;
  /**
   * How the instruments are wired together: 'default' (DEFAULT_WIRING: supply CH1 → leads → load, the DMM across
   * the load, the scope on the supply output and the loop current), 'none' (independent instruments, each on its
   * simulated source as a lone startSimulator), or a Wiring of your own. Default: 'default' for the default bench
   * (no models and no count given), 'none' otherwise.
   */
  wiring?: Wiring | 'default' | 'none';
  /**
   * Also serve the instruments over VXI-11 (one host for all, inst0 … in order) and HiSLIP (one port each).
   * Default false.
   */
  lan?: boolean;
}

/**
 * Starts a bench of simulators, each on its own port. `models` defaults to one PSU, load, scope and DMM, wired
 * into one circuit; `count` (for benchmarks) repeats the model list until that many instruments run.
 */
export async function startBench(spec: BenchSpec = {}): Promise<Bench> {
  const models = spec.models ?? DEFAULT_BENCH;
  if (models.length === 0) throw new Error('a bench needs at least one model');
  const count = spec.count ?? models.length;
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startSimulator(models[i % models.length] as string, { host: spec.host }),
    ),
  );
  const instruments = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(instruments.map((instrument) => instrument.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const wiring = spec.wiring ?? (spec.models === undefined && spec.count === undefined ? 'default' : 'none');
  let loops: WiredLoop[] = [];
  try {
    if (wiring !== 'none') loops = applyWiring(instruments, wiring === 'default' ? DEFAULT_WIRING : wiring);
  } catch (error) {
    await stop();
    throw error;
  }
  if (!spec.lan) return { instruments, loops, stop };
  const servers: Array<{ close(): Promise<void> }> = [];
  const stopAll = async () => {
    await Promise.all(servers.map((server) => server.close()));
    await stop();
  };
  try {
    servers.push(await serveVxi11Gracefully(instruments, spec.host ?? '127.0.0.1'));
    for (const instrument of instruments) servers.push(await serveHislip(instrument));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { instruments, loops, stop: stopAll };
}

/**
 * VXI-11 on the bench's own address when its port 111 is free, else (a system rpcbind holds it) on a loopback
 * address of its own when the bench is on loopback; elsewhere the bench goes without VXI-11.
 */
async function serveVxi11Gracefully(
  instruments: RunningSimulator[],
  host: string,
): Promise<{ close(): Promise<void> }> {
  const taken = (error: unknown) =>
    ['EADDRINUSE', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '');
  try {
    return await serveVxi11(instruments, { host });
  } catch (error) {
    if (!taken(error)) throw error;
  }
  if (host.startsWith('127.') || host === 'localhost') return serveVxi11(instruments);
  return { close: async () => {} };
}

/** One line per instrument: model and every VISA address it answers at (socket, VXI-11, HiSLIP), for `lablink sim`. */
export function formatBench(bench: Bench): string {
  const width = Math.max(...bench.instruments.map((instrument) => instrument.model.length));
  const columns = bench.instruments.map((instrument) => instrument.addresses);
  const widths =
    columns[0]?.map((_, i) => Math.max(...columns.map((addresses) => addresses[i]?.length ?? 0))) ?? [];
  return bench.instruments
    .map((instrument) =>
      [
        instrument.model.padEnd(width),
        ...instrument.addresses.map((address, i) => address.padEnd(widths[i] ?? 0)),
      ]
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
