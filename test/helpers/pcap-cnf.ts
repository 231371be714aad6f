// SPDX-License-Identifier: Apache-2.0
// A testpmd container that sends hand-built frames and records what it
// receives: port 0 is its fastpath port (virtio_user, attached with the
// API's arguments), port 1 a net_pcap device reading in.pcap and writing
// out.pcap; io forwarding moves frames between the two. One container per
// round of traffic (net_pcap reads its file once): start it with its
// frames, go, wait, then quit (which closes the capture) and read it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import type { Daemon } from './daemon.js';
import { numbers, until } from './fixture.js';
import { readPcap, writePcap } from './frames.js';

export class PcapCnf {
  private constructor(
    readonly name: string,
    readonly port: Port__Output,
    readonly cnf: TestpmdContainer,
    private readonly dir: string,
  ) {}

  /**
   * ringSize: the virtio ring and descriptor count on the fastpath side
   * (default: virtio_user's 256), for rounds that deliver more frames than
   * a receiver can take between two of its time slices.
   */
  static async start(port: Port__Output, workDir: string, frames: Buffer[], ringSize?: number): Promise<PcapCnf> {
    const name = port.spec!.name;
    const dir = join(workDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writePcap(join(dir, 'in.pcap'), frames);
    const cnf = await TestpmdContainer.start({
      name: `pcap-${name}`,
      ports: [{ hostDir: port.attach!.hostDir, mac: port.mac, server: port.spec!.mode === 'PORT_MODE_CLIENT' }],
      attachArgs: ringSize
        ? port.attach!.ealArgs.map((a) => (a.startsWith('--vdev=net_virtio_user') ? `${a},queue_size=${ringSize}` : a))
        : port.attach!.ealArgs,
      extraVdevs: [`net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${join(dir, 'out.pcap')}`],
      forwardMode: 'io',
      // `start` would otherwise drain the rx queues first: the pcap frames.
      extraArgs: ['--no-flush-rx', ...(ringSize ? [`--rxd=${ringSize}`, `--txd=${ringSize}`] : [])],
      ...(ringSize ? { mbufs: 4 * ringSize + 2048 } : {}),
    });
    return new PcapCnf(name, port, cnf, dir);
  }

  async go(): Promise<void> {
    await this.cnf.cmd('start');
  }

  /** Stop forwarding, quit (closing the capture), and return what arrived. */
  async collect(): Promise<Buffer[]> {
    await this.cnf.cmd('stop');
    await this.cnf.stop();
    const got = readPcap(join(this.dir, 'out.pcap'));
    rmSync(this.dir, { recursive: true, force: true });
    return got;
  }

  async kill(): Promise<void> {
    await this.cnf.kill();
  }
}

export type PortCounters = Record<string, { rx: number; tx: number; drops: Record<string, number> }>;

export async function portCounters(d: Daemon): Promise<PortCounters> {
  const c = d.client;
  const res = await c.unary(c.ports, c.ports.GetPortStats, { name: '' });
  return Object.fromEntries(res.stats.map((s) => [s.name, { rx: Number(s.rxPackets), tx: Number(s.txPackets), drops: numbers(s.drops) }]));
}

export interface PcapRound {
  /** What each port's container received. */
  got: Record<string, Buffer[]>;
  before: PortCounters;
  after: PortCounters;
}

/**
 * One round of traffic: a pcap container on each port in `ports` sends its
 * frames (`frames[name]`, none for receivers); waits until fastpath has taken
 * every frame in and every container has taken in what fastpath sent it,
 * then collects. ringSize: for large rounds (see start()): a sender that
 * reads its pcap faster than the switch drains its ring drops frames
 * silently, a receiver between two of its time slices too.
 */
export async function pcapRound(d: Daemon, network: string, ports: Record<string, Port__Output>, frames: Record<string, Buffer[]>,
  opts: { workDir: string; ringSize?: number }): Promise<PcapRound> {
  const c = d.client;
  const names = Object.keys(ports);
  const cnf: Record<string, PcapCnf> = {};
  try {
    for (const n of names) cnf[n] = await PcapCnf.start(ports[n]!, opts.workDir, frames[n] ?? [], opts.ringSize);
    await until(() => c.unary(c.ports, c.ports.ListPorts, { network }), (r) => r.ports.filter((p) => names.includes(p.spec!.name)).every((p) => p.status!.linkUp), 'every port up');
    const before = await portCounters(d);
    const senders = names.filter((n) => frames[n]?.length);
    for (const n of names.filter((x) => !senders.includes(x))) await cnf[n]!.go(); // receivers first
    for (const n of senders) await cnf[n]!.go();
    const after = await until(() => portCounters(d), (p) => senders.every((n) => p[n]!.rx - before[n]!.rx === frames[n]!.length),
      'fastpath took every frame in', 60_000);
    for (const n of names) {
      const delivered = after[n]!.tx - before[n]!.tx;
      await cnf[n]!.cnf.waitStats((s) => s.rxPackets >= delivered, 0, 30_000);
    }
    const got: Record<string, Buffer[]> = {};
    for (const n of names) {
      got[n] = await cnf[n]!.collect();
      delete cnf[n];
    }
    return { got, before, after };
  } finally {
    for (const x of Object.values(cnf)) await x.kill();
  }
}
