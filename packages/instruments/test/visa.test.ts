import { describe, expect, it } from 'vitest';
import { ResourceNotAllowedError, ResourceSyntaxError, UnsupportedInterfaceError } from '../src/errors.js';
import {
  ACCEPTED_FORMS,
  addressCandidates,
  assertOpenable,
  assertSerialDevicePath,
  connectionType,
  formatResource,
  hislipPort,
  isSerialDevicePath,
  type ParsedResource,
  parseResource,
} from '../src/visa.js';

const ttyS = (n: number) => (process.platform === 'win32' ? `COM${n + 1}` : `/dev/ttyS${n}`);

describe('parseResource', () => {
  const valid: [string, ParsedResource][] = [
    [
      'TCPIP0::192.168.1.100::5025::SOCKET',
      { kind: 'tcpip-socket', board: 0, host: '192.168.1.100', port: 5025 },
    ],
    [
      'TCPIP::scope.lab.local::5555::SOCKET',
      { kind: 'tcpip-socket', board: 0, host: 'scope.lab.local', port: 5555 },
    ],
    ['tcpip3::psu-1::1::socket', { kind: 'tcpip-socket', board: 3, host: 'psu-1', port: 1 }],
    ['TCPIP0::[fe80::1]::65535::SOCKET', { kind: 'tcpip-socket', board: 0, host: 'fe80::1', port: 65535 }],
    ['  TCPIP0::10.0.0.2::5025::SOCKET\n', { kind: 'tcpip-socket', board: 0, host: '10.0.0.2', port: 5025 }],
    [
      'TCPIP0::192.168.1.100::inst0::INSTR',
      { kind: 'tcpip-instr', board: 0, host: '192.168.1.100', device: 'inst0' },
    ],
    [
      'TCPIP::192.168.1.100::INSTR',
      { kind: 'tcpip-instr', board: 0, host: '192.168.1.100', device: 'inst0' },
    ],
    ['TCPIP1::dmm::hislip0::instr', { kind: 'tcpip-instr', board: 1, host: 'dmm', device: 'hislip0' }],
    ['TCPIP0::gw::gpib0,5::INSTR', { kind: 'tcpip-instr', board: 0, host: 'gw', device: 'gpib0,5' }],
    [
      'USB0::0x1AB1::0x04CE::DS1ZA123456789::INSTR',
      {
        kind: 'usb',
        board: 0,
        vendorId: 0x1ab1,
        productId: 0x04ce,
        serial: 'DS1ZA123456789',
        interfaceNumber: null,
      },
    ],
    [
      'usb::0x2ec7::0x9200::SERIAL::0::instr',
      { kind: 'usb', board: 0, vendorId: 0x2ec7, productId: 0x9200, serial: 'SERIAL', interfaceNumber: 0 },
    ],
    [
      'USB1::6833::1230::X1::INSTR',
      { kind: 'usb', board: 1, vendorId: 6833, productId: 1230, serial: 'X1', interfaceNumber: null },
    ],
    ['ASRL/dev/ttyUSB0::INSTR', { kind: 'asrl', board: null, path: '/dev/ttyUSB0' }],
    [
      'ASRL/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0::INSTR',
      { kind: 'asrl', board: null, path: '/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0' },
    ],
    ['asrlCOM4::instr', { kind: 'asrl', board: null, path: 'COM4' }],
    ['ASRL1::INSTR', { kind: 'asrl', board: 1, path: ttyS(0) }],
    ['COM3', { kind: 'asrl', board: 3, path: ttyS(2) }],
    ['GPIB0::5::INSTR', { kind: 'gpib', board: 0, primary: 5, secondary: null }],
    ['gpib::30::2::instr', { kind: 'gpib', board: 0, primary: 30, secondary: 2 }],
  ];

  it.each(valid)('parses %j', (resource, expected) => {
    expect(parseResource(resource)).toEqual(expected);
  });

  it.each(valid)('formats %j so that it parses back to the same resource', (resource) => {
    const parsed = parseResource(resource);
    expect(parseResource(formatResource(parsed))).toEqual(parsed);
  });

  it('formats canonically', () => {
    expect(formatResource(parseResource('tcpip::h::5025::socket'))).toBe('TCPIP0::h::5025::SOCKET');
    expect(formatResource(parseResource('TCPIP::h::INSTR'))).toBe('TCPIP0::h::inst0::INSTR');
    expect(formatResource(parseResource('USB::0x1ab1::1230::S::INSTR'))).toBe(
      'USB0::0x1AB1::0x04CE::S::INSTR',
    );
    expect(formatResource(parseResource('COM3'))).toBe('ASRL3::INSTR');
    expect(formatResource(parseResource('TCPIP0::[::1]::5025::SOCKET'))).toBe('TCPIP0::[::1]::5025::SOCKET');
  });

  const malformed: [string, RegExp][] = [
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['TCPIP0::host\n::5025::SOCKET', /control character/],
    ['TCPIP0::host;rm -rf::5025::SOCKET', /control character or ";"/],
    ['TCPIP0::h\u0000::5025::SOCKET', /control character/],
    ['MOCK::PSU::1', /unknown interface "MOCK"/],
    ['192.168.1.5', /unknown interface/],
    ['TCPIP0::host::5025', /does not end in ::INSTR or ::SOCKET/],
    ['TCPIP0::host', /does not end in ::INSTR or ::SOCKET/],
    ['TCPIPx::host::5025::SOCKET', /board number "x"/],
    ['TCPIP0::host::SOCKET', /host::port::SOCKET/],
    ['TCPIP0::::5025::SOCKET', /host is missing/],
    ['TCPIP0::bad host::5025::SOCKET', /"bad host" is not a host name/],
    ['TCPIP0::-x.lab::5025::SOCKET', /not a host name/],
    ['TCPIP0::[fe80::zz]::5025::SOCKET', /not an IPv6 address/],
    ['TCPIP0::host::0::SOCKET', /port "0" is not a number in 1\.\.65535/],
    ['TCPIP0::host::65536::SOCKET', /port "65536"/],
    ['TCPIP0::host::50x5::SOCKET', /port "50x5"/],
    ['TCPIP0::host::5025::5::SOCKET', /host::port::SOCKET/],
    [
      'TCPIP0::host::5025::INSTR',
      /is a port, not a LAN device name; a raw socket is TCPIP0::host::5025::SOCKET/,
    ],
    ['TCPIP0::host::in st0::INSTR', /not a LAN device name/],
    ['TCPIP0::host::hislip0,99999::INSTR', /port "99999" is not a number in 1\.\.65535/],
    ['TCPIP0::host::hislip0,::INSTR', /port "" is not a number/],
    ['USB0::0x1AB1::0x04CE::INSTR', /USB\[board\]::vendor::product::serial/],
    ['USB0::0x1AB1G::0x04CE::S::INSTR', /vendor id "0x1AB1G"/],
    ['USB0::0x1AB1::70000::S::INSTR', /product id "70000" is not a 16-bit number/],
    ['USB0::0x1AB1::0x04CE::S::x::INSTR', /interface number "x"/],
    ['USB0::1::2::S::5025::SOCKET', /only TCPIP resources end in ::SOCKET/],
    ['ASRL::INSTR', /"" is neither a port number nor a device path/],
    ['ASRLdev/tty::INSTR', /neither a port number nor a device path/],
    ['ASRL0::INSTR', /numbered from 1/],
    ['ASRL1::9600::INSTR', /ASRL<n>::INSTR or ASRL<path>::INSTR/],
    ['GPIB0::INSTR', /GPIB\[board\]::primary/],
    ['GPIB0::31::INSTR', /primary address "31" is not a number in 0\.\.30/],
    ['GPIB0::5::x::INSTR', /secondary address "x"/],
  ];

  it.each(malformed)('rejects %j', (resource, problem) => {
    expect(() => parseResource(resource)).toThrow(ResourceSyntaxError);
    expect(() => parseResource(resource)).toThrow(problem);
  });

  it('says in one line what is wrong with the offending string, escaped; the accepted forms are listed apart', () => {
    expect(() => parseResource('TCPIP0::host\n::5025::SOCKET')).toThrow(
      /^"TCPIP0::host\\n::5025::SOCKET" is not an instrument address: it contains a control character or ";"$/,
    );
    expect(ACCEPTED_FORMS.join('\n')).toMatch(
      /TCPIP\[board\]::host::port::SOCKET[\s\S]*ASRL<path>::INSTR[\s\S]*GPIB/,
    );
  });
});

