// Request validation. Bodies are strict: a string where a number belongs is a 400, never coerced (so "5;*RST"
// cannot become a setpoint). Query strings and path parameters are text by nature and are coerced to their
// declared types.

import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
    // NaN and ±Infinity (JSON's 1e309 parses as Infinity) are never numbers here.
    strictNumbers: true,
  });
  addFormats.default(ajv);
  return ajv;
}

export function installValidators(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
