// Shapes the instrument panels read: the SDK's, which follow the server's wire format (the original LabLink's
// field names, reference §2.2).

import type { ChannelRating, EquipmentDetail } from '@lablink/client';

export type {
  ChannelLimits,
  ElectronicLoadReadings,
  MultimeterReadings,
  PowerSupplyReadings,
  ScopeMeasurements,
  SmuReadings,
  Waveform,
} from '@lablink/client';

export type Equipment = EquipmentDetail;
export type LoadMode = 'CC' | 'CV' | 'CR' | 'CP';

export function ratingOf(equipment: Equipment, channel: number): ChannelRating | undefined {
  return equipment.ratings.find((r) => r.channel === channel);
}

/** What a control panel gets: the instrument and whether it can be commanded right now. */
export interface ControlProps {
  equipment: Equipment;
  /** Connected and the server reachable: streams run and readings are current. */
  online: boolean;
  /**
   * The controls may be used: online, and the signed-in role may control (lib/freshness controlsBlocked, which
   * says why not). A viewer watches the streams of an online instrument with every control disabled.
   */
  controls: boolean;
}
