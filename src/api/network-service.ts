// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.NetworkService.
import { invalid } from '../core/errors.js';
import type { Orchestrator } from '../core/orchestrator.js';
import type { NetworkRecord } from '../core/state.js';
import type { Adapter } from './adapter.js';
import type { Network } from './gen/fastpath/v1/Network.js';
import type { NetworkServiceHandlers } from './gen/fastpath/v1/NetworkService.js';

function toNetwork(n: NetworkRecord & { portCount: number }): Network {
  return { name: n.name, vlan: n.vlan, mtu: n.mtu, portCount: n.portCount };
}

export function networkService(orch: Orchestrator, a: Adapter): NetworkServiceHandlers {
  return {
    CreateNetwork: a.unary('CreateNetwork', async (req) => {
      const n = req.network;
      if (!n) throw invalid('network is required');
      const { network, created } = await orch.createNetwork({ name: n.name, vlan: n.vlan, mtu: n.mtu });
      return { network: toNetwork(orch.getNetwork(network.name)), created };
    }),
    GetNetwork: a.unary('GetNetwork', async (req) => ({ network: toNetwork(orch.getNetwork(req.name)) })),
    ListNetworks: a.unary('ListNetworks', async () => ({ networks: orch.listNetworks().map(toNetwork) })),
    DeleteNetwork: a.unary('DeleteNetwork', async (req) => {
      await orch.deleteNetwork(req.name, req.allowMissing);
      return {};
    }),
  };
}
