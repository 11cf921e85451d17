// Schemas shared by every route: the one error body (src/http-errors.ts) for each error status.

import { Type } from '@fastify/type-provider-typebox';

export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: 'What went wrong, in words' }),
    code: Type.String({ description: 'A stable machine-readable code' }),
    field: Type.Optional(Type.String({ description: 'The offending request field' })),
  },
  { additionalProperties: true },
);

export const ErrorResponses = {
  400: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  501: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};
