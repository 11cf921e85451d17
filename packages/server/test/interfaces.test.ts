// Instruments over VXI-11, HiSLIP and USBTMC through the server: a bare host settles on the first protocol that
// answers *IDN? (VXI-11, HiSLIP, then sockets 5025 and 5555) and the equipment shows that full address; discovery
// finds VXI-11 instruments by a portmapper broadcast to a chosen address and lists USBTMC instruments from sysfs.
// Every simulated host has a loopback address of its own (127.x.y.z), so the standard ports (111, 4880, 5025) are
// free there for it.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type RunningSimulator,
  serveHislip,
  serveVxi11,
  startSimulator,
  type Vxi11SimHost,
} from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../src/equipment/discovery.js';
import { broadcastAddresses, parseBroadcastTargets } from '../src/equipment/vxi11-discovery.js';
import { http, type Json, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
const stops: Array<() => Promise<unknown>> = [];

/** A loopback address nothing else uses. */
function freshLoopback(): string {
  const byte = (range: number) => Math.floor(Math.random() * range);
  return `127.${1 + byte(254)}.${byte(256)}.${1 + byte(254)}`;
}

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await server.dispose();
});

async function simulator(
  model: string,
  options: { host?: string; port?: number } = {},
): Promise<RunningSimulator> {
  const sim = await startSimulator(model, options);
  stops.push(() => sim.stop());
  return sim;
}

async function vxi11Host(instruments: RunningSimulator[]): Promise<Vxi11SimHost> {
  const host = await serveVxi11(instruments);
  stops.push(() => host.close());
  return host;
}

const connect = (resource_string: string) =>
  http(`${server.url}/api/equipment/connect`, { body: { resource_string } });

describe('a bare host', () => {
  it('settles on VXI-11 when the instrument speaks it, and the equipment shows the full address', async () => {
    const psu = await simulator('DP832');
    const host = await vxi11Host([psu]);
    const res = await connect(host.host);
    expect(res.status).toBe(200);
    expect(res.body.equipment.resource_string).toBe(`TCPIP0::${host.host}::inst0::INSTR`);
    expect(res.body.equipment.model).toBe('DP832');
    const list = (await http(`${server.url}/api/equipment/list`)).body as Json[];
    expect(list.map((e) => e.resource_string)).toContain(`TCPIP0::${host.host}::inst0::INSTR`);
    // Typed again, the same host is the instrument already connected.
    expect((await connect(host.host)).body.equipment_id).toBe(res.body.equipment_id);
  });

  it('settles on HiSLIP (port 4880) when there is no VXI-11', async () => {
    const address = freshLoopback();
    const dmm = await simulator('34461A');
    const hislip = await serveHislip(dmm, { host: address, port: 4880 });
    stops.push(() => hislip.close());
    const res = await connect(address);
    expect(res.status).toBe(200);
    expect(res.body.equipment.resource_string).toBe(`TCPIP0::${address}::hislip0::INSTR`);
    expect(res.body.equipment.model).toBe('34461A');
  });

  it('settles on the raw socket 5025 when neither answers, and says what it tried when nothing does', async () => {
    const address = freshLoopback();
    await simulator('DL3021A', { host: address, port: 5025 });
    const res = await connect(address);
    expect(res.status).toBe(200);
    expect(res.body.equipment.resource_string).toBe(`TCPIP0::${address}::5025::SOCKET`);
    const nobody = freshLoopback();
    const none = await connect(nobody);
    expect(none.status).toBe(502);
    expect(none.body.field).toBe('resource_string');
    for (const tried of ['inst0::INSTR', 'hislip0::INSTR', '5025::SOCKET', '5555::SOCKET']) {
      expect(none.body.detail).toContain(`TCPIP0::${nobody}::${tried}`);
    }
  });
});

