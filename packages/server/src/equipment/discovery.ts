// Discovery: what instruments could be connected. Candidates come from the simulated bench, the config file, LXI
// instruments announcing themselves over mDNS, and the machine's serial ports; network (TCP) candidates, and the
// on-board UARTs that most PCs have with nothing attached, are asked *IDN? with a short timeout.

import { ScpiSession } from '@lablink/instruments';
import type { DiscoveredDevice } from '@lablink/protocol/rest';
import type { Services } from '../services.js';
import { browseMdns } from './mdns.js';

const PROBE_TIMEOUT_MS = 800;
const MDNS_BROWSE_MS = 1500;

export interface DiscoverOptions {
  /** Browse mDNS for LXI instruments (default true). */
  mdns?: boolean;
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
  const announced = options.mdns === false ? [] : await browseMdns(MDNS_BROWSE_MS).catch(() => []);
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
  ];
  // The same instrument can be both configured and announced: list it once, under its first source.
  const candidates = all.filter((c, i) => all.findIndex((d) => d.resource === c.resource) === i);
  const now = new Date().toISOString();
  // The serial ports are looked at meanwhile (an on-board UART's *IDN? waits out its timeout when nothing answers).
  const serial = serialPorts(now, connected);
  const probed = await Promise.all(
    candidates.map(async ({ resource, method, name }) => {
      const equipmentId = connected.get(resource) ?? null;
      const base = {
        device_id: resource,
        resource_name: resource,
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
      return { ...base, ...(await probe(resource)) };
    }),
  );
  return [...probed, ...(await serial)];
}

async function probe(resource: string) {
  const started = performance.now();
  try {
    const session = await ScpiSession.open(resource, { timeoutMs: PROBE_TIMEOUT_MS, reconnect: false });
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
