// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.OverlayService: uplinks and networks' VXLAN overlays. The
// checks and the idempotency are the OverlayManager's; here, only what a
// wire message cannot say by itself (a missing message, an unset field that
// proto3 turns into 0 or "") is settled before the manager sees it.
import { ApiError, invalid, notFound } from '../core/errors.js';
import type { OverlayManager, OverlayView, UplinkView } from '../core/uplinks/overlay-manager.js';
import type { PortStats } from '../dataplane/index.js';
import type { Adapter } from './adapter.js';
import type { NetworkOverlay } from './gen/fastpath/v1/NetworkOverlay.js';
import type { OverlayServiceHandlers } from './gen/fastpath/v1/OverlayService.js';
import type { Uplink } from './gen/fastpath/v1/Uplink.js';
import { u64, u64Map } from './u64.js';

/** rx/tx/drops of a port the data plane did not report (yet): zeros. */
function counters(s?: PortStats): { rxPackets: string; txPackets: string; drops: Record<string, string> } {
  return { rxPackets: u64(s?.rxPackets ?? 0n), txPackets: u64(s?.txPackets ?? 0n), drops: u64Map(s?.drops ?? {}) };
}

function toUplink(u: UplinkView): Uplink {
  return {
    name: u.name, iface: u.iface, driver: u.driver, pci: u.pci ?? '', queues: u.queues, address: u.address,
    gateway: u.gateway ?? '', mtu: u.mtu ?? 0,
    status: {
      linkUp: u.linkUp, mac: u.mac, mtuInUse: u.mtuInUse,
      neighbours: u.neighbours.map((n) => ({ ip: n.ip, mac: n.resolved ? n.mac : '', resolved: n.resolved })),
      ...counters(u.stats),
    },
  };
}

function toOverlay(o: OverlayView): NetworkOverlay {
  return {
    network: o.network, uplink: o.uplink, vni: o.vni, peers: o.peers, staticMacs: o.staticMacs, peerMacLimit: o.peerMacLimit,
    maxFrame: o.maxFrame,
    tunnels: o.tunnels.map((t) => ({ peer: t.peer, port: t.port, linkUp: t.linkUp, ...counters(t.stats) })),
  };
}

const required = (v: string, what: string): string => {
  if (!v) throw invalid(`${what} is required`);
  return v;
};

export function overlayService(m: OverlayManager, a: Adapter): OverlayServiceHandlers {
  // The views carry live status; a mutation's answer is read back from them.
  const uplinkView = async (name: string): Promise<Uplink> => {
    const u = (await m.listUplinks()).find((x) => x.name === name);
    if (!u) throw notFound(`no uplink named ${name}`); // deleted by a concurrent call
    return toUplink(u);
  };
  const overlayView = async (network: string): Promise<NetworkOverlay> => {
    const o = (await m.listOverlays(network))[0];
    if (!o) throw notFound(`network ${network} has no overlay`); // removed by a concurrent call
    return toOverlay(o);
  };

  return {
    AddUplink: a.unary('AddUplink', async (req) => {
      const u = req.uplink;
      if (!u) throw invalid('uplink is required');
      const { uplink, created } = await m.addUplink({
        iface: required(u.iface, 'uplink iface'), driver: required(u.driver, 'uplink driver'), address: required(u.address, 'uplink address'),
        ...(u.pci ? { pci: u.pci } : {}), ...(u.queues ? { queues: u.queues } : {}),
        ...(u.gateway ? { gateway: u.gateway } : {}), ...(u.mtu ? { mtu: u.mtu } : {}),
      });
      return { uplink: await uplinkView(uplink.name), created };
    }),
    DeleteUplink: a.unary('DeleteUplink', async (req) => {
      await m.deleteUplink(required(req.name, 'name'), req.allowMissing);
      return {};
    }),
    ListUplinks: a.unary('ListUplinks', async () => ({ uplinks: (await m.listUplinks()).map(toUplink) })),
    SetNetworkOverlay: a.unary('SetNetworkOverlay', async (req) => {
      const o = req.overlay;
      if (!o) throw invalid('overlay is required');
      const network = required(o.network, 'overlay network');
      const { changed } = await m.setOverlay(network, {
        uplink: required(o.uplink, 'overlay uplink'), vni: o.vni, peers: o.peers,
        staticMacs: o.staticMacs.map((s) => ({ mac: s.mac, vlan: s.vlan, peer: s.peer })), peerMacLimit: o.peerMacLimit,
      });
      return { overlay: await overlayView(network), changed };
    }),
    DeleteNetworkOverlay: a.unary('DeleteNetworkOverlay', async (req) => {
      const network = required(req.network, 'network');
      if (!req.allowMissing && !m.hasOverlay(network)) {
        await m.listOverlays(network); // NOT_FOUND (NETWORK_NOT_FOUND) for an unknown network
        throw notFound(`network ${network} has no overlay`);
      }
      try {
        await m.setOverlay(network, null);
      } catch (e) {
        // allow_missing: no network, no overlay; a bad name is still an error.
        if (!(req.allowMissing && e instanceof ApiError && e.kind === 'NOT_FOUND')) throw e;
      }
      return {};
    }),
    ListNetworkOverlays: a.unary('ListNetworkOverlays', async (req) => ({
      overlays: (await m.listOverlays(req.network || undefined)).map(toOverlay),
    })),
  };
}
