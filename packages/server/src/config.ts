// Configuration: defaults < config file < environment < command-line flags. Everything is validated at
// start-up; a bad value stops the server with a ConfigError naming the setting, before anything is opened.

import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BroadcastTargetError, parseBroadcastTargets } from './equipment/vxi11-discovery.js';
import {
  type MqttSettings,
  parseMqttSettings,
  type RawMqtt,
  rawFromEnv,
  rawFromFile,
} from './mqtt/settings.js';
import { DATABASE_FILE } from './storage/database.js';

export interface InstrumentEntry {
  resource: string;
  model?: string;
  nickname?: string;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /**
   * Where dataDir came from: `setting` (flag, environment or config file), `default` (the user-level data
   * directory) or `legacy` (a `./data` holding a database in the working directory, kept so nothing is lost).
   */
  dataDirSource: 'setting' | 'default' | 'legacy';
  /** Start the simulated bench and connect to it. */
  sim: boolean;
  /** Browse mDNS for LXI instruments during discovery. */
  mdns: boolean;
  /**
   * Where discovery sends its VXI-11 broadcast: IPv4 broadcast addresses or interface names; [] every IPv4
   * interface; false none.
   */
  vxi11Broadcast: string[] | false;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty`: one readable line per entry; `json`: pino's JSON lines. Default: pretty on a terminal. */
  logFormat: 'pretty' | 'json';
  configFile: string | null;
  /** Instruments named in the config file, connected at start-up. */
  instruments: InstrumentEntry[];
  /**
   * Host names (or IP addresses) requests may name in their Host header, besides the loopback names and, when
   * listening beyond loopback, the machine's own names and addresses (docs/security.md). `*` turns the check off.
   */
  allowedHosts: string[];
  /** Web origins (`http://host:port`) besides LabLink's own whose pages may change things and open /ws. */
  allowedOrigins: string[];
  /** Simultaneous WebSocket connections; more are refused with HTTP 503 at the upgrade. */
  maxWsConnections: number;
  /** WebSocket connections one client address may hold (0: no limit of its own); more get HTTP 429. */
  maxWsPerAddress: number;
  /** WebSocket messages a second one client address may send (0: no limit); more are answered rate_limited. */
  wsMessageRate: number;
  /** The MQTT broker this server bridges its bench to (or reads benches from, as a hub); null: none. */
  mqtt: MqttSettings | null;
  /** Hub mode (`lablink hub`): show every bench on the broker instead of publishing one. */
  hub: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid setting ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS: Omit<
  Config,
  'configFile' | 'dataDir' | 'dataDirSource' | 'logFormat' | 'mqtt' | 'hub'
> = {
  host: '127.0.0.1',
  port: 8000,
  sim: true,
  mdns: true,
  vxi11Broadcast: [],
  logLevel: 'info',
  instruments: [],
  allowedHosts: [],
  allowedOrigins: [],
  maxWsConnections: 2000,
  maxWsPerAddress: 1000,
  wsMessageRate: 1000,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['pretty', 'json'] as const;

/** The data directory before LabLink used a user-level one: `./data` in the working directory (the checkout). */
export const LEGACY_DATA_DIR = 'data';

/**
 * The user-level data directory: `$XDG_DATA_HOME/lablink` (or `~/.local/share/lablink`) on Linux and other Unixes,
 * `~/Library/Application Support/LabLink` on macOS, `%APPDATA%\LabLink` on Windows.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'LabLink');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'LabLink');
  const xdg = env.XDG_DATA_HOME?.trim();
  // The XDG spec: a relative XDG_DATA_HOME is invalid and ignored.
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(base, 'lablink');
}

/** Raw values as they came from one source, each labelled with the name the user wrote. */
export interface RawSetting {
  value: unknown;
  name: string;
}
type RawSettings = Partial<
  Record<
    | 'host'
    | 'port'
    | 'dataDir'
    | 'sim'
    | 'mdns'
    | 'vxi11Broadcast'
    | 'logLevel'
    | 'logFormat'
    | 'allowedHosts'
    | 'allowedOrigins'
    | 'maxWsConnections'
    | 'maxWsPerAddress'
    | 'wsMessageRate',
    RawSetting
  >
>;

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Parsed command-line flags (already split by the CLI). */
  /** Whether standard output is a terminal (picks the default log format). */
  isTTY?: boolean;
  /** The working directory (where a legacy `./data` is looked for). */
  cwd?: string;
  /** The platform and home directory the default data directory is derived from (tests set them). */
  platform?: NodeJS.Platform;
  home?: string;
  flags?: {
    host?: string;
    port?: string;
    dataDir?: string;
    sim?: boolean;
    mdns?: boolean;
    logLevel?: string;
    logFormat?: string;
    config?: string;
    /** --allowed-host, repeatable; each may hold a comma-separated list. */
    allowedHosts?: string[];
    /** --allowed-origin, repeatable; each may hold a comma-separated list. */
    allowedOrigins?: string[];
    maxWsConnections?: string;
    maxWsPerAddress?: string;
    wsMessageRate?: string;
    /** --mqtt <url> and --bench <name> (docs/mqtt.md). */
    mqtt?: string;
    bench?: string;
    /** `lablink hub`. */
    hub?: boolean;
  };
}

export function loadConfig({
  env = process.env,
  flags = {},
  isTTY = Boolean(process.stdout.isTTY),
  cwd = process.cwd(),
  platform = process.platform,
  home = os.homedir(),
}: ConfigSources = {}): Config {
  const configFile = flags.config ?? env.LABLINK_CONFIG ?? null;
  const fromFile = configFile
    ? readConfigFile(configFile, flags.config ? '--config' : 'LABLINK_CONFIG')
    : null;

  const fromEnv: RawSettings = {};
  if (env.LABLINK_HOST !== undefined) fromEnv.host = { value: env.LABLINK_HOST, name: 'LABLINK_HOST' };
  if (env.LABLINK_PORT !== undefined) fromEnv.port = { value: env.LABLINK_PORT, name: 'LABLINK_PORT' };
  if (env.LABLINK_DATA_DIR !== undefined)
    fromEnv.dataDir = { value: env.LABLINK_DATA_DIR, name: 'LABLINK_DATA_DIR' };
  if (env.LABLINK_SIM !== undefined) fromEnv.sim = { value: env.LABLINK_SIM, name: 'LABLINK_SIM' };
  if (env.LABLINK_MDNS !== undefined) fromEnv.mdns = { value: env.LABLINK_MDNS, name: 'LABLINK_MDNS' };
  if (env.LABLINK_VXI11_BROADCAST !== undefined)
    fromEnv.vxi11Broadcast = { value: env.LABLINK_VXI11_BROADCAST, name: 'LABLINK_VXI11_BROADCAST' };
  if (env.LABLINK_LOG_LEVEL !== undefined)
    fromEnv.logLevel = { value: env.LABLINK_LOG_LEVEL, name: 'LABLINK_LOG_LEVEL' };
  if (env.LABLINK_LOG_FORMAT !== undefined)
    fromEnv.logFormat = { value: env.LABLINK_LOG_FORMAT, name: 'LABLINK_LOG_FORMAT' };
  if (env.LABLINK_ALLOWED_HOSTS !== undefined)
    fromEnv.allowedHosts = { value: env.LABLINK_ALLOWED_HOSTS, name: 'LABLINK_ALLOWED_HOSTS' };
  if (env.LABLINK_ALLOWED_ORIGINS !== undefined)
    fromEnv.allowedOrigins = { value: env.LABLINK_ALLOWED_ORIGINS, name: 'LABLINK_ALLOWED_ORIGINS' };
  if (env.LABLINK_MAX_WS_CONNECTIONS !== undefined)
    fromEnv.maxWsConnections = { value: env.LABLINK_MAX_WS_CONNECTIONS, name: 'LABLINK_MAX_WS_CONNECTIONS' };
  if (env.LABLINK_MAX_WS_PER_ADDRESS !== undefined)
    fromEnv.maxWsPerAddress = { value: env.LABLINK_MAX_WS_PER_ADDRESS, name: 'LABLINK_MAX_WS_PER_ADDRESS' };
  if (env.LABLINK_WS_MESSAGE_RATE !== undefined)
    fromEnv.wsMessageRate = { value: env.LABLINK_WS_MESSAGE_RATE, name: 'LABLINK_WS_MESSAGE_RATE' };

  const fromFlags: RawSettings = {};
  if (flags.host !== undefined) fromFlags.host = { value: flags.host, name: '--host' };
  if (flags.port !== undefined) fromFlags.port = { value: flags.port, name: '--port' };
  if (flags.dataDir !== undefined) fromFlags.dataDir = { value: flags.dataDir, name: '--data-dir' };
  if (flags.sim !== undefined) fromFlags.sim = { value: flags.sim, name: flags.sim ? '--sim' : '--no-sim' };
  if (flags.mdns !== undefined)
    fromFlags.mdns = { value: flags.mdns, name: flags.mdns ? '--mdns' : '--no-mdns' };
  if (flags.logLevel !== undefined) fromFlags.logLevel = { value: flags.logLevel, name: '--log-level' };
  if (flags.logFormat !== undefined) fromFlags.logFormat = { value: flags.logFormat, name: '--log-format' };
  if (flags.allowedHosts?.length)
    fromFlags.allowedHosts = { value: flags.allowedHosts.join(','), name: '--allowed-host' };
  if (flags.allowedOrigins?.length)
    fromFlags.allowedOrigins = { value: flags.allowedOrigins.join(','), name: '--allowed-origin' };
  if (flags.maxWsConnections !== undefined)
    fromFlags.maxWsConnections = { value: flags.maxWsConnections, name: '--max-ws-connections' };
  if (flags.maxWsPerAddress !== undefined)
    fromFlags.maxWsPerAddress = { value: flags.maxWsPerAddress, name: '--max-ws-per-address' };
  if (flags.wsMessageRate !== undefined)
    fromFlags.wsMessageRate = { value: flags.wsMessageRate, name: '--ws-message-rate' };

  const raw: RawSettings = { ...fromFile?.settings, ...fromEnv, ...fromFlags };
  const mqttFlags: RawMqtt = {};
  if (flags.mqtt !== undefined) mqttFlags.url = { value: flags.mqtt, name: '--mqtt' };
  if (flags.bench !== undefined) mqttFlags.bench = { value: flags.bench, name: '--bench' };
  const mqtt = parseMqttSettings({ ...fromFile?.mqtt, ...rawFromEnv(env), ...mqttFlags });
  const hub = flags.hub ?? false;
  if (hub && !mqtt)
    throw new ConfigError('--mqtt', 'lablink hub needs a broker URL (--mqtt or LABLINK_MQTT_URL)');
  const legacy = path.resolve(cwd, LEGACY_DATA_DIR);
  const [dataDir, dataDirSource]: [string, Config['dataDirSource']] = raw.dataDir
    ? [path.resolve(cwd, parseNonEmpty(raw.dataDir)), 'setting']
    : existsSync(path.join(legacy, DATABASE_FILE))
      ? [legacy, 'legacy']
      : [defaultDataDir(env, platform, home), 'default'];
  return {
    host: raw.host ? parseHost(raw.host) : DEFAULTS.host,
    port: raw.port ? parsePort(raw.port) : DEFAULTS.port,
    dataDir,
    dataDirSource,
    sim: raw.sim ? parseBoolean(raw.sim) : DEFAULTS.sim,
    mdns: raw.mdns ? parseBoolean(raw.mdns) : DEFAULTS.mdns,
    vxi11Broadcast: raw.vxi11Broadcast ? parseVxi11Broadcast(raw.vxi11Broadcast) : DEFAULTS.vxi11Broadcast,
    logLevel: raw.logLevel ? parseLogLevel(raw.logLevel) : DEFAULTS.logLevel,
    logFormat: raw.logFormat ? parseLogFormat(raw.logFormat) : isTTY ? 'pretty' : 'json',
    configFile: configFile ? path.resolve(configFile) : null,
    instruments: fromFile?.instruments ?? [],
    allowedHosts: raw.allowedHosts ? parseAllowedHosts(raw.allowedHosts) : DEFAULTS.allowedHosts,
    allowedOrigins: raw.allowedOrigins ? parseAllowedOrigins(raw.allowedOrigins) : DEFAULTS.allowedOrigins,
    maxWsConnections: raw.maxWsConnections
      ? parseCount(raw.maxWsConnections, 1, 100_000)
      : DEFAULTS.maxWsConnections,
    maxWsPerAddress: raw.maxWsPerAddress
      ? parseCount(raw.maxWsPerAddress, 0, 100_000)
      : DEFAULTS.maxWsPerAddress,
    wsMessageRate: raw.wsMessageRate ? parseCount(raw.wsMessageRate, 0, 1_000_000) : DEFAULTS.wsMessageRate,
    mqtt,
    hub,
  };
}

function readConfigFile(
  file: string,
  name: string,
): { settings: RawSettings; instruments: InstrumentEntry[]; mqtt: RawMqtt } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(name, `cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new ConfigError(name, `config file ${file} must hold a JSON object`);
  const keys: Record<string, keyof RawSettings> = {
    host: 'host',
    port: 'port',
    data_dir: 'dataDir',
    sim: 'sim',
    mdns: 'mdns',
    vxi11_broadcast: 'vxi11Broadcast',
    log_level: 'logLevel',
    log_format: 'logFormat',
    allowed_hosts: 'allowedHosts',
    allowed_origins: 'allowedOrigins',
    max_ws_connections: 'maxWsConnections',
    max_ws_per_address: 'maxWsPerAddress',
    ws_message_rate: 'wsMessageRate',
  };
  const settings: RawSettings = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'instruments' || key === 'mqtt') continue;
    const setting = keys[key];
    if (!setting) {
      throw new ConfigError(
        `${file}: ${key}`,
        `unknown setting (known: ${[...Object.keys(keys), 'instruments', 'mqtt'].join(', ')})`,
      );
    }
    settings[setting] = { value, name: `${file}: ${key}` };
  }
  return {
    settings,
    instruments: parseInstruments(parsed.instruments, file),
    mqtt: parsed.mqtt === undefined ? {} : rawFromFile(parsed.mqtt, file),
  };
}

function parseInstruments(value: unknown, file: string): InstrumentEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(`${file}: instruments`, 'must be an array');
  return value.map((entry, i) => {
    const name = `${file}: instruments[${i}]`;
    if (!isRecord(entry) || typeof entry.resource !== 'string' || entry.resource.trim() === '') {
      throw new ConfigError(`${name}.resource`, 'each instrument needs a "resource" VISA string');
    }
    for (const key of ['model', 'nickname'] as const) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') {
        throw new ConfigError(`${name}.${key}`, 'must be a string');
      }
    }
    return {
      resource: entry.resource,
      ...(typeof entry.model === 'string' ? { model: entry.model } : {}),
      ...(typeof entry.nickname === 'string' ? { nickname: entry.nickname } : {}),
    };
  });
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function parseHost({ value, name }: RawSetting): string {
  const host = typeof value === 'string' ? value.trim() : '';
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    throw new ConfigError(name, `"${String(value)}" is not an IP address or host name`);
  }
  return host;
}

/** A list: a JSON array of strings in the config file, comma-separated text from the environment and flags. */
function parseList({ value, name }: RawSetting): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!items || items.some((item) => typeof item !== 'string')) {
    throw new ConfigError(name, 'must be a list of strings (comma-separated in the environment and flags)');
  }
  return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
}

/** Host names or IP addresses (an IPv6 address with or without brackets, no port), or `*` for any host. */
function parseAllowedHosts(setting: RawSetting): string[] {
  return parseList(setting).map((entry) => {
    const host = entry
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '');
    if (host !== '*' && isIP(host) === 0 && !HOSTNAME.test(host)) {
      throw new ConfigError(
        setting.name,
        `"${entry}" is not a host name or IP address (no scheme, no port; * allows any host)`,
      );
    }
    return host;
  });
}

/** Web origins, `http(s)://host[:port]` exactly as a browser sends them in its Origin header. */
function parseAllowedOrigins(setting: RawSetting): string[] {
  return parseList(setting).map((entry) => {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    const bare =
      url?.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password &&
      !entry.endsWith('?');
    if (!url || !bare || !['http:', 'https:'].includes(url.protocol)) {
      throw new ConfigError(
        setting.name,
        `"${entry}" is not a web origin such as http://192.168.1.20:5173 (scheme, host and port; no path)`,
      );
    }
    return url.origin;
  });
}

export function parseCount({ value, name }: RawSetting, min: number, max: number): number {
  const text = String(value).trim();
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(count) || count < min || count > max) {
    throw new ConfigError(name, `"${String(value)}" is not a whole number from ${min} to ${max}`);
  }
  return count;
}

function parsePort({ value, name }: RawSetting): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, `"${String(value)}" is not a port number (0–65535; 0 picks a free port)`);
  }
  return port;
}

