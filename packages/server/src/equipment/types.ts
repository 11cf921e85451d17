// What the equipment service offers the rest of the server (routes, the WebSocket gateway, pollers, locks,
// profiles, alarms, the scheduler). Shapes on the wire follow the original LabLink (reference §2.2).

import type { ModelInfo } from '@lablink/instruments';
import type { EquipmentInfo, EquipmentState, StreamType } from '@lablink/protocol';

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
