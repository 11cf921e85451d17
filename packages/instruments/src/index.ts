// @lablink/instruments: VISA resources, SCPI sessions, declarative drivers and connectInstrument().
// The simulated bench has its own entry point, @lablink/instruments/sim.

export * from './connect.js';
export * from './driver.js';
export * from './drivers/index.js';
export * from './errors.js';
export * from './session.js';
export type { MessageTransport, SerialOptions, UsbtmcOptions } from './transport/index.js';
export { listUsbtmc, type UsbtmcDevice, udevRule, usbtmcResource } from './transport/usbtmc.js';
export { findVxi11Hosts } from './transport/vxi11.js';
export * from './types.js';
export * from './visa.js';
