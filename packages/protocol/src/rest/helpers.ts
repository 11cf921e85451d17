// Schema helpers shared by the REST modules. Internal: rest/index.ts does not re-export this file.

import { type TSchema, Type } from 'typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