describe('VXI-11 broadcast discovery', () => {
  it('finds the instrument whose portmapper answers at the address given, probed with *IDN?', async () => {
    const scope = await simulator('DS1104Z');
    const host = await vxi11Host([scope]);
    const res = await http(`${server.url}/api/equipment/discover?broadcast=${host.host}`, { method: 'POST' });
    expect(res.status).toBe(200);
    const found = (res.body.devices as Json[]).filter((d) => d.discovery_method === 'vxi11');
    expect(found).toEqual([
      expect.objectContaining({
        resource_name: `TCPIP0::${host.host}::inst0::INSTR`,
        model: 'DS1104Z',
        status: 'available',
        is_connected: false,
      }),
    ]);
    // The address found connects as it is.
    expect((await connect(found[0].resource_name)).status).toBe(200);
  });

  it('refuses a broadcast target that is neither an address nor an interface, naming the parameter', async () => {
    for (const bad of ['not an address', 'eth-does-not-exist9', '10.0.0.256']) {
      const res = await http(`${server.url}/api/equipment/discover?broadcast=${encodeURIComponent(bad)}`, {
        method: 'POST',
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('broadcast');
    }
  });

  it('turns interface names into their broadcast addresses; none given means every interface but loopback', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true }],
      eth0: [
        { address: '192.168.1.23', netmask: '255.255.255.0', family: 'IPv4', internal: false },
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false },
      ],
      wlan0: [{ address: '10.20.30.40', netmask: '255.255.0.0', family: 'IPv4', internal: false }],
    } as unknown as Parameters<typeof broadcastAddresses>[1];
    expect(broadcastAddresses([], interfaces)).toEqual(['192.168.1.255', '10.20.255.255']);
    expect(broadcastAddresses(parseBroadcastTargets('eth0, 10.9.9.255'), interfaces)).toEqual([
      '192.168.1.255',
      '10.9.9.255',
    ]);
    expect(broadcastAddresses(['lo'], interfaces)).toEqual(['127.255.255.255']);
    expect(() => broadcastAddresses(['eth7'], interfaces)).toThrow(
      /no network interface "eth7".*known: lo, eth0, wlan0/,
    );
  });
});

describe('USBTMC discovery', () => {
  it('lists the instruments the usbtmc driver bound beside the LAN ones, with the reason one cannot be opened', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lablink-usbtmc-'));
    stops.push(() => rm(root, { recursive: true, force: true }));
    const usbDevice = join(root, 'sys/devices/usb1/1-1');
    await mkdir(join(usbDevice, '1-1:1.0'), { recursive: true });
    await writeFile(join(usbDevice, 'idVendor'), '1ab1\n');
    await writeFile(join(usbDevice, 'idProduct'), '04ce\n');
    await writeFile(join(usbDevice, 'serial'), 'DS1ZA0000009\n');
    await writeFile(join(usbDevice, 'product'), 'DS1000Z Series\n');
    await mkdir(join(root, 'sys/class/usbmisc/usbtmc0'), { recursive: true });
    await symlink(join(usbDevice, '1-1:1.0'), join(root, 'sys/class/usbmisc/usbtmc0/device'));
    const psu = await simulator('DP832');
    const host = await vxi11Host([psu]);
    // No node in the stand-in /dev: the instrument is listed, unreachable, saying why.
    const devices = await discover(server.services, {
      mdns: false,
      vxi11: [host.host],
      usbtmc: { sysfsRoot: join(root, 'sys/class/usbmisc'), devRoot: join(root, 'dev') },
    });
    const usb = devices.find((d) => d.discovery_method === 'usbtmc');
    expect(usb).toMatchObject({
      resource_name: 'USB0::0x1AB1::0x04CE::DS1ZA0000009::INSTR',
      friendly_name: 'DS1000Z Series',
      status: 'unreachable',
    });
    expect(usb?.error).toMatch(/usbtmc0 is missing although sysfs lists usbtmc0/);
    expect(devices.find((d) => d.discovery_method === 'vxi11')).toMatchObject({ model: 'DP832' });
  });
});
