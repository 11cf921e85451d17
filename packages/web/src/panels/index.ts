// The panels of the app, in navigation order. Acquisition, Alarms and the Scheduler each become one more entry
// when they exist; nothing is listed before it works.

import type { ComponentType } from 'react';
import { EquipmentPanel } from './equipment/EquipmentPanel';

export interface PanelProps {
  /** The route below the panel's own segment, e.g. ["ps_1a2b3c4d"] for #/equipment/ps_1a2b3c4d. */
  path: string[];
}

export interface PanelDefinition {
  id: string;
  title: string;
  Component: ComponentType<PanelProps>;
}

export const PANELS: readonly PanelDefinition[] = [
  { id: 'equipment', title: 'Equipment', Component: EquipmentPanel },
];
