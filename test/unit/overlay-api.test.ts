// SPDX-License-Identifier: Apache-2.0
// OverlayService over real gRPC on a unix socket, against the fake data
// plane (test/harness/overlay-api.ts): the happy path with its idempotent
// repeats, exact counters, and for every field a caller controls the worst
// value we could think of, answered with the right status and nothing
// half-made in the data plane.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reasonOf } from '../../src/api/error-info.js';
import type { NetworkOverlay } from '../../src/api/gen/fastpath/v1/NetworkOverlay.js';
import type { Uplink } from '../../src/api/gen/fastpath/v1/Uplink.js';
import { ApiError } from '../../src/core/errors.js';
import { startOverlayApi, type OverlayApi } from '../harness/overlay-api.js';

let api: OverlayApi;
beforeAll(async () => {
  api = await startOverlayApi();
  for (const name of ['blue', 'red', 'green']) await createNetwork(name);
});
afterAll(async () => api?.close());

// Typed calls of the two services (c.unary checks request and response types).
const c = () => api.client;
const createNetwork = (name: string) => c().unary(c().networks, c().networks.CreateNetwork, { network: { name } });
const deleteNetwork = (name: string) => c().unary(c().networks, c().networks.DeleteNetwork, { name });
const addUplink = (uplink?: Uplink) => c().unary(c().overlays, c().overlays.AddUplink, uplink ? { uplink } : {});
const deleteUplink = (name: string, allowMissing = false) => c().unary(c().overlays, c().overlays.DeleteUplink, { name, allowMissing });
const listUplinks = () => c().unary(c().overlays, c().overlays.ListUplinks, {});
const setOverlay = (overlay?: NetworkOverlay) => c().unary(c().overlays, c().overlays.SetNetworkOverlay, overlay ? { overlay } : {});
const deleteOverlay = (network: string, allowMissing = false) =>
  c().unary(c().overlays, c().overlays.DeleteNetworkOverlay, { network, allowMissing });
const listOverlays = (network = '') => c().unary(c().overlays, c().overlays.ListNetworkOverlays, { network });

/** "OK", or the status name (with the reason when it is not the status). */
const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'OK', (e: grpc.ServiceError) => {
  const s = grpc.status[e.code]!;
  const r = reasonOf(e);
  return r && r !== s ? `${s}/${r}` : s;
});

const ETH1: Uplink = { iface: 'eth1', driver: 'af_xdp', address: '10.1.0.5/24', gateway: '10.1.0.1', mtu: 1550 };
const ETH2: Uplink = { iface: 'eth2', driver: 'af_packet', address: '10.2.0.5/24', queues: 2 };
const BLUE: NetworkOverlay = {
  network: 'blue', uplink: 'eth1', vni: 42, peers: ['10.1.0.7', '10.1.0.6'],
  staticMacs: [{ mac: '02:AA:00:00:00:01', peer: '10.1.0.6', vlan: 10 }], peerMacLimit: 100,
};

