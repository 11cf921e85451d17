// Serial discovery: USB adapters are listed unprobed; the on-board UARTs a PC has whether or not anything is
// attached (/dev/ttyS*, COM1) are offered only when something on them answers *IDN?.

import { describe, expect, it } from 'vitest';
import { isOnboardUart, type SerialPortInfo, serialPorts } from '../src/equipment/discovery.js';

const NOW = '2026-11-29T12:00:00.000Z';

const answer = {
  manufacturer: 'B&K Precision',
  model: '1685B',
  serial_number: 'SN1',
  firmware_version: '1.0',
  status: 'available' as const,
  error: null,
  response_time_ms: 40,
};
const silence = {
  manufacturer: null,
  model: null,
  serial_number: null,
  firmware_version: null,
  status: 'unreachable' as const,
  error: 'no reply within 800 ms',
  response_time_ms: null,
};

describe('serial discovery', () => {
  it('tells on-board UARTs from adapters', () => {
    expect(isOnboardUart({ path: '/dev/ttyS0' })).toBe(true);
    expect(isOnboardUart({ path: '/dev/ttyS12' })).toBe(true);
    expect(
      isOnboardUart({ path: 'COM1', pnpId: 'ACPI\\PNP0501\\1', manufacturer: '(Standard port types)' }),
    ).toBe(true);
    expect(isOnboardUart({ path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' })).toBe(false);
    expect(isOnboardUart({ path: '/dev/ttyACM0', manufacturer: 'Rigol' })).toBe(false);
    expect(isOnboardUart({ path: 'COM5', pnpId: 'USB\\VID_0403&PID_6001\\A1', vendorId: '0403' })).toBe(
      false,
    );
  });

  it('leaves out an on-board UART that does not answer, lists adapters unprobed, and one that answers', async () => {
    const ports: SerialPortInfo[] = [
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyS1' },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' },
    ];
    const probed: string[] = [];
    const devices = await serialPorts(NOW, new Map(), {
      list: async () => ports,
      probe: async (resource) => {
        probed.push(resource);
        return resource === 'ASRL/dev/ttyS1::INSTR' ? answer : silence;
      },
    });
    // Adapters are never probed: a wrong baud rate could upset what is on them.
    expect(probed.sort()).toEqual(['ASRL/dev/ttyS0::INSTR', 'ASRL/dev/ttyS1::INSTR']);
    expect(devices.map((d) => [d.resource_name, d.status, d.model])).toEqual([
      ['ASRL/dev/ttyS1::INSTR', 'available', '1685B'],
      ['ASRL/dev/ttyUSB0::INSTR', 'unprobed', null],
    ]);
  });

  it('keeps a connected on-board port without probing it (its session owns the line)', async () => {
    const devices = await serialPorts(NOW, new Map([['ASRL/dev/ttyS0::INSTR', 'ps_1']]), {
      list: async () => [{ path: '/dev/ttyS0' }],
      probe: async () => {
        throw new Error('must not probe');
      },
    });
    expect(devices).toMatchObject([
      { resource_name: 'ASRL/dev/ttyS0::INSTR', status: 'connected', equipment_id: 'ps_1' },
    ]);
  });

  it('on this machine, lists no silent on-board UART', async () => {
    const devices = await serialPorts(NOW, new Map());
    expect(devices.filter((d) => /ttyS\d+::/.test(d.resource_name) && d.status !== 'available')).toEqual([]);
  });
});
