// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.SystemService.
import type { Dataplane, WorkerStats } from '../dataplane/index.js';
import type { Adapter } from './adapter.js';
import type { SystemServiceHandlers } from './gen/fastpath/v1/SystemService.js';
import { u64 } from './u64.js';

export interface SystemFacts {
  version: string;
  startedAt: number;
  exceptionPath: string;
}

/** Keeps the previous worker sample so "recent" figures cover ~1 s. */
export class LcoreSampler {
  private prev: { at: number; workers: WorkerStats[] } | undefined;
  private last: { at: number; workers: WorkerStats[] } | undefined;

  constructor(private readonly dp: Dataplane) {}

  async sample(): Promise<void> {
    const s = await this.dp.stats();
    this.prev = this.last;
    this.last = { at: Date.now(), workers: s.workers };
  }

  recent(lcore: number): { cyclesPerPacket: number; busyPercent: number } {
    const a = this.prev?.workers.find((w) => w.lcore === lcore);
    const b = this.last?.workers.find((w) => w.lcore === lcore);
    if (!a || !b) return { cyclesPerPacket: 0, busyPercent: 0 };
    const busy = Number(b.busyCycles - a.busyCycles);
    const idle = Number(b.idleCycles - a.idleCycles);
    const pk = Number(b.packets - a.packets);
    return { cyclesPerPacket: pk > 0 ? busy / pk : 0, busyPercent: busy + idle > 0 ? (100 * busy) / (busy + idle) : 0 };
  }
}

export function systemService(dp: Dataplane, sampler: LcoreSampler, facts: SystemFacts, a: Adapter): SystemServiceHandlers {
  return {
    GetSystemInfo: a.unary('GetSystemInfo', async () => {
      const info = await dp.info();
      const st = await dp.stats();
      return {
        version: facts.version,
        dpdkVersion: info.dpdkVersion,
        mainLcore: info.mainLcore,
        workerLcores: info.workerLcores,
        exceptionPath: facts.exceptionPath,
        hugePages: info.hugePages,
        memory: info.memoryReason,
        lcores: st.workers.map((w) => {
          const r = sampler.recent(w.lcore);
          const busy = Number(w.busyCycles);
          const rxqs = st.ports.flatMap((p) => p.queues.map((q, i) => ({ port: p.name, queue: i, q })))
            .filter((x) => x.q.lcore === w.lcore)
            .map((x) => ({
              port: x.port, queue: x.queue, pinned: x.q.pinned, enabled: x.q.rxEnabled, rxPackets: u64(x.q.rxPackets),
              busySharePercent: busy > 0 ? (100 * Number(x.q.rxCycles)) / busy : 0,
            }));
          return {
            lcore: w.lcore, role: 'worker', packets: u64(w.packets), cyclesPerPacket: w.cyclesPerPacket,
            cyclesPerPacketRecent: r.cyclesPerPacket, busyPercent: w.busyPercent, busyPercentRecent: r.busyPercent, rxqs,
          };
        }),
        mbufsTotal: st.mbufs.total,
        mbufsInUse: st.mbufs.inUse,
        uptimeSeconds: (Date.now() - facts.startedAt) / 1000,
      };
    }),
  };
}
