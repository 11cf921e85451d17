// One shape for every HTTP error: {"detail": "<what went wrong, in words>", "code": "<stable string>",
// "field"?: "<the offending field>"}. `detail` is what the original LabLink's clients already display.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const badRequest = (field: string, message: string) =>
  new HttpError(400, 'invalid_request', message, field);

export interface ErrorBody {
  detail: string;
  code: string;
  field?: string;
  [extra: string]: unknown;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      const body: ErrorBody = { ...error.extra, detail: error.message, code: error.code };
      if (error.field) body.field = error.field;
      return reply.status(error.statusCode).send(body);
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
