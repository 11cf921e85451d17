// Rigol DL3021 / DL3021A electronic loads (DL3000 Programming Guide): 150 V / 40 A / 200 W, CR 0.08 Ω to 15 kΩ.
// The function keywords are CURR, VOLT, RES and POW; the original sent CC/CV/CR/CP, which the instrument rejects
// (reference §2.4).

import { scpiElectronicLoad } from './load.js';

const dl3000 = (model: 'DL3021' | 'DL3021A') =>
  scpiElectronicLoad({
    manufacturer: 'Rigol',
    model,
    rating: [150, 40, 200],
    resistance: [0.08, 15_000],
    compound: true,
  });

export const rigolDL3021 = dl3000('DL3021');
export const rigolDL3021A = dl3000('DL3021A');
