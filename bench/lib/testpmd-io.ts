// SPDX-License-Identifier: Apache-2.0
// The baseline switch: dpdk-testpmd in io forward mode between two net_vhost
// ports, the cheapest forwarding DPDK offers for vhost-user (no look at the
// frames, no learning). It runs on the host like fastpath does, with the
// same CPUs (main lcore on 0, forwarding lcore on 1), the same memory and
// the same mbuf count, and is driven through its interactive prompt.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { TestpmdProcess } from '../../test/harness/cnf/testpmd.js';
import type { Cleanup } from './cleanup.js';
import { SWITCH_MAIN_CPU, SWITCH_MBUFS, SWITCH_MEMORY_MB, SWITCH_WORKER_CPU } from './fastpath.js';
import type { SocketDir } from './guest.js';
import type { SwitchSample, SwitchUnderTest } from './switch.js';
import { until } from '../../test/harness/wait.js';
import { removeEalRuntimeDir } from './util.js';

export interface FwdStats {
  busyCycles: number;
  packets: number;
  drops: number;
  tscHz: number;
}

/**
 * Parse `show fwd stats all` of testpmd 22.11 run with --record-core-cycles.
 * Its cycle line reads "CPU cycles/packet=39.30 (total cycles=2457871871 /
 * total io packets=62536224) at 2600 MHz Clock"; newer releases say "busy
 * cycles". The cycles only count stream polls that received something, and
 * the line is missing until the first packet: then everything is 0.
 */
export function parseFwdStats(text: string): FwdStats {
  const cyc = /\((?:total|busy) cycles=(\d+) \/ total \S+ packets=(\d+)\) at (\d+) MHz/.exec(text);
  const acc = text.slice(Math.max(0, text.indexOf('Accumulated forward statistics')));
  const rxDropped = /RX-dropped:\s+(\d+)/.exec(acc);
  const txDropped = /TX-dropped:\s+(\d+)/.exec(acc);
  if (!cyc) {
    if (!/Forward statistics/.test(text)) throw new Error(`not forward statistics:\n${text}`);
    return { busyCycles: 0, packets: 0, drops: 0, tscHz: 0 };
  }
  return {
    busyCycles: Number(cyc[1]),
    packets: Number(cyc[2]),
    drops: Number(rxDropped?.[1] ?? 0) + Number(txDropped?.[1] ?? 0),
    tscHz: Number(cyc[3]) * 1e6,
  };
}

export class TestpmdIoSwitch implements SwitchUnderTest {
  readonly name = 'testpmd-io';

  private constructor(
    private readonly tp: TestpmdProcess,
    readonly sockets: readonly SocketDir[],
    private readonly undo: Array<() => Promise<void>>,
  ) {}

  /** ports: in pairs (io forwarding's paired topology: 0 <-> 1, 2 <-> 3, ...). */
  static async start(cleanup: Cleanup, root: string, tag: string, ports = 2): Promise<TestpmdIoSwitch> {
    if (ports % 2 !== 0 || ports < 2) throw new Error(`testpmd-io forwards between pairs of ports, not ${ports}`);
    const prefix = `fpbench-io-${process.pid}-${tag}`;
    const base = join(root, `testpmd-${tag}`);
    // One directory per socket, like fastpath ports: the guest container
    // binds each directory, never the whole tree.
    const sockets: SocketDir[] = Array.from({ length: ports }, (_, i) => ({ hostDir: join(base, `p${i}`), sock: 'sock' }));
    const undo = [cleanup.defer(`remove ${base}`, () => rm(base, { recursive: true, force: true }))];
    for (const s of sockets) await mkdir(s.hostDir, { recursive: true, mode: 0o755 });
    undo.push(cleanup.defer(`remove /var/run/dpdk/${prefix}`, () => removeEalRuntimeDir(prefix)));
    const argv = [
      // Dies with us even if this process is SIGKILLed (no cleanup then).
      'setpriv', '--pdeathsig', 'KILL', '--',
      // stdout is a pipe: unbuffer it so output and prompts stay in order.
      'stdbuf', '-o0', '-e0',
      'dpdk-testpmd',
      '--lcores', `0@${SWITCH_MAIN_CPU},1@${SWITCH_WORKER_CPU}`,
      '--file-prefix', prefix,
      '--no-pci',
      '-m', String(SWITCH_MEMORY_MB),
      '--huge-dir', '/dev/hugepages', '--huge-unlink',
      '--log-level', '*:notice',
      ...sockets.flatMap((s, i) => ['--vdev', `net_vhost${i},iface=${join(s.hostDir, s.sock)},queues=1`]),
      '--',
      '-i',
      '--forward-mode=io',
      '--record-core-cycles',
      '--nb-cores=1',
      `--total-num-mbufs=${SWITCH_MBUFS}`,
    ];
    const tp = await TestpmdProcess.spawn('testpmd-io', argv, { timeoutMs: 30_000 });
    undo.push(cleanup.defer('quit the testpmd-io switch', () => tp.stop()));
    await tp.cmd('start');
    return new TestpmdIoSwitch(tp, sockets, undo);
  }

  /** Quit testpmd and remove its runtime and socket directories. */
  async stop(): Promise<void> {
    for (const step of this.undo.reverse()) await step();
    this.undo.length = 0;
  }

  async waitLinks(up: boolean, timeoutMs: number): Promise<void> {
    await until(
      async () => {
        const links: string[] = [];
        for (let i = 0; i < this.sockets.length; i++) {
          const text = await this.tp.cmd(`show port info ${i}`);
          links.push(/Link status:\s+(\w+)/.exec(text)?.[1] ?? '?');
        }
        return links;
      },
      (links) => links.every((l) => l === (up ? 'up' : 'down')),
      `testpmd-io vhost ports ${up ? 'up' : 'down'}`,
      timeoutMs,
    );
  }

  async sample(): Promise<SwitchSample> {
    return parseFwdStats(await this.tp.cmd('show fwd stats all'));
  }
}
