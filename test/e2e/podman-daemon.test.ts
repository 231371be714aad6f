// SPDX-License-Identifier: Apache-2.0
// fastpathd itself in a podman container (the image deploy/images builds,
// run with the mounts and privileges the DaemonSet gives it), serving two
// CNF containers attached with the API's attach information. Hugepage
// reservations the daemon mounts inside its container reach the host (and
// the CNFs) through a shared bind mount, as Bidirectional propagation does
// under Kubernetes.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FastpathClient } from '../../src/api/client.js';
import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { CNF_IMAGE, CNF_LABEL, PodmanCnf } from '../harness/cnf/podman.js';
import { daemonPaths } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';
import { DAEMON_IMAGE, exchange128BothWays, expectNoContainers, requirePodman } from '../helpers/podman.js';

const run = promisify(execFile);
const TAG = 'podd';
const NAME = 'fp-podman-fastpathd';
const p = daemonPaths(TAG);
let client: FastpathClient | undefined;
const cnfs: PodmanCnf[] = [];

const logs = async (): Promise<string> => {
  const r = await run('podman', ['logs', NAME]).catch((e: { stdout?: string; stderr?: string }) => e);
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
};
const mountsUnder = (dir: string): string[] => readFileSync('/proc/mounts', 'utf8').split('\n')
  .map((l) => l.split(' ')[1] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));

describe('fastpathd in a podman container', () => {
  beforeAll(async () => {
    requirePodman([CNF_IMAGE, DAEMON_IMAGE]);
    await run('podman', ['rm', '-f', '-t', '0', '--ignore', NAME]);
    for (const m of mountsUnder(p.base).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(p.base, { recursive: true, force: true });
    rmSync(p.stateDir, { recursive: true, force: true });
    mkdirSync(p.base, { recursive: true });
    mkdirSync(p.stateDir, { recursive: true });
    // Mounts made in the daemon's container under base must reach the host.
    spawnSync('mount', ['--bind', p.base, p.base]);
    expect(spawnSync('mount', ['--make-shared', p.base]).status).toBe(0);
    await run('podman', [
      'run', '-d', '--name', NAME, '--label', `${CNF_LABEL}=${TAG}`,
      // As the DaemonSet: privileged, host network (metrics on loopback) and PIDs.
      '--privileged', '--network', 'host', '--pid', 'host',
      '-v', `${p.base}:${p.base}:rshared`, '-v', '/dev/hugepages:/dev/hugepages', '-v', `${p.stateDir}:${p.stateDir}`,
      DAEMON_IMAGE,
      '--grpc-socket', p.grpcSocket, '--state-dir', p.stateDir, '--socket-root', p.socketRoot,
      '--file-prefix', p.filePrefix, '--main-cpu', '0', '--worker-cpus', '1', '--metrics', '127.0.0.1:0',
      '--hugepage-root', `${p.base}/hugepages`,
    ]);
    const running = async (): Promise<boolean> => (await run('podman', ['inspect', '-f', '{{.State.Running}}', NAME])).stdout.trim() === 'true';
    await until(async () => (await logs()).includes('"step":"ready"') || !(await running()), Boolean, 'fastpathd ready (or gone) in its container', 90_000);
    const l = await logs();
    if (!l.includes('"step":"ready"')) throw new Error(`fastpathd failed in its container:\n${l}`);
    client = new FastpathClient(`unix://${p.grpcSocket}`, 30_000);
  });

  afterAll(async () => {
    for (const c of cnfs) await c.remove();
    if (client) {
      const c = client;
      for (const name of ['da', 'db']) {
        await c.unary(c.ports, c.ports.DeletePort, { name, allowMissing: true }).catch(() => undefined);
        await c.unary(c.hugepages, c.hugepages.Release, { owner: name, allowMissing: true }).catch(() => undefined);
      }
      c.close();
    }
    await run('podman', ['rm', '-f', '-t', '0', '--ignore', NAME]);
    await expectNoContainers(TAG);
    const left = mountsUnder(p.base);
    for (const m of left.reverse()) spawnSync('umount', ['-l', m]);
    rmSync(p.base, { recursive: true, force: true });
    rmSync(p.stateDir, { recursive: true, force: true });
    // The one mount we made ourselves (base on itself) and nothing else.
    expect(left).toEqual([p.base]);
  });

  it('serves the API on its socket and forwards between two CNF containers', async () => {
    const c = client!;
    // The DaemonSet's probe command, as the kubelet would exec it.
    const probe = await run('podman', ['exec', NAME, 'node', '/opt/fastpath/.dist/daemon/health-probe.js', `unix://${p.grpcSocket}`, 'fastpath.v1.PortService']);
    expect(probe.stdout).toContain('SERVING');
    const info = await c.unary(c.system, c.system.GetSystemInfo, {});
    expect(info.dpdkVersion).toMatch(/^DPDK 22\.11/);
    const ports: Port__Output[] = [];
    for (const name of ['da', 'db']) {
      const r = await c.unary(c.hugepages, c.hugepages.Reserve, { owner: name, sizeMib: 64 });
      // Mounted inside the daemon's container, visible on the host.
      expect(mountsUnder(r.reservation!.mountPath)).toEqual([r.reservation!.mountPath]);
      // Server mode: this test checks the socket the daemon in its container makes.
      ports.push((await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'default', mode: 'PORT_MODE_SERVER' } })).port!);
    }
    const [a, b] = ports as [Port__Output, Port__Output];
    expect(existsSync(a.attach!.socketPath)).toBe(true);
    const ca = await PodmanCnf.start({ name: 'fp-podd-a', label: TAG, cpu: 0, attach: a.attach! });
    cnfs.push(ca);
    const cb = await PodmanCnf.start({ name: 'fp-podd-b', label: TAG, cpu: 0, attach: b.attach! });
    cnfs.push(cb);
    await until(() => c.unary(c.ports, c.ports.GetPortStats, { name: '' }), (r) => r.stats.filter((s) => s.linkUp).length === 2, 'both ports up');
    await exchange128BothWays(ca, cb, a.mac, b.mac);
    for (const cnf of cnfs.splice(0)) await cnf.stop();
    // Released inside the daemon's container: gone from the host as well.
    for (const name of ['da', 'db']) {
      await c.unary(c.ports, c.ports.DeletePort, { name });
      await c.unary(c.hugepages, c.hugepages.Release, { owner: name });
    }
    expect(mountsUnder(`${p.base}/hugepages`)).toEqual([]);
  });

  it('stops cleanly on podman stop (SIGTERM), keeping its state', async () => {
    await run('podman', ['stop', '-t', '20', NAME]);
    const code = (await run('podman', ['inspect', '-f', '{{.State.ExitCode}}', NAME])).stdout.trim();
    expect(code).toBe('0');
    expect(existsSync(`${p.stateDir}/state.json`)).toBe(true);
    expect(await logs()).toMatch(/"step":"stopped"|stopped/);
  });
});
