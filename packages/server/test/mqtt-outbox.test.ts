// The bridge's outbox: events waiting for the broker, in a SQLite file of the data directory — in order, bounded
// (the oldest dropped first, and counted), and still there after a restart.

import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../src/mqtt/outbox.js';
import { tempDir } from './helpers.js';

const data = tempDir();
afterAll(() => data.remove());

describe('outbox', () => {
  it('keeps messages in order until removed, drops the oldest beyond its bound and counts them, across restarts', () => {
    const outbox = new Outbox(data.dir, 3);
    for (let i = 1; i <= 5; i++) outbox.push('lablink/b/alarms/events', `{"n":${i}}`);
    expect(outbox.size).toBe(3);
    expect(outbox.dropped).toBe(2);
    expect(outbox.peek(10).map((m) => m.payload)).toEqual(['{"n":3}', '{"n":4}', '{"n":5}']);
    outbox.remove((outbox.peek(1)[0] as { id: number }).id);
    outbox.close();

    const reopened = new Outbox(data.dir, 3);
    expect(reopened.peek(10).map((m) => m.payload)).toEqual(['{"n":4}', '{"n":5}']);
    expect(reopened.dropped).toBe(2);
    reopened.push('lablink/b/jobs/events', '{"n":6}');
    reopened.push('lablink/b/jobs/events', '{"n":7}');
    expect(reopened.dropped).toBe(3);
    expect(reopened.peek(2).map((m) => [m.topic, m.payload])).toEqual([
      ['lablink/b/alarms/events', '{"n":5}'],
      ['lablink/b/jobs/events', '{"n":6}'],
    ]);
    reopened.close();
  });
});
