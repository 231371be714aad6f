// SPDX-License-Identifier: Apache-2.0
// Uplink ports (issue 18): a host NIC bound to the data plane, through the
// DPDK driver that suits the host. What a caller may ask for is checked
// here (pure), and the host is checked before anything is created, so a
// driver that cannot work here fails with a reason, not half-way:
//   af_xdp     net_af_xdp: the NIC stays a kernel netdev; frames reach us
//              through an XDP socket (needs the kernel's AF_XDP, shown as
//              "XDP" in /proc/net/protocols);
//   af_packet  net_af_packet: works on any netdev, slow (a copy through
//              the kernel's packet socket rings);
//   pci        a PCI device the operator bound to vfio-pci beforehand
//              (we never rebind a device: it could be the node's own NIC).
import { readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';

import { invalid, notFound, precondition } from '../errors.js';
import { validateIfaceName } from '../kernel/kernel-iface.js';

export const UPLINK_DRIVERS = ['af_xdp', 'af_packet', 'pci'] as const;
export type UplinkDriver = (typeof UPLINK_DRIVERS)[number];

/** A PCI address as the kernel writes it: domain:bus:device.function. */
const PCI_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;
export const UPLINK_MAX_QUEUES = 16;

export interface UplinkSpec {
  /** The host interface (af_xdp, af_packet), e.g. eth1. */
  iface: string;
  driver: UplinkDriver;
  /** pci only: the device, e.g. 0000:03:00.0. */
  pci?: string;
  /** Queue pairs (default 1). */
  queues: number;
}

export interface UplinkInput {
  iface?: string;
  driver?: string;
  pci?: string;
  queues?: number;
}

/** Check and normalise what a caller asked for; throws INVALID_ARGUMENT. */
export function validateUplinkSpec(input: UplinkInput): UplinkSpec {
  const driver = input.driver ?? '';
  if (!(UPLINK_DRIVERS as readonly string[]).includes(driver)) {
    throw invalid(`uplink driver must be one of ${UPLINK_DRIVERS.join(', ')}, got ${JSON.stringify(driver)}`);
  }
  const queues = input.queues ?? 1;
  if (!Number.isInteger(queues) || queues < 1 || queues > UPLINK_MAX_QUEUES) {
    throw invalid(`uplink queues must be 1..${UPLINK_MAX_QUEUES}, got ${queues}`);
  }
  const iface = validateIfaceName(input.iface ?? '');
  if (driver === 'pci') {
    const pci = (input.pci ?? '').toLowerCase();
    if (!PCI_RE.test(pci)) throw invalid(`a pci uplink needs --pci DOMAIN:BUS:DEV.FN (like 0000:03:00.0), got ${JSON.stringify(input.pci ?? '')}`);
    return { iface, driver, pci, queues };
  }
  if (input.pci !== undefined && input.pci !== '') throw invalid(`--pci is for the pci driver only (this uplink uses ${driver})`);
  return { iface, driver: driver as UplinkDriver, queues };
}

/**
 * The driver's arguments (the data plane names the vdev itself, unique in
 * the process), or for a PCI uplink its address: what rte_dev_probe gets.
 */
export function uplinkDevargs(s: UplinkSpec): string {
  switch (s.driver) {
    case 'af_xdp': return `iface=${s.iface},start_queue=0,queue_count=${s.queues}`;
    // 8192 frames of 2 KB per queue: the PMD's default ring (512) overflows
    // while a worker waits for its CPU, and it does not count those drops.
    case 'af_packet': return `iface=${s.iface},qpairs=${s.queues},blocksz=4096,framesz=2048,framecnt=8192`;
    case 'pci': return s.pci!;
  }
}

/** What the host check needs to know, so tests can stand in for /sys and /proc. */
export interface UplinkHost {
  ifaceExists(iface: string): Promise<boolean>;
  /** The kernel driver a PCI device is bound to; undefined when none; null when no such device. */
  pciDriver(pci: string): Promise<string | undefined | null>;
  /** Kernel socket families, as /proc/net/protocols names them (PACKET, XDP). */
  protocols(): Promise<string[]>;
}

export const sysfsHost: UplinkHost = {
  async ifaceExists(iface) {
    // /proc/net/dev, not /sys/class/net: it lists this process's network
    // namespace (a daemon run in one sees its own interfaces, while /sys
    // is the namespace of whoever mounted it).
    const text = await readFile('/proc/net/dev', 'utf8').catch(() => '');
    return text.split('\n').slice(2).some((l) => l.slice(0, l.indexOf(':')).trim() === iface);
  },
  async pciDriver(pci) {
    const dev = `/sys/bus/pci/devices/${pci}`;
    const present = await readFile(`${dev}/vendor`, 'utf8').then(() => true, () => false);
    if (!present) return null;
    return readlink(`${dev}/driver`).then((p) => basename(p), () => undefined);
  },
  async protocols() {
    const text = await readFile('/proc/net/protocols', 'utf8').catch(() => '');
    return text.split('\n').slice(1).map((l) => l.split(/\s+/)[0] ?? '').filter(Boolean);
  },
};

/**
 * Refuse an uplink this host cannot run: FAILED_PRECONDITION with what to
 * do about it, NOT_FOUND for a missing interface or device.
 */
export async function checkUplinkHost(s: UplinkSpec, host: UplinkHost = sysfsHost): Promise<void> {
  if (s.driver === 'pci') {
    const drv = await host.pciDriver(s.pci!);
    if (drv === null) throw notFound(`no PCI device ${s.pci} on this host (lspci -D lists them)`);
    if (drv !== 'vfio-pci') {
      throw precondition(`PCI device ${s.pci} is ${drv ? `bound to ${drv}` : 'bound to no driver'}, not vfio-pci: ` +
        `bind it first (dpdk-devbind.py -b vfio-pci ${s.pci}); fastpath never rebinds a device`);
    }
    return;
  }
  if (!(await host.ifaceExists(s.iface))) throw notFound(`no network interface ${s.iface} on this host (ip link show)`);
  const protos = await host.protocols();
  if (s.driver === 'af_xdp' && !protos.includes('XDP')) {
    throw precondition(`this kernel has no AF_XDP sockets (no XDP in /proc/net/protocols; CONFIG_XDP_SOCKETS): use --driver af_packet`);
  }
  if (s.driver === 'af_packet' && !protos.includes('PACKET')) {
    throw precondition('this kernel has no packet sockets (no PACKET in /proc/net/protocols; CONFIG_PACKET)');
  }
}
