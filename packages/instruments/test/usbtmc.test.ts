// USBTMC through the Linux kernel driver, against a stand-in: no USB instrument is plugged into the test machine,
// so the suite builds what the driver would show — a sysfs tree (class/usbmisc/usbtmc0/device as a symlink into
// devices/…/1-1:1.0, with idVendor, idProduct and serial in the USB device above it) and a /dev/usbtmc0 node.
// The node is one end of a socat pseudo-terminal pair (raw, no echo); the simulated instrument serves the other
// end. A pty passes bytes, not USBTMC messages: each write is one command and each reply is read as it arrives,
// which is what the driver's read() gives for a reply shorter than the read size.
//
// The permission error cannot be provoked for real: the tests run as root, and root opens any node whatever its
// mode. So the EACCES the kernel returns to an unprivileged user is injected at the open call.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentIOError } from '../src/errors.js';
import { ScpiSession } from '../src/session.js';
import { type RunningSimulator, startSimulator } from '../src/sim/index.js';
import { listUsbtmc, openUsbtmc, udevRule, usbtmcResource } from '../src/transport/usbtmc.js';
import { parseResource } from '../src/visa.js';
import { closeSerialPort, hasSocat, openSerialPort, type PtyPair, startPtyPair } from './pty-pair.js';

if (!hasSocat)
  console.warn('SKIPPED USBTMC stand-in suite: socat not found. Install the Debian package socat.');

const RESOURCE = 'USB0::0x1AB1::0x04CE::DS1ZA0000001::INSTR';

let root: string;
let sysfsRoot: string;
let devRoot: string;
let pair: PtyPair;
let instrumentEnd: SerialPort;
let scope: RunningSimulator;
let detach: () => void;

/** A USB device in the stand-in sysfs tree, bound as usbtmc<n>. */
async function addDevice(n: number, ids: { vendor: string; product: string; serial: string }) {
  const usbDevice = join(root, 'sys/devices/pci0000:00/usb1', `1-${n + 1}`);
  await mkdir(join(usbDevice, `1-${n + 1}:1.0`), { recursive: true });
  await writeFile(join(usbDevice, 'idVendor'), `${ids.vendor}\n`);
  await writeFile(join(usbDevice, 'idProduct'), `${ids.product}\n`);
  await writeFile(join(usbDevice, 'serial'), `${ids.serial}\n`);
  await writeFile(join(usbDevice, 'manufacturer'), 'Rigol Technologies.\n');
  await mkdir(join(sysfsRoot, `usbtmc${n}`), { recursive: true });
  await symlink(join(usbDevice, `1-${n + 1}:1.0`), join(sysfsRoot, `usbtmc${n}`, 'device'));
}

describe.skipIf(!hasSocat)('USBTMC through the kernel driver (stand-in sysfs and node)', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lablink-usbtmc-'));
    sysfsRoot = join(root, 'sys/class/usbmisc');
    devRoot = join(root, 'dev');
    await mkdir(devRoot, { recursive: true });
    await addDevice(0, { vendor: '1ab1', product: '04ce', serial: 'DS1ZA0000001' });
    // usbtmc1: listed in sysfs, but its node was never created.
    await addDevice(1, { vendor: '0957', product: '0607', serial: 'MY00000002' });
    pair = startPtyPair(join(devRoot, 'usbtmc0'), join(root, 'instrument'));
    await pair.ready;
    scope = await startSimulator('DS1104Z');
    instrumentEnd = await openSerialPort(join(root, 'instrument'));
    detach = scope.serveStream(instrumentEnd);
  });

  afterAll(async () => {
    detach?.();
    await closeSerialPort(instrumentEnd);
    await pair?.stop();
    await scope?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('lists the instruments the driver has bound, from sysfs, as USB resources', async () => {
    const devices = await listUsbtmc(sysfsRoot);
    expect(devices.map((d) => [d.name, usbtmcResource(d)])).toEqual([
      ['usbtmc0', RESOURCE],
      ['usbtmc1', 'USB0::0x0957::0x0607::MY00000002::INSTR'],
    ]);
    expect(devices[0]?.manufacturer).toBe('Rigol Technologies.');
    expect(await listUsbtmc(join(root, 'no-such-dir'))).toEqual([]);
  });

  it('opens USB::vid::pid::serial::INSTR as the matching /dev/usbtmc<n> and queries it', async () => {
    const session = await ScpiSession.open(RESOURCE, { usbtmc: { devRoot, sysfsRoot } });
    try {
      expect(await session.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DS1104Z,/);
      await session.write(':CHAN1:SCAL 0.5');
      expect(Number(await session.query(':CHAN1:SCAL?'))).toBe(0.5);
    } finally {
      await session.close();
    }
  });

  it('says which instruments are there when none matches, and when a listed node is missing', async () => {
    await expect(
      ScpiSession.open('USB0::0x1AB1::0x04CE::OTHER::INSTR', { usbtmc: { devRoot, sysfsRoot } }),
    ).rejects.toThrow(
      /no USBTMC instrument 0x1AB1::0x04CE::OTHER bound .*found USB0::0x1AB1::0x04CE::DS1ZA0000001::INSTR \(usbtmc0\)/,
    );
    await expect(
      ScpiSession.open('USB0::0x0957::0x0607::MY00000002::INSTR', { usbtmc: { devRoot, sysfsRoot } }),
    ).rejects.toThrow(/usbtmc1 is missing although sysfs lists usbtmc1/);
    await expect(
      ScpiSession.open(RESOURCE, { usbtmc: { devRoot, sysfsRoot: join(root, 'empty') } }),
    ).rejects.toThrow(/none is plugged in, or the usbtmc module is not loaded/);
  });

  it('a node the user may not open gives the udev rule to add', async () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open '/dev/usbtmc0'"), {
      code: 'EACCES',
    });
    const opening = openUsbtmc(
      parseResource(RESOURCE) as Extract<ReturnType<typeof parseResource>, { kind: 'usb' }>,
      { data: () => {}, closed: () => {} },
      { devRoot, sysfsRoot, openNode: () => Promise.reject(denied) },
    );
    await expect(opening).rejects.toThrow(InstrumentIOError);
    await expect(opening).rejects.toThrow(
      'SUBSYSTEM=="usbmisc", KERNEL=="usbtmc*", ATTRS{idVendor}=="1ab1", MODE="0666"',
    );
    await expect(opening).rejects.toThrow(/permission denied opening .*usbtmc0 .*GROUP="plugdev"/);
    expect(udevRule(0x0957)).toContain('ATTRS{idVendor}=="0957"');
  });
});
