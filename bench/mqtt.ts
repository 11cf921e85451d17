// MQTT: many benches through one broker to a hub's clients. N `lablink serve --mqtt` benches (each its own process
// with its simulated bench: a 3-channel supply, a load, a meter publishing readings), Debian's Mosquitto, one
// `lablink hub` and C WebSocket clients of the hub.
//
// 1. Readings/s: what the broker carries (a plain MQTT subscriber in this process counts every reading topic) and
//    what each hub client receives as `bench_reading`, for N = 1, 5, 20 benches.
// 2. Event latency, bench → client: an alarm raised on bench 1 (POST /api/alarms/raise, the clock started just
//    before the request leaves), received as `bench_alarm` by a hub client, and — in the same trial, as the baseline —
//    as `alarm_event` by a WebSocket client connected directly to bench 1. The next trial starts once both have it.
//
//   npm run bench:mqtt --workspace bench                               # N = 1,5,20; 10 hub clients; 60 events
//   npm run bench:mqtt --workspace bench -- --benches 1,5 --clients 100 --events 200 --interval 100

import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startBroker } from '../packages/server/test/mqtt-broker.js';
import {
  announceMachine,
  closeClients,
  connectClients,
  cpuMeter,
  http,
  LABLINK_BIN,
  printTable,
  type Server,
  sleep,
  startLabLink,
  startNode,
  summarize,
  waitFor,
  writeResults,
} from './harness.js';

const loadAtStart = announceMachine();
const { values } = parseArgs({
  options: {
    benches: { type: 'string', default: '1,5,20' },
    clients: { type: 'string', default: '10' },
    events: { type: 'string', default: '60' },
    interval: { type: 'string', default: '200' },
    window: { type: 'string', default: '5' },
  },
});
const BENCH_COUNTS = values.benches.split(',').map(Number);
const CLIENTS = Number(values.clients);
const EVENTS = Number(values.events);
const INTERVAL_MS = Number(values.interval);
const WINDOW_S = Number(values.window);

// Every child (benches, hub) reads it: how often each bench publishes its readings.
process.env.LABLINK_MQTT_READINGS_INTERVAL_MS = String(INTERVAL_MS);
const broker = await startBroker();
const benches: Server[] = [];
const startBench = (i: number) =>
  startLabLink({
    flags: ['--no-mdns', '--mqtt', broker.url, '--bench', `bench-${i}`],
  });

// The hub: `lablink hub`, its own process.
const hubDataArgs = ['--port', '0', '--log-level', 'warn', '--no-mdns', '--mqtt', broker.url];
const hubChild = await startNode(
  'lablink hub',
  [LABLINK_BIN, 'hub', ...hubDataArgs],
  /LabLink listening on (\S+)/,
);
const hubUrl = hubChild.ready[1] as string;
const hubWs = `${hubUrl.replace(/^http/, 'ws')}/ws`;

// Counters: readings on the broker, bench_reading at the hub clients.
let brokerReadings = 0;
const probe = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
probe.on('message', () => {
  brokerReadings += 1;
});
await probe.subscribeAsync('lablink/+/equipment/+/readings/+', { qos: 0 });
const clientReadings = new Array<number>(CLIENTS).fill(0);
let onHubEvent: (message: { type: string; data: Record<string, unknown> }) => void = () => {};
const hubClients = await connectClients(hubWs, CLIENTS, (text, i) => {
  if (text.includes('"bench_reading"')) {
    clientReadings[i] = (clientReadings[i] ?? 0) + 1;
    return;
  }
  if (i === 0 && text.includes('"bench_alarm"')) onHubEvent(JSON.parse(text));
});