describe('OverlayService: uplinks and overlays', () => {
  it('adds an uplink, and the same spec again changes nothing', async () => {
    const a = await addUplink(ETH1);
    expect(a.created).toBe(true);
    expect(a.uplink).toMatchObject({
      name: 'eth1', iface: 'eth1', driver: 'af_xdp', pci: '', queues: 1, address: '10.1.0.5/24', gateway: '10.1.0.1', mtu: 1550,
      status: { linkUp: true, mac: '02:00:00:00:00:01', mtuInUse: 1550, neighbours: [], rxPackets: '0', txPackets: '0', drops: {} },
    });
    const b = await addUplink(ETH1);
    expect([b.created, b.uplink]).toEqual([false, a.uplink]);
    expect(api.dp.calls.filter((x) => x.startsWith('addUplink'))).toEqual(['addUplink eth1']);
    expect((await addUplink(ETH2)).created).toBe(true);
  });

  it('sets an overlay (peers sorted, MACs lower-cased), and the same again changes nothing', async () => {
    const a = await setOverlay(BLUE);
    expect(a.changed).toBe(true);
    expect(a.overlay).toMatchObject({
      network: 'blue', uplink: 'eth1', vni: 42, peers: ['10.1.0.6', '10.1.0.7'],
      staticMacs: [{ mac: '02:aa:00:00:00:01', vlan: 10, peer: '10.1.0.6' }], peerMacLimit: 100,
      maxFrame: 1550 + 14 - 50,
      tunnels: [
        { peer: '10.1.0.6', port: 'vxlan:blue:10.1.0.6', linkUp: true, rxPackets: '0', txPackets: '0', drops: {} },
        { peer: '10.1.0.7', port: 'vxlan:blue:10.1.0.7', linkUp: true },
      ],
    });
    const b = await setOverlay({ ...BLUE, peers: ['10.1.0.6', '10.1.0.7'] });
    expect([b.changed, b.overlay]).toEqual([false, a.overlay]);
    expect(api.dp.calls.filter((x) => x.startsWith('setVxlan'))).toEqual(['setVxlan blue 42 10.1.0.6,10.1.0.7']);
    expect(api.keeper.state.overlays).toEqual([{ network: 'blue', uplink: 'eth1', vni: 42, peers: ['10.1.0.6', '10.1.0.7'], staticMacs: [{ mac: '02:aa:00:00:00:01', vlan: 10, peer: '10.1.0.6' }], peerMacLimit: 100 }]);
  });

  it('lists both with live status, counters exact past 2^53, and ARP neighbours', async () => {
    const big = 2n ** 64n - 1n;
    api.dp.counters.set('eth1', { rxPackets: big, txPackets: 2n ** 53n + 1n, drops: { vxlan_unknown: 3n, uplink_other: big } });
    api.dp.counters.set('vxlan:blue:10.1.0.7', { rxPackets: 5n, txPackets: 7n, drops: { mtu: 2n } });
    api.dp.neighbours.set('eth1', [{ ip: '10.1.0.6', mac: '02:00:00:00:00:06', resolved: true }, { ip: '10.1.0.7', mac: '00:00:00:00:00:00', resolved: false }]);
    const ups = (await listUplinks()).uplinks;
    expect(ups.map((u) => u.name)).toEqual(['eth1', 'eth2']);
    expect(ups[0]?.status).toEqual({
      linkUp: true, mac: '02:00:00:00:00:01', mtuInUse: 1550, rxPackets: String(big), txPackets: '9007199254740993',
      drops: { vxlan_unknown: '3', uplink_other: String(big) },
      neighbours: [{ ip: '10.1.0.6', mac: '02:00:00:00:00:06', resolved: true }, { ip: '10.1.0.7', mac: '', resolved: false }],
    });
    expect(ups[1]).toMatchObject({ driver: 'af_packet', queues: 2, gateway: '', mtu: 0, status: { mtuInUse: 1500 } });

    const all = (await listOverlays()).overlays;
    expect(all.map((o) => o.network)).toEqual(['blue']);
    expect(all[0]?.tunnels[1]).toEqual({ peer: '10.1.0.7', port: 'vxlan:blue:10.1.0.7', linkUp: true, rxPackets: '5', txPackets: '7', drops: { mtu: '2' } });
    expect((await listOverlays('blue')).overlays).toHaveLength(1);
    expect((await listOverlays('red')).overlays).toEqual([]); // a network without one
    expect(await outcome(listOverlays('nope'))).toBe('NOT_FOUND/NETWORK_NOT_FOUND');
  });

  it('refuses to delete what is in use: the uplink under an overlay, the network carrying one', async () => {
    expect(await outcome(deleteUplink('eth1'))).toBe('FAILED_PRECONDITION');
    expect(await outcome(deleteNetwork('blue'))).toBe('FAILED_PRECONDITION/NETWORK_IN_USE');
    expect(api.dp.uplinks.has('eth1') && api.dp.networks.has('blue')).toBe(true);
  });

  it('changes an overlay in place, and the same VNI may serve another network on another uplink', async () => {
    const r = await setOverlay({ ...BLUE, peers: ['10.1.0.6', '192.0.2.9'], staticMacs: [] }); // off-link: via the gateway
    expect([r.changed, r.overlay?.peers]).toEqual([true, ['10.1.0.6', '192.0.2.9']]);
    expect((await setOverlay({ network: 'green', uplink: 'eth2', vni: 42, peers: ['10.2.0.6'] })).changed).toBe(true);
  });

  it('deletes overlays and uplinks; a repeat is NOT_FOUND unless allow_missing', async () => {
    expect(await outcome(deleteOverlay('blue'))).toBe('OK');
    expect(await outcome(deleteOverlay('blue'))).toBe('NOT_FOUND');
    expect(await outcome(deleteOverlay('blue', true))).toBe('OK');
    expect(await outcome(deleteOverlay('nope'))).toBe('NOT_FOUND/NETWORK_NOT_FOUND');
    expect(await outcome(deleteOverlay('nope', true))).toBe('OK');
    expect(await outcome(deleteOverlay('../x', true))).toBe('INVALID_ARGUMENT');
    expect(await outcome(deleteUplink('eth1'))).toBe('OK');
    expect(await outcome(deleteUplink('eth1'))).toBe('NOT_FOUND');
    expect(await outcome(deleteUplink('eth1', true))).toBe('OK');
    expect(api.dp.vxlan.has('blue') || api.dp.uplinks.has('eth1')).toBe(false);
    expect(await outcome(deleteNetwork('blue'))).toBe('OK');
  });
});

