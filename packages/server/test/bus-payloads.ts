// Validates every payload a server publishes on its bus, in wire form, against its schema in @lablink/protocol
// (each event type's, each reading kind's, acquisition blocks'): startTestServer watches its server's bus, so every
// suite that starts a server checks the contents of everything published, whether or not a client received it.

import { EVENT_TOPICS, encode, validatePayload } from '@lablink/protocol';
import type { Bus, Published } from '../src/bus.js';

/** The problems of one published message (empty when its payload validates). */
export function payloadProblems(message: Published): string[] {
  const wire = JSON.parse(encode(message.data ?? null));
  const found = validatePayload(message.type, message.topic, wire);
  return found.length > 0 ? [`${message.type} on ${message.topic}: ${found.join('; ')}`] : [];
}

/**
 * Checks what `bus` already keeps of the event topics (published while the server started) and everything it
 * publishes from now on. Returns the problems found so far (a live array) and the function that stops watching.
 */
export function watchPayloads(bus: Bus): { problems: string[]; stop: () => void } {
  const problems: string[] = [];
  for (const topic of EVENT_TOPICS) {
    for (const message of bus.since(topic, 0) ?? []) problems.push(...payloadProblems(message));
  }
  const stop = bus.subscribe('*', (message) => problems.push(...payloadProblems(message)));
  return { problems, stop };
}
