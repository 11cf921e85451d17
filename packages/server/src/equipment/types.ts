// What the equipment service offers the rest of the server (routes, the WebSocket gateway, pollers, locks,
// profiles, alarms, the scheduler). Shapes on the wire follow the original LabLink (reference §2.2).

import type { ConnectionType, EquipmentType, ModelInfo } from '@lablink/instruments';
import type { EVENT_TYPES, StreamType } from '@lablink/protocol';
import type { EquipmentState } from '@lablink/protocol/rest';

/** What a client may stream from an instrument (defined by the protocol). */
export type { StreamType } from '@lablink/protocol';
/**
 * Lifecycle of a managed instrument as users see it (defined by the protocol). 'connected' only while it answers;
 * 'not_responding' while its link opens but it does not answer (a hung instrument); 'reconnecting' while the link
 * cannot be opened.
 */
export type { EquipmentState };

/** The original's EquipmentInfo (GET /api/equipment/list), plus live state. */
export interface EquipmentInfo {
  id: string;
  type: EquipmentType;
  manufacturer: string;
  model: string;
  serial_number: string | null;
  connection_type: ConnectionType;
  resource_string: string;
  nickname: string | null;
}

/**
 * Who asks for a command, so locks, safety and the audit trail know. Every caller of EquipmentService.execute and
 * the command path (equipment/commands.ts) passes one: REST routes, WebSocket handlers, profiles, scheduler jobs,
 * the MQTT bridge; the server itself (the readings pipeline's queries) as `system`.
 */
export interface CommandContext {
  /** Where the command came from. */
  source: 'rest' | 'ws' | 'scheduler' | 'profile' | 'mqtt' | 'system';
  /** The lock session the caller acts for; undefined for anonymous callers. */
  sessionId?: string;
  /** The signed-in user the caller acts for; undefined until there is authentication, and for `system`. */
  user?: string;
}

export interface EquipmentView {
  info: EquipmentInfo;
  state: EquipmentState;
  /** Why the instrument is in `error`/`reconnecting`/`not_responding`; null otherwise. */
  error: string | null;
  model: ModelInfo | null;
  firmware_version: string | null;
  /** Stream types this instrument can serve. */
  stream_types: StreamType[];
}

/** Equipment events by name (the protocol lists them), published on the bus topic `equipment`. */
export const EQUIPMENT_EVENTS = {
  connected: 'equipment_connected',
  disconnected: 'equipment_disconnected',
  /** State changed: error, reconnecting, not_responding, connected again. data: {equipment_id, state, error}. */
  state: 'equipment_state',
  emergencyStopActivated: 'emergency_stop_activated',
  emergencyStopDeactivated: 'emergency_stop_deactivated',
  lockAcquired: 'lock_acquired',
  lockReleased: 'lock_released',
  lockExpired: 'lock_expired',
} as const satisfies Record<string, (typeof EVENT_TYPES.equipment)[number]>;
