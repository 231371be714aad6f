// SPDX-License-Identifier: Apache-2.0
// The overlay at start-up (issue 18): the configured uplink and network
// overlays, then, when peers come from Kubernetes, the peer watch that keeps
// every overlay network's peer list equal to the other nodes running
// fastpathd. One call for main.ts, after replay; stop() on shutdown.
import { inClusterConnection, type KubeConnection } from '../k8s/kube-client.js';
import { PeerWatch } from '../k8s/peer-watch.js';
import { tunnelPeerProblem } from '../core/uplinks/ipv4.js';
import type { OverlayManager } from '../core/uplinks/overlay-manager.js';
import { applyOverlayConfig, MAX_PEERS, type OverlayConfig, type OverlayLog, type OverlayTarget } from './overlay-config.js';

export interface OverlayHandle {
  /** Networks that carry their VNI (the others were logged). */
  networks: string[];
  stop(): Promise<void>;
}

export interface StartOverlayOptions {
  /** Default: the pod's in-cluster credentials (only read when peers come from Kubernetes). */
  connection?: KubeConnection;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Throws when the uplink cannot be made, or when peers come from Kubernetes
 * and this is not a pod (checked first, so nothing is half set up). Once
 * running, the watch never throws: API trouble is logged and retried.
 */
export async function startOverlay(target: OverlayTarget, cfg: OverlayConfig, log: OverlayLog, opts: StartOverlayOptions = {}): Promise<OverlayHandle> {
  const k = cfg.peers.kind === 'kubernetes' ? cfg.peers : undefined;
  const connection = k ? (opts.connection ?? inClusterConnection(opts.env ?? process.env)) : undefined;
  const { applied } = await applyOverlayConfig(target, cfg, log);
  if (!k || !connection || applied.length === 0) return { networks: applied, stop: async () => undefined };
  const [own, len] = cfg.uplink.address.split('/') as [string, string];
  const refused = new Set<string>();
  const watch = new PeerWatch({
    connection, namespace: k.namespace, labelSelector: k.labelSelector, nodeName: k.nodeName, log, maxPeers: MAX_PEERS,
    // What the orchestrator would refuse (ourselves, a node we cannot reach
    // without a gateway) is left out here: one such pod must not keep the
    // whole list from being set.
    accept: (ip) => {
      const problem = tunnelPeerProblem(ip, own, Number(len), cfg.uplink.gateway !== undefined);
      if (problem !== undefined && !refused.has(ip) && refused.size < 64) {
        refused.add(ip);
        log.warn({ step: 'overlay', peer: ip, reason: problem }, 'a fastpathd pod\'s node is not a usable peer');
      }
      return problem === undefined;
    },
    onPeers: async (peers) => {
      const failed: string[] = [];
      for (const network of applied) {
        await target.setOverlayPeers(network, peers).catch((e: unknown) => {
          failed.push(`${network}: ${(e as Error).message}`);
        });
      }
      // Thrown so the watch tries again later with the then current set.
      if (failed.length > 0) throw new Error(failed.join('; '));
    },
  });
  watch.start();
  log.info({ step: 'overlay', namespace: k.namespace, labelSelector: k.labelSelector, nodeName: k.nodeName }, 'watching fastpathd pods for overlay peers');
  return { networks: applied, stop: () => watch.stop() };
}

/** The daemon's overlay manager as the configuration and the peer watch use it. */
export function overlayTarget(m: OverlayManager): OverlayTarget {
  return {
    addUplink: (req) => m.addUplink(req),
    setNetworkOverlay: async (network, o) => {
      // Keep what the peer watch set before a restart until it lists again.
      const peers = o && o.peers.length === 0 ? (m.peersOf(network) ?? []) : o?.peers ?? [];
      return m.setOverlay(network, o ? { ...o, peers, staticMacs: m.staticMacsOf(network, peers) } : null);
    },
    setOverlayPeers: (network, peers) => m.setPeers(network, peers),
    getOverlayPeers: async (network) => m.peersOf(network),
  };
}
