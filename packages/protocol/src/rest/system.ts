// System routes: GET /health and GET /api.

import { type Static, Type } from 'typebox';

/** GET /health */
export const Health = Type.Object({
  status: Type.Literal('healthy'),
  connected_devices: Type.Integer({ minimum: 0, description: 'Instruments connected right now' }),
});
export type Health = Static<typeof Health>;

/** GET /api */
export const ServerInfo = Type.Object({
  name: Type.String(),
  version: Type.String(),
  hostname: Type.String(),
  status: Type.Literal('running'),
  security_enabled: Type.Boolean(),
});
export type ServerInfo = Static<typeof ServerInfo>;
