// Discovery: what instruments could be connected. Candidates come from the simulated bench, the config file, LXI
// instruments announcing themselves over mDNS, VXI-11 instruments answering a portmapper broadcast
// (vxi11-discovery.ts), USBTMC instruments bound by the Linux usbtmc driver, and the machine's serial ports.
// Network and USBTMC candidates, and the on-board UARTs that most PCs have with nothing attached, are asked *IDN?
// with a short timeout. A bare host (an mDNS announcement of `_lxi._tcp` alone) is tried as a typed host is —
// VXI-11, HiSLIP, sockets 5025 and 5555 — and listed at the address that answered.

import {
  addressCandidates,
  listUsbtmc,
  ScpiSession,
  type UsbtmcOptions,
  usbtmcResource,
} from '@lablink/instruments';
import type { DiscoveredDevice } from '@lablink/protocol/rest';
import type { Services } from '../services.js';
import { browseMdns } from './mdns.js';
import { broadcastAddresses, findVxi11 } from './vxi11-discovery.js';

const PROBE_TIMEOUT_MS = 800;
const MDNS_BROWSE_MS = 1500;

export interface DiscoverOptions {
  /** Browse mDNS for LXI instruments (default true). */
  mdns?: boolean;
  /**
   * Where to send the VXI-11 broadcast: broadcast addresses or interface names; [] (default) every IPv4
   * interface; false: no VXI-11 broadcast.
   */
  vxi11?: readonly string[] | false;
  /** Where the usbtmc driver's nodes are (tests use a stand-in tree); false: no USBTMC listing. */
  usbtmc?: UsbtmcOptions | false;
}

interface Candidate {
  resource: string;
  method: DiscoveredDevice['discovery_method'];
  name: string | null;
}

export async function discover(
  services: Pick<Services, 'bench' | 'config' | 'equipment'>,
  options: DiscoverOptions = {},
): Promise<DiscoveredDevice[]> {
  const connected = new Map(services.equipment.list().map((v) => [v.info.resource_string, v.info.id]));
  const usbtmc = options.usbtmc === false ? null : (options.usbtmc ?? {});
  const [announced, vxi11, usb] = await Promise.all([
    options.mdns === false ? [] : browseMdns(MDNS_BROWSE_MS).catch(() => []),
    // A configured interface that is gone (a USB network adapter unplugged) means no broadcast there, not a failure.
    options.vxi11 === false
      ? []
      : Promise.resolve(options.vxi11 ?? [])
          .then(broadcastAddresses)
          .then(findVxi11)
          .catch(() => []),
    usbtmc ? listUsbtmc(usbtmc.sysfsRoot).catch(() => []) : [],
  ]);
  const all: Candidate[] = [
    ...(services.bench?.instruments ?? []).map((s) => ({
      resource: s.resource,
      method: 'simulated' as const,
      name: null,
    })),
    ...services.config.instruments.map((i) => ({
      resource: i.resource,
      method: 'config' as const,
      name: i.nickname ?? null,
    })),
    ...announced.map((a) => ({ resource: a.resource, method: 'mdns' as const, name: a.name })),
    ...vxi11.map((resource) => ({ resource, method: 'vxi11' as const, name: null })),
    ...usb.map((d) => ({ resource: usbtmcResource(d), method: 'usbtmc' as const, name: d.product })),
  ];
  // The same instrument can be both configured and announced: list it once, under its first source.
  const candidates = all.filter((c, i) => all.findIndex((d) => d.resource === c.resource) === i);
  const now = new Date().toISOString();
  // The serial ports are looked at meanwhile (an on-board UART's *IDN? waits out its timeout when nothing answers).
  const serial = serialPorts(now, connected);
  const probed = await Promise.all(
    candidates.map(async ({ resource, method, name }): Promise<DiscoveredDevice> => {
      const tried = addressCandidates(resource);
      const connectedAt = tried.find((candidate) => connected.has(candidate));
      const equipmentId = connectedAt ? (connected.get(connectedAt) ?? null) : null;
      const base = {
        device_id: connectedAt ?? resource,
        resource_name: connectedAt ?? resource,
        discovery_method: method,
        friendly_name: name,
        discovered_at: now,
        is_connected: equipmentId !== null,
        equipment_id: equipmentId,
      };
      // A connected instrument is not probed a second time: its session owns the line.
      if (equipmentId) {
        const view = services.equipment.find(equipmentId);
        return {
          ...base,
          manufacturer: view?.info.manufacturer ?? null,
          model: view?.info.model ?? null,
          serial_number: view?.info.serial_number ?? null,
          firmware_version: view?.firmware_version ?? null,
          status: 'connected' as const,
          error: null,
          response_time_ms: null,
        };
      }
      const { settled, ...answer } = await probeFirst(tried, usbtmc ?? {});
      return { ...base, device_id: settled, resource_name: settled, ...answer };
    }),
  );
  // An instrument found twice (announced over mDNS and answering the VXI-11 broadcast) is listed once.
  const listed = probed.filter((d, i) => probed.findIndex((e) => e.resource_name === d.resource_name) === i);
  return [...listed, ...(await serial)];
}

