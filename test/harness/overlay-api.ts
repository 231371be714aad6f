// SPDX-License-Identifier: Apache-2.0
// The OverlayService (with the NetworkService, whose networks overlays
// name) over a real gRPC server on a unix socket, against the in-memory
// data plane and a host where eth1..eth3 and one vfio-pci device exist:
// what overlay-api.test.ts calls directly and fpctl-overlay.test.ts
// through fpctl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';

import { Adapter } from '../../src/api/adapter.js';
import { FastpathClient } from '../../src/api/client.js';
import { networkService } from '../../src/api/network-service.js';
import { overlayService } from '../../src/api/overlay-service.js';
import { loadFastpathProto } from '../../src/api/proto.js';
import { MacPool } from '../../src/core/mac-pool.js';
import { Orchestrator } from '../../src/core/orchestrator.js';
import { emptyState } from '../../src/core/state.js';
import { StateKeeper } from '../../src/core/state-keeper.js';
import type { StateStore } from '../../src/core/store.js';
import { OverlayManager } from '../../src/core/uplinks/overlay-manager.js';
import type { UplinkHost } from '../../src/core/uplinks/uplink-spec.js';
import { tunnelPortName, type DataplaneStats, type NativeUplinkInfo } from '../../src/dataplane/index.js';
import { FakeDataplane } from './fake-dataplane.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The fake data plane, also reporting uplinks and tunnel ports as the real one does: in its stats, and an ARP table per uplink. */
export class OverlayFakeDataplane extends FakeDataplane {
  readonly neighbours = new Map<string, NativeUplinkInfo['neighbours']>();

  override async uplinkInfo(name: string): Promise<NativeUplinkInfo> {
    return { ...(await super.uplinkInfo(name)), neighbours: this.neighbours.get(name) ?? [] };
  }

  override async stats(): Promise<DataplaneStats> {
    const s = await super.stats();
    const port = (name: string, network: string): DataplaneStats['ports'][number] => ({
      name, network, linkUp: true, queuePairs: 1, features: 0n, rxPackets: 0n, rxBytes: 0n, txPackets: 0n, txBytes: 0n,
      drops: {}, peerErrors: {}, rxNoL4: 0n, macs: 0, queues: [], ...this.counters.get(name),
    });
    const tunnels = [...this.vxlan].flatMap(([network, v]) => v.peers.map((p) => port(tunnelPortName(network, p), network)));
    return { ...s, ports: [...s.ports, ...[...this.uplinks.keys()].map((u) => port(u, '')), ...tunnels] };
  }
}

export const fakeHost: UplinkHost = {
  ifaceExists: async (iface) => ['eth1', 'eth2', 'eth3'].includes(iface),
  pciDriver: async (pci) => (pci === '0000:03:00.0' ? 'vfio-pci' : null),
  protocols: async () => ['PACKET', 'XDP'],
};

export interface OverlayApi {
  dp: OverlayFakeDataplane;
  keeper: StateKeeper;
  orch: Orchestrator;
  overlay: OverlayManager;
  endpoint: string;
  client: FastpathClient;
  close(): Promise<void>;
}

export async function startOverlayApi(): Promise<OverlayApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-overlay-'));
  const endpoint = `unix://${join(dir, 'api.sock')}`;
  const dp = new OverlayFakeDataplane();
  const keeper = new StateKeeper({ save: async () => undefined } as unknown as StateStore, emptyState());
  const orch = new Orchestrator(dp, keeper, new MacPool('02:fa:57', 16), {
    maxPorts: 4, maxQueues: 8, maxNetworks: 8, maxFlowsPerNetwork: 10, maxFlowsTotal: 20,
  }, quiet);
  const overlay = new OverlayManager(dp, keeper, quiet, fakeHost);
  const proto = loadFastpathProto();
  const server = new grpc.Server();
  const a = new Adapter(quiet);
  server.addService(proto.fastpath.v1.NetworkService.service, networkService(orch, a) as unknown as grpc.UntypedServiceImplementation);
  server.addService(proto.fastpath.v1.OverlayService.service, overlayService(overlay, a) as unknown as grpc.UntypedServiceImplementation);
  await new Promise<void>((res, rej) => server.bindAsync(endpoint, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())));
  const client = new FastpathClient(endpoint, 5000);
  return {
    dp, keeper, orch, overlay, endpoint, client,
    async close() {
      client.close();
      await new Promise<void>((res) => server.tryShutdown(() => res()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
