// Any SCPI instrument LabLink has no driver for: identity from *IDN? and the raw passthrough, nothing else.

import type { DriverDefinition } from './table.js';

export const genericScpi: DriverDefinition = {
  info: {
    type: 'generic',
    manufacturer: 'unknown',
    model: 'generic SCPI',
    channels: 0,
    ratings: [],
    capabilities: {},
  },
  protocol: 'scpi',
  readingKinds: [],
  commands: {},
  // Without knowing the instrument there is nothing safe to send.
  safeState: async () => {},
};
