// Shapes of the REST API's bodies. They are defined once, as schemas with their types, in @lablink/protocol/rest:
// the server's routes validate and document (/docs) with the same schemas. Readings and events keep the original
// LabLink's field names (reference §2.2). Type-only imports: no schema reaches a bundle through these.

import type { AcquireLockRequest, CommandResponse as CommandReply } from '@lablink/protocol/rest';

export type { StreamType } from '@lablink/protocol';
export type {
  AcquireLockResult,
  ApplyProfileResult,
  ChannelLimits,
  ChannelRating,
  CommandInfo,
  ConnectRequest,
  DiscoveredDevice,
  ElectronicLoadReadings,
  EmergencyStopStatus,
  EquipmentDetail,
  EquipmentInfo,
  EquipmentLimits,
  EquipmentState,
  EquipmentType,
  Health,
  LimitsUpdate,
  Lock,
  LockMode,
  LockStatus,
  MultimeterReadings,
  ParamSpec,
  PowerSupplyReadings,
  Profile,
  Readings,
  ReleaseLockResult,
  SafetyStatus,
  ScopeMeasurements,
  ServerInfo,
  SmuReadings,
  Waveform,
} from '@lablink/protocol/rest';

/** POST /api/equipment/{id}/command, with `data` as the caller expects it. */
export type CommandResponse<T = unknown> = Omit<CommandReply, 'data'> & { data: T };

/** The options of POST /api/locks/acquire: the client adds the instrument and its own session. */
export type LockRequest = Omit<AcquireLockRequest, 'equipment_id' | 'session_id' | 'username'>;
