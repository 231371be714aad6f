// SPDX-License-Identifier: Apache-2.0
// fpctl overlay set | del | list: a network's VXLAN overlay to other nodes.
import type { NetworkOverlay__Output } from '../../api/gen/fastpath/v1/NetworkOverlay.js';
import type { StaticMac } from '../../api/gen/fastpath/v1/StaticMac.js';
import { RANGES } from '../../dataplane/limits.js';
import { intOption, intValue, listOption, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { totalDrops } from '../format.js';
import { renderTable } from '../table.js';

const VNI = { what: 'VNI', lo: 1, hi: 0xffffff };
const PEER_MAC_LIMIT = { what: 'peer MAC limit', lo: 0, hi: 1_000_000 };

/** "MAC@PEER[/VLAN]": the MAC and address are the daemon's to check. */
export function staticMacValue(s: string): StaticMac {
  const m = /^([^@/]+)@([^@/]+)(?:\/([^@/]*))?$/.exec(s);
  if (!m) throw new UsageError(`--static-mac: want MAC@PEER[/VLAN], e.g. 02:fa:57:00:01:02@10.1.0.6/10, got '${s}'`);
  return { mac: m[1]!, peer: m[2]!, vlan: m[3] === undefined ? 0 : intValue(m[3], '--static-mac VLAN', RANGES.vlan) };
}

function describe(o: NetworkOverlay__Output): string {
  return `VNI ${o.vni} over uplink ${o.uplink} to ${o.peers.length} peer(s)${o.peers.length ? ` (${o.peers.join(', ')})` : ''}`
    + `${o.staticMacs.length ? `, ${o.staticMacs.length} static MAC(s)` : ''}; frames up to ${o.maxFrame} bytes`;
}

export const overlaySet: CommandSpec = {
  words: ['overlay', 'set'],
  args: ['<network>'],
  summary: 'carry a network to other nodes over VXLAN (replaces its overlay); the same overlay again changes nothing',
  details: `Peers are the other nodes' endpoints (their uplink addresses): unicast hosts on
this uplink's subnet, or anywhere when it has a --gateway. The VNI is unique per
uplink. Containers' frames may be at most the uplink's MTU + 14 - 50 bytes.`,
  options: {
    uplink: { type: 'string', value: 'IFACE', help: 'the uplink carrying it (required)' },
    vni: { type: 'string', value: 'N', help: 'VXLAN network identifier, 1..16777215 (required)' },
    peer: { type: 'string', value: 'IP', multiple: true, help: 'another node\'s endpoint (repeat for each peer)' },
    peers: { type: 'string', value: 'IP,…', help: 'the same, comma-separated' },
    'static-mac': { type: 'string', value: 'MAC@IP[/VLAN]', multiple: true, help: 'a MAC known to be behind a peer (VLAN default 0)' },
    'peer-mac-limit': { type: 'string', value: 'N', help: 'MACs learned behind each peer, 0..1000000 (default 0: no limit)' },
  },
  async run(ctx, [network], opts) {
    if (typeof opts.uplink !== 'string') throw new UsageError('--uplink is required');
    const vni = intOption(opts, 'vni', VNI);
    if (vni === undefined) throw new UsageError('--vni is required');
    const peerMacLimit = intOption(opts, 'peer-mac-limit', PEER_MAC_LIMIT);
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.SetNetworkOverlay, {
      overlay: {
        network, uplink: opts.uplink, vni, peers: listOption(opts, 'peer', 'peers'),
        staticMacs: listOption(opts, 'static-mac').map(staticMacValue), ...(peerMacLimit !== undefined ? { peerMacLimit } : {}),
      },
    });
    if (ctx.json) return ctx.printJson(res);
    const o = res.overlay!;
    ctx.print(res.changed ? `network ${o.network}: ${describe(o)}` : `network ${o.network} already had this overlay (${describe(o)}); nothing changed`);
  },
};

export const overlayDel: CommandSpec = {
  words: ['overlay', 'del'],
  args: ['<network>'],
  summary: 'stop carrying a network to other nodes (removes its tunnel ports)',
  options: { 'if-exists': { type: 'boolean', help: 'succeed when the network or its overlay does not exist' } },
  async run(ctx, [network], opts) {
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.DeleteNetworkOverlay, { network, allowMissing: opts['if-exists'] === true });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(opts['if-exists'] ? `network ${network} has no overlay` : `removed the overlay of network ${network}`);
  },
};

export const overlayList: CommandSpec = {
  words: ['overlay', 'list'],
  args: ['[<network>]'],
  summary: 'list overlays, then each peer\'s tunnel port with its link and counters',
  async run(ctx, [network]) {
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.ListNetworkOverlays, { network: network ?? '' });
    if (ctx.json) return ctx.printJson(res);
    if (res.overlays.length === 0) {
      return ctx.note(network ? `network ${network} has no overlay` : 'no overlays (set one with: fpctl overlay set <network> --uplink IFACE --vni N --peer IP)');
    }
    const right = { align: 'right' as const };
    const overlays = renderTable(
      [{ header: 'NETWORK' }, { header: 'VNI', ...right }, { header: 'UPLINK' }, { header: 'MAX_FRAME', ...right },
        { header: 'PEERS', ...right }, { header: 'STATIC_MACS', ...right }, { header: 'PEER_MAC_LIMIT', ...right }],
      res.overlays.map((o) => [o.network, String(o.vni), o.uplink, String(o.maxFrame), String(o.peers.length), String(o.staticMacs.length),
        o.peerMacLimit ? String(o.peerMacLimit) : 'none']),
    );
    const tunnels = res.overlays.flatMap((o) => o.tunnels.map((t) => [o.network, t.peer, t.port, t.linkUp ? 'up' : 'down',
      String(t.rxPackets), String(t.txPackets), String(totalDrops(t.drops))]));
    ctx.print(tunnels.length === 0 ? overlays : `${overlays}\n\n${renderTable(
      [{ header: 'NETWORK' }, { header: 'PEER' }, { header: 'PORT' }, { header: 'LINK' },
        { header: 'RX_PKTS', ...right }, { header: 'TX_PKTS', ...right }, { header: 'DROPS', ...right }],
      tunnels,
    )}`);
  },
};
