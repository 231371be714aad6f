// SPDX-License-Identifier: Apache-2.0
// Uplink specs (issue 18) without a data plane: what a caller may ask for,
// the device string each driver gets, and the host check's refusals, with
// /sys and /proc stood in for. The real host is read once too.
import { describe, expect, it } from 'vitest';

import {
  checkUplinkHost, sysfsHost, uplinkDevargs, validateUplinkSpec, type UplinkHost,
} from '../../src/core/uplinks/uplink-spec.js';

const host = (o: Partial<{ ifaces: string[]; pci: Record<string, string | undefined>; protocols: string[] }>): UplinkHost => ({
  ifaceExists: async (i) => (o.ifaces ?? []).includes(i),
  pciDriver: async (p) => (o.pci && p in o.pci ? o.pci[p] : null),
  protocols: async () => o.protocols ?? ['PACKET', 'XDP', 'UDP'],
});

describe('uplink spec', () => {
  it('takes the three drivers, with their own arguments', () => {
    expect(validateUplinkSpec({ iface: 'eth1', driver: 'af_xdp' })).toEqual({ iface: 'eth1', driver: 'af_xdp', queues: 1 });
    expect(validateUplinkSpec({ iface: 'veth-n1', driver: 'af_packet', queues: 2 })).toEqual({ iface: 'veth-n1', driver: 'af_packet', queues: 2 });
    expect(validateUplinkSpec({ iface: 'ens3', driver: 'pci', pci: '0000:03:00.0' })).toMatchObject({ pci: '0000:03:00.0' });
    expect(validateUplinkSpec({ iface: 'ens3', driver: 'pci', pci: '0000:3B:00.1' }).pci).toBe('0000:3b:00.1');
  });

  it('refuses what a careless or hostile caller may send', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ iface: 'eth1' }, /driver must be one of af_xdp, af_packet, pci/],
      [{ iface: 'eth1', driver: 'dpdk' }, /driver must be/],
      [{ iface: 'eth1', driver: 'af_xdp', queues: 0 }, /queues must be 1\.\.16/],
      [{ iface: 'eth1', driver: 'af_xdp', queues: 17 }, /queues must be/],
      [{ iface: 'eth1', driver: 'af_xdp', queues: 1.5 }, /queues must be/],
      [{ iface: '', driver: 'af_packet' }, /interface name/],
      [{ iface: 'eth1,iface=lo', driver: 'af_packet' }, /interface name/], // would smuggle a devarg
      [{ iface: '../../etc', driver: 'af_packet' }, /interface name/],
      [{ iface: 'a'.repeat(16), driver: 'af_packet' }, /interface name/],
      [{ iface: 'eth1', driver: 'pci' }, /needs --pci/],
      [{ iface: 'eth1', driver: 'pci', pci: '03:00.0' }, /needs --pci/],
      [{ iface: 'eth1', driver: 'pci', pci: '0000:03:00.0,x=1' }, /needs --pci/],
      [{ iface: 'eth1', driver: 'af_xdp', pci: '0000:03:00.0' }, /--pci is for the pci driver only/],
    ];
    for (const [input, re] of bad) {
      expect(() => validateUplinkSpec(input as never), JSON.stringify(input)).toThrow(re);
      try {
        validateUplinkSpec(input as never);
      } catch (e) {
        expect((e as { kind: string }).kind).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('gives each driver its device arguments', () => {
    expect(uplinkDevargs(validateUplinkSpec({ iface: 'eth1', driver: 'af_xdp', queues: 2 }))).toBe('iface=eth1,start_queue=0,queue_count=2');
    expect(uplinkDevargs(validateUplinkSpec({ iface: 'eth1', driver: 'af_packet' }))).toBe('iface=eth1,qpairs=1,blocksz=4096,framesz=2048,framecnt=8192');
    expect(uplinkDevargs(validateUplinkSpec({ iface: 'eth1', driver: 'pci', pci: '0000:03:00.0' }))).toBe('0000:03:00.0');
  });
});

describe('uplink host check', () => {
  const spec = (driver: string, extra: Record<string, unknown> = {}) => validateUplinkSpec({ iface: 'eth1', driver, ...extra });

  it('passes what this host can run', async () => {
    await checkUplinkHost(spec('af_xdp'), host({ ifaces: ['eth1'] }));
    await checkUplinkHost(spec('af_packet'), host({ ifaces: ['eth1'], protocols: ['PACKET'] }));
    await checkUplinkHost(spec('pci', { pci: '0000:03:00.0' }), host({ pci: { '0000:03:00.0': 'vfio-pci' } }));
  });

  it('says why it cannot, and what to do', async () => {
    await expect(checkUplinkHost(spec('af_xdp'), host({ ifaces: [] }))).rejects.toMatchObject({ kind: 'NOT_FOUND', message: expect.stringMatching(/no network interface eth1/) });
    await expect(checkUplinkHost(spec('af_xdp'), host({ ifaces: ['eth1'], protocols: ['PACKET'] })))
      .rejects.toMatchObject({ kind: 'FAILED_PRECONDITION', message: expect.stringMatching(/no AF_XDP sockets.*af_packet/) });
    await expect(checkUplinkHost(spec('af_packet'), host({ ifaces: ['eth1'], protocols: ['XDP'] })))
      .rejects.toMatchObject({ kind: 'FAILED_PRECONDITION', message: expect.stringMatching(/no packet sockets/) });
    const pci = spec('pci', { pci: '0000:03:00.0' });
    await expect(checkUplinkHost(pci, host({}))).rejects.toMatchObject({ kind: 'NOT_FOUND', message: expect.stringMatching(/no PCI device 0000:03:00.0/) });
    await expect(checkUplinkHost(pci, host({ pci: { '0000:03:00.0': 'ixgbe' } })))
      .rejects.toMatchObject({ kind: 'FAILED_PRECONDITION', message: expect.stringMatching(/bound to ixgbe, not vfio-pci.*never rebinds/) });
    await expect(checkUplinkHost(pci, host({ pci: { '0000:03:00.0': undefined } })))
      .rejects.toMatchObject({ kind: 'FAILED_PRECONDITION', message: expect.stringMatching(/bound to no driver/) });
  });

  it('reads this host: lo exists, a made-up interface does not, and the socket families are listed', async () => {
    expect(await sysfsHost.ifaceExists('lo')).toBe(true);
    expect(await sysfsHost.ifaceExists('fp-no-such0')).toBe(false);
    expect(await sysfsHost.protocols()).toEqual(expect.arrayContaining(['UDP', 'TCP']));
    expect(await sysfsHost.pciDriver('ffff:ff:1f.7')).toBeNull();
  });
});
