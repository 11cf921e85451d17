// No request from another web page acts, even on loopback without login (docs/security.md). Two checks, run
// before routing on every request (the /ws upgrade included):
//
// - Host: the Host header must name this server: a loopback name, a configured name (allowed_hosts), and when
//   LabLink listens beyond loopback the machine's own names and addresses. A page that rebinds its DNS name to
//   this machine sends its own name, so it is refused (421) before any route runs.
// - Cross-origin, as Go's net/http CrossOriginProtection: a state-changing request (any method but GET, HEAD and
//   OPTIONS) and every WebSocket upgrade is refused (403) when the browser says it comes from another origin:
//   `Sec-Fetch-Site` other than `same-origin`/`none`, or, from browsers that do not send it, an `Origin` that is
//   neither this server nor a configured origin (allowed_origins). Requests with neither header — curl, scripts,
//   the SDK in Node, Python clients — are not from a web page and pass.

import { isIP } from 'node:net';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { DomainError } from './errors.js';

export interface GuardSettings {
  /** The address the server listens on (config `host`). */
  host: string;
  /** Further names for the Host header; `*` allows any. */
  allowedHosts: readonly string[];
  /** Further origins (`http://host:port`) whose pages may act. */
  allowedOrigins: readonly string[];
}

/** Their statuses (421 and 403) are in HTTP_STATUS (http-errors.ts) with every other error code. */
export const REFUSAL_CODES = {
  host: 'host_not_allowed',
  crossOrigin: 'cross_origin_refused',
} as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Authority {
  /** Lower case, IPv6 without brackets or zone, no trailing dot. */
  name: string;
  /** As written; '' when absent. */
  port: string;
}

/** The parts of a request the guard reads (an IncomingMessage has them). */
export interface GuardedRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}

export class RequestGuard {
  private readonly names = new Set<string>();
  private readonly anyHost: boolean;
  private readonly beyondLoopback: boolean;
  private readonly origins: Set<string>;

  constructor(
    settings: GuardSettings,
    /** The machine's names and addresses; read again when a Host is not found (addresses change with DHCP). */
    private readonly machineNames: () => string[] = localMachineNames,
  ) {
    this.anyHost = settings.allowedHosts.includes('*');
    for (const name of settings.allowedHosts) this.names.add(normalizeName(name));
    const listen = normalizeName(settings.host);
    this.beyondLoopback = !isLoopback(listen);
    // Including 0.0.0.0 / :: themselves: the start-up line prints that address, and browsers on this machine
    // reach the server through it.
    if (this.beyondLoopback && listen !== '' && listen !== '*') this.names.add(listen);
    if (this.beyondLoopback) for (const name of this.machineNames()) this.names.add(normalizeName(name));
    this.origins = new Set(settings.allowedOrigins.map((o) => new URL(o).origin));
  }

  /** The refusal for this request, or null when it may proceed. */
  check(request: GuardedRequest): DomainError | null {
    return this.hostRefusal(request) ?? this.originRefusal(request);
  }

  hostRefusal(request: GuardedRequest): DomainError | null {
    const header = first(request.headers.host);
    // HTTP/1.0 without Host: not a browser (browsers always send it), nothing to compare.
    if (header === undefined || this.anyHost) return null;
    const authority = parseAuthority(header);
    if (authority && this.hostAllowed(authority.name)) return null;
    return new DomainError(
      REFUSAL_CODES.host,
      `Host ${JSON.stringify(header)} does not name this LabLink server, so the request was refused (protection ` +
        'against DNS rebinding). Open LabLink by its address, or add the name to allowed_hosts ' +
        '(--allowed-host, LABLINK_ALLOWED_HOSTS).',
      'host',
    );
  }

