// The `lablink` command line. Each sub-command is one function; `--help` lists them.

import { parseArgs } from 'node:util';
import { addressCandidates, type ConnectOptions, connectInstrument, type Driver } from '@lablink/instruments';
import { formatBench, SIM_MODELS, startBench } from '@lablink/instruments/sim';
import { AUTH_HELP, tokenCommand, userCommand } from './auth/cli.js';
import { NoAdminError } from './auth/service.js';
import { check } from './check.js';
import { ConfigError, loadConfig } from './config.js';
import { DomainError } from './errors.js';
import { createLogger, startMessage, startServer } from './serve.js';
import { StorageError } from './storage/database.js';
import { VERSION } from './version.js';

const HELP = `lablink ${VERSION} — a lab bench on the network

Usage:
  lablink serve [options]     start the server (web app, REST, WebSocket) with a simulated bench
  lablink hub --mqtt <url> [options]
                              a hub: every bench on the MQTT broker in one web app, REST API and WebSocket
                              (no simulated bench of its own unless --sim; docs/mqtt.md)
  lablink sim [options]       start the simulated bench alone and print each instrument's VISA address
  lablink scpi <resource> <command> [--model M] [--timeout ms]
                              send one SCPI command (a query if it ends in ?) and print the reply
  lablink check [url]         verify a running LabLink end to end (REST, WebSocket, a stream, an event) and
                              print the measured latencies (default http://127.0.0.1:8000)
${AUTH_HELP}
  lablink --help              show this help
  lablink --version           print the version

Options for serve:
  --host <addr>        address to listen on            (env LABLINK_HOST, default 127.0.0.1)
  --port <n>           port for HTTP and WebSocket     (env LABLINK_PORT, default 8000; 0 = any free port)
  --data-dir <path>    where the database lives        (env LABLINK_DATA_DIR; default ~/.local/share/lablink
                       or $XDG_DATA_HOME/lablink, on macOS ~/Library/Application Support/LabLink, on Windows
                       %APPDATA%\\LabLink; an existing ./data/lablink.db in the working directory is kept in use)
  --config <file>      JSON config file (settings and instruments; env LABLINK_CONFIG)
  --sim / --no-sim     start the simulated bench       (env LABLINK_SIM, default on)
  --mdns / --no-mdns   find LXI instruments over mDNS during discovery (env LABLINK_MDNS, default on)
  --log-level <level>  fatal|error|warn|info|debug|trace|silent (env LABLINK_LOG_LEVEL, default info)
  --log-format <fmt>   pretty|json (env LABLINK_LOG_FORMAT; default pretty on a terminal, json otherwise)
  --allowed-host <name>
                       a further name this server answers to in the Host header, repeatable
                       (env LABLINK_ALLOWED_HOSTS, comma-separated; loopback names always, docs/security.md)
  --allowed-origin <origin>
                       a further web origin whose pages may act on LabLink, e.g. http://127.0.0.1:5173,
                       repeatable (env LABLINK_ALLOWED_ORIGINS, comma-separated)
  --max-ws-connections <n>
                       simultaneous WebSocket clients (env LABLINK_MAX_WS_CONNECTIONS, default 2000)
  --max-ws-per-address <n>
                       WebSocket clients one address may hold (env LABLINK_MAX_WS_PER_ADDRESS, default 1000;
                       0 = no limit of its own)
  --ws-message-rate <n>
                       WebSocket messages a second one address may send (env LABLINK_WS_MESSAGE_RATE,
                       default 1000; 0 = no limit)
  --mqtt <url>         publish this bench on an MQTT broker and take commands from it, e.g.
                       mqtt://broker.lab:1883 or mqtts://user:pass@broker.lab:8883 (env LABLINK_MQTT_URL;
                       credentials, TLS files and more in the config file's "mqtt" object, docs/mqtt.md)
  --bench <name>       this bench's name in its topics lablink/<name>/… (env LABLINK_BENCH, default the
                       host name)

Options for hub: those of serve; --mqtt is required, --bench is not used.

Options for sim:
  --models <list>      comma-separated models (default DP832,DL3021A,DS1104Z,34461A); known: ${SIM_MODELS.join(', ')}
  --count <n>          run n instruments, repeating the model list (e.g. 200 for benchmarks)
  --host <addr>        address to listen on (default 127.0.0.1)

Examples:
  lablink scpi TCPIP0::192.168.1.50::5025::SOCKET "*IDN?"
  lablink scpi 192.168.1.50 "*IDN?"                 (a bare host: VXI-11, HiSLIP, then socket 5025 or 5555)
  lablink scpi ASRL/dev/ttyUSB0::INSTR GETD --model 1685B
`;

