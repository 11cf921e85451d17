// The MQTT settings of a LabLink server: the broker it bridges to (or, in hub mode, reads from), how it signs in,
// and the bench name its topics carry. They come from the config file's `mqtt` object, the environment and the
// command line (config.ts merges them, the later source winning per key); everything is checked here, at start-up.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ConfigError, parseBoolean, parseCount, type RawSetting } from '../config.js';

export interface MqttSettings {
  /** mqtt://, mqtts://, ws:// or wss:// broker URL (credentials in the URL are accepted too). */
  url: string;
  /** The bench name in every topic (`lablink/<bench>/…`): letters, digits, `-`, `_`, `.`. */
  bench: string;
  username?: string;
  password?: string;
  /** PEM files for TLS (mqtts/wss): the broker's CA, and a client certificate with its key. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Refuse a broker whose certificate does not verify (default on; off only for a lab's self-signed test broker). */
  rejectUnauthorized: boolean;
  /** Seconds between MQTT keep-alives: the broker declares a silent bench offline after 1.5 times this. */
  keepaliveS: number;
  /** How often each instrument's readings are published (ms). */
  readingsIntervalMs: number;
  /** Events kept on disk while the broker is away; beyond it the oldest are dropped (and counted). */
  bufferMax: number;
  /** The LabLink API token a hub sends with the commands it forwards (each bench checks it). */
  token?: string;
  /** The topic root; `lablink` unless several labs share one broker. */
  root: string;
}

export const MQTT_DEFAULTS = {
  keepaliveS: 10,
  readingsIntervalMs: 1000,
  bufferMax: 10_000,
  root: 'lablink',
  rejectUnauthorized: true,
} as const;

/** Raw MQTT settings, by key, from each source. */
export type RawMqtt = Partial<Record<keyof typeof FILE_KEYS, RawSetting>>;

/** Keys of the config file's `mqtt` object. */
export const FILE_KEYS = {
  url: 'url',
  bench: 'bench',
  username: 'username',
  password: 'password',
  ca: 'ca',
  cert: 'cert',
  key: 'key',
  reject_unauthorized: 'reject_unauthorized',
  keepalive_s: 'keepalive_s',
  readings_interval_ms: 'readings_interval_ms',
  buffer_max: 'buffer_max',
  token: 'token',
  root: 'root',
} as const;

/** Environment variables of the MQTT settings. */
export const ENV_KEYS: Partial<Record<keyof typeof FILE_KEYS, string>> = {
  url: 'LABLINK_MQTT_URL',
  bench: 'LABLINK_BENCH',
  username: 'LABLINK_MQTT_USERNAME',
  password: 'LABLINK_MQTT_PASSWORD',
  ca: 'LABLINK_MQTT_CA',
  cert: 'LABLINK_MQTT_CERT',
  key: 'LABLINK_MQTT_KEY',
  keepalive_s: 'LABLINK_MQTT_KEEPALIVE',
  readings_interval_ms: 'LABLINK_MQTT_READINGS_INTERVAL_MS',
  token: 'LABLINK_MQTT_TOKEN',
};

/** The config file's `mqtt` object as raw values. */
export function rawFromFile(value: unknown, file: string): RawMqtt {
  if (typeof value === 'string') return { url: { value, name: `${file}: mqtt` } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${file}: mqtt`, 'must be a broker URL or an object with a "url"');
  }
  const raw: RawMqtt = {};
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(FILE_KEYS, key)) {
      throw new ConfigError(
        `${file}: mqtt.${key}`,
        `unknown setting (known: ${Object.keys(FILE_KEYS).join(', ')})`,
      );
    }
    raw[key as keyof RawMqtt] = { value: v, name: `${file}: mqtt.${key}` };
  }
  return raw;
}

export function rawFromEnv(env: NodeJS.ProcessEnv): RawMqtt {
  const raw: RawMqtt = {};
  for (const [key, name] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key as keyof RawMqtt] = { value, name };
  }
  return raw;
}

const BENCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

/** The default bench name: the machine's host name, reduced to the characters a topic level may hold. */
export function defaultBenchName(hostname = os.hostname()): string {
  const cleaned = hostname.split('.')[0]?.replace(/[^A-Za-z0-9._-]/g, '-') ?? '';
  return BENCH_NAME.test(cleaned) ? cleaned : 'bench';
}

/** Checks merged raw settings; null when no broker URL is given (no bridge, no hub). */
export function parseMqttSettings(raw: RawMqtt): MqttSettings | null {
  if (!raw.url) {
    // A bench name alone is harmless (the hostname default needs none either); anything else means a missing URL.
    const stray = Object.entries(raw).find(([key, v]) => v !== undefined && key !== 'bench')?.[1];
    if (stray)
      throw new ConfigError(
        stray.name,
        'is an MQTT setting, but no broker URL is given (--mqtt or LABLINK_MQTT_URL)',
      );
    return null;
  }
  const url = parseUrl(raw.url);
  const bench = raw.bench ? parseName(raw.bench, BENCH_NAME, 'a bench name') : defaultBenchName();
  const root = raw.root ? parseName(raw.root, ROOT_NAME, 'a topic root') : MQTT_DEFAULTS.root;
  const settings: MqttSettings = {
    url,
    bench,
    root,
    rejectUnauthorized: raw.reject_unauthorized
      ? parseBoolean(raw.reject_unauthorized)
      : MQTT_DEFAULTS.rejectUnauthorized,
    keepaliveS: raw.keepalive_s ? parseCount(raw.keepalive_s, 1, 3600) : MQTT_DEFAULTS.keepaliveS,
    readingsIntervalMs: raw.readings_interval_ms
      ? parseCount(raw.readings_interval_ms, 50, 3_600_000)
      : MQTT_DEFAULTS.readingsIntervalMs,
    bufferMax: raw.buffer_max ? parseCount(raw.buffer_max, 1, 10_000_000) : MQTT_DEFAULTS.bufferMax,
  };
  for (const key of ['username', 'password', 'token'] as const) {
    const v = raw[key];
    if (v) settings[key] = parseText(v);
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    const v = raw[key];
    if (v) settings[key] = parsePemFile(v);
  }
  if (Boolean(settings.cert) !== Boolean(settings.key)) {
    throw new ConfigError(
      raw.cert?.name ?? raw.key?.name ?? 'mqtt',
      'a client certificate needs both cert and key',
    );
  }
  return settings;
}

function parseUrl({ value, name }: RawSetting): string {
  let url: URL | null = null;
  try {
    url = new URL(String(value));
  } catch {
    // reported below
  }
  if (!url || !['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(url.protocol) || !url.hostname) {
    throw new ConfigError(
      name,
      `"${String(value)}" is not a broker URL such as mqtt://127.0.0.1:1883 (mqtt, mqtts, ws or wss)`,
    );
  }
  return url.toString();
}

function parseName({ value, name }: RawSetting, pattern: RegExp, what: string): string {
  const text = String(value).trim();
  if (!pattern.test(text)) {
    throw new ConfigError(
      name,
      `"${String(value)}" is not ${what} (letters, digits, ".", "_", "-"; up to 64; no MQTT wildcards)`,
    );
  }
  return text;
}

function parseText({ value, name }: RawSetting): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(name, 'must be a non-empty string');
  return value;
}

/** A PEM file path; read at start-up so a missing file stops the server with its name. */
function parsePemFile(setting: RawSetting): string {
  const file = parseText(setting);
  try {
    readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      setting.name,
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return file;
}
