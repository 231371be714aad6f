// SPDX-License-Identifier: Apache-2.0
// The daemon configuration's `overlay` section (src/daemon/overlay-config.ts):
// what one ConfigMap for every node says, with ${NODE_IP}/${NODE_NAME} from
// the downward API; each mistake an operator can make refused with the key
// that is wrong; and the calls applyOverlayConfig makes, in order.
import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/daemon/config.js';
import { applyOverlayConfig, parseOverlayConfig, type OverlayLog, type OverlayTarget } from '../../src/daemon/overlay-config.js';

const ENV = { NODE_IP: '10.1.0.5', NODE_NAME: 'node-a' };
const k8s = (): Record<string, unknown> => ({
  uplink: { name: 'uplink0', iface: 'eth1', driver: 'af_packet', queues: 1, address: '${NODE_IP}/24', gateway: '10.1.0.1' },
  networks: { default: { vni: 100 } },
  peers: { kubernetes: { namespace: 'fastpath', labelSelector: 'app.kubernetes.io/name=fastpathd', nodeName: '${NODE_NAME}' } },
});

/** A copy of the Kubernetes example with one value replaced at a dotted path (undefined deletes it). */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const o = k8s();
  const keys = path.split('.');
  let cur = o as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  if (value === undefined) delete cur[keys.at(-1)!];
  else cur[keys.at(-1)!] = value;
  return o;
}

