// VISA resource strings: parsing, formatting, and which of them LabLink can open.
//
//   TCPIP[board]::host::port::SOCKET                          raw SCPI socket
//   TCPIP[board]::host[::inst0 | ::gpib0,<n>]::INSTR          VXI-11 (portmapper on port 111, then the core channel)
//   TCPIP[board]::host::hislip<n>[,<port>]::INSTR             HiSLIP (port 4880 unless given)
//   USB[board]::vendor::product::serial[::interface]::INSTR   USBTMC through the Linux kernel driver (/dev/usbtmc<n>)
//   ASRL<n>::INSTR, ASRL<path>::INSTR, COM<n>                 serial port
//   GPIB[board]::primary[::secondary]::INSTR                  GPIB (parsed, not opened: no driver for GPIB cards)
//
// Keywords are case-insensitive; an IPv6 host is written in brackets: TCPIP0::[fe80::1]::5025::SOCKET.
// A bare host (addressCandidates) is tried as VXI-11, HiSLIP, then the raw sockets 5025 and 5555.

import { isIPv6 } from 'node:net';
import { ResourceNotAllowedError, ResourceSyntaxError, UnsupportedInterfaceError } from './errors.js';
import type { ConnectionType } from './types.js';

export type ParsedResource =
  | { kind: 'tcpip-socket'; board: number; host: string; port: number }
  | { kind: 'tcpip-instr'; board: number; host: string; device: string }
  | {
      kind: 'usb';
      board: number;
      vendorId: number;
      productId: number;
      serial: string;
      interfaceNumber: number | null;
    }
  /** `board` is null for the path form (ASRL/dev/ttyUSB0::INSTR); `path` is what the OS opens. */
  | { kind: 'asrl'; board: number | null; path: string }
  | { kind: 'gpib'; board: number; primary: number; secondary: number | null };

/** The resources a transport exists for. */
export type OpenableResource = Exclude<ParsedResource, { kind: 'gpib' }>;

/** The port of the raw SCPI socket on nearly every LAN instrument. */
export const DEFAULT_SCPI_PORT = 5025;

/** The HiSLIP port (IVI-6.1) when the resource names none. */
export const DEFAULT_HISLIP_PORT = 4880;

/** The port of a HiSLIP device name (`hislip0` → 4880, `hislip0,5000` → 5000), or null for a VXI-11 name. */
export function hislipPort(device: string): number | null {
  const match = /^hislip\d+(?:,(\d{1,5}))?$/i.exec(device);
  if (!match) return null;
  return match[1] === undefined ? DEFAULT_HISLIP_PORT : Number(match[1]);
}

/** The address forms LabLink reads, for a refusal to list under its one-line reason. */
export const ACCEPTED_FORMS: readonly string[] = [
  'host or IP address, optionally :port (a LAN instrument; without a port, VXI-11, HiSLIP, then sockets 5025 and 5555)',
  'TCPIP[board]::host::port::SOCKET',
  'TCPIP[board]::host[::inst0|::gpib0,<n>]::INSTR (VXI-11)',
  'TCPIP[board]::host::hislip0[,<port>]::INSTR (HiSLIP)',
  'USB[board]::vendor::product::serial[::interface]::INSTR',
  'ASRL<n>::INSTR',
  'ASRL<path>::INSTR (e.g. ASRL/dev/ttyUSB0::INSTR)',
  'COM<n>',
  'GPIB[board]::primary[::secondary]::INSTR',
];

/** Raw SCPI socket ports tried, in order, for a bare host: most vendors' 5025, then Rigol's 5555. */
export const RAW_SCPI_PORTS: readonly number[] = [DEFAULT_SCPI_PORT, 5555];

/**
 * The VISA resources a typed address may mean, in the order to try them. A bare host name or IPv4 address is a LAN
 * instrument: with `:port`, that raw socket (`192.168.1.50:5555` → `TCPIP0::192.168.1.50::5555::SOCKET`); without,
 * VXI-11 (inst0), HiSLIP (hislip0), then each of RAW_SCPI_PORTS — the instrument's own protocols before the raw
 * sockets, as a VISA library would open `TCPIP::host::INSTR`. Anything else (a VISA resource, COM3) is itself,
 * trimmed.
 */
