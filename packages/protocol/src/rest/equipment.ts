// Equipment routes (/api/equipment/…): the list, one instrument's detail and status, connect and disconnect,
// commands and raw SCPI, readings, discovery, and the commands an instrument offers with their parameters.

import { type Static, Type } from 'typebox';
import type { StreamType } from '../const.js';
import {
  EQUIPMENT_STATES,
  EQUIPMENT_TYPES,
  EquipmentInfo,
  type EquipmentState,
  type EquipmentType,
} from '../payloads.js';
import { MAX_KEY_LENGTH, MAX_PARAMETERS } from './common.js';
import { Nullable } from './helpers.js';
import type { ChannelLimits } from './safety.js';

export const EquipmentIdParams = Type.Object({ equipment_id: Type.String({ minLength: 1, maxLength: 64 }) });

// EquipmentInfo (an item of GET /api/equipment/list): payloads.ts.

/** GET /api/equipment/list */
export const EquipmentList = Type.Array(EquipmentInfo);

/** Ratings of one output channel (PSU) or of the input (load): the ceiling any limit may lower. */
export const ChannelRating = Type.Object({
  channel: Type.Integer(),
  max_voltage: Type.Number(),
  max_current: Type.Number(),
  max_power: Type.Number(),
});
export type ChannelRating = Static<typeof ChannelRating>;

/** GET /api/equipment/{id}: the info plus live state. */
export const EquipmentDetail = Type.Object({
  ...EquipmentInfo.properties,
  state: Type.Unsafe<EquipmentState>(Type.String({ description: EQUIPMENT_STATES.join(' | ') })),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the instrument is in error, reconnecting or not responding',
  }),
  firmware_version: Type.Union([Type.String(), Type.Null()]),
  channels: Type.Integer(),
  ratings: Type.Unsafe<ChannelRating[]>(Type.Array(Type.Record(Type.String(), Type.Number()))),
  capabilities: Type.Record(Type.String(), Type.Unknown()),
  /** What `realtime.stream()` can ask of this instrument. */
  stream_types: Type.Unsafe<StreamType[]>(Type.Array(Type.String())),
  last_settings: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'The last value of each setting the instrument took (e.g. set_voltage@1), kept across restarts',
  }),
});
export type EquipmentDetail = Static<typeof EquipmentDetail>;

/** GET and PATCH /api/equipment/{id} */
export const EquipmentResponse = Type.Object({ equipment: EquipmentDetail });
export type EquipmentResponse = Static<typeof EquipmentResponse>;

/** POST /api/equipment/connect */
export const ConnectRequest = Type.Object(
  {
    resource_string: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'VISA resource, e.g. TCPIP0::192.168.1.50::5025::SOCKET or ASRL/dev/ttyUSB0::INSTR',
    }),
    equipment_type: Type.Optional(
      Type.Union([Type.Null(), Type.Unsafe<EquipmentType>(Type.String({ enum: [...EQUIPMENT_TYPES] }))]),
    ),
    model: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.String({ maxLength: 64, description: 'Needed for BK 1685B/1902B (no *IDN?)' }),
      ]),
    ),
    nickname: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
  },
  { additionalProperties: false },
);
export type ConnectRequest = Static<typeof ConnectRequest>;

export const ConnectResult = Type.Object({
  equipment_id: Type.String(),
  status: Type.String(),
  equipment: EquipmentDetail,
});
export type ConnectResult = Static<typeof ConnectResult>;

/** POST /api/equipment/disconnect/{id} */
export const DisconnectQuery = Type.Object({ session_id: Type.Optional(Type.String({ maxLength: 100 })) });
export const DisconnectResult = Type.Object({
  equipment_id: Type.String(),
  status: Type.Literal('disconnected'),
});
export type DisconnectResult = Static<typeof DisconnectResult>;

/** PATCH /api/equipment/{id} */
export const NicknameRequest = Type.Object(
  { nickname: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]) },
  { additionalProperties: false },
);
export type NicknameRequest = Static<typeof NicknameRequest>;

/** GET /api/equipment/{id}/status: connection state, firmware, capabilities and I/O statistics. */
export const EquipmentStatus = Type.Record(Type.String(), Type.Unknown());
export type EquipmentStatus = Static<typeof EquipmentStatus>;

/** POST /api/equipment/{id}/command (the original's Command). */
export const CommandRequest = Type.Object({
  command_id: Type.Optional(Type.String({ maxLength: 100 })),
  equipment_id: Type.Optional(
    Type.String({ maxLength: 64, description: 'Ignored: the path names the instrument' }),
  ),
  action: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'set_voltage, set_output, get_readings, get_waveform …',
  }),
  parameters: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      maxProperties: MAX_PARAMETERS,
      propertyNames: { maxLength: MAX_KEY_LENGTH },
      description: 'The command’s parameters (GET /api/equipment/{id}/commands lists them with their ranges)',
    }),
  ),
  session_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  timestamp: Type.Optional(Type.Unknown()),
});
export type CommandRequest = Static<typeof CommandRequest>;