describe('OverlayService: hostile uplinks', () => {
  const before = (): number => api.dp.calls.filter((x) => x.startsWith('addUplink')).length;

  it.each([
    ['a comma that would add a devarg', { ...ETH1, iface: 'eth1,iface=lo' }, 'INVALID_ARGUMENT'],
    ['an = in the name', { ...ETH1, iface: 'queue_count=64' }, 'INVALID_ARGUMENT'],
    ['a path', { ...ETH1, iface: '../eth1' }, 'INVALID_ARGUMENT'],
    ['a name past IFNAMSIZ', { ...ETH1, iface: 'e'.repeat(16) }, 'INVALID_ARGUMENT'],
    ['no iface', { ...ETH1, iface: '' }, 'INVALID_ARGUMENT'],
    ['no driver', { ...ETH1, driver: '' }, 'INVALID_ARGUMENT'],
    ['a driver we do not know', { ...ETH1, driver: 'net_pcap' }, 'INVALID_ARGUMENT'],
    ['pci without --pci', { iface: 'eth3', driver: 'pci', address: '10.3.0.5/24' }, 'INVALID_ARGUMENT'],
    ['a PCI address with devargs', { iface: 'eth3', driver: 'pci', pci: '0000:03:00.0,foo=1', address: '10.3.0.5/24' }, 'INVALID_ARGUMENT'],
    ['--pci on af_xdp', { ...ETH1, pci: '0000:03:00.0' }, 'INVALID_ARGUMENT'],
    ['17 queues', { ...ETH1, queues: 17 }, 'INVALID_ARGUMENT'],
    ['no address', { ...ETH1, address: '' }, 'INVALID_ARGUMENT'],
    ['an address without prefix', { ...ETH1, address: '10.1.0.5' }, 'INVALID_ARGUMENT'],
    ['a /33', { ...ETH1, address: '10.1.0.5/33' }, 'INVALID_ARGUMENT'],
    ['a multicast endpoint', { ...ETH1, address: '239.1.1.1/24', gateway: '' }, 'INVALID_ARGUMENT'],
    ['a gateway off the subnet', { ...ETH1, gateway: '10.9.0.1' }, 'INVALID_ARGUMENT'],
    ['the endpoint as gateway', { ...ETH1, gateway: '10.1.0.5' }, 'INVALID_ARGUMENT'],
    ['an MTU of 100', { ...ETH1, mtu: 100 }, 'INVALID_ARGUMENT'],
    ['an interface the host does not have', { ...ETH1, iface: 'eth9' }, 'NOT_FOUND'],
    ['a PCI device the host does not have', { iface: 'eth3', driver: 'pci', pci: '0000:04:00.0', address: '10.3.0.5/24' }, 'NOT_FOUND'],
  ])('refuses %s', async (_what, uplink, status) => {
    const n = before();
    expect(await outcome(addUplink(uplink as Uplink))).toBe(status);
    expect(before()).toBe(n); // refused before the data plane saw it
  });

  it('refuses a missing message, a name taken with another spec, and an address taken by another uplink', async () => {
    expect(await outcome(addUplink())).toBe('INVALID_ARGUMENT');
    await addUplink(ETH1);
    expect(await outcome(addUplink({ ...ETH1, mtu: 9000 }))).toBe('ALREADY_EXISTS');
    expect(await outcome(addUplink({ ...ETH2, iface: 'eth3', address: '10.1.0.5/16' }))).toBe('ALREADY_EXISTS');
    expect(await outcome(deleteUplink(''))).toBe('INVALID_ARGUMENT');
  });
});

