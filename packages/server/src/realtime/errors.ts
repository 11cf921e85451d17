// The WebSocket edge of domain errors: a DomainError (src/errors.ts) a request runs into becomes an `error` reply
// whose code is one of the protocol's ERROR_CODES. Only codes a WebSocket request can meet are mapped; a domain
// error with no WebSocket code is answered as internal_error (and logged), since no client could act on it.

import { ERROR_CODES, type ErrorCode } from '@lablink/protocol';
import type { DomainError, DomainErrorCode } from '../errors.js';

/** The WebSocket error code of each domain error code a WebSocket request can meet (today: stream claims). */
export const WS_ERROR_CODES = {
  unknown_equipment: ERROR_CODES.unknownEquipment,
  unsupported_stream: ERROR_CODES.unsupportedStream,
  invalid_field: ERROR_CODES.invalidField,
  invalid_request: ERROR_CODES.invalidField,
  not_connected: ERROR_CODES.notConnected,
  internal: ERROR_CODES.internal,
} as const satisfies Partial<Record<DomainErrorCode, ErrorCode>>;

/** The WebSocket error code of a domain error; undefined when a WebSocket client has no code for it. */
export function wsErrorCode(error: DomainError): ErrorCode | undefined {
  return (WS_ERROR_CODES as Partial<Record<DomainErrorCode, ErrorCode>>)[error.code];
}