/**
 * Asks each address in turn until one answers *IDN?; `settled` is that address, or the first when none answers
 * (its error is the one reported).
 */
async function probeFirst(addresses: string[], usbtmc: UsbtmcOptions) {
  let first: (Awaited<ReturnType<typeof probe>> & { settled: string }) | null = null;
  for (const address of addresses) {
    const answer = await probe(address, usbtmc);
    if (answer.status === 'available') return { ...answer, settled: address };
    first ??= { ...answer, settled: address };
  }
  return first as Awaited<ReturnType<typeof probe>> & { settled: string };
}

async function probe(resource: string, usbtmc: UsbtmcOptions = {}) {
  const started = performance.now();
  try {
    const session = await ScpiSession.open(resource, {
      timeoutMs: PROBE_TIMEOUT_MS,
      connectTimeoutMs: PROBE_TIMEOUT_MS,
      reconnect: false,
      usbtmc,
    });
    try {
      const id = await session.identify();
      return {
        manufacturer: id.manufacturer,
        model: id.model,
        serial_number: id.serial_number,
        firmware_version: id.firmware_version,
        status: 'available' as const,
        error: null,
        response_time_ms: Math.round(performance.now() - started),
      };
    } finally {
      await session.close();
    }
  } catch (err) {
    return {
      manufacturer: null,
      model: null,
      serial_number: null,
      firmware_version: null,
      status: 'unreachable' as const,
      error: (err as Error).message,
      response_time_ms: null,
    };
  }
}

/** What the serial port lister says of a port (serialport's PortInfo, the fields discovery reads). */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/**
 * A legacy on-board UART (a PC's COM1–COM4, Linux's /dev/ttyS*, which the kernel creates whether or not anything
 * is wired to them) rather than a USB or add-on adapter that an instrument plugs into.
 */
export function isOnboardUart(port: SerialPortInfo): boolean {
  if (port.vendorId || port.productId) return false;
  if (/^\/dev\/ttyS\d+$/.test(port.path)) return true;
  // Windows: the motherboard's ports are ACPI PNP0501 devices of "(Standard port types)".
  return /^ACPI\\PNP050[01]/i.test(port.pnpId ?? '') || port.manufacturer === '(Standard port types)';
}

export interface SerialDiscovery {
  list?: () => Promise<SerialPortInfo[]>;
  probe?: (resource: string) => Promise<Awaited<ReturnType<typeof probe>>>;
}

/**
 * The machine's serial ports. Adapters (USB and the like) are listed without being probed: a wrong baud rate or
 * protocol could upset an instrument. On-board UARTs exist on most PCs with nothing attached, so one is offered
 * only when something on it answers *IDN? (or it is already connected).
 */
/** The OS's serial ports; serialport loads with the first discovery, not at start (docs/performance.md). */
const listSerialPorts = async () => (await import('serialport')).SerialPort.list();

export async function serialPorts(
  now: string,
  connected: Map<string, string>,
  { list = listSerialPorts, probe: ask = probe }: SerialDiscovery = {},
): Promise<DiscoveredDevice[]> {
  const ports = await list().catch(() => []);
  const found = await Promise.all(
    ports.map(async (port): Promise<DiscoveredDevice | null> => {
      const resource = `ASRL${port.path}::INSTR`;
      const equipmentId = connected.get(resource) ?? null;
      const base = {
        device_id: resource,
        resource_name: resource,
        manufacturer: port.manufacturer ?? null,
        model: null,
        serial_number: port.serialNumber ?? null,
        firmware_version: null,
        discovery_method: 'serial' as const,
        friendly_name: port.pnpId ?? null,
        discovered_at: now,
        is_connected: equipmentId !== null,
        equipment_id: equipmentId,
        status: equipmentId ? ('connected' as const) : ('unprobed' as const),
        error: null,
        response_time_ms: null,
      };
      if (equipmentId || !isOnboardUart(port)) return base;
      const answer = await ask(resource).catch(() => null);
      if (answer?.status !== 'available') return null;
      return { ...base, ...answer, friendly_name: base.friendly_name };
    }),
  );
  return found.filter((d): d is DiscoveredDevice => d !== null);
}
