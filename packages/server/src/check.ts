// `lablink check [url]`: verifies a running LabLink end to end, as a user's client would meet it, and prints what
// it measured — what the original's verify_endpoints.py promised. It uses the client SDK, so it also checks that
// the SDK and the server agree.
//
// 1. REST answers: GET /health, /api, /api/equipment/list (time of each; the round trip reported at the end is the
//    median of a few more /health calls, since a server's first request on each route is its slowest).
// 2. The WebSocket at /ws connects and says `welcome` (time to welcome).
// 3. A stream delivers: the first connected instrument that can stream, 100 ms period (time to the first
//    message, then three messages with increasing seq; the smoothed server-to-client latency).
// 4. An event arrives: the check takes an *observer* lock on an instrument with a throwaway session and releases
//    it, three times (median time from the request to the lock_acquired event). That publishes lock_acquired and
//    lock_released on the equipment topic, and is harmless: an observer lock blocks nobody, never touches the
//    instrument, and expires by itself within a minute should the check die half-way. (An emergency stop would
//    switch outputs off; a nickname change publishes nothing; an exclusive lock would drop other sessions'
//    observer locks.)

import {
  LabLinkClient,
  type LabLinkError,
  type ServerEvent,
  type StreamMessage,
  type StreamType,
} from '@lablink/client';
import WebSocket from 'ws';

/** Longest wait for any one step; a healthy server on a LAN answers in milliseconds. */
const STEP_TIMEOUT_MS = 5000;
/** Stream messages to see before the stream counts as working (seq must increase across them). */
const STREAM_MESSAGES = 3;
/** Samples behind each reported median (REST round trip, event). */
const SAMPLES = 3;

type Out = (line: string) => void;

export async function check(url: string, out: Out): Promise<boolean> {
  const baseUrl = /^https?:\/\//i.test(url) ? url : `http://${url}`;
  let client: LabLinkClient;
  try {
    client = new LabLinkClient({
      baseUrl,
      WebSocket,
      sessionId: `lablink-check-${Math.random().toString(16).slice(2, 10)}`,
      // Retry quickly: the check waits seconds, not the SDK's patient 30 s ceiling.
      reconnect: { baseMs: 200, maxMs: 1000 },
    });
  } catch (err) {
    out(`FAIL  ${(err as Error).message}`);
    return false;
  }
  out(`Checking LabLink at ${client.baseUrl}`);
  const report = new Report(out);
  try {
    await run(client, report);
  } catch (err) {
    report.fail('check', (err as Error).message);
  } finally {
    client.close();
  }
  return report.finish(client.baseUrl);
}

async function run(client: LabLinkClient, report: Report): Promise<void> {
  // ---- REST
  const health = await report.timed('REST GET /health', () => client.rest.health());
  if (!health) return report.hint('Is LabLink running there? Start it with `lablink serve`.');
  report.ok(
    'REST GET /health',
    health.ms,
    `${health.value.status}, ${health.value.connected_devices} instrument(s) connected`,
  );
  const info = await report.timed('REST GET /api', () => client.rest.info());
  if (info)
    report.ok('REST GET /api', info.ms, `${info.value.name} ${info.value.version} on ${info.value.hostname}`);
  const list = await report.timed('REST GET /api/equipment/list', () => client.rest.listEquipment());
  if (list) report.ok('REST GET /api/equipment/list', list.ms, `${list.value.length} instrument(s)`);
  const warm: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const again = await report.timed('REST GET /health', () => client.rest.health());
    if (again) warm.push(again.ms);
  }
  if (warm.length > 0) report.measure('REST round trip', median(warm));

  // ---- WebSocket
  const { realtime } = client;
  const began = performance.now();
  const welcome = waitFor<ServerEvent>((resolve) => realtime.on('welcome', resolve));
  realtime.start();
  const welcomed = await welcome;
  if (!welcomed) {
    report.fail(
      'WebSocket /ws',
      `no welcome within ${STEP_TIMEOUT_MS / 1000} s (the client is ${realtime.mode}); is a proxy refusing WebSocket upgrades?`,
    );
    return;
  }
  const connectMs = performance.now() - began;
  report.ok('WebSocket /ws', connectMs, `connected, protocol ${welcomed.protocol_version}`);
  report.measure('WebSocket connect', connectMs);

  // ---- stream and event need an instrument
  const connected = [];
  for (const item of list?.value ?? []) {
    const detail = await client.rest.getEquipment(item.id).catch(() => null);
    if (detail?.state === 'connected') connected.push(detail);
  }
  const streamable = connected.find((d) => d.stream_types.length > 0);
  if (streamable)
    await checkStream(
      client,
      report,
      streamable.id,
      streamable.model,
      streamable.stream_types[0] as StreamType,
    );
  else report.skip('stream', 'no connected instrument that can stream');
  if (connected.length > 0)
    await checkEvent(
      client,
      report,
      connected.map((d) => d.id),
    );
  else report.skip('event', 'no connected instrument to take an observer lock on');
}