describe('OverlayService: hostile overlays', () => {
  const over = (o: Partial<NetworkOverlay>): Promise<string> => outcome(setOverlay({ ...BLUE, network: 'red', staticMacs: [], ...o }));
  let blueConf: string;

  beforeAll(async () => {
    // eth1 (10.1.0.5/24 via 10.1.0.1) from the test above; eth3 has no gateway.
    await addUplink({ iface: 'eth3', driver: 'af_packet', address: '10.3.0.5/24' });
    await createNetwork('blue');
    await setOverlay(BLUE);
    blueConf = JSON.stringify(api.dp.vxlan.get('blue'));
  });

  it.each([
    ['VNI 0', { vni: 0 }, 'INVALID_ARGUMENT'],
    ['VNI 2^24', { vni: 2 ** 24 }, 'INVALID_ARGUMENT'],
    // proto3 uint32: -1 arrives as 2^32 - 1 (1.5 cannot be sent; see below).
    ['VNI -1', { vni: -1 }, 'INVALID_ARGUMENT'],
    ["blue's VNI on the same uplink", { vni: 42 }, 'ALREADY_EXISTS'],
    ['our own endpoint as a peer', { vni: 7, peers: ['10.1.0.5'] }, 'INVALID_ARGUMENT'],
    ['the subnet broadcast as a peer', { vni: 7, peers: ['10.1.0.255'] }, 'INVALID_ARGUMENT'],
    ['the subnet address as a peer', { vni: 7, peers: ['10.1.0.0'] }, 'INVALID_ARGUMENT'],
    ['the limited broadcast as a peer', { vni: 7, peers: ['255.255.255.255'] }, 'INVALID_ARGUMENT'],
    ['a multicast group as a peer', { vni: 7, peers: ['239.1.1.1'] }, 'INVALID_ARGUMENT'],
    ['0.0.0.0 as a peer', { vni: 7, peers: ['0.0.0.0'] }, 'INVALID_ARGUMENT'],
    ['a hostname as a peer', { vni: 7, peers: ['node2.example'] }, 'INVALID_ARGUMENT'],
    ['a peer twice', { vni: 7, peers: ['10.1.0.6', '10.1.0.6'] }, 'INVALID_ARGUMENT'],
    ['65 peers', { vni: 7, peers: Array.from({ length: 65 }, (_, i) => `10.1.0.${i + 10}`) }, 'INVALID_ARGUMENT'],
    ['an off-subnet peer on an uplink without a gateway', { uplink: 'eth3', vni: 7, peers: ['10.1.0.6'] }, 'INVALID_ARGUMENT'],
    ['a static MAC behind a non-peer', { vni: 7, peers: ['10.1.0.6'], staticMacs: [{ mac: '02:00:00:00:00:09', peer: '10.1.0.8' }] }, 'INVALID_ARGUMENT'],
    ['a group MAC as static', { vni: 7, peers: ['10.1.0.6'], staticMacs: [{ mac: '01:00:5e:00:00:01', peer: '10.1.0.6' }] }, 'INVALID_ARGUMENT'],
    ['the broadcast MAC as static', { vni: 7, peers: ['10.1.0.6'], staticMacs: [{ mac: 'ff:ff:ff:ff:ff:ff', peer: '10.1.0.6' }] }, 'INVALID_ARGUMENT'],
    ['the zero MAC as static', { vni: 7, peers: ['10.1.0.6'], staticMacs: [{ mac: '00:00:00:00:00:00', peer: '10.1.0.6' }] }, 'INVALID_ARGUMENT'],
    ['a static MAC on VLAN 4095', { vni: 7, peers: ['10.1.0.6'], staticMacs: [{ mac: '02:00:00:00:00:09', peer: '10.1.0.6', vlan: 4095 }] }, 'INVALID_ARGUMENT'],
    ['a peer MAC limit past 10^6', { vni: 7, peerMacLimit: 1_000_001 }, 'INVALID_ARGUMENT'],
    ['an unknown uplink', { vni: 7, uplink: 'eth9' }, 'NOT_FOUND'],
    ['no uplink', { vni: 7, uplink: '' }, 'INVALID_ARGUMENT'],
    ['an unknown network', { vni: 7, network: 'nope' }, 'NOT_FOUND/NETWORK_NOT_FOUND'],
    ['no network', { vni: 7, network: '' }, 'INVALID_ARGUMENT'],
    ['a network name with a slash', { vni: 7, network: 'a/b' }, 'INVALID_ARGUMENT'],
  ])('refuses %s', async (_what, o, status) => {
    expect(await over(o as Partial<NetworkOverlay>)).toBe(status);
    // Nothing changed: red has no overlay, blue's is as it was.
    expect(api.dp.vxlan.has('red')).toBe(false);
    expect(JSON.stringify(api.dp.vxlan.get('blue'))).toBe(blueConf);
  });

  it('refuses a missing overlay message', async () => {
    expect(await outcome(setOverlay())).toBe('INVALID_ARGUMENT');
  });

  it('refuses a VNI that is not an integer (the manager, as the wire cannot carry 1.5)', async () => {
    for (const vni of [1.5, -1, Number.NaN]) {
      const e = await api.overlay.setOverlay('red', { uplink: 'eth1', vni, peers: ['10.1.0.6'] }).catch((x: unknown) => x);
      expect(e instanceof ApiError && e.kind).toBe('INVALID_ARGUMENT');
    }
  });
});