export function addressCandidates(address: string): string[] {
  const text = address.trim();
  const bare =
    /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::(\d{1,5}))?$/.exec(
      text,
    );
  if (!bare || /^(COM\d+|(TCPIP|USB|ASRL|GPIB)\d*)$/i.test(bare[1] as string)) return [text];
  const host = bare[1] as string;
  const sockets = (ports: readonly number[]) => ports.map((port) => `TCPIP0::${host}::${port}::SOCKET`);
  if (bare[2] === undefined) {
    return [`TCPIP0::${host}::inst0::INSTR`, `TCPIP0::${host}::hislip0::INSTR`, ...sockets(RAW_SCPI_PORTS)];
  }
  const port = Number(bare[2]);
  return port >= 1 && port <= 65_535 ? sockets([port]) : [text];
}

export function parseResource(resource: string): ParsedResource {
  const fail: Fail = (problem) => {
    throw new ResourceSyntaxError(`${JSON.stringify(resource)} is not an instrument address: ${problem}`);
  };
  const text = resource.trim();
  if (text === '') fail('it is empty');
  // A line break or ';' in an address is a typo or an injection attempt, never part of a real resource.
  if (/[\p{Cc};]/u.test(text)) fail('it contains a control character or ";"');

  const com = /^COM(\d+)$/i.exec(text);
  if (com) return serialBoard(Number(com[1]), fail);

  const [head = '', ...fields] = splitFields(text);
  const match = /^(TCPIP|USB|ASRL|GPIB)(.*)$/i.exec(head);
  if (!match) return fail(`unknown interface "${head}"`);
  const keyword = (match[1] ?? '').toUpperCase();
  const rest = match[2] ?? '';
  const resourceClass = fields.pop()?.toUpperCase();
  if (resourceClass !== 'INSTR' && resourceClass !== 'SOCKET') fail('it does not end in ::INSTR or ::SOCKET');
  if (resourceClass === 'SOCKET' && keyword !== 'TCPIP') fail('only TCPIP resources end in ::SOCKET');

  if (keyword === 'ASRL') {
    if (fields.length > 0) fail('a serial resource is ASRL<n>::INSTR or ASRL<path>::INSTR');
    if (/^\d+$/.test(rest)) return serialBoard(Number(rest), fail);
    if (/^(\/[\w.+@:/-]+|COM\d+)$/i.test(rest)) return { kind: 'asrl', board: null, path: rest };
    return fail(`"${rest}" is neither a port number nor a device path`);
  }

  if (!/^\d*$/.test(rest)) fail(`the board number "${rest}" is not a number`);
  const board = Number(rest || '0');
  if (keyword === 'TCPIP') return parseTcpip(board, fields, resourceClass === 'SOCKET', fail);
  if (keyword === 'USB') return parseUsb(board, fields, fail);
  return parseGpib(board, fields, fail);
}

/** Throws UnsupportedInterfaceError, saying what to use instead, unless LabLink has a transport for the resource. */
export function assertOpenable(resource: ParsedResource): asserts resource is OpenableResource {
  if (resource.kind !== 'gpib') return;
  const socket = formatResource({ kind: 'tcpip-socket', board: 0, host: 'host', port: DEFAULT_SCPI_PORT });
  throw new UnsupportedInterfaceError(
    `GPIB (GPIB::…::INSTR) is not supported: LabLink has no GPIB card driver; reach the instrument through a LAN/GPIB gateway (TCPIP0::gateway::gpib0,<address>::INSTR), its LAN socket (${socket}) or a serial port (ASRL/dev/ttyUSB0::INSTR)`,
  );
}

/**
 * Where a serial port can be, by platform. A resource from the network (POST /api/equipment/connect) must name
 * one of these; anything else (a regular file, /dev/tty itself, a virtual console) would be opened as if it were
 * an instrument.
 */