async function checkStream(
  client: LabLinkClient,
  report: Report,
  id: string,
  model: string,
  streamType: StreamType,
) {
  const what = `stream ${streamType} of ${id} (${model})`;
  const began = performance.now();
  let firstMs = 0;
  const seqs: number[] = [];
  // Resolves with null once enough messages came, with the reason if the server stopped the stream.
  const outcome = await waitFor<string | null>((resolve) =>
    client.realtime.stream(
      { equipment_id: id, stream_type: streamType, interval_ms: 100 },
      (message: StreamMessage) => {
        if (message.source !== 'ws') return;
        if (seqs.length === 0) firstMs = performance.now() - began;
        seqs.push(message.seq);
        if (seqs.length === STREAM_MESSAGES) resolve(null);
      },
      (reason) => resolve(reason),
    ),
  );
  if (outcome === undefined) {
    return report.fail(
      what,
      `${seqs.length} of ${STREAM_MESSAGES} messages within ${STEP_TIMEOUT_MS / 1000} s`,
    );
  }
  if (outcome !== null) return report.fail(what, `the server stopped it: ${outcome}`);
  if (!seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number))) {
    return report.fail(what, `seq did not increase: ${seqs.join(', ')}`);
  }
  const latency = client.realtime.quality.latencyMs;
  report.ok(
    what,
    firstMs,
    `first message; seq ${seqs.join(' → ')}${latency === null ? '' : `, server-to-client latency ${latency < 1 ? 'under 1' : latency.toFixed(1)} ms`}`,
  );
  report.measure('first stream message', firstMs);
}

async function checkEvent(client: LabLinkClient, report: Report, ids: string[]) {
  for (const id of ids) {
    const what = `event lock_acquired (observer lock on ${id})`;
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const outcome = await lockCycle(client, id);
      if (outcome === 'locked') break; // another session holds the exclusive lock: try the next instrument
      if (typeof outcome === 'string') return report.fail(what, outcome);
      times.push(outcome);
    }
    if (times.length === 0) continue;
    report.ok(
      what,
      median(times),
      `median of ${times.length}, from the REST request to the event; lock_released followed`,
    );
    report.measure('event', median(times));
    return;
  }
  report.skip('event', 'every connected instrument is locked exclusively by another session');
}

/**
 * Takes and releases an observer lock; resolves with the ms from the request to the lock_acquired event, with
 * 'locked' if the instrument is locked exclusively, or with what went wrong.
 */
async function lockCycle(client: LabLinkClient, id: string): Promise<number | string> {
  const { rest, realtime, sessionId } = client;
  const mine = (type: string) =>
    waitFor<true>((resolve) =>
      realtime.on(type, (m) => {
        if ((m.data as { session_id?: string } | undefined)?.session_id === sessionId) resolve(true);
      }),
    );
  const acquired = mine('lock_acquired');
  const began = performance.now();
  try {
    await rest.acquireLock(id, { lock_mode: 'observer', timeout_seconds: 60 });
  } catch (err) {
    acquired.cancel();
    return (err as LabLinkError).status === 409 ? 'locked' : (err as Error).message;
  }
  const arrived = await acquired;
  const ms = performance.now() - began;
  const released = mine('lock_released');
  // If an exclusive lock was taken meanwhile, it already ended ours and this release is refused: nothing left.
  await rest.releaseLock(id).catch(() => {});
  if (!arrived) {
    released.cancel();
    return `no lock_acquired event within ${STEP_TIMEOUT_MS / 1000} s of the lock`;
  }
  if (!(await released)) return `no lock_released event within ${STEP_TIMEOUT_MS / 1000} s of the release`;
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Resolves with what `start` passes to its callback, or undefined after STEP_TIMEOUT_MS or cancel(). `start` may
 * return an unsubscribe function, called once either way.
 */
function waitFor<T>(
  start: (resolve: (value: T) => void) => (() => void) | undefined,
): Promise<T | undefined> & { cancel(): void } {
  let settle: (value: T | undefined) => void = () => {};
  const promise = new Promise<T | undefined>((done) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    settle = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup?.();
      done(value);
    };
    const timer = setTimeout(() => settle(undefined), STEP_TIMEOUT_MS);
    cleanup = start(settle);
    if (settled) cleanup?.();
  });
  return Object.assign(promise, { cancel: () => settle(undefined) });
}

/** The check's output: one line per step (OK / FAIL / SKIP), then the measured latencies and a verdict. */
class Report {
  private failures = 0;
  private readonly measured: [string, number][] = [];

  constructor(private readonly out: Out) {}

  ok(what: string, ms: number, detail: string): void {
    this.out(`OK    ${what}  ${ms.toFixed(1)} ms  ${detail}`);
  }

  fail(what: string, why: string): void {
    this.failures += 1;
    this.out(`FAIL  ${what}: ${why}`);
  }

  skip(what: string, why: string): void {
    this.out(`SKIP  ${what}: ${why}`);
  }

  hint(text: string): void {
    this.out(`      ${text}`);
  }

  measure(what: string, ms: number): void {
    this.measured.push([what, ms]);
  }

  /** Runs one REST call, timing it; a failure is reported and gives null. */
  async timed<T>(what: string, call: () => Promise<T>): Promise<{ value: T; ms: number } | null> {
    const began = performance.now();
    try {
      const value = await call();
      return { value, ms: performance.now() - began };
    } catch (err) {
      this.fail(what, (err as Error).message);
      return null;
    }
  }

  finish(baseUrl: string): boolean {
    if (this.measured.length > 0) {
      this.out(`Latencies: ${this.measured.map(([what, ms]) => `${what} ${ms.toFixed(1)} ms`).join(', ')}`);
    }
    this.out(
      this.failures === 0
        ? `LabLink at ${baseUrl} works end to end.`
        : `LabLink at ${baseUrl}: ${this.failures} check(s) failed.`,
    );
    return this.failures === 0;
  }
}
