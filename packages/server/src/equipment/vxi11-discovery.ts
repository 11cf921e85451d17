// VXI-11 discovery: one portmapper GETPORT datagram for the VXI-11 core channel (program 0x0607AF) to a broadcast
// address; every instrument (or LAN/GPIB gateway) whose portmapper answers is a candidate at inst0. Which broadcast
// addresses: the setting `vxi11_broadcast` or the `broadcast` query parameter of POST /api/equipment/discover —
// IPv4 addresses or interface names — and by default each IPv4 interface's own broadcast address.

import os from 'node:os';
import { findVxi11Hosts } from '@lablink/instruments';

/** How long the answers to one broadcast are collected. */
export const VXI11_BROADCAST_WAIT_MS = 1000;

/** A broadcast target that is neither an IPv4 address nor one of the machine's interfaces. */
export class BroadcastTargetError extends Error {}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Splits and checks the syntax of a target list (a setting or a query parameter): IPv4 addresses or names. */
export function parseBroadcastTargets(text: string): string[] {
  const targets = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const target of targets) {
    if (!IPV4.test(target) && !/^[A-Za-z][\w.:-]{0,31}$/.test(target)) {
      throw new BroadcastTargetError(`"${target}" is neither an IPv4 address nor a network interface name`);
    }
  }
  return targets;
}

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/**
 * The addresses to broadcast to: each target as given (an IPv4 address) or as its interface's broadcast address
 * (a name); no targets means every non-loopback IPv4 interface.
 */
export function broadcastAddresses(
  targets: readonly string[],
  interfaces: Interfaces = os.networkInterfaces(),
): string[] {
  const broadcastOf = (name: string, includeInternal: boolean) =>
    (interfaces[name] ?? [])
      .filter((entry) => entry.family === 'IPv4' && (includeInternal || !entry.internal))
      .map((entry) => toBroadcast(entry.address, entry.netmask));
  if (targets.length === 0)
    return unique(Object.keys(interfaces).flatMap((name) => broadcastOf(name, false)));
  return unique(
    targets.flatMap((target) => {
      if (IPV4.test(target)) return [target];
      const addresses = broadcastOf(target, true);
      if (addresses.length === 0) {
        const known = Object.keys(interfaces).join(', ');
        throw new BroadcastTargetError(
          `no network interface "${target}" with an IPv4 address (known: ${known})`,
        );
      }
      return addresses;
    }),
  );
}

/** The hosts answering a VXI-11 broadcast to any of `addresses`, as inst0 resources. */
export async function findVxi11(
  addresses: readonly string[],
  waitMs = VXI11_BROADCAST_WAIT_MS,
): Promise<string[]> {
  const answered = await Promise.all(
    addresses.map((address) => findVxi11Hosts(address, waitMs).catch(() => [] as string[])),
  );
  return unique(answered.flat()).map((host) => `TCPIP0::${host}::inst0::INSTR`);
}

function toBroadcast(address: string, netmask: string): string {
  const words = (dotted: string) =>
    dotted.split('.').reduce((word, byte) => (word << 8) | Number(byte), 0) >>> 0;
  const broadcast = (words(address) | ~words(netmask)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (broadcast >>> shift) & 0xff).join('.');
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