const SERIAL_DEVICE_PATHS: Record<'linux' | 'darwin' | 'win32', { patterns: RegExp[]; described: string }> = {
  linux: {
    patterns: [
      // ttyS0, ttyUSB0, ttyACM0, ttyAMA0 …; not /dev/tty (the server's own terminal), the consoles tty0…tty63
      // nor ttyprintk (the kernel log)
      /^\/dev\/tty(?!printk$)[A-Za-z][\w.-]*$/,
      /^\/dev\/serial\/by-(id|path)\/[\w.:+@-]+$/,
      /^\/dev\/rfcomm\d+$/, // Bluetooth serial
      /^\/dev\/pts\/\d+$/, // pseudo-terminals: virtual serial ports (socat, ser2net clients)
    ],
    described:
      '/dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM* (any /dev/tty<letters>…), /dev/serial/by-id/*, /dev/serial/by-path/*, /dev/rfcomm<n>, /dev/pts/<n>',
  },
  darwin: {
    patterns: [/^\/dev\/(tty|cu)\.[\w.-]+$/],
    described: '/dev/tty.* and /dev/cu.*',
  },
  win32: { patterns: [/^COM[1-9]\d{0,2}$/i], described: 'COM<n>' },
};

function serialPathsOf(platform: NodeJS.Platform) {
  return platform === 'win32' || platform === 'darwin'
    ? SERIAL_DEVICE_PATHS[platform]
    : SERIAL_DEVICE_PATHS.linux;
}

/** True when `path` is where a serial port can be on `platform`. Decided from the string alone. */
export function isSerialDevicePath(path: string, platform: NodeJS.Platform = process.platform): boolean {
  if (path.split('/').some((part) => part === '.' || part === '..')) return false;
  return serialPathsOf(platform).patterns.some((pattern) => pattern.test(path));
}

/**
 * Throws ResourceNotAllowedError when a serial resource names a path no serial port can have (a regular file,
 * /dev/tty, a console). Other resources pass. The decision reads the string only, never the file system, so the
 * error is the same whether or not the path exists. For resources that come from the network; the config file
 * and the local CLI may name any path (a udev alias such as /dev/psu).
 */
export function assertSerialDevicePath(
  resource: ParsedResource,
  platform: NodeJS.Platform = process.platform,
): void {
  if (resource.kind !== 'asrl' || isSerialDevicePath(resource.path, platform)) return;
  throw new ResourceNotAllowedError(
    `"${resource.path}" is not a serial port path; serial ports are opened only under ${serialPathsOf(platform).described}`,
  );
}

export function connectionType(resource: ParsedResource): ConnectionType {
  switch (resource.kind) {
    case 'tcpip-socket':
    case 'tcpip-instr':
      return 'ethernet';
    case 'asrl':
      return 'serial';
    case 'usb':
      return 'usb';
    case 'gpib':
      return 'gpib';
  }
}

