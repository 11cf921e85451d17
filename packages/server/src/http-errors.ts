// One shape for every HTTP error: {"detail": "<what went wrong, in words>", "code": "<stable string>",
// "field"?: "<the offending field>"}. `detail` is what the original LabLink's clients already display.

import type { FastifyError, FastifyInstance } from 'fastify';

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

function fieldName(instancePath: string | undefined, params: Record<string, unknown> | undefined): string {
  const base = (instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const missing = params?.missingProperty ?? params?.additionalProperty;
  if (typeof missing === 'string') return base ? `${base}.${missing}` : missing;
  return base;
}
