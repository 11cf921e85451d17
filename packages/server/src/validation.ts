// Request validation. Bodies are strict: a string where a number belongs is a 400, never coerced (so "5;*RST"
// cannot become a setpoint). Query strings and path parameters are text by nature and are coerced to their
// declared types. Every number in a request is finite, wherever it is (a command's parameters included): JSON's
// 1e309 parses as Infinity and "Infinity" coerces to it, and either is a 400 naming the field.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    // Not strictNumbers: with coercion it lets "?limit=Infinity" past `maximum`. withFiniteNumbers does that job.
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/** The JSON pointer of the first number in `data` that is not finite, if any (iterative: nesting is unbounded). */
export function nonFinitePath(data: unknown): string | undefined {
  const stack: [unknown, string][] = [[data, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return path;
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) stack.push([item, `${path}/${key}`]);
    }
  }
  return undefined;
}

/**
 * Ajv's validator, then a finite-number check of what it let through (and coerced). The validator is compiled on
 * the route's first request, not at start: compiling every route's schemas up front was most of the start-up time
 * (docs/performance.md).
 */
function withFiniteNumbers(compile: () => ValidateFunction): ValidateFunction {
  let validate: ValidateFunction | undefined;
  const check = ((data: unknown) => {
    validate ??= compile();
    if (!validate(data)) {
      check.errors = validate.errors;
      return false;
    }
    const path = nonFinitePath(data);
    if (path === undefined) {
      check.errors = null;
      return true;
    }
    const error: ErrorObject = {
      keyword: 'finite',
      instancePath: path,
      schemaPath: '#',
      params: {},
      message: 'must be a finite number',
    };
    check.errors = [error];
    return false;
  }) as ValidateFunction;
  return check;
}

export function installValidators(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }) =>
    withFiniteNumbers(() => (httpPart === 'body' ? strict : coercing).compile(schema as object)),
  );
}