/** The canonical string for a resource; parseResource(formatResource(r)) equals r. */
export function formatResource(resource: ParsedResource): string {
  const hex = (id: number) => `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;
  switch (resource.kind) {
    case 'tcpip-socket':
      return `TCPIP${resource.board}::${formatHost(resource.host)}::${resource.port}::SOCKET`;
    case 'tcpip-instr':
      return `TCPIP${resource.board}::${formatHost(resource.host)}::${resource.device}::INSTR`;
    case 'usb': {
      const intf = resource.interfaceNumber === null ? '' : `::${resource.interfaceNumber}`;
      return `USB${resource.board}::${hex(resource.vendorId)}::${hex(resource.productId)}::${resource.serial}${intf}::INSTR`;
    }
    case 'asrl':
      return `ASRL${resource.board ?? resource.path}::INSTR`;
    case 'gpib': {
      const secondary = resource.secondary === null ? '' : `::${resource.secondary}`;
      return `GPIB${resource.board}::${resource.primary}${secondary}::INSTR`;
    }
  }
}

type Fail = (problem: string) => never;

/** Splits on "::", except inside the brackets of an IPv6 literal. */
function splitFields(text: string): string[] {
  const fields: string[] = [];
  let start = 0;
  let inBrackets = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') inBrackets = true;
    else if (text[i] === ']') inBrackets = false;
    else if (!inBrackets && text.startsWith('::', i)) {
      fields.push(text.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  fields.push(text.slice(start));
  return fields;
}

/** ASRL<n> follows the NI-VISA numbering: ASRL1 is COM1 on Windows and /dev/ttyS0 elsewhere. */
function serialBoard(board: number, fail: Fail): ParsedResource {
  if (board < 1) fail('serial ports are numbered from 1 (ASRL1 = COM1 = /dev/ttyS0)');
  const path = process.platform === 'win32' ? `COM${board}` : `/dev/ttyS${board - 1}`;
  return { kind: 'asrl', board, path };
}

function parseTcpip(board: number, fields: string[], socket: boolean, fail: Fail): ParsedResource {
  const [hostField = '', third, ...extra] = fields;
  const host = parseHost(hostField, fail);
  if (socket) {
    if (third === undefined || extra.length > 0)
      fail('a socket resource is TCPIP[board]::host::port::SOCKET');
    return { kind: 'tcpip-socket', board, host, port: parsePort(third ?? '', fail) };
  }
  if (extra.length > 0) fail('a TCPIP instrument resource is TCPIP[board]::host[::device]::INSTR');
  const device = third ?? 'inst0';
  if (/^\d+$/.test(device)) {
    fail(`"${device}" is a port, not a LAN device name; a raw socket is TCPIP0::host::${device}::SOCKET`);
  }
  if (!/^[a-z][\w,]*$/i.test(device)) fail(`"${device}" is not a LAN device name such as inst0 or hislip0`);
  // hislip0,<port>: the port is checked here, as a socket's is, not left to the connection to trip over.
  const hislip = /^hislip\d+,(.*)$/i.exec(device);
  if (hislip) parsePort(hislip[1] as string, fail);
  return { kind: 'tcpip-instr', board, host, device };
}

function parseHost(field: string, fail: Fail): string {
  const ipv6 = /^\[(.+)\]$/.exec(field)?.[1];
  if (ipv6 !== undefined) return isIPv6(ipv6) ? ipv6 : fail(`"${field}" is not an IPv6 address`);
  const label = '[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?';
  if (field.length > 253 || !new RegExp(`^${label}(?:\\.${label})*$`, 'i').test(field)) {
    fail(field === '' ? 'the host is missing' : `"${field}" is not a host name or IP address`);
  }
  return field;
}

function formatHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

function parsePort(field: string, fail: Fail): number {
  const port = /^\d{1,5}$/.test(field) ? Number(field) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) fail(`the port "${field}" is not a number in 1..65535`);
  return port;
}

function parseUsb(board: number, fields: string[], fail: Fail): ParsedResource {
  const [vendor = '', product = '', serial = '', intf, ...extra] = fields;
  if (serial === '' || extra.length > 0)
    fail('a USB resource is USB[board]::vendor::product::serial[::interface]::INSTR');
  if (intf !== undefined && !/^\d+$/.test(intf)) fail(`the USB interface number "${intf}" is not a number`);
  return {
    kind: 'usb',
    board,
    vendorId: parseUsbId('vendor', vendor, fail),
    productId: parseUsbId('product', product, fail),
    serial,
    interfaceNumber: intf === undefined ? null : Number(intf),
  };
}

function parseUsbId(what: string, field: string, fail: Fail): number {
  const id = /^(0x[0-9a-f]{1,4}|\d{1,5})$/i.test(field) ? Number(field) : Number.NaN;
  if (!(id <= 0xffff))
    fail(`the USB ${what} id "${field}" is not a 16-bit number (hex like 0x1AB1, or decimal)`);
  return id;
}

function parseGpib(board: number, fields: string[], fail: Fail): ParsedResource {
  const [primary, secondary, ...extra] = fields;
  if (primary === undefined || extra.length > 0)
    fail('a GPIB resource is GPIB[board]::primary[::secondary]::INSTR');
  const address = (what: string, field: string) => {
    const value = /^\d{1,2}$/.test(field) ? Number(field) : Number.NaN;
    return value <= 30 ? value : fail(`the GPIB ${what} address "${field}" is not a number in 0..30`);
  };
  return {
    kind: 'gpib',
    board,
    primary: address('primary', primary ?? ''),
    secondary: secondary === undefined ? null : address('secondary', secondary),
  };
}
