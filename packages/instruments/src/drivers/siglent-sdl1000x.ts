// Siglent SDL1000X electronic loads (SDL1000X programming guide): the same SCPI as Rigol's DL3000 for everything
// LabLink drives (:SOUR:FUNC CURR, :SOUR:CURR:LEV:IMM, :SOUR:INP:STAT, :MEAS:VOLT?). SDL1020X(-E) 150 V / 30 A /
// 200 W, SDL1030X(-E) 300 W; CR 0.03 Ω to 10 kΩ.

import { scpiElectronicLoad } from './load.js';

const sdl = (model: string, watts: number) =>
  scpiElectronicLoad({
    manufacturer: 'Siglent',
    model,
    rating: [150, 30, watts],
    resistance: [0.03, 10_000],
    capabilities: { interfaces: ['LAN', 'USB'] },
  });

export const siglentSDL1020X = sdl('SDL1020X', 200);
export const siglentSDL1020XE = sdl('SDL1020X-E', 200);
export const siglentSDL1030X = sdl('SDL1030X', 300);
export const siglentSDL1030XE = sdl('SDL1030X-E', 300);
