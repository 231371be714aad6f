// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.NetworkService.
import { invalid } from '../core/errors.js';
import type { KernelRequest } from '../core/kernel/kernel-manager.js';
import type { Orchestrator } from '../core/orchestrator.js';
import type { NetworkRecord } from '../core/state.js';
import type { Adapter } from './adapter.js';
import type { KernelInterface, KernelInterface__Output } from './gen/fastpath/v1/KernelInterface.js';
import type { Network } from './gen/fastpath/v1/Network.js';
import type { NetworkServiceHandlers } from './gen/fastpath/v1/NetworkService.js';
import { u64 } from './u64.js';

type Status = Awaited<ReturnType<Orchestrator['kernelStatus']>>;

function toKernel(n: NetworkRecord, st?: Status): KernelInterface | undefined {
  const k = n.kernel;
  if (!k) return undefined;
  return {
    name: k.name, addresses: k.addresses, netns: k.netns ?? '', mac: k.mac,
    punt: Object.entries(k.punt).map(([name, c]) => ({
      name, enabled: c.enabled, pps: c.pps, burst: c.burst,
      passed: u64(st?.punt[name]?.passed ?? 0n), policed: u64(st?.punt[name]?.policed ?? 0n),
    })),
    kind: st?.path.kind ?? '', reason: st?.path.reason ?? '',
    up: st?.iface?.up ?? false, rxPackets: st?.iface?.rxPackets ?? 0, txPackets: st?.iface?.txPackets ?? 0,
  };
}

function toNetwork(n: NetworkRecord & { portCount: number }, st?: Status): Network {
  const k = toKernel(n, st);
  return { name: n.name, vlan: n.vlan, mtu: n.mtu, portCount: n.portCount, ...(k ? { kernelInterface: k } : {}) };
}

function kernelRequest(k: KernelInterface__Output | null | undefined): KernelRequest | undefined {
  if (!k) return undefined;
  const punt: NonNullable<KernelRequest['punt']> = {};
  for (const p of k.punt) {
    if (!p.name) throw invalid('punt class needs a name');
    punt[p.name] = { enabled: p.enabled, ...(p.pps ? { pps: p.pps } : {}), ...(p.burst ? { burst: p.burst } : {}) };
  }
  return { ...(k.name ? { name: k.name } : {}), addresses: k.addresses, ...(k.netns ? { netns: k.netns } : {}), punt };
}

export function networkService(orch: Orchestrator, a: Adapter): NetworkServiceHandlers {
  const view = async (name: string, live = true): Promise<Network> => toNetwork(orch.getNetwork(name), await orch.kernelStatus(name, live));
  return {
    CreateNetwork: a.unary('CreateNetwork', async (req) => {
      const n = req.network;
      if (!n) throw invalid('network is required');
      const kernel = kernelRequest(n.kernelInterface);
      const { network, created } = await orch.createNetwork({ name: n.name, vlan: n.vlan, mtu: n.mtu, ...(kernel ? { kernel } : {}) });
      return { network: await view(network.name), created };
    }),
    GetNetwork: a.unary('GetNetwork', async (req) => ({ network: await view(req.name) })),
    // Configuration and path only: live counters would run iproute2 per network.
    ListNetworks: a.unary('ListNetworks', async () => ({ networks: await Promise.all(orch.listNetworks().map((n) => view(n.name, false))) })),
    DeleteNetwork: a.unary('DeleteNetwork', async (req) => {
      await orch.deleteNetwork(req.name, req.allowMissing);
      return {};
    }),
  };
}
