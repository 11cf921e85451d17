// Which control panel each instrument type gets. A new type is one more entry.

import type { ComponentType } from 'react';
import { ElectronicLoadControl } from './ElectronicLoad';
import { MultimeterControl } from './Multimeter';
import { OscilloscopeControl } from './Oscilloscope';
import { PowerSupplyControl } from './PowerSupply';
import { SmuControl } from './Smu';
import type { ControlProps } from './types';

export const CONTROL_PANELS: Record<string, { title: string; Control: ComponentType<ControlProps> }> = {
  power_supply: { title: 'Power supply', Control: PowerSupplyControl },
  electronic_load: { title: 'Electronic load', Control: ElectronicLoadControl },
  oscilloscope: { title: 'Oscilloscope', Control: OscilloscopeControl },
  multimeter: { title: 'Multimeter', Control: MultimeterControl },
  smu: { title: 'Source-measure unit', Control: SmuControl },
};
