// Parsing and validation of messages against the schemas, with the protocol's error codes. The server uses
// `parseClientMessage` on every frame it receives; tests and clients use `validateServerMessage`, which checks
// payloads too (each event type's and each reading kind's schema, payloads.ts), and `validateEventPayload` /
// `validateReading` for a payload on its own.

import { Compile } from 'typebox/compile';
import {
  BATCH_TYPE,
  ERROR_CODES,
  type ErrorCode,
  type EventType,
  isEventType,
  STREAM_TYPES,
  type StreamType,
} from './const.js';
import { AcquisitionBlock, EventPayloads, ReadingPayloads, Readings } from './payloads.js';
import { type ClientMessageMap, ClientMessages, ServerMessages, StreamDataMessages } from './schemas.js';

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

type Problem = { instancePath: string; message: string };

/** Problems of `value` against `schema`, each as "<label><path>: <message>"; empty when valid. */
function problems(schema: object, value: unknown, label: string): string[] {
  const check = validator(schema);
  if (check.Check(value)) return [];
  return [...(check.Errors(value) as Iterable<Problem>)].map(
    (e) => `${label}${e.instancePath || ''}: ${e.message}`,
  );
}

/** For a union: the problems of the alternative that comes closest (fewest problems), so they name real fields. */
function closest(alternatives: readonly object[], value: unknown, label: string): string[] {
  let best: string[] | undefined;
  for (const schema of alternatives) {
    const found = problems(schema, value, label);
    if (found.length === 0) return [];
    if (!best || found.length < best.length) best = found;
  }
  return best ?? [];
}

/**
 * A binary frame's JSON header has its sample arrays moved out of `data` and described in `binary`: an empty
 * array stands in at each described path, so the header validates against the message's schema, payload included.
 */
function withArraysRestored(message: Record<string, unknown>): Record<string, unknown> {
  const binary = message.binary;
  const data = message.data;
  if (!Array.isArray(binary) || !data || typeof data !== 'object') return message;
  const restored = structuredClone(data) as Record<string, unknown>;
  for (const entry of binary as { path?: unknown }[]) {
    const path = entry?.path;
    if (!Array.isArray(path) || path.length === 0 || !path.every((k) => typeof k === 'string')) continue;
    let target = restored;
    for (const key of path.slice(0, -1) as string[]) {
      const next = target[key];
      if (!next || typeof next !== 'object') target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path.at(-1) as string] ??= [];
  }
  return { ...message, data: restored };
}

const READING_ALTERNATIVES = Readings.anyOf as readonly object[];

function streamDataProblems(message: Record<string, unknown>, label: string): string[] {
  const kind = message.stream_type;
  if (typeof kind !== 'string' || !(STREAM_TYPES as readonly string[]).includes(kind)) {
    return [`${label}/stream_type: must be one of ${STREAM_TYPES.join(', ')}`];
  }
  const found = problems(StreamDataMessages[kind as StreamType], message, label);
  if (found.length === 0 || kind !== 'readings') return found;
  // Readings of a power supply, a load or a multimeter: name the fields of the closest one.
  const envelope = found.filter((p) => !p.startsWith(`${label}/data`));
  return [...envelope, ...closest(READING_ALTERNATIVES, message.data, `${label}/data`)];
}

/**
 * Validates a message the server sent (after JSON.parse; for a binary frame, its JSON header): the envelope and
 * the payload — an event's `data` against its type's schema, a stream_data's against its reading kind's.
 * Returns the problems, empty when valid.
 */
export function validateServerMessage(value: unknown): string[] {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(ServerMessages, type)) {
    return [`unknown server message type ${JSON.stringify(type)}`];
  }
  const message = withArraysRestored(value as Record<string, unknown>);
  if (type === 'stream_data') return streamDataProblems(message, type);
  if (type === BATCH_TYPE) {
    const found = problems(ServerMessages.batch, message, type);
    if (found.length === 0) return [];
    const messages = (message as { messages?: unknown }).messages;
    if (!Array.isArray(messages)) return found;
    const inner = messages.flatMap((m, i) =>
      m && typeof m === 'object' && (m as { type?: unknown }).type === 'stream_data'
        ? streamDataProblems(m as Record<string, unknown>, `${type}/messages/${i}`)
        : [],
    );
    return inner.length > 0 ? inner : found;
  }
  return problems(ServerMessages[type as keyof typeof ServerMessages], message, type);
}

/** Validates an event's payload against its type's schema; returns the problems, empty when valid. */
export function validateEventPayload(type: EventType | string, data: unknown): string[] {
  if (!isEventType(type)) return [`unknown event type ${JSON.stringify(type)}`];
  return problems(EventPayloads[type], data, `${type}.data`);
}

/** Validates a reading against its kind's schema (`readings`, `measurements`, `waveform`); empty when valid. */
export function validateReading(kind: StreamType | string, data: unknown): string[] {
  if (!(STREAM_TYPES as readonly string[]).includes(kind))
    return [`unknown reading kind ${JSON.stringify(kind)}`];
  if (kind === 'readings') return closest(READING_ALTERNATIVES, data, `${kind}`);
  return problems(ReadingPayloads[kind as StreamType], data, kind);
}

/**
 * Validates the payload of a message as published on a topic (in its wire form, after `encode`): an event's data
 * against its type's schema, `stream_data` against the reading kind its topic names
 * (`stream:<equipment_id>:<kind>:<channel>`), `acquisition_stream` against the block schema.
 */
export function validatePayload(type: string, topic: string, data: unknown): string[] {
  if (type === 'stream_data') return validateReading(topic.split(':').at(-2) ?? '', data);
  if (type === 'acquisition_stream') return problems(AcquisitionBlock, data, `${type}.data`);
  return validateEventPayload(type, data);
}
