// USBTMC through the Linux kernel's usbtmc driver: the instrument is a character device /dev/usbtmc<n>; a write()
// is one command message, a read() asks the instrument for its reply. Which node is which instrument comes from
// sysfs (/sys/class/usbmisc/usbtmc<n>/device/../idVendor, idProduct, serial). No native code: plain file I/O.

import { close, constants, open, read, write } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InstrumentIOError } from '../errors.js';
import type { ParsedResource } from '../visa.js';
import type { Transport, TransportHandlers, UsbtmcOptions } from './types.js';

export const DEFAULT_DEV_ROOT = '/dev';
export const DEFAULT_SYSFS_ROOT = '/sys/class/usbmisc';

/** One USBTMC instrument the kernel driver has bound. */
export interface UsbtmcDevice {
  /** The node's name: usbtmc0. */
  name: string;
  vendorId: number;
  productId: number;
  serial: string;
  manufacturer: string | null;
  product: string | null;
}

/** The instruments the usbtmc driver has bound, read from sysfs; none where there is no such class directory. */
export async function listUsbtmc(sysfsRoot: string = DEFAULT_SYSFS_ROOT): Promise<UsbtmcDevice[]> {
  const names = await readdir(sysfsRoot).catch(() => [] as string[]);
  const devices = await Promise.all(
    names
      .filter((name) => /^usbtmc\d+$/.test(name))
      .map(async (name): Promise<UsbtmcDevice | null> => {
        // device/ is a symlink to the USB interface; its parent holds the device's descriptors. Spelled out
        // rather than path.join'ed: join would drop "device/.." lexically instead of letting the kernel follow the
        // link.
        const attribute = (file: string) =>
          readFile(`${sysfsRoot}/${name}/device/../${file}`, 'latin1').then(
            (text) => text.trim(),
            () => null,
          );
        const [vendor, product, serial, manufacturer, productName] = await Promise.all(
          ['idVendor', 'idProduct', 'serial', 'manufacturer', 'product'].map(attribute),
        );
        if (!vendor || !product) return null;
        return {
          name,
          vendorId: Number.parseInt(vendor, 16),
          productId: Number.parseInt(product, 16),
          serial: serial ?? '',
          manufacturer: manufacturer ?? null,
          product: productName ?? null,
        };
      }),
  );
  return devices
    .filter((device): device is UsbtmcDevice => device !== null)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The udev rule that lets non-root users open an instrument's node. */
export function udevRule(vendorId: number): string {
  const vendor = vendorId.toString(16).padStart(4, '0');
  return `SUBSYSTEM=="usbmisc", KERNEL=="usbtmc*", ATTRS{idVendor}=="${vendor}", MODE="0666"`;
}

/** The USB resource of a bound device: USB0::0x1AB1::0x04CE::DS1ZA1234::INSTR. */
export function usbtmcResource(device: UsbtmcDevice): string {
  const hex = (id: number) => `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;
  return `USB0::${hex(device.vendorId)}::${hex(device.productId)}::${device.serial}::INSTR`;
}

type UsbResource = Extract<ParsedResource, { kind: 'usb' }>;

/** Bytes asked for per read(); a reply that fills it is read on. */
const READ_SIZE = 64 * 1024;

/** How the node is opened (to a file descriptor); a test replaces it to inject what only a non-root user sees. */
export type NodeOpener = (path: string) => Promise<number>;
const openNode: NodeOpener = (path) => promisify(open)(path, constants.O_RDWR | constants.O_NOCTTY);
const readFd = promisify(read);
const writeFd = promisify(write);

export async function openUsbtmc(
  resource: UsbResource,
  handlers: TransportHandlers,
  options: UsbtmcOptions & { openNode?: NodeOpener } = {},
): Promise<Transport> {
  const devRoot = options.devRoot ?? DEFAULT_DEV_ROOT;
  const sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const hex = (id: number) => `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;
  const wanted = `${hex(resource.vendorId)}::${hex(resource.productId)}::${resource.serial}`;
  const devices = await listUsbtmc(sysfsRoot);
  const device = devices.find(
    (d) =>
      d.vendorId === resource.vendorId &&
      d.productId === resource.productId &&
      d.serial.toUpperCase() === resource.serial.toUpperCase(),
  );
  if (!device) {
    const present = devices.map((d) => `${usbtmcResource(d)} (${d.name})`).join(', ');
    throw new InstrumentIOError(
      `no USBTMC instrument ${wanted} bound by the kernel's usbtmc driver (looked in ${sysfsRoot}); ` +
        (present ? `found ${present}` : 'none is plugged in, or the usbtmc module is not loaded'),
    );
  }
  const path = join(devRoot, device.name);
  let fd: number;
  try {
    fd = await (options.openNode ?? openNode)(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new InstrumentIOError(
        `permission denied opening ${path} (${wanted}); allow it with a udev rule in ` +
          `/etc/udev/rules.d/99-usbtmc.rules: ${udevRule(device.vendorId)} ` +
          '(or GROUP="plugdev", MODE="0660" and add the user to that group), then ' +
          '`udevadm control --reload-rules && udevadm trigger` or replug the instrument',
      );
    }
    if (code === 'ENOENT') {
      throw new InstrumentIOError(
        `${path} is missing although sysfs lists ${device.name} (${wanted}); is /dev populated by udev?`,
      );
    }
    throw new InstrumentIOError(`cannot open ${path}: ${(error as Error).message}`);
  }
  return new UsbtmcLink(path, fd, handlers);
}

/**
 * File descriptors rather than FileHandles: a FileHandle's close() waits for a read still blocked in the kernel, and
 * a session must be able to drop a link at once.
 */
class UsbtmcLink implements Transport {
  private closed = false;
  /**
   * The reads of replies, one after another: a read still blocked in the kernel (a timed-out query's) is never
   * joined by a second one racing it for the next reply.
   */
  private reading: Promise<void> = Promise.resolve();

  constructor(
    readonly peer: string,
    private readonly fd: number,
    private readonly handlers: TransportHandlers,
  ) {}

  async write(bytes: Buffer, expectReply = false): Promise<void> {
    if (this.closed) throw new InstrumentIOError(`${this.peer} is closed`);
    try {
      // The driver sends each write() as one message with EOM set.
      await writeFd(this.fd, bytes);
    } catch (error) {
      throw new InstrumentIOError(`write to ${this.peer} failed: ${(error as Error).message}`);
    }
    if (expectReply) this.reading = this.reading.then(() => (this.closed ? undefined : this.readReply()));
  }

  /** One reply: the driver returns it in reads of up to READ_SIZE bytes; a shorter read is its end. */
  private async readReply(): Promise<void> {
    const buffer = Buffer.alloc(READ_SIZE);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await readFd(this.fd, buffer, 0, READ_SIZE, null));
      } catch (error) {
        // ETIMEDOUT: the driver's own timeout passed with no answer; the session's timeout reports it.
        if ((error as NodeJS.ErrnoException).code === 'ETIMEDOUT' || this.closed) return;
        this.fail(new InstrumentIOError(`read from ${this.peer} failed: ${(error as Error).message}`));
        return;
      }
      if (this.closed) return;
      if (bytesRead === 0) {
        this.fail(new InstrumentIOError(`${this.peer} is gone (unplugged?)`));
        return;
      }
      this.handlers.data(Buffer.from(buffer.subarray(0, bytesRead)));
      if (bytesRead < READ_SIZE) return;
    }
  }

  private fail(error: InstrumentIOError): void {
    if (this.closed) return;
    this.closed = true;
    void this.release();
    this.handlers.closed(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  /**
   * Closes the descriptor once no read is pending on it (the driver ends a blocked read at its own timeout): closed
   * earlier, its number could be reused by the next open and the pending read would take that file's bytes. The
   * link is dropped at once all the same: nothing is handed on once `closed` is set.
   */
  private async release(): Promise<void> {
    await this.reading;
    await promisify(close)(this.fd).catch(() => {});
  }
}