describe('overlay configuration', () => {
  it('has none unless asked', () => {
    expect(parseOverlayConfig(undefined, ENV)).toBeUndefined();
    expect(parseOverlayConfig(null, ENV)).toBeUndefined();
  });

  it('reads the Kubernetes form, with the node address and name from the environment', () => {
    expect(parseOverlayConfig(k8s(), ENV)).toEqual({
      uplink: { name: 'uplink0', iface: 'eth1', driver: 'af_packet', queues: 1, address: '10.1.0.5/24', gateway: '10.1.0.1' },
      networks: [{ name: 'default', vni: 100 }],
      peers: { kind: 'kubernetes', namespace: 'fastpath', labelSelector: 'app.kubernetes.io/name=fastpathd', nodeName: 'node-a' },
    });
  });

  it('reads the static form, with defaults (the uplink named after its interface, as the orchestrator does), and sorts networks', () => {
    const c = parseOverlayConfig({
      uplink: { iface: 'ens3', driver: 'pci', pci: '0000:3B:00.1', address: '192.168.7.2/24', gateway: '192.168.7.1' },
      networks: { web: { vni: 16777215 }, db: { vni: 1 } },
      peers: { static: ['192.168.7.3', '10.9.0.1'] },
    }, {});
    expect(c).toEqual({
      uplink: { name: 'ens3', iface: 'ens3', driver: 'pci', pci: '0000:3b:00.1', queues: 1, address: '192.168.7.2/24', gateway: '192.168.7.1' },
      networks: [{ name: 'db', vni: 1 }, { name: 'web', vni: 16777215 }],
      peers: { kind: 'static', addresses: ['192.168.7.3', '10.9.0.1'] },
    });
    // A point-to-point /31: both addresses are hosts.
    expect(parseOverlayConfig({ uplink: { iface: 'eth1', driver: 'af_xdp', address: '10.0.0.0/31' }, networks: { n: { vni: 5 } }, peers: { static: ['10.0.0.1'] } }, {})?.uplink.address).toBe('10.0.0.0/31');
    // Without a labelSelector: the DaemonSet's label.
    const sel = parseOverlayConfig(withValue('peers.kubernetes.labelSelector', undefined), ENV);
    expect(sel?.peers).toMatchObject({ labelSelector: 'app.kubernetes.io/name=fastpathd' });
  });

  it('expands a variable once: a value that looks like a variable stays as it is', () => {
    expect(() => parseOverlayConfig(k8s(), { NODE_IP: '10.1.0.5', NODE_NAME: '${NODE_IP}' })).toThrow(/nodeName: not a node name: "\$\{NODE_IP\}"/);
  });

  it.each<[string, Record<string, unknown> | unknown, Record<string, string | undefined>, RegExp]>([
    ['not an object', 'on', ENV, /^overlay: must be an object/],
    ['an unknown key', { ...k8s(), vxlanPort: 4789 }, ENV, /overlay: unknown key "vxlanPort"/],
    ['an unknown uplink key', withValue('uplink.mtu', 9000), ENV, /overlay.uplink: unknown key "mtu"/],
    ['an unknown network key', withValue('networks.default', { vni: 100, mtu: 1450 }), ENV, /overlay.networks.default: unknown key "mtu"/],
    ['an unknown kubernetes key', withValue('peers.kubernetes.apiServer', 'https://evil'), ENV, /overlay.peers.kubernetes: unknown key "apiServer"/],
    ['no uplink', withValue('uplink', undefined), ENV, /overlay: needs "uplink"/],
    ['no peers', withValue('peers', undefined), ENV, /overlay: needs "peers"/],
    ['both peer sources', withValue('peers.static', ['10.1.0.6']), ENV, /exactly one of "static"/],
    ['VNI 0', withValue('networks.default.vni', 0), ENV, /overlay.networks.default.vni: must be an integer 1..16777215, got 0/],
    ['VNI 2^24', withValue('networks.default.vni', 16777216), ENV, /vni: must be an integer 1..16777215/],
    ['VNI -1', withValue('networks.default.vni', -1), ENV, /vni: must be an integer/],
    ['VNI 1.5', withValue('networks.default.vni', 1.5), ENV, /vni: must be an integer/],
    ['VNI as a string', withValue('networks.default.vni', '100'), ENV, /vni: must be an integer 1..16777215, got "100"/],
    ['no VNI', withValue('networks.default', {}), ENV, /vni: must be an integer/],
    ['one VNI twice', withValue('networks', { a: { vni: 7 }, b: { vni: 7 } }), ENV, /overlay.networks.b.vni: 7 is already network a's/],
    ['no networks', withValue('networks', {}), ENV, /overlay.networks: must be an object naming at least one network/],
    ['a bad network name', withValue('networks', { '../x': { vni: 7 } }), ENV, /"..\/x" is not a network name/],
    ['an unknown driver', withValue('uplink.driver', 'dpdk'), ENV, /overlay.uplink: uplink driver must be one of af_xdp, af_packet, pci, got "dpdk"/],
    ['a bad interface', withValue('uplink.iface', 'eth1; reboot'), ENV, /overlay.uplink: kernel interface name/],
    ['too many queues', withValue('uplink.queues', 17), ENV, /queues must be 1..16/],
    ['queues as a string', withValue('uplink.queues', '2'), ENV, /overlay.uplink.queues: must be a number/],
    ['pci without an address', withValue('uplink.driver', 'pci'), ENV, /needs --pci/],
    ['a bad uplink name', withValue('uplink.name', '-x'), ENV, /overlay.uplink.name: must be 1-63/],
    ['no prefix length', withValue('uplink.address', '10.1.0.5'), ENV, /overlay.uplink.address: want an IPv4 address with a prefix length/],
    ['prefix /33', withValue('uplink.address', '10.1.0.5/33'), ENV, /prefix length must be 1..32/],
    ['prefix /0', withValue('uplink.address', '10.1.0.5/0'), ENV, /prefix length must be 1..32/],
    ['an octet over 255', withValue('uplink.address', '10.1.0.256/24'), ENV, /want an IPv4 address/],
    ['leading zeros', withValue('uplink.address', '10.01.0.5/24'), ENV, /want an IPv4 address/],
    ['IPv6', withValue('uplink.address', 'fd00::5/64'), ENV, /the VXLAN underlay is IPv4/],
    ['the network address', withValue('uplink.address', '10.1.0.0/24'), ENV, /network address of \/24/],
    ['the broadcast address', withValue('uplink.address', '10.1.0.255/24'), ENV, /broadcast address of \/24/],
    ['multicast', withValue('uplink.address', '239.1.1.1/24'), ENV, /not a unicast host address/],
    ['loopback', withValue('uplink.address', '127.0.0.1/8'), ENV, /not a unicast host address/],
    ['a gateway off the subnet', withValue('uplink.gateway', '10.2.0.1'), ENV, /gateway: 10.2.0.1 is not on 10.1.0.5\/24's subnet/],
    ['the gateway is us', withValue('uplink.gateway', '${NODE_IP}'), ENV, /gateway: is this node's own address/],
    ['a gateway that is no address', withValue('uplink.gateway', 'router'), ENV, /gateway: must be a unicast IPv4 address/],
    ['NODE_IP missing', k8s(), { NODE_NAME: 'node-a' }, /overlay.uplink.address: uses \$\{NODE_IP\} but NODE_IP is not set \(the DaemonSet sets it from the downward API, status.hostIP\)/],
    ['NODE_IP empty', k8s(), { NODE_IP: '', NODE_NAME: 'node-a' }, /NODE_IP is not set/],
    ['NODE_NAME missing', k8s(), { NODE_IP: '10.1.0.5' }, /nodeName: uses \$\{NODE_NAME\} but NODE_NAME is not set \(.*spec.nodeName\)/],
    ['NODE_IP is IPv6', k8s(), { NODE_IP: 'fd00::5', NODE_NAME: 'node-a' }, /address: .*IPv4/],
    ['NODE_IP smuggles a prefix', k8s(), { NODE_IP: '10.1.0.5/8', NODE_NAME: 'node-a' }, /address: want an IPv4 address/],
    ['another variable', withValue('uplink.iface', '${HOME}'), ENV, /overlay.uplink.iface: \$\{HOME\} is not expanded \(only \$\{NODE_IP\} and \$\{NODE_NAME\} are\)/],
    ['a node name from a hostile environment', k8s(), { NODE_IP: '10.1.0.5', NODE_NAME: 'a/../b' }, /nodeName: not a node name/],
    ['a bad namespace', withValue('peers.kubernetes.namespace', 'Fast_Path'), ENV, /namespace: not a namespace name/],
    ['a selector that bends the URL', withValue('peers.kubernetes.labelSelector', 'a=b&watch=0#'), ENV, /labelSelector: not a label selector/],
    ['static peers not a list', withValue('peers', { static: '10.1.0.6' }), ENV, /overlay.peers.static: must be a list/],
    ['a static peer that is no address', withValue('peers', { static: ['10.1.0.6', 'node-b'] }), ENV, /overlay.peers.static\[1\]: must be a unicast IPv4 address/],
    ['a broadcast peer', withValue('peers', { static: ['255.255.255.255'] }), ENV, /static\[0\]: must be a unicast/],
    ['a peer twice', withValue('peers', { static: ['10.1.0.6', '10.1.0.6'] }), ENV, /static\[1\]: 10.1.0.6 is listed twice/],
    ['ourselves as a peer', withValue('peers', { static: ['${NODE_IP}'] }), ENV, /static\[0\]: 10.1.0.5 is this node's own endpoint/],
    ['the subnet broadcast as a peer', withValue('peers', { static: ['10.1.0.255'] }), ENV, /static\[0\]: 10.1.0.255 is the network or broadcast address of 10.1.0.5\/24/],
    ['a peer off the subnet without a gateway', { ...withValue('uplink.gateway', undefined), peers: { static: ['10.2.0.1'] } }, ENV, /static\[0\]: 10.2.0.1 is off 10.1.0.5\/24 and there is no gateway/],
    ['too many peers', withValue('peers', { static: Array.from({ length: 65 }, (_, i) => `10.2.0.${i + 1}`) }), ENV, /at most 64 peers, got 65/],
  ])('refuses %s', (_name, raw, env, re) => {
    let err: unknown;
    try {
      parseOverlayConfig(raw, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(re);
  });
});

describe('applyOverlayConfig', () => {
  const log = (): OverlayLog & { errors: string[] } => {
    const errors: string[] = [];
    return { errors, info: () => undefined, warn: () => undefined, error: (o) => { errors.push(JSON.stringify(o)); } };
  };
  const target = (fail: Set<string> = new Set()): OverlayTarget & { calls: unknown[][] } => {
    const calls: unknown[][] = [];
    return {
      calls,
      addUplink: async (req) => { calls.push(['addUplink', req]); if (fail.has('uplink')) throw new Error('no such device'); },
      setNetworkOverlay: async (n, o) => { calls.push(['setNetworkOverlay', n, o]); if (fail.has(n)) throw new Error(`no network named ${n}`); },
      setOverlayPeers: async (n, p) => { calls.push(['setOverlayPeers', n, p]); },
    };
  };

  it('makes the uplink, then each network overlay with the static peers', async () => {
    const cfg = parseOverlayConfig({
      uplink: { iface: 'eth1', driver: 'af_xdp', queues: 2, address: '10.1.0.5/24', gateway: '10.1.0.1' },
      networks: { b: { vni: 200 }, a: { vni: 100 } }, peers: { static: ['10.1.0.6'] },
    }, {})!;
    const t = target();
    expect(await applyOverlayConfig(t, cfg, log())).toEqual({ applied: ['a', 'b'], failed: [] });
    expect(t.calls).toEqual([
      ['addUplink', { name: 'eth1', iface: 'eth1', driver: 'af_xdp', queues: 2, address: '10.1.0.5/24', gateway: '10.1.0.1' }],
      ['setNetworkOverlay', 'a', { vni: 100, uplink: 'eth1', peers: ['10.1.0.6'] }],
      ['setNetworkOverlay', 'b', { vni: 200, uplink: 'eth1', peers: ['10.1.0.6'] }],
    ]);
  });

  it('starts Kubernetes-fed networks with no peers; a missing network is logged, the others still set', async () => {
    const cfg = parseOverlayConfig(withValue('networks', { default: { vni: 100 }, gone: { vni: 101 }, web: { vni: 102 } }), ENV)!;
    const t = target(new Set(['gone']));
    const l = log();
    expect(await applyOverlayConfig(t, cfg, l)).toEqual({ applied: ['default', 'web'], failed: [{ network: 'gone', error: 'no network named gone' }] });
    expect(t.calls.slice(1).map((c) => [c[1], (c[2] as { peers: string[] }).peers])).toEqual([['default', []], ['gone', []], ['web', []]]);
    expect(l.errors.join()).toMatch(/gone/);
  });

  it('keeps the peers a restart replayed when the watch will set them (and the target can tell)', async () => {
    const t = { ...target(), getOverlayPeers: async (n: string) => (n === 'default' ? ['10.1.0.7'] : undefined) };
    await applyOverlayConfig(t, parseOverlayConfig(withValue('networks', { default: { vni: 100 }, fresh: { vni: 101 } }), ENV)!, log());
    expect(t.calls.slice(1).map((c) => [c[1], (c[2] as { peers: string[] }).peers])).toEqual([['default', ['10.1.0.7']], ['fresh', []]]);
  });

  it('throws when the uplink cannot be made, and sets no network', async () => {
    const t = target(new Set(['uplink']));
    await expect(applyOverlayConfig(t, parseOverlayConfig(k8s(), ENV)!, log())).rejects.toThrow(/no such device/);
    expect(t.calls).toHaveLength(1);
  });
});
