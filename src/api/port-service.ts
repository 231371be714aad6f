// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.PortService.
import type { Orchestrator, PortEventView, PortView } from '../core/orchestrator.js';
import { invalid } from '../core/errors.js';
import { DEFAULT_MAX_MACS } from '../core/port-security.js';
import type { Adapter } from './adapter.js';
import type { Port } from './gen/fastpath/v1/Port.js';
import type { PortEvent } from './gen/fastpath/v1/PortEvent.js';
import type { PortServiceHandlers } from './gen/fastpath/v1/PortService.js';
import type { PortSpec__Output } from './gen/fastpath/v1/PortSpec.js';
import type { PortStats } from './gen/fastpath/v1/PortStats.js';
import type { PortStats as DpPortStats } from '../dataplane/index.js';
import { u64, u64Map } from './u64.js';

export function toPort(v: PortView): Port {
  const r = v.record;
  return {
    spec: {
      name: r.name, network: r.network, mode: r.mode === 'client' ? 'PORT_MODE_CLIENT' : 'PORT_MODE_SERVER',
      type: r.type === 'memif' ? 'PORT_TYPE_MEMIF' : 'PORT_TYPE_VHOST_USER',
      memifRingLog2: r.memifRingLog2 ?? 0, memifBufferSize: r.memifBufferSize ?? 0,
      queues: r.queues, vlan: r.vlan, mac: r.macRequested ? r.mac : '',
      access: { mode: r.socketMode, dirMode: r.dirMode, ...(r.uid !== undefined ? { uid: r.uid } : {}), ...(r.gid !== undefined ? { gid: r.gid } : {}) },
      ...(r.security ? { security: { allowedMacs: r.security.macs, allowedIps: r.security.ips } } : {}),
      maxMacs: r.maxMacs ?? DEFAULT_MAX_MACS,
      rxqAffinity: r.rxqAffinity ?? {},
    },
    mac: r.mac,
    attach: {
      socketPath: v.attach.socketPath, hostDir: v.attach.hostDir, containerDir: v.attach.containerDir,
      ealArgs: v.attach.ealArgs, vdev: v.attach.vdev, dockerRun: v.attach.dockerRun,
    },
    status: { linkUp: v.linkUp, features: u64(v.features), queuePairs: v.queuePairs },
  };
}

function toStats(s: DpPortStats): PortStats {
  return {
    name: s.name, network: s.network, linkUp: s.linkUp, rxPackets: u64(s.rxPackets), rxBytes: u64(s.rxBytes),
    txPackets: u64(s.txPackets), txBytes: u64(s.txBytes), drops: u64Map(s.drops), peerErrors: u64Map(s.peerErrors),
    rxNoL4: u64(s.rxNoL4), macs: s.macs,
    queues: s.queues.map((q, i) => ({
      queue: i, lcore: q.lcore, pinned: q.pinned, rxEnabled: q.rxEnabled, txEnabled: q.txEnabled,
      rxPackets: u64(q.rxPackets), txPackets: u64(q.txPackets), rxCycles: u64(q.rxCycles),
    })),
  };
}

function toEvent(e: PortEventView): PortEvent {
  const type = e.kind === 'connected' ? 'PORT_EVENT_TYPE_CONNECTED'
    : e.kind === 'disconnected' ? 'PORT_EVENT_TYPE_DISCONNECTED' : 'PORT_EVENT_TYPE_QUEUE_STATE';
  return {
    port: e.port, type, features: u64(e.features ?? 0n), queuePairs: e.queuePairs ?? 0, vring: e.vring ?? 0,
    enabled: e.enabled ?? false, timeMs: e.timeMs, reason: e.reason ?? '',
  };
}

function typeOf(spec: PortSpec__Output): 'vhost-user' | 'memif' {
  switch (spec.type) {
    case 'PORT_TYPE_UNSPECIFIED':
    case 'PORT_TYPE_VHOST_USER':
      return 'vhost-user';
    case 'PORT_TYPE_MEMIF':
      return 'memif';
    default:
      throw invalid(`unknown port type ${String(spec.type)}`);
  }
}

/** The asked mode; undefined (unspecified) leaves the daemon's default: client for vhost-user, server for memif. */
function modeOf(spec: PortSpec__Output): 'server' | 'client' | undefined {
  switch (spec.mode) {
    case 'PORT_MODE_UNSPECIFIED':
      return undefined;
    case 'PORT_MODE_SERVER':
      return 'server';
    case 'PORT_MODE_CLIENT':
      return 'client';
    default:
      throw invalid(`unknown port mode ${String(spec.mode)}`);
  }
}

export function portService(orch: Orchestrator, a: Adapter): PortServiceHandlers {
  return {
    CreatePort: a.unary('CreatePort', async (req) => {
      if (!req.port) throw invalid('port is required');
      const s = req.port;
      const acc = s.access;
      const { port, created } = await orch.createPort({
        name: s.name, network: s.network, ...(modeOf(s) ? { mode: modeOf(s) } : {}), queues: s.queues, vlan: s.vlan,
        type: typeOf(s), memifRingLog2: s.memifRingLog2, memifBufferSize: s.memifBufferSize,
        ...(acc?.uid !== undefined && acc.uid !== null ? { uid: acc.uid } : {}),
        ...(acc?.gid !== undefined && acc.gid !== null ? { gid: acc.gid } : {}),
        socketMode: acc?.mode ?? 0, dirMode: acc?.dirMode ?? 0,
        ...(s.mac ? { mac: s.mac } : {}),
        ...(s.security ? { security: { allowedMacs: s.security.allowedMacs, allowedIps: s.security.allowedIps } } : {}),
        maxMacs: s.maxMacs,
        rxqAffinity: s.rxqAffinity,
      });
      return { port: toPort(port), created };
    }),
    SetRxqAffinity: a.unary('SetRxqAffinity', async (req) => ({ port: toPort(await orch.setRxqAffinity(req.name, req.rxqAffinity)) })),
    GetPort: a.unary('GetPort', async (req) => ({ port: toPort(orch.getPort(req.name)) })),
    ListPorts: a.unary('ListPorts', async (req) => ({ ports: orch.listPorts(req.network || undefined).map(toPort) })),
    DeletePort: a.unary('DeletePort', async (req) => {
      await orch.deletePort(req.name, req.allowMissing);
      return {};
    }),
    GetPortStats: a.unary('GetPortStats', async (req) => ({ stats: (await orch.portStats(req.name || undefined)).map(toStats) })),
    WatchPortEvents: a.serverStream('WatchPortEvents', async (req, write) => {
      if (req.port) orch.getPort(req.port); // NOT_FOUND for an unknown port
      const listener = (e: PortEventView): void => {
        if (!req.port || e.port === req.port) write({ event: toEvent(e) });
      };
      orch.on('port-event', listener);
      return () => orch.off('port-event', listener);
    }),
  };
}
