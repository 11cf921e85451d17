// The error responses every route documents: the one error body (src/http-errors.ts, defined in
// @lablink/protocol/rest) for each error status.

import { ErrorBody } from '@lablink/protocol/rest';

export const ErrorResponses = {
  400: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  501: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};