  originRefusal(request: GuardedRequest): DomainError | null {
    const upgrade = isUpgrade(request);
    if (!upgrade && SAFE_METHODS.has((request.method ?? 'GET').toUpperCase())) return null;
    const site = first(request.headers['sec-fetch-site'])?.toLowerCase();
    const origin = first(request.headers.origin);
    const what = upgrade ? 'WebSocket connection' : `${request.method} request`;
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return null;
      if (origin !== undefined && this.originAllowed(origin)) return null;
      return crossOrigin(
        `${what} from ${origin ? `a page at ${origin}` : 'another site'} (Sec-Fetch-Site: ${site})`,
        'sec-fetch-site',
      );
    }
    if (origin === undefined) return null; // not from a web page: scripts, curl, the SDK in Node
    if (this.isOwnOrigin(origin, first(request.headers.host)) || this.originAllowed(origin)) return null;
    return crossOrigin(`${what} from a page at ${origin}`, 'origin');
  }

  private hostAllowed(name: string): boolean {
    if (isLoopback(name) || this.names.has(name)) return true;
    if (!this.beyondLoopback) return false;
    for (const current of this.machineNames()) this.names.add(normalizeName(current));
    return this.names.has(name);
  }

  private originAllowed(origin: string): boolean {
    const parsed = parseOrigin(origin);
    return parsed !== null && this.origins.has(parsed.origin);
  }

  /** The Origin names the host and port the request was sent to (Go compares the same way). */
  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    const parsed = parseOrigin(origin);
    const authority = host === undefined ? null : parseAuthority(host);
    if (!parsed || !authority) return false;
    const defaultPort = parsed.protocol === 'https:' ? '443' : '80';
    return (
      normalizeName(parsed.hostname) === authority.name &&
      (parsed.port || defaultPort) === (authority.port || defaultPort)
    );
  }
}

/** Registers the guard as the app's first onRequest hook; refusals answer in the usual error shape. */
export function installRequestGuard(app: FastifyInstance, settings: GuardSettings): RequestGuard {
  const guard = new RequestGuard(settings);
  app.addHook('onRequest', async (request, reply) => {
    const refusal = guard.check(request.raw);
    if (!refusal) return;
    // A refused WebSocket upgrade: the answer is written straight to the TCP socket, which nobody else will close
    // (the WebSocket plugin only closes those that reach its own hooks, after this one), so close it once sent.
    if (isUpgrade(request.raw)) reply.raw.once('finish', () => request.raw.socket.destroy());
    request.log.info(
      {
        code: refusal.code,
        host: request.headers.host,
        origin: request.headers.origin,
        sec_fetch_site: request.headers['sec-fetch-site'],
      },
      'request refused',
    );
    throw refusal;
  });
  return guard;
}

function crossOrigin(what: string, field: string): DomainError {
  return new DomainError(
    REFUSAL_CODES.crossOrigin,
    `cross-origin request refused: ${what}. LabLink acts only on requests from its own pages and from ` +
      'scripts; to trust another web origin, add it to allowed_origins (--allowed-origin, LABLINK_ALLOWED_ORIGINS).',
    field,
  );
}

function isUpgrade(request: GuardedRequest): boolean {
  return /websocket/i.test(first(request.headers.upgrade) ?? '');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function normalizeName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .replace(/\.$/, '');
}

/** `name[:port]` or `[v6][:port]`, as in a Host header; null when it is neither. */
function parseAuthority(header: string): Authority | null {
  const match = /^(\[[0-9a-fA-F:.]+(?:%[\w.-]+)?\]|[^:[\]/\s@]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match?.[1]) return null;
  return { name: normalizeName(match[1]), port: match[2] ?? '' };
}

function parseOrigin(origin: string): URL | null {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null; // "null" (sandboxed frames, file:) and garbage
  }
}

/** Loopback names no other machine can answer to: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopback(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/** This machine's host name (also short and as NAME.local for mDNS) and the addresses of its interfaces. */
export function localMachineNames(): string[] {
  const host = osHostname().toLowerCase();
  const short = host.split('.')[0] ?? host;
  const names = [host, short, `${short}.local`];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) names.push(address.address);
  }
  return names;
}
