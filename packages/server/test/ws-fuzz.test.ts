// Issue 9 over the WebSocket: every client message type of the protocol (read from its schemas, so a message added
// later is fuzzed too), with valid fields and extremes mixed, against a real server with the simulated bench. Every
// message gets replies that validate against the protocol's server schemas, never an internal_error, and the
// connection stays up (a ping after each message is answered), and the bench is as it was (no client message
// changes an instrument, a lock, an alarm or a job: checked every CHECK_EVERY messages and at the end).
// Runs: 8 × LABLINK_FUZZ_RUNS (default 1250: 10 000 messages); seed: LABLINK_FUZZ_SEED (default 20269);
// LABLINK_FUZZ_TRACE=1 prints each message and its replies.

import { ClientMessages, ERROR_CODES } from '@lablink/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchState, differences, snapshot } from './bench-state.js';
import { chance, type Gen, hostile, oneOf, toJson } from './fuzz-values.js';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';
import { invalidMessages, TestClient } from './realtime-client.js';

const RUNS = Number(process.env.LABLINK_FUZZ_RUNS ?? 1250) * 8;
const CHECK_EVERY = 500;
const SEED = Number(process.env.LABLINK_FUZZ_SEED ?? 20269);

let server: TestServer;
let equipment: string[];
let baseline: BenchState;

beforeAll(async () => {
  // Sent back to back, the messages pass an address's rate (ws-flood.test.ts tests that limit): off here.
  server = await startTestServer({ LABLINK_SIM: 'on', LABLINK_WS_MESSAGE_RATE: '0' });
  equipment = ((await http(`${server.url}/api/equipment/list`)).body as Json[]).map((e) => e.id);
  baseline = await snapshot(server.url);
});

afterAll(async () => {
  await server?.dispose();
});

/** A value the (TypeBox, i.e. JSON) schema accepts, roughly; equipment ids are real ones. */
function valid(g: Gen, schema: Json, name: string): unknown {
  if (name === 'equipment_id' && chance(g, 85)) return oneOf(g, equipment);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return oneOf(g, schema.enum);
  if (schema.anyOf) return valid(g, oneOf(g, schema.anyOf), name);
  switch (schema.type) {
    case 'string':
      return g(fc.string, {
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 20, 20),
      });
    case 'integer':
      return g(fc.integer, {
        min: Math.max(schema.minimum ?? -1000, Number.MIN_SAFE_INTEGER),
        max: Math.min(schema.maximum ?? 1000, Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return g(fc.double, { min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return g(fc.boolean);
    case 'array':
      return Array.from({ length: g(fc.integer, { min: schema.minItems ?? 0, max: 3 }) }, () =>
        valid(g, schema.items, name),
      );
    default:
      if (schema.type === 'object' || schema.patternProperties) return {};
      return null;
  }
}

function message(g: Gen): string {
  const types = Object.keys(ClientMessages);
  if (chance(g, 5)) return toJson(g(() => hostile));
  if (chance(g, 3))
    return oneOf(g, ['{', '[]', '{"type":', '"ping"', '\u0000', '{"type":"ping"}{"type":"ping"}']);
  const type = chance(g, 95) ? oneOf(g, types) : String(g(() => hostile));
  const schema = (ClientMessages as Record<string, Json>)[type] ?? { properties: {} };
  const names = Object.keys(schema.properties ?? {}).filter((n) => n !== 'type');
  const target = chance(g, 70) && names.length > 0 ? oneOf(g, names) : undefined;
  const out: Json = { type };
  const required = new Set<string>(schema.required ?? []);
  for (const name of names) {
    if (!required.has(name) && chance(g, 50)) continue;
    out[name] = name === target ? g(() => hostile) : valid(g, schema.properties[name], name);
  }
  return toJson(out);
}

describe('every WebSocket message, fuzzed', () => {
  it('never an internal error nor a dropped connection; every reply valid', async () => {
    const client = await TestClient.open(`${server.url}/ws`);
    let sent = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          const text = message(g);
          const from = client.messages.length;
          client.send(text);
          await client.roundTrip();
          if (process.env.LABLINK_FUZZ_TRACE) {
            console.info(
              `${text.slice(0, 300)}\n  → ${JSON.stringify(client.messages.slice(from)).slice(0, 600)}`,
            );
          }
          const internal = client.messages.slice(from).filter((m) => m.code === ERROR_CODES.internal);
          expect(internal, text.slice(0, 500)).toEqual([]);
          expect(invalidMessages, text.slice(0, 500)).toEqual([]);
          if (++sent % CHECK_EVERY === 0) {
            expect(differences(baseline, await snapshot(server.url)), `after ${text.slice(0, 300)}`).toEqual(
              [],
            );
          }
          // Stop what the message may have started, so streams do not pile up across runs.
          for (const m of client.messages.slice(from)) {
            if (m.type === 'stream_started') {
              client.send({
                type: 'stop_stream',
                equipment_id: m.equipment_id,
                stream_type: m.stream_type,
                channel: m.channel,
              });
            }
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(sent).toBe(RUNS);
      expect(differences(baseline, await snapshot(server.url))).toEqual([]);
      const kinds = new Map<string, number>();
      for (const m of client.messages) {
        const kind = m.type === 'error' ? `error:${m.code}` : m.type;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      console.info(
        `replies (seed ${SEED}, ${RUNS} runs): ${[...kinds].map(([k, n]) => `${k}×${n}`).join(' ')}`,
      );
    } finally {
      client.ws.terminate();
    }
  }, 300_000);
});
