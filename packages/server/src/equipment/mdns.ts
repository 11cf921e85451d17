// LXI instruments announce themselves over mDNS/DNS-SD (LXI Device Specification: `_lxi._tcp`, and `_scpi-raw._tcp`
// for the raw SCPI socket). Browsing works where the network carries multicast; elsewhere it finds nothing and
// discovery carries on with its other sources.

import type { Service } from 'bonjour-service';

/** The service types browsed: the raw SCPI socket first, because it names the port to use. */
const SERVICE_TYPES = ['scpi-raw', 'lxi'] as const;

/** The raw SCPI port of an LXI instrument that announces only `_lxi._tcp`. */
const DEFAULT_SCPI_PORT = 5025;

export interface MdnsCandidate {
  resource: string;
  name: string;
}

/** Browses for `timeoutMs` and returns one raw-socket resource per instrument found. */
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

/** Turns announced services into VISA resources, one per host (a `_scpi-raw` record wins over `_lxi`). */
export function toCandidates(found: { service: Service; type: string }[]): MdnsCandidate[] {
  const byHost = new Map<string, MdnsCandidate>();
  for (const { service, type } of found) {
    const address =
      service.addresses?.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)) ?? service.referer?.address;
    if (!address) continue;
    const port = type === 'scpi-raw' ? service.port : DEFAULT_SCPI_PORT;
    const candidate = { resource: `TCPIP0::${address}::${port}::SOCKET`, name: service.name };
    if (type === 'scpi-raw' || !byHost.has(address)) byHost.set(address, candidate);
  }
  return [...byHost.values()];
}
