// Parsing and validation of messages against the schemas, with the protocol's error codes. The server uses
// `parseClientMessage` on every frame it receives; tests and clients use `validateServerMessage`.

import { Compile } from 'typebox/compile';
import { ERROR_CODES, type ErrorCode } from './const.js';
import { type ClientMessageMap, ClientMessages, type ServerMessage, ServerMessages } from './schemas.js';

type Validator = ReturnType<typeof Compile>;
const cache = new Map<object, Validator>();
function validator(schema: object): Validator {
  let compiled = cache.get(schema);
  if (!compiled) {
    compiled = Compile(schema as Parameters<typeof Compile>[0]);
    cache.set(schema, compiled);
  }
  return compiled;
}

/** A request the server refuses: becomes `{"type":"error","code","detail","field"?,"request_id"?}`. */
export class ProtocolError extends Error {
  /** The request's request_id, when it had a usable one. */
  requestId?: string | number;

  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly field?: string,
  ) {
    super(detail);
    this.name = 'ProtocolError';
  }
}

export type ParsedClientMessage = {
  [K in keyof ClientMessageMap]: ClientMessageMap[K];
}[keyof ClientMessageMap];

/** The request_id of a message that may be invalid, when it has a usable one (so even errors can echo it). */
export function requestIdOf(value: unknown): string | number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const id = (value as { request_id?: unknown }).request_id;
  return (typeof id === 'string' && id.length <= 128) || Number.isSafeInteger(id)
    ? (id as string | number)
    : undefined;
}

/**
 * Parses one text frame into a client message. Throws ProtocolError with invalid_json, unknown_type,
 * missing_field or invalid_field; `field` names the offending field.
 */
export function parseClientMessage(text: string): {
  message: ParsedClientMessage;
  requestId?: string | number;
} {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(ERROR_CODES.invalidJson, `not JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(ERROR_CODES.invalidJson, 'a message must be a JSON object with a "type"');
  }
  const requestId = requestIdOf(value);
  try {
    return { message: validateClientMessage(value), requestId };
  } catch (err) {
    if (err instanceof ProtocolError) err.requestId = requestId;
    throw err;
  }
}

function validateClientMessage(value: object): ParsedClientMessage {
  const type = (value as { type?: unknown }).type;
  if (type === undefined) throw new ProtocolError(ERROR_CODES.missingField, 'message has no "type"', 'type');
  if (typeof type !== 'string')
    throw new ProtocolError(ERROR_CODES.invalidField, '"type" must be a string', 'type');
  if (!Object.hasOwn(ClientMessages, type)) {
    throw new ProtocolError(
      ERROR_CODES.unknownType,
      `unknown message type "${type.slice(0, 64)}" (known: ${Object.keys(ClientMessages).join(', ')})`,
      'type',
    );
  }
  const schema = ClientMessages[type as keyof typeof ClientMessages];
  const check = validator(schema);
  if (!check.Check(value)) throw toProtocolError([...check.Errors(value)]);
  return value as ParsedClientMessage;
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** The first error, as a protocol error: a missing property first, then the innermost bad field. */
function toProtocolError(errors: SchemaError[]): ProtocolError {
  const required = errors.find((e) => e.keyword === 'required');
  if (required) {
    const missing = (required.params.requiredProperties as string[] | undefined)?.[0] ?? '?';
    const field = pathToField(`${required.instancePath}/${missing}`);
    return new ProtocolError(ERROR_CODES.missingField, `missing required field "${field}"`, field);
  }
  // The deepest instancePath is the most specific; anyOf/const pairs report the union as a whole.
  const first = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  const field = pathToField(first?.instancePath ?? '');
  const allowed = first?.params.allowedValues;
  const why = Array.isArray(allowed)
    ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
    : (first?.message ?? 'is invalid');
  return new ProtocolError(ERROR_CODES.invalidField, `field "${field}" ${why}`, field);
}

function pathToField(instancePath: string): string {
  return instancePath.replace(/^\//, '').replaceAll('/', '.');
}

/** Validates a message the server sent (after JSON.parse); returns the problems, empty when valid. */
export function validateServerMessage(value: unknown): string[] {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(ServerMessages, type)) {
    return [`unknown server message type ${JSON.stringify(type)}`];
  }
  const check = validator(ServerMessages[type as keyof typeof ServerMessages]);
  if (check.Check(value)) return [];
  return [...check.Errors(value)].map((e) => `${type}${e.instancePath || ''}: ${e.message}`);
}

export function isServerMessage(value: unknown): value is ServerMessage {
  return validateServerMessage(value).length === 0;
}
