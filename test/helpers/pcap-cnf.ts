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
import { TestpmdContainer } from '../../src/cnf/testpmd.js';
import { readPcap, writePcap } from './frames.js';

export class PcapCnf {
  private constructor(
    readonly name: string,
    readonly port: Port__Output,
    readonly cnf: TestpmdContainer,
    private readonly dir: string,
  ) {}

  static async start(port: Port__Output, workDir: string, frames: Buffer[]): Promise<PcapCnf> {
    const name = port.spec!.name;
    const dir = join(workDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writePcap(join(dir, 'in.pcap'), frames);
    const cnf = await TestpmdContainer.start({
      name: `pcap-${name}`,
      ports: [{ hostDir: port.attach!.hostDir, mac: port.mac, server: port.spec!.mode === 'PORT_MODE_CLIENT' }],
      attachArgs: port.attach!.ealArgs,
      extraVdevs: [`net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${join(dir, 'out.pcap')}`],
      forwardMode: 'io',
      // `start` would otherwise drain the rx queues first: the pcap frames.
      extraArgs: ['--no-flush-rx'],
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