describe('addressCandidates', () => {
  it.each([
    ['192.168.1.50', 'TCPIP0::192.168.1.50::inst0::INSTR'],
    [' 192.168.1.50:5555 ', 'TCPIP0::192.168.1.50::5555::SOCKET'],
    ['psu-3.lab.example', 'TCPIP0::psu-3.lab.example::inst0::INSTR'],
    ['localhost:5025', 'TCPIP0::localhost::5025::SOCKET'],
    ['TCPIP0::10.0.0.2::INSTR', 'TCPIP0::10.0.0.2::INSTR'],
    ['COM3', 'COM3'],
    ['ASRL1', 'ASRL1'],
    ['host:99999', 'host:99999'],
    ['host:0', 'host:0'],
    ['-bad-', '-bad-'],
    ['two words', 'two words'],
  ])('%j → %j', (typed, resource) => {
    expect(addressCandidates(typed)[0]).toBe(resource);
  });

  it('tries a bare host as VXI-11, HiSLIP, then the raw sockets 5025 and 5555', () => {
    expect(addressCandidates('10.0.0.9')).toEqual([
      'TCPIP0::10.0.0.9::inst0::INSTR',
      'TCPIP0::10.0.0.9::hislip0::INSTR',
      'TCPIP0::10.0.0.9::5025::SOCKET',
      'TCPIP0::10.0.0.9::5555::SOCKET',
    ]);
    expect(addressCandidates('10.0.0.9:5025')).toEqual(['TCPIP0::10.0.0.9::5025::SOCKET']);
  });
});