const throughputRows: (string | number)[][] = [];
const throughput: Record<string, unknown>[] = [];
for (const n of BENCH_COUNTS) {
  while (benches.length < n) benches.push(await startBench(benches.length + 1));
  await waitFor(`${n} benches at the hub`, async () => {
    const { body } = await http<{ benches: { state: string }[] }>('GET', `${hubUrl}/api/hub/benches`);
    return body.benches.filter((b) => b.state === 'online').length >= n ? true : undefined;
  });
  await sleep(2000); // every claim polling
  const cpu = cpuMeter({ hub: hubChild.pid });
  const b0 = brokerReadings;
  const c0 = [...clientReadings];
  await sleep(WINDOW_S * 1000);
  const used = cpu();
  const atBroker = (brokerReadings - b0) / WINDOW_S;
  const perClient = clientReadings.map((c, i) => (c - (c0[i] ?? 0)) / WINDOW_S);
  const mean = perClient.reduce((a, b) => a + b, 0) / perClient.length;
  const min = Math.min(...perClient);
  throughput.push({
    benches: n,
    broker_readings_per_s: atBroker,
    client_mean_per_s: mean,
    client_min_per_s: min,
    hub_cpu_percent: used.hub,
  });
  throughputRows.push([
    n,
    atBroker.toFixed(0),
    mean.toFixed(0),
    min.toFixed(0),
    `${((mean / atBroker) * 100).toFixed(1)}%`,
    used.hub === null ? '—' : `${used.hub}%`,
  ]);
}
console.log(
  `\nReadings through the broker to ${CLIENTS} hub clients (each bench: 5 reading channels every ${INTERVAL_MS} ms)`,
);
printTable(
  ['benches', 'broker readings/s', 'per hub client /s (mean)', '(min)', 'delivered', 'hub CPU'],
  throughputRows,
);

// ---- event latency: bench 1 → hub client, beside bench 1 → its own WebSocket client --------------------------------
const bench1 = benches[0] as Server;
let onDirect: (message: { type: string; data: Record<string, unknown> }) => void = () => {};
const direct = await connectClients(bench1.wsUrl, 1, (text) => {
  if (text.includes('"alarm_event"')) onDirect(JSON.parse(text));
});
const created = await http<{ alarm_id: string }>('POST', `${bench1.url}/api/alarms/create`, {
  name: 'bench latency',
  alarm_type: 'custom',
  parameter: 'note',
  severity: 'info',
});
const alarmId = created.body.alarm_id;
const viaHub: number[] = [];
const viaDirect: number[] = [];
let missing = 0;
for (let trial = 0; trial < EVENTS; trial++) {
  let hubAt = 0;
  let directAt = 0;
  const got = new Promise<void>((resolve) => {
    const done = () => hubAt && directAt && resolve();
    onHubEvent = (m) => {
      const data = m.data as { type: string; data: { alarm_id: string } };
      if (data.type === 'alarm_event' && data.data.alarm_id === alarmId && !hubAt) {
        hubAt = performance.now();
        done();
      }
    };
    onDirect = (m) => {
      if ((m.data as { alarm_id: string }).alarm_id === alarmId && !directAt) {
        directAt = performance.now();
        done();
      }
    };
  });
  const t0 = performance.now();
  const raised = await http<{ event: { event_id: string } }>('POST', `${bench1.url}/api/alarms/raise`, {
    alarm_id: alarmId,
    message: `trial ${trial}`,
  });
  if (raised.status !== 200) throw new Error(`raise refused: ${JSON.stringify(raised.body)}`);
  const ok = await Promise.race([got.then(() => true), sleep(5000).then(() => false)]);
  if (ok) {
    viaHub.push(hubAt - t0);
    viaDirect.push(directAt - t0);
  } else missing += 1;
  await http('POST', `${bench1.url}/api/alarms/${alarmId}/clear`, {});
  await sleep(50);
}
const hubLatency = summarize(viaHub);
const directLatency = summarize(viaDirect);
console.log(
  `\nEvent latency, alarm raised on bench 1 → client (${EVENTS} events, ${benches.length} benches publishing)`,
);
printTable(
  ['path', 'events', 'p50 ms', 'p99 ms', 'max ms'],
  [
    [
      'bench → its own WebSocket client (direct)',
      directLatency.count,
      directLatency.p50.toFixed(2),
      directLatency.p99.toFixed(2),
      directLatency.max.toFixed(2),
    ],
    [
      'bench → broker → hub → hub client',
      hubLatency.count,
      hubLatency.p50.toFixed(2),
      hubLatency.p99.toFixed(2),
      hubLatency.max.toFixed(2),
    ],
  ],
);
if (missing > 0) console.log(`${missing} events did not arrive within 5 s`);

writeResults('mqtt', {
  load_average_at_start: loadAtStart,
  settings: { clients: CLIENTS, interval_ms: INTERVAL_MS, window_s: WINDOW_S },
  throughput,
  latency: { direct: directLatency, via_hub: hubLatency, missing },
});

await closeClients([...hubClients, ...direct]);
await probe.endAsync();
await hubChild.stop();
for (const bench of benches) await bench.stop();
await broker.stop();
