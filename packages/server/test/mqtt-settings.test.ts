// MQTT settings: from the config file's `mqtt` object, the environment and the flags (later wins), each checked at
// start-up with an error naming the setting.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { defaultBenchName } from '../src/mqtt/settings.js';
import { tempDir } from './helpers.js';

const data = tempDir();
afterAll(() => data.remove());
const load = (env: NodeJS.ProcessEnv, flags = {}) =>
  loadConfig({ env: { LABLINK_DATA_DIR: data.dir, ...env }, flags });
const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('MQTT settings', () => {
  it('has no broker unless one is given', () => {
    expect(load({}).mqtt).toBeNull();
    expect(load({}).hub).toBe(false);
  });

  it('reads the environment, and the flags win over it', () => {
    const fromEnv = load({ LABLINK_MQTT_URL: 'mqtt://broker.lab:1883', LABLINK_BENCH: 'bench-7' }).mqtt;
    expect(fromEnv).toMatchObject({
      url: 'mqtt://broker.lab:1883',
      bench: 'bench-7',
      keepaliveS: 10,
      root: 'lablink',
    });
    const fromFlags = load(
      { LABLINK_MQTT_URL: 'mqtt://broker.lab:1883', LABLINK_BENCH: 'bench-7' },
      { mqtt: 'mqtts://other.lab:8883', bench: 'bench-9' },
    ).mqtt;
    expect(fromFlags).toMatchObject({ url: 'mqtts://other.lab:8883', bench: 'bench-9' });
  });

  it('names the bench after the host by default, reduced to what a topic level may hold', () => {
    expect(load({ LABLINK_MQTT_URL: 'mqtt://127.0.0.1' }).mqtt?.bench).toBe(defaultBenchName());
    expect(defaultBenchName('pi-bench.lab.example')).toBe('pi-bench');
    expect(defaultBenchName('bad+host#name')).toBe('bad-host-name');
  });

  it('reads the config file’s mqtt object, with credentials and TLS files', () => {
    const ca = path.join(data.dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const file = path.join(data.dir, 'lablink.json');
    writeFileSync(
      file,
      JSON.stringify({
        mqtt: {
          url: 'mqtts://broker.lab:8883',
          bench: 'b1',
          username: 'bench',
          password: 's3cret',
          ca,
          keepalive_s: 5,
        },
      }),
    );
    expect(load({ LABLINK_CONFIG: file }).mqtt).toMatchObject({
      url: 'mqtts://broker.lab:8883',
      bench: 'b1',
      username: 'bench',
      password: 's3cret',
      ca,
      keepaliveS: 5,
    });
  });

  it('refuses bad values, naming the setting', () => {
    expect(errorOf(() => load({ LABLINK_MQTT_URL: 'http://broker' })).setting).toBe('LABLINK_MQTT_URL');
    expect(errorOf(() => load({}, { mqtt: 'mqtt://b', bench: 'a/#' })).setting).toBe('--bench');
    expect(errorOf(() => load({ LABLINK_MQTT_URL: 'mqtt://b', LABLINK_MQTT_KEEPALIVE: '0' })).setting).toBe(
      'LABLINK_MQTT_KEEPALIVE',
    );
    expect(
      errorOf(() => load({ LABLINK_MQTT_URL: 'mqtt://b', LABLINK_MQTT_CA: '/nonexistent.pem' })).message,
    ).toContain('/nonexistent.pem');
    // A setting without a broker is a mistake, not silently ignored.
    expect(errorOf(() => load({ LABLINK_MQTT_USERNAME: 'x' })).setting).toBe('LABLINK_MQTT_USERNAME');
    expect(errorOf(() => load({}, { hub: true })).setting).toBe('--mqtt');
  });

  it('refuses an unknown key of the file’s mqtt object', () => {
    const file = path.join(data.dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ mqtt: { url: 'mqtt://b', keepalive: 5 } }));
    expect(errorOf(() => load({ LABLINK_CONFIG: file })).message).toContain('mqtt.keepalive');
  });
});