export const CommandResponse = Type.Object({
  command_id: Type.String(),
  success: Type.Boolean(),
  data: Type.Unknown(),
  error: Type.Null(),
  /** Server time of the reply. */
  timestamp: Type.String(),
});
export type CommandResponse = Static<typeof CommandResponse>;

/** POST /api/equipment/{id}/scpi */
export const ScpiRequest = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: 512 }),
    session_id: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type ScpiRequest = Static<typeof ScpiRequest>;

export const ScpiResult = Type.Object({
  command: Type.String(),
  reply: Type.Union([Type.String(), Type.Null()]),
});
export type ScpiResult = Static<typeof ScpiResult>;

/** GET /api/equipment/{id}/commands */
export const EquipmentCommands = Type.Object({
  commands: Type.Array(Type.Unknown({ description: 'CommandInfo: name, description, params, control' })),
  limits: Type.Unsafe<ChannelLimits[]>(
    Type.Array(Type.Unknown(), { description: 'Safety limits in force per channel' }),
  ),
});

/** GET /api/equipment/{id}/readings */
export const ReadingsQuery = Type.Object({
  channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
});
export const ReadingsResponse = Type.Unknown({
  description:
    'A power supply, electronic load or multimeter reading (PowerSupplyData, ElectronicLoadData or MultimeterData)',
});

/** An item of POST /api/equipment/discover. */
export const DiscoveredDevice = Type.Object({
  device_id: Type.String(),
  resource_name: Type.String(),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  serial_number: Nullable(Type.String()),
  firmware_version: Nullable(Type.String()),
  discovery_method: Type.Union([
    Type.Literal('simulated'),
    Type.Literal('config'),
    Type.Literal('mdns'),
    Type.Literal('vxi11'),
    Type.Literal('usbtmc'),
    Type.Literal('serial'),
  ]),
  /** The name the instrument announced (mDNS), or null. */
  friendly_name: Nullable(Type.String()),
  discovered_at: Type.String(),
  is_connected: Type.Boolean(),
  /** The id it has when already connected. */
  equipment_id: Nullable(Type.String()),
  status: Type.Union([
    Type.Literal('available'),
    Type.Literal('connected'),
    Type.Literal('unreachable'),
    Type.Literal('unprobed'),
  ]),
  error: Nullable(Type.String()),
  response_time_ms: Nullable(Type.Number()),
});
export type DiscoveredDevice = Static<typeof DiscoveredDevice>;

/** POST /api/equipment/discover?broadcast=… */
export const DiscoverQuery = Type.Object({
  /**
   * Where to send the VXI-11 broadcast: IPv4 broadcast addresses or network interface names, comma-separated.
   * Default: the server's setting (every IPv4 interface unless configured).
   */
  broadcast: Type.Optional(Type.String({ maxLength: 500 })),
});
export type DiscoverQuery = Static<typeof DiscoverQuery>;

export const DiscoverResult = Type.Object({
  devices: Type.Array(Type.Unsafe<DiscoveredDevice>(Type.Unknown({ description: 'DiscoveredDevice' }))),
});
export type DiscoverResult = Static<typeof DiscoverResult>;

// ------------------------------------------------------------- instrument data (readings, command results)
// The bodies of GET /api/equipment/{id}/readings and of command results (data of POST …/command) are the readings
// of stream_data: PowerSupplyReadings, ElectronicLoadReadings, MultimeterReadings (Readings), ScopeMeasurements and
// Waveform, defined in payloads.ts and re-exported above.

export const ParamSpec = Type.Union([
  Type.Object({
    type: Type.Literal('number'),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Number()),
    /** Words accepted instead of a number, e.g. AUTO for a multimeter range. */
    keywords: Type.Optional(Type.Array(Type.String())),
  }),
  Type.Object({
    type: Type.Literal('integer'),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Number()),
  }),
  Type.Object({
    type: Type.Literal('boolean'),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    type: Type.Literal('enum'),
    values: Type.Array(Type.String()),
    optional: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.String()),
  }),
]);
export type ParamSpec = Static<typeof ParamSpec>;

/** An item of GET /api/equipment/{id}/commands. */
export const CommandInfo = Type.Object({
  name: Type.String(),
  description: Type.String(),
  params: Type.Record(Type.String(), ParamSpec),
  /** Changes the instrument: needs the lock, passes the safety limits, refused by the e-stop if it enables. */
  control: Type.Boolean(),
});
export type CommandInfo = Static<typeof CommandInfo>;
