// One MQTT 5 connection as LabLink opens it, bridge or hub: credentials and TLS from the settings, automatic
// reconnection (mqtt.js resubscribes by itself), and no offline queue of its own — the bridge keeps events in its
// outbox and republishes its retained state on each connection, so nothing stale is sent after an outage.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttSettings } from './settings.js';

/** Wait between reconnection attempts (ms). */
export const RECONNECT_MS = 1000;

export function connectBroker(
  settings: MqttSettings,
  clientIdPrefix: string,
  extra: Pick<IClientOptions, 'will'> = {},
): MqttClient {
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: `${clientIdPrefix}-${randomBytes(4).toString('hex')}`,
    keepalive: settings.keepaliveS,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: 10_000,
    clean: true,
    queueQoSZero: false,
    resubscribe: true,
    rejectUnauthorized: settings.rejectUnauthorized,
    ...extra,
  };
  if (settings.username !== undefined) options.username = settings.username;
  if (settings.password !== undefined) options.password = settings.password;
  if (settings.ca) options.ca = readFileSync(settings.ca);
  if (settings.cert) options.cert = readFileSync(settings.cert);
  if (settings.key) options.key = readFileSync(settings.key);
  return mqtt.connect(settings.url, options);
}

/** The broker URL without its password, for logs. */
export function safeUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
