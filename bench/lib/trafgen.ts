// SPDX-License-Identifier: Apache-2.0
// The scaling bench's guest: native/tools/fp_trafgen in a container, on
// virtio_user ports in pairs. It keeps frames circulating through the
// switch like the loop's testpmd does, and gives them the MACs, 5-tuples
// and size a point of the bench asks for; those change at run time, so one
// guest serves every point of a dimension (see fp_trafgen.c).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { containerEal, spawnInContainer, TestpmdProcess, type VirtioPort } from '../../test/harness/cnf/testpmd.js';
import type { RingLayout } from './args.js';
import type { SocketDir } from './guest.js';
import { removeEalRuntimeDir } from './util.js';

export const TRAFGEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'fp_trafgen');
/** Frames each guest port keeps in flight (the loop's tx_first 8 is 256). */
export const TRAFGEN_INFLIGHT = 256;
/** Ports one guest process can drive: Debian's DPDK has RTE_MAX_ETHPORTS 32. */
export const TRAFGEN_MAX_PORTS = 32;

export interface TrafgenOptions {
  name: string;
  sockets: readonly SocketDir[];
  ring: RingLayout;
  macs: number;
  flows: number;
  size: number;
  /** The largest size a later `size` command may ask for. */
  maxSize: number;
  cpu: number;
  /** Added to the pair number in every MAC, so two guests on one network never share one (default 0). */
  tag?: number;
  /** Frames that have not come back for this long are written off and replaced (default 100 ms; a flood test wants 1). */
  refillMs?: number;
}

export interface TrafgenStats {
  rx: number;
  tx: number;
  drop: number;
}

/** A port's MAC as the guest's EAL sees it (the frames carry their own). */
function portMac(i: number): string {
  return `02:00:00:00:c${(i >> 8) & 0xf}:${(i & 0xff).toString(16).padStart(2, '0')}`;
}

export class Trafgen extends TestpmdProcess {
  static async start(o: TrafgenOptions): Promise<Trafgen> {
    if (!existsSync(TRAFGEN)) throw new Error(`${TRAFGEN} is missing: build the native project (bash deploy/host/build-native.sh)`);
    if (o.sockets.length % 2 !== 0 || o.sockets.length > TRAFGEN_MAX_PORTS) {
      throw new Error(`a trafgen guest drives pairs of ports, at most ${TRAFGEN_MAX_PORTS}: got ${o.sockets.length}`);
    }
    const ports: VirtioPort[] = o.sockets.map((s, i) => ({
      hostDir: s.hostDir, sock: s.sock, mac: portMac(i), server: s.guestServes === true, packedVq: o.ring === 'packed',
    }));
    const n = o.sockets.length;
    const mbufSize = Math.max(2048, o.maxSize) + 128;
    // Pool: every ring full plus the frames in flight (fp_trafgen.c), in
    // mbufs of mbufSize; EAL memory with room for the rest.
    const poolMb = Math.ceil((n * (2 * 256 + TRAFGEN_INFLIGHT) + 4096) * (mbufSize + 192) / 2 ** 20);
    const memMb = 2 * Math.ceil((poolMb + 64) / 2); // whole 2 MiB pages
    // The container's hugetlbfs quota: twice EAL's memory, as the testpmd CNFs get.
    const { eal, env } = containerEal({ name: o.name, ports, cpu: o.cpu, fwdCpu: o.cpu, hugeMb: 2 * memMb, memMb });
    const argv = [
      TRAFGEN, ...eal, '--',
      '--pairs', String(n / 2), '--macs', String(o.macs), '--flows', String(o.flows), '--size', String(o.size),
      '--inflight', String(TRAFGEN_INFLIGHT), '--mbuf-size', String(mbufSize), '--tag', String(o.tag ?? 0),
      '--refill-ms', String(o.refillMs ?? 100),
    ];
    // A virtio_user server (OVS is the client) waits at start-up for its
    // client, port by port, and OVS's vhost client retries about once a
    // second: 32 such ports took longer than the 30 s everything else gets.
    const served = ports.filter((p) => p.server).length;
    const t = new Trafgen(o.name, spawnInContainer(argv, env), 30_000 + 3_000 * served, 'trafgen> ');
    await t.ready();
    return t;
  }

  /** Inject the frames and start forwarding. */
  async begin(): Promise<void> {
    await this.cmd('start');
  }

  /** Change what the frames carry, from the next burst on. */
  async set(what: 'macs' | 'flows' | 'size', n: number): Promise<void> {
    const out = await this.cmd(`${what} ${n}`);
    if (!/\bok\b/.test(out)) throw new Error(`${this.name}: ${what} ${n}: ${out.trim()}`);
  }

  async stats(): Promise<TrafgenStats> {
    const out = await this.cmd('stats');
    const m = /rx (\d+) tx (\d+) drop (\d+)/.exec(out);
    if (!m) throw new Error(`${this.name}: cannot parse stats: ${out}`);
    return { rx: Number(m[1]), tx: Number(m[2]), drop: Number(m[3]) };
  }

  static async leftovers(name: string): Promise<void> {
    await removeEalRuntimeDir(`cnf-${name}`);
  }
}
