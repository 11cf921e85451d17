// The panels of the app, in navigation order. A panel may show a badge beside its name in the navigation
// (Alarms: the count of unacknowledged alarms; Scheduler: the jobs running now), visible from every panel. Admin
// is shown to admins only (the server refuses its requests to anyone else anyway).

import type { ComponentType } from 'react';
import { type Role, roleAtLeast } from '../lib/auth';
import { AcquisitionPanel } from './acquisition/AcquisitionPanel';
import { AdminPanel } from './admin/AdminPanel';
import { AlarmsPanel } from './alarms/AlarmsPanel';
import { AlarmBadge } from './alarms/AlarmsProvider';
import { BenchesPanel } from './benches/BenchesPanel';
import { EquipmentPanel } from './equipment/EquipmentPanel';
import { SchedulerBadge } from './scheduler/SchedulerBadge';
import { SchedulerPanel } from './scheduler/SchedulerPanel';

export interface PanelProps {
  /** The route below the panel's own segment, e.g. ["ps_1a2b3c4d"] for #/equipment/ps_1a2b3c4d. */
  path: string[];
}

export interface PanelDefinition {
  id: string;
  title: string;
  Component: ComponentType<PanelProps>;
  /** Shown beside the title in the navigation. */
  Badge?: ComponentType;
  /** The least role that sees the panel at all (everyone when absent). */
  role?: Role;
  /** Shown only on a hub (`lablink hub`), where there are benches to show. */
  hubOnly?: boolean;
}

export const PANELS: readonly PanelDefinition[] = [
  { id: 'equipment', title: 'Equipment', Component: EquipmentPanel },
  { id: 'acquisition', title: 'Acquisition', Component: AcquisitionPanel },
  { id: 'alarms', title: 'Alarms', Component: AlarmsPanel, Badge: AlarmBadge },
  { id: 'scheduler', title: 'Scheduler', Component: SchedulerPanel, Badge: SchedulerBadge },
  // A hub's view of every bench on the MQTT broker (docs/mqtt.md).
  { id: 'benches', title: 'Benches', Component: BenchesPanel, hubOnly: true },
  { id: 'admin', title: 'Admin', Component: AdminPanel, role: 'admin' },
];

/** The panels `role` sees on this server (`hub`: it is a hub), in navigation order. */
export function visiblePanels(role: Role | null, hub = false): readonly PanelDefinition[] {
  return PANELS.filter((p) => (!p.role || roleAtLeast(role, p.role)) && (!p.hubOnly || hub));
}