async function serve(args: string[], hub = false): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      sim: { type: 'boolean' },
      'no-sim': { type: 'boolean' },
      mdns: { type: 'boolean' },
      'no-mdns': { type: 'boolean' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
      'max-ws-connections': { type: 'string' },
      'max-ws-per-address': { type: 'string' },
      'ws-message-rate': { type: 'string' },
      mqtt: { type: 'string' },
      bench: { type: 'string' },
    },
    strict: true,
  });
  // A hub shows other benches; it runs a simulated one of its own only when asked.
  const sim = values['no-sim'] ? false : (values.sim ?? (hub ? false : undefined));
  const mdns = values['no-mdns'] ? false : values.mdns;
  const config = loadConfig({
    flags: {
      host: values.host,
      port: values.port,
      dataDir: values['data-dir'],
      config: values.config,
      sim,
      mdns,
      logLevel: values['log-level'],
      logFormat: values['log-format'],
      allowedHosts: values['allowed-host'],
      allowedOrigins: values['allowed-origin'],
      maxWsConnections: values['max-ws-connections'],
      maxWsPerAddress: values['max-ws-per-address'],
      wsMessageRate: values['ws-message-rate'],
      mqtt: values.mqtt,
      bench: values.bench,
      hub,
    },
  });
  const logger = createLogger(config);
  const server = await startServer(config, logger);
  process.stdout.write(startMessage(server.url, config));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: outputs to a safe state, instruments and database closed');
    server.stop().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  return new Promise<number>(() => {});
}

async function sim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { models: { type: 'string' }, count: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const models = values.models
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 5000)) {
    throw new ConfigError('--count', `"${values.count}" is not a whole number from 1 to 5000`);
  }
  const unknown = models?.find((m) => !SIM_MODELS.some((k) => k.toUpperCase() === m.toUpperCase()));
  if (unknown)
    throw new ConfigError('--models', `no simulator for "${unknown}" (known: ${SIM_MODELS.join(', ')})`);
  const bench = await startBench({ models, count, host: values.host ?? '127.0.0.1', lan: true });
  process.stdout.write(`${formatBench(bench)}\n\nSimulated bench running; Ctrl-C stops it.\n`);
  const stop = () => bench.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise<number>(() => {});
}

async function scpi(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { model: { type: 'string' }, timeout: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [resource, command] = positionals;
  if (!resource || !command || positionals.length > 2) {
    process.stderr.write('usage: lablink scpi <resource> "<command>" [--model M] [--timeout ms]\n');
    return 2;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    throw new ConfigError('--timeout', 'must be a positive number of ms');
  try {
    const driver = await connectFirst(addressCandidates(resource), { model: values.model, timeoutMs });
    try {
      const reply = await driver.raw(command);
      process.stdout.write(reply === undefined ? 'OK (no reply expected)\n' : `${reply}\n`);
      return 0;
    } finally {
      await driver.close();
    }
  } catch (err) {
    process.stderr.write(`lablink scpi: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The first of `candidates` that answers (a bare host: VXI-11, HiSLIP, 5025, 5555); else the last one's error. */
async function connectFirst(candidates: string[], options: ConnectOptions): Promise<Driver> {
  let failure: unknown;
  for (const candidate of candidates) {
    try {
      return await connectInstrument(candidate, options);
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'serve':
      return serve(rest);
    case 'hub':
      return serve(rest, true);
    case 'sim':
      return sim(rest);
    case 'scpi':
      return scpi(rest);
    case 'user':
      return userCommand(rest, (line) => process.stdout.write(`${line}\n`));
    case 'token':
      return tokenCommand(rest, (line) => process.stdout.write(`${line}\n`));
    case 'check':
      return (await check(rest[0] ?? 'http://127.0.0.1:8000', (line) => process.stdout.write(`${line}\n`)))
        ? 0
        : 1;
    default:
      process.stderr.write(`lablink: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // (DomainError: a user or token the user/token commands cannot find or that exists already.)
    if (
      err instanceof ConfigError ||
      err instanceof StorageError ||
      err instanceof NoAdminError ||
      err instanceof DomainError
    ) {
      process.stderr.write(`lablink: ${err.message}\n`);
      process.exit(2);
    }
    if (
      err instanceof Error &&
      'code' in err &&
      typeof err.code === 'string' &&
      err.code.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`lablink: ${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    if (
      err instanceof Error &&
      'code' in err &&
      (err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES')
    ) {
      process.stderr.write(`lablink: cannot listen (LABLINK_HOST/LABLINK_PORT): ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`lablink: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
