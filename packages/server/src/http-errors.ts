// The HTTP edge of errors. One shape for every HTTP error: {"detail": "<what went wrong, in words>", "code":
// "<stable string>", "field"?: "<the offending field>", ...extra}. `detail` is what the original LabLink's clients
// already display. Domain code throws DomainError (errors.ts), which knows no status; HTTP_STATUS below gives each
// of its codes the status clients see, and the error handler answers with it.

import type { ErrorBody } from '@lablink/protocol/rest';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from './errors.js';

/** The HTTP status of each domain error code. Every code has one: a code missing here does not compile. */
export const HTTP_STATUS = {
  invalid_request: 400,
  invalid_field: 400,
  invalid_resource: 400,
  invalid_parameter: 400,
  unknown_command: 400,
  invalid_limits: 422,
  invalid_definition: 422,
  limit_exceeded: 422,
  not_found: 404,
  unknown_equipment: 404,
  unsupported: 501,
  unsupported_stream: 501,
  conflict: 409,
  locked: 409,
  emergency_stop_active: 409,
  ramp_superseded: 409,
  invalid_transition: 409,
  insufficient_data: 409,
  not_lock_owner: 403,
  raw_write_refused: 403,
  /** 421 Misdirected Request: the Host names another server (DNS rebinding). */
  host_not_allowed: 421,
  cross_origin_refused: 403,
  unauthenticated: 401,
  forbidden: 403,
  token_in_url: 400,
  rate_limited: 429,
  queue_full: 429,
  too_many_sessions: 429,
  not_connected: 503,
  instrument_error: 502,
  instrument_io: 502,
  instrument_timeout: 504,
  internal: 500,
} as const satisfies Record<DomainErrorCode, number>;

/** The status the HTTP edge answers a domain error with. */
export function httpStatus(error: DomainError): number {
  return HTTP_STATUS[error.code];
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      const body: ErrorBody = { ...error.extra, detail: error.detail, code: error.code };
      if (error.field) body.field = error.field;
      return reply.status(httpStatus(error)).send(body);
    }
    if (error.validation) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'body';
      // A body (or query) that is not an object at all is named as a whole: `field` is always there.
      const field = fieldName(first?.instancePath, first?.params) || where;
      return reply.status(400).send({
        detail: `${where}${field !== where ? `.${field}` : ''} ${first?.message ?? 'is invalid'}`,
        code: 'invalid_request',
        field,
      } satisfies ErrorBody);
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply
        .status(error.statusCode)
        .send({ detail: error.message, code: error.code ?? 'bad_request' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send({ detail: error.message || 'internal error', code: 'internal' } satisfies ErrorBody);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ detail: `no route ${request.method} ${request.url}`, code: 'not_found' } satisfies ErrorBody);
  });
}

/**
 * Fastify's `frameworkErrors` option: the errors its router raises before any route runs (a path parameter over
 * the router's 100 characters, a malformed %-escape in the path) get the same error body as every other error,
 * with `field: "path"`, instead of Fastify's own {"error","message"}.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 400;
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment is longer than 100 characters (no id or name is that long)'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'the path is not a valid URL: a % escape is malformed or is not UTF-8'
        : error.message;
  reply.status(status).send({
    detail,
    code: status < 500 ? 'invalid_request' : 'internal',
    ...(status < 500 ? { field: 'path' } : {}),
  } satisfies ErrorBody);
}

function fieldName(instancePath: string | undefined, params: Record<string, unknown> | undefined): string {
  const base = (instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const missing = params?.missingProperty ?? params?.additionalProperty;
  if (typeof missing === 'string') return base ? `${base}.${missing}` : missing;
  return base;
}
