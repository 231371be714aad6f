// SPDX-License-Identifier: Apache-2.0
// Real containers: fastpathd on the host, two CNF containers started with
// `podman run` from exactly what the API returned for their ports (the
// Attach message's docker run line with its bind mounts, and its EAL
// arguments). Traffic both ways; `podman stop` brings the port down (an
// event on the stream), running the container again brings it back; each
// container sees its own socket and hugepages and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type * as grpc from '@grpc/grpc-js';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import type { PortEvent__Output } from '../../src/api/gen/fastpath/v1/PortEvent.js';
import { PodmanCnf } from '../harness/cnf/podman.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';
import { exchange128BothWays, expectNoContainers, requirePodman } from '../helpers/podman.js';

const TAG = 'podman';
let d: Daemon;
let stream: grpc.ClientReadableStream<unknown> | undefined;
const events: PortEvent__Output[] = [];
const cnfs = new Map<string, PodmanCnf>();
const ports = new Map<string, Port__Output>();

async function startCnf(name: string): Promise<PodmanCnf> {
  const c = await PodmanCnf.start({ name: `fp-podman-${name}`, label: TAG, cpu: 0, attach: ports.get(name)!.attach! });
  cnfs.set(name, c);
  return c;
}

const linkUp = async (name: string): Promise<boolean> =>
  (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name })).port!.status!.linkUp;
const count = (port: string, type: string): number => events.filter((e) => e.port === port && e.type === type).length;

describe('CNF containers under podman, attached with the API attach info', () => {
  beforeAll(async () => {
    requirePodman();
    d = await Daemon.start(Daemon.fresh(TAG));
    const c = d.client;
    stream = c.ports.WatchPortEvents({});
    stream.on('data', (m: { event: PortEvent__Output }) => events.push(m.event));
    stream.on('error', () => undefined); // cancelled at the end
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'pods' } });
    for (const name of ['ca', 'cb']) {
      // The reservation named after the port is that port's hugepages.
      await c.unary(c.hugepages, c.hugepages.Reserve, { owner: name, sizeMib: 64 });
      ports.set(name, (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'pods' } })).port!);
    }
  });

  afterAll(async () => {
    stream?.cancel();
    for (const c of cnfs.values()) await c.remove();
    await expectNoContainers(TAG);
    if (d) {
      const c = d.client;
      for (const name of ['ca', 'cb']) {
        await c.unary(c.ports, c.ports.DeletePort, { name, allowMissing: true });
        await c.unary(c.hugepages, c.hugepages.Release, { owner: name, allowMissing: true });
      }
      await d.dispose();
    }
  });

  it('runs both containers from the attach info and forwards both ways', async () => {
    const a = ports.get('ca')!;
    const b = ports.get('cb')!;
    const res = (await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations;
    expect(a.attach!.dockerRun).toBe(`docker run --rm -it --privileged -v ${a.attach!.hostDir}:/run/fastpath `
      + `-v ${res.find((r) => r.owner === 'ca')!.mountPath}:/dev/hugepages <image> dpdk-testpmd ${a.attach!.ealArgs.join(' ')} -- -i`);
    const ca = await startCnf('ca');
    const cb = await startCnf('cb');
    await until(async () => (await linkUp('ca')) && (await linkUp('cb')), Boolean, 'both ports up');

    await exchange128BothWays(ca, cb, a.mac, b.mac);

    const st = (await d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name: '' })).stats;
    expect(st.find((s) => s.name === 'ca')).toMatchObject({ rxPackets: '128', txPackets: '128' });
    expect(st.find((s) => s.name === 'cb')).toMatchObject({ rxPackets: '128', txPackets: '128' });
  });

  it('shows each container only its own socket and its own hugepages', async () => {
    for (const [name, other] of [['ca', 'cb'], ['cb', 'ca']] as const) {
      const c = cnfs.get(name)!;
      expect((await c.exec('ls', '-A', '/run/fastpath')).trim()).toBe('sock');
      // The other port's directory and reservation do not exist in here.
      const otherDir = ports.get(other)!.attach!.hostDir;
      expect((await c.exec('sh', '-c', `test -e ${otherDir} || echo absent`)).trim()).toBe('absent');
      const mounts = await c.exec('cat', '/proc/mounts');
      const huge = mounts.split('\n').filter((l) => l.split(' ')[2] === 'hugetlbfs');
      expect(huge).toHaveLength(1);
      expect(huge[0]!.split(' ')[1]).toBe('/dev/hugepages');
      expect(huge[0]).toMatch(/size=67108864,min_size=67108864/); // 64 MiB quota, held by the kernel
      const files = (await c.exec('ls', '-A', '/dev/hugepages')).trim().split('\n');
      expect(files.length).toBeGreaterThan(0);
      expect(files.every((f) => f.startsWith(name))).toBe(true);
    }
  });

  it('podman stop brings the link down (event on the stream); running it again brings it back', async () => {
    const before = count('cb', 'PORT_EVENT_TYPE_CONNECTED');
    expect(before).toBeGreaterThanOrEqual(1);
    await cnfs.get('cb')!.stop();
    cnfs.delete('cb');
    await until(async () => count('cb', 'PORT_EVENT_TYPE_DISCONNECTED'), (n) => n >= 1, 'disconnected event for cb');
    expect(await linkUp('cb')).toBe(false);
    expect(await linkUp('ca')).toBe(true);

    const cb = await startCnf('cb');
    await until(async () => count('cb', 'PORT_EVENT_TYPE_CONNECTED'), (n) => n === before + 1, 'connected event for cb again');
    expect(await linkUp('cb')).toBe(true);
    const ca = cnfs.get('ca')!;
    await cb.cmd('start');
    await ca.cmd('stop');
    await ca.cmd(`set eth-peer 0 ${ports.get('cb')!.mac}`);
    await ca.cmd('start tx_first 4');
    expect((await cb.testpmd.waitStats((s) => s.rxPackets >= 128)).rxPackets).toBe(128);
  });

  it('leaves no container, and every mbuf back in the pool', async () => {
    for (const c of cnfs.values()) await c.stop();
    cnfs.clear();
    await expectNoContainers(TAG);
    await until(async () => (await linkUp('ca')) || (await linkUp('cb')), (up) => !up, 'both ports down');
    const metrics = await (await fetch(d.metricsUrl!)).text();
    expect(metrics).toMatch(/^fastpath_mbufs_in_use 0$/m);
  });
});