function parseNonEmpty({ value, name }: RawSetting): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(name, 'must be a non-empty path');
  return value;
}

export function parseBoolean({ value, name }: RawSetting): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(text)) return true;
  if (['0', 'false', 'off', 'no'].includes(text)) return false;
  throw new ConfigError(name, `"${String(value)}" is not on/off (use on, off, true, false, 1 or 0)`);
}

/** "off" (or false): no VXI-11 broadcast; otherwise a comma-separated list (or array) of addresses or interfaces. */
function parseVxi11Broadcast({ value, name }: RawSetting): string[] | false {
  if (value === false || String(value).trim().toLowerCase() === 'off') return false;
  try {
    return parseBroadcastTargets(Array.isArray(value) ? value.join(',') : String(value));
  } catch (err) {
    if (err instanceof BroadcastTargetError) throw new ConfigError(name, `${err.message}, or "off"`);
    throw err;
  }
}

function parseLogLevel({ value, name }: RawSetting): Config['logLevel'] {
  const level = String(value).trim().toLowerCase();
  const found = LOG_LEVELS.find((l) => l === level);
  if (!found) throw new ConfigError(name, `"${String(value)}" is not one of ${LOG_LEVELS.join(', ')}`);
  return found;
}

function parseLogFormat({ value, name }: RawSetting): Config['logFormat'] {
  const format = String(value).trim().toLowerCase();
  const found = LOG_FORMATS.find((f) => f === format);
  if (!found) throw new ConfigError(name, `"${String(value)}" is not one of ${LOG_FORMATS.join(', ')}`);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
