// Domain errors are transport-neutral; the HTTP edge (http-errors.ts) and the WebSocket edge (realtime/errors.ts)
// turn their codes into statuses and protocol codes. Every code a DomainError can carry is typed
// (DomainErrorCode), and HTTP_STATUS must name each one (`satisfies Record<DomainErrorCode, number>`), so a code
// without a status does not compile; these tests check the table's values and that HTTP stays at the edge.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODES } from '@lablink/protocol';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { DOMAIN_ERRORS, DomainError, type DomainErrorCode } from '../src/errors.js';
import { HTTP_STATUS, httpStatus, installErrorHandler } from '../src/http-errors.js';
import { REFUSAL_CODES } from '../src/http-guard.js';
import { WS_ERROR_CODES } from '../src/realtime/errors.js';

const SRC = join(import.meta.dirname, '../src');
const codes = Object.keys(DOMAIN_ERRORS) as DomainErrorCode[];

function sources(dir = SRC): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts')
      ? [{ path: relative(SRC, path), text: readFileSync(path, 'utf8') }]
      : [];
  });
}

describe('the code → HTTP status table', () => {
  it('gives every domain error code an error status, and names no other code', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const status = HTTP_STATUS[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(httpStatus(new DomainError(code, 'x')), code).toBe(status);
    }
  });

  it('keeps the statuses clients saw before domain errors were neutral', () => {
    expect(HTTP_STATUS).toMatchObject({
      invalid_request: 400,
      invalid_resource: 400,
      invalid_parameter: 400,
      unknown_command: 400,
      invalid_limits: 422,
      limit_exceeded: 422,
      not_found: 404,
      unsupported: 501,
      conflict: 409,
      locked: 409,
      emergency_stop_active: 409,
      ramp_superseded: 409,
      not_lock_owner: 403,
      raw_write_refused: 403,
      host_not_allowed: 421,
      cross_origin_refused: 403,
      queue_full: 429,
      too_many_sessions: 429,
      not_connected: 503,
      instrument_error: 502,
      instrument_io: 502,
      instrument_timeout: 504,
      internal: 500,
    });
  });

  it('answers 400 or 422 for exactly the codes of kind `invalid` (a profile names its setting for those)', () => {
    for (const code of codes) {
      expect([400, 422].includes(HTTP_STATUS[code]), code).toBe(DOMAIN_ERRORS[code] === 'invalid');
    }
  });

  it('has every code the source throws: DomainError literals and the request guard', () => {
    const thrown = new Set<string>(Object.values(REFUSAL_CODES));
    for (const { text } of sources()) {
      for (const m of text.matchAll(/new DomainError\(\s*'([a-z_]+)'/g)) thrown.add(m[1] as string);
    }
    expect(thrown.size).toBeGreaterThan(15);
    for (const code of thrown) expect(codes, code).toContain(code);
  });
});

describe('domain code stays transport-neutral', () => {
  it('only the HTTP edge imports http-errors.ts, and no server module outside realtime/ throws ProtocolError', () => {
    const edge = new Set(['app.ts', 'http-errors.ts', 'http-guard.ts']);
    for (const { path, text } of sources()) {
      if (!edge.has(path)) expect(text, path).not.toMatch(/from '\.{1,2}\/(\.\.\/)*http-errors\.js'/);
      if (!path.startsWith('realtime/')) expect(text, path).not.toMatch(/new ProtocolError\(/);
    }
  });

  it('a DomainError carries no status; the HTTP edge gives it one', () => {
    const err = new DomainError('locked', 'Equipment psu is locked by session s1', undefined, {
      locked_by: 's1',
    });
    expect(Object.keys(err)).not.toContain('statusCode');
    expect(err.detail).toBe(err.message);
    expect(err.kind).toBe('conflict');
    expect(httpStatus(err)).toBe(409);
  });

  it('the Fastify error handler answers a DomainError with its status and the one error body', async () => {
    const app = Fastify();
    installErrorHandler(app);
    app.get('/limit', async () => {
      throw new DomainError('limit_exceeded', 'voltage 40 exceeds the limit', 'voltage', {
        limit: 'max_voltage',
        limit_value: 30,
        attempted: 40,
        channel: 1,
      });
    });
    app.get('/busy', async () => {
      throw new DomainError('queue_full', 'try again later');
    });
    try {
      const limit = await app.inject({ url: '/limit' });
      expect(limit.statusCode).toBe(422);
      expect(limit.json()).toEqual({
        detail: 'voltage 40 exceeds the limit',
        code: 'limit_exceeded',
        field: 'voltage',
        limit: 'max_voltage',
        limit_value: 30,
        attempted: 40,
        channel: 1,
      });
      const busy = await app.inject({ url: '/busy' });
      expect([busy.statusCode, busy.json()]).toEqual([
        429,
        { detail: 'try again later', code: 'queue_full' },
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('the code → WebSocket error code table', () => {
  it('maps only to protocol error codes', () => {
    const protocolCodes = new Set<string>(Object.values(ERROR_CODES));
    for (const [code, wsCode] of Object.entries(WS_ERROR_CODES)) {
      expect(codes, code).toContain(code);
      expect(protocolCodes.has(wsCode), code).toBe(true);
    }
  });

  it('keeps the codes a refused stream claim had on the wire', () => {
    expect(WS_ERROR_CODES).toMatchObject({
      unknown_equipment: ERROR_CODES.unknownEquipment,
      unsupported_stream: ERROR_CODES.unsupportedStream,
      invalid_field: ERROR_CODES.invalidField,
      not_connected: ERROR_CODES.notConnected,
    });
  });
});
