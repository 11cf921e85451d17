// What LXI instruments announce over mDNS becomes VISA resources. (Browsing itself needs a network that carries
// multicast; tests talk only to 127.0.0.1, so they exercise the mapping from announced services.)

import type { Service } from 'bonjour-service';
import { describe, expect, it } from 'vitest';
import { toCandidates } from '../src/equipment/mdns.js';

const service = (fields: Partial<Service>) => fields as Service;

describe('mDNS discovery', () => {
  it('maps _scpi-raw._tcp to its announced port, and _lxi._tcp alone to the bare address (tried as a typed host)', () => {
    const found = toCandidates([
      {
        type: 'scpi-raw',
        service: service({ name: 'DP832 lab 3', port: 5555, addresses: ['fe80::1', '10.0.0.7'] }),
      },
      { type: 'lxi', service: service({ name: 'DS1104Z', port: 80, addresses: ['10.0.0.8'] }) },
    ]);
    expect(found).toEqual([
      { resource: 'TCPIP0::10.0.0.7::5555::SOCKET', name: 'DP832 lab 3' },
      { resource: '10.0.0.8', name: 'DS1104Z' },
    ]);
  });

  it('prefers VXI-11, then HiSLIP (with its announced port), then the raw socket, for one host', () => {
    const found = toCandidates([
      { type: 'scpi-raw', service: service({ name: 'A', port: 5025, addresses: ['10.0.0.11'] }) },
      { type: 'vxi-11', service: service({ name: 'A', port: 111, addresses: ['10.0.0.11'] }) },
      { type: 'hislip', service: service({ name: 'A', port: 4880, addresses: ['10.0.0.11'] }) },
      { type: 'scpi-raw', service: service({ name: 'B', port: 5025, addresses: ['10.0.0.12'] }) },
      { type: 'hislip', service: service({ name: 'B', port: 4881, addresses: ['10.0.0.12'] }) },
    ]);
    expect(found).toEqual([
      { resource: 'TCPIP0::10.0.0.11::inst0::INSTR', name: 'A' },
      { resource: 'TCPIP0::10.0.0.12::hislip0,4881::INSTR', name: 'B' },
    ]);
  });

  it('lists an instrument announcing both services once, with its raw SCPI port', () => {
    const found = toCandidates([
      { type: 'lxi', service: service({ name: 'DL3021A', port: 80, addresses: ['10.0.0.9'] }) },
      { type: 'scpi-raw', service: service({ name: 'DL3021A', port: 5025, addresses: ['10.0.0.9'] }) },
    ]);
    expect(found).toEqual([{ resource: 'TCPIP0::10.0.0.9::5025::SOCKET', name: 'DL3021A' }]);
  });

  it('falls back to the address the answer came from, and skips a service with no IPv4 address', () => {
    const found = toCandidates([
      {
        type: 'scpi-raw',
        service: service({
          name: 'A',
          port: 5025,
          addresses: [],
          referer: { address: '10.0.0.10', family: 'IPv4', port: 5353, size: 0 },
        }),
      },
      { type: 'scpi-raw', service: service({ name: 'B', port: 5025, addresses: ['fe80::2'] }) },
    ]);
    expect(found).toEqual([{ resource: 'TCPIP0::10.0.0.10::5025::SOCKET', name: 'A' }]);
  });
});
