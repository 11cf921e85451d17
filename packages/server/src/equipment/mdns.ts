// LXI instruments announce themselves over mDNS/DNS-SD (LXI Device Specification): `_vxi-11._tcp`, `_hislip._tcp`
// (with its port), `_scpi-raw._tcp` (with its port) and `_lxi._tcp` (the web page only). Browsing works where the
// network carries multicast; elsewhere it finds nothing and discovery carries on with its other sources.

import type { Service } from 'bonjour-service';

/** The service types browsed, in the order LabLink prefers them for one instrument: as for a bare host. */
const SERVICE_TYPES = ['vxi-11', 'hislip', 'scpi-raw', 'lxi'] as const;

/** The HiSLIP port when the announcement names no other. */
const DEFAULT_HISLIP_PORT = 4880;

export interface MdnsCandidate {
  /** A VISA resource, or (an instrument announcing `_lxi._tcp` alone) its bare address, tried as a typed host is. */
  resource: string;
  name: string;
}

/** Browses for `timeoutMs` and returns one resource per instrument found. */
export async function browseMdns(timeoutMs: number): Promise<MdnsCandidate[]> {
  // Loaded when discovery first browses, not at start (docs/performance.md).
  const { Bonjour } = await import('bonjour-service');
  const bonjour = new Bonjour();
  const found: { service: Service; type: (typeof SERVICE_TYPES)[number] }[] = [];
  const browsers = SERVICE_TYPES.map((type) =>
    bonjour.find({ type }, (service) => found.push({ service, type })),
  );
  await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  for (const browser of browsers) browser.stop();
  bonjour.destroy();
  return toCandidates(found);
}

/**
 * Turns announced services into one resource per host, the most preferred service winning: VXI-11 (inst0), then
 * HiSLIP, then the raw SCPI socket. A host announcing only `_lxi._tcp` gives its bare address, which is tried as a
 * typed host is (VXI-11, HiSLIP, sockets 5025 and 5555).
 */
export function toCandidates(found: { service: Service; type: string }[]): MdnsCandidate[] {
  const byHost = new Map<string, { rank: number; candidate: MdnsCandidate }>();
  for (const { service, type } of found) {
    const address =
      service.addresses?.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)) ?? service.referer?.address;
    const rank = SERVICE_TYPES.indexOf(type as (typeof SERVICE_TYPES)[number]);
    if (!address || rank < 0) continue;
    const resource =
      type === 'vxi-11'
        ? `TCPIP0::${address}::inst0::INSTR`
        : type === 'hislip'
          ? `TCPIP0::${address}::hislip0${service.port && service.port !== DEFAULT_HISLIP_PORT ? `,${service.port}` : ''}::INSTR`
          : type === 'scpi-raw'
            ? `TCPIP0::${address}::${service.port}::SOCKET`
            : address;
    const known = byHost.get(address);
    if (!known || rank < known.rank)
      byHost.set(address, { rank, candidate: { resource, name: service.name } });
  }
  return [...byHost.values()].map((entry) => entry.candidate);
}