describe('hislipPort', () => {
  it.each([
    ['hislip0', 4880],
    ['HISLIP1', 4880],
    ['hislip0,5000', 5000],
    ['inst0', null],
    ['gpib0,5', null],
  ])('%s → %j', (device, port) => {
    expect(hislipPort(device)).toBe(port);
  });
});

describe('connectionType', () => {
  it.each([
    ['TCPIP0::h::5025::SOCKET', 'ethernet'],
    ['TCPIP::h::INSTR', 'ethernet'],
    ['ASRL/dev/ttyUSB0::INSTR', 'serial'],
    ['ASRL1::INSTR', 'serial'],
    ['COM3', 'serial'],
    ['USB0::0x1AB1::0x04CE::S::INSTR', 'usb'],
    ['GPIB0::5::INSTR', 'gpib'],
  ])('%s is %s', (resource, type) => {
    expect(connectionType(parseResource(resource))).toBe(type);
  });
});

describe('assertOpenable', () => {
  it.each([
    'TCPIP0::h::5025::SOCKET',
    'ASRL/dev/ttyUSB0::INSTR',
    'TCPIP0::10.0.0.7::inst0::INSTR',
    'TCPIP::10.0.0.7::gpib0,5::INSTR',
    'TCPIP0::dmm::hislip0::INSTR',
    'TCPIP0::dmm::hislip0,5000::INSTR',
    'USB0::0x1AB1::0x04CE::S::INSTR',
  ])('accepts %s', (resource) => {
    expect(() => assertOpenable(parseResource(resource))).not.toThrow();
  });

  it('refuses GPIB, saying what to use instead', () => {
    const parsed = parseResource('GPIB0::5::INSTR');
    expect(() => assertOpenable(parsed)).toThrow(UnsupportedInterfaceError);
    expect(() => assertOpenable(parsed)).toThrow(
      /GPIB .*not supported.*TCPIP0::gateway::gpib0,<address>::INSTR/,
    );
  });
});

describe('serial device paths (resources from the network)', () => {
  it.each([
    '/dev/ttyS0',
    '/dev/ttyUSB0',
    '/dev/ttyACM12',
    '/dev/ttyAMA0',
    '/dev/ttymxc3',
    '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0',
    '/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0',
    '/dev/rfcomm0',
    '/dev/pts/7',
  ])('accepts %s on Linux', (path) => {
    expect(isSerialDevicePath(path, 'linux')).toBe(true);
  });

  it.each([
    '/etc/passwd',
    '/tmp/lablink-pty-host',
    '/dev/tty',
    '/dev/tty0',
    '/dev/tty12',
    '/dev/ttyprintk',
    '/dev/sda',
    '/dev/null',
    '/dev/ttyUSB0/../../etc/passwd',
    '/dev/serial/by-id/../../../etc/shadow',
    '/dev/serial/by-id/sub/dir',
    '/dev/pts/ptmx',
    '/dev/pts/../sda',
    'COM3',
    'ttyUSB0',
  ])('refuses %s on Linux', (path) => {
    expect(isSerialDevicePath(path, 'linux')).toBe(false);
  });

  it('knows macOS and Windows names', () => {
    expect(isSerialDevicePath('/dev/cu.usbserial-1420', 'darwin')).toBe(true);
    expect(isSerialDevicePath('/dev/tty.usbmodem14201', 'darwin')).toBe(true);
    expect(isSerialDevicePath('/dev/ttyUSB0', 'darwin')).toBe(false);
    expect(isSerialDevicePath('/etc/passwd', 'darwin')).toBe(false);
    expect(isSerialDevicePath('COM3', 'win32')).toBe(true);
    expect(isSerialDevicePath('com12', 'win32')).toBe(true);
    expect(isSerialDevicePath('COM0', 'win32')).toBe(false);
    expect(isSerialDevicePath('/dev/ttyS0', 'win32')).toBe(false);
  });

  it('refuses other serial paths with ResourceNotAllowedError and lets every other resource through', () => {
    const refused = parseResource('ASRL/etc/passwd::INSTR');
    expect(() => assertSerialDevicePath(refused, 'linux')).toThrow(ResourceNotAllowedError);
    expect(() => assertSerialDevicePath(refused, 'linux')).toThrow(
      /^"\/etc\/passwd" is not a serial port path; serial ports are opened only under \/dev\/ttyS\*/,
    );
    for (const resource of [
      'ASRL/dev/ttyUSB0::INSTR',
      'ASRL3::INSTR',
      'TCPIP0::h::5025::SOCKET',
      'GPIB0::5::INSTR',
    ]) {
      expect(() => assertSerialDevicePath(parseResource(resource), 'linux'), resource).not.toThrow();
    }
  });
});
