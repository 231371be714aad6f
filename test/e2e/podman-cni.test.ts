// SPDX-License-Identifier: Apache-2.0
// A real runtime calls the plugin: podman with its CNI network backend
// (libcni, as Debian's containernetworking-plugins deployments use it)
// starts two containers on a network whose config list names fastpath-cni.
// podman runs ADD before it makes the container's mounts, so the plugin
// binds each port directory into the operator's attach directory for that
// container (<hostAttachDir>/<container name>/<ifname>), which the
// container mounts at /run/fastpath; the MAC comes from podman's
// --mac-address (the "mac" capability). The two DPDK applications then
// exchange frames through fastpathd, keep doing so across fastpathd
// restarts (the plugin's ports are client mode), and stopping them runs DEL.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PodmanCnf } from '../harness/cnf/podman.js';
import { portName } from '../../src/cni/naming.js';
import { CNI_PLUGIN } from '../helpers/cni.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';
import { exchange128BothWays, expectNoContainers, requirePodman } from '../helpers/podman.js';

const TAG = 'podman-cni';
const NET = 'fp-podman';
const work = '/run/fastpath-test/podman-cni';
const attachDir = join(work, 'attach');
let d: Daemon;
const cnfs: PodmanCnf[] = [];
const MAC = { a: '02:00:00:0c:00:0a', b: '02:00:00:0c:00:0b' };

/** podman's configuration for this test: the system's, with the CNI backend pointed at our directories. */
function containersConf(): Record<string, string> {
  const conf = join(work, 'containers.conf');
  const system = existsSync('/etc/containers/containers.conf') ? readFileSync('/etc/containers/containers.conf', 'utf8') : '';
  writeFileSync(conf, `${system}\n[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${join(work, 'bin')}"]\nnetwork_config_dir = "${join(work, 'net.d')}"\n`);
  return { CONTAINERS_CONF: conf };
}

function cnf(name: 'a' | 'b', env: Record<string, string>): Promise<PodmanCnf> {
  const container = `fp-pcni-${name}`;
  // The operator's part: a directory for the container, mounted at /run/fastpath.
  mkdirSync(join(attachDir, container), { recursive: true, mode: 0o755 });
  // The network's default mode is client: the container serves the socket.
  const eal = [`--vdev=net_virtio_user0,path=/run/fastpath/eth0/sock,mac=${MAC[name]},server=1`, '--single-file-segments', `--file-prefix=${container}`, '-m', '64'];
  return PodmanCnf.start({
    name: container, label: TAG, cpu: 0, network: NET, env, ealArgs: eal,
    podmanArgs: ['--mac-address', MAC[name]],
    attach: {
      ealArgs: eal,
      dockerRun: `docker run --rm -it --privileged -v ${attachDir}/${container}:/run/fastpath -v /dev/hugepages:/dev/hugepages <image> dpdk-testpmd ${eal.join(' ')} -- -i`,
    },
  });
}

describe('podman with its CNI backend calls fastpath-cni', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    requirePodman();
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'net.d'), { recursive: true, mode: 0o755 });
    mkdirSync(join(work, 'bin'), { recursive: true, mode: 0o755 });
    d = await Daemon.start(Daemon.fresh(TAG));
    await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'pod' } });
    // The node's plugin policy, and the plugin where podman looks for it.
    const policy = join(work, 'cni.json');
    writeFileSync(policy, JSON.stringify({
      endpoint: `unix://${d.paths.grpcSocket}`, hostAttachDir: attachDir, stateDir: join(work, 'state'), deviceInfoDir: join(work, 'devinfo'),
      networks: { pod: {} },
    }), { mode: 0o644 });
    const shim = join(work, 'bin', 'fastpath-cni');
    writeFileSync(shim, `#!/bin/sh\nFASTPATH_CNI_POLICY='${policy}' exec '${CNI_PLUGIN}'\n`);
    chmodSync(shim, 0o755);
    writeFileSync(join(work, 'net.d', `${NET}.conflist`), JSON.stringify({
      cniVersion: '1.0.0', name: NET,
      plugins: [{ type: 'fastpath-cni', network: 'pod', capabilities: { mac: true } }],
    }));
    env = containersConf();
    const nets = spawnSync('podman', ['network', 'ls', '--format', '{{.Name}} {{.Driver}}'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(nets.stdout).toContain(`${NET} fastpath-cni`);
  });

  afterAll(async () => {
    for (const c of cnfs) await c.remove();
    await expectNoContainers(TAG);
    await d?.dispose();
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(work));
    rmSync(work, { recursive: true, force: true });
    expect(mounts).toEqual([]);
  });

  it('ADD gives each container its port through the attach directory; their DPDK applications forward through fastpathd', async () => {
    const a = await cnf('a', env);
    cnfs.push(a);
    const b = await cnf('b', env);
    cnfs.push(b);
    const ports = (await d.client.unary(d.client.ports, d.client.ports.ListPorts, { network: 'pod' })).ports;
    expect(ports.map((p) => p.mac).sort()).toEqual([MAC.a, MAC.b]);
    for (const p of ports) expect(p.spec!.name).toMatch(/^cni-[0-9a-f]{6}-[0-9a-f]{12}$/);
    await until(() => d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name: '' }),
      (r) => r.stats.filter((s) => s.linkUp).length === 2, 'both podman CNI ports up');
    // Each container sees its own port directory and nothing else.
    expect((await a.exec('ls', '-A', '/run/fastpath')).trim()).toBe('eth0');
    expect((await a.exec('ls', '-A', '/run/fastpath/eth0')).trim()).toBe('sock');
    await exchange128BothWays(a, b, MAC.a, MAC.b);
  });

  it('its pods survive fastpathd restarts (kill -9, then SIGTERM and start): the plugin made client-mode ports, their links come back and frames flow again, no container restarted', async () => {
    const [a, b] = cnfs as [PodmanCnf, PodmanCnf];
    const ports = (await d.client.unary(d.client.ports, d.client.ports.ListPorts, { network: 'pod' })).ports;
    expect(ports.map((p) => p.spec!.mode)).toEqual(['PORT_MODE_CLIENT', 'PORT_MODE_CLIENT']);
    const startedAt = (): string[] => [a, b].map((c) =>
      spawnSync('podman', ['inspect', '-f', '{{.State.StartedAt}}', c.name], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim());
    const before = startedAt();
    for (const how of ['kill -9', 'SIGTERM'] as const) {
      if (how === 'kill -9') await d.kill9();
      else await d.stop();
      await d.restart();
      await until(() => d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name: '' }),
        (r) => r.stats.filter((s) => s.linkUp).length === 2, `both pods' links up again after ${how}`);
      for (const c of [a, b]) {
        await c.cmd('stop');
        await c.cmd('clear port stats all');
      }
      await exchange128BothWays(a, b, MAC.a, MAC.b);
    }
    expect(startedAt()).toEqual(before);
  });

  it('stopping a container runs DEL: its port, record and bind mount are gone, the other stays', async () => {
    const a = cnfs.shift()!;
    const id = spawnSync('podman', ['inspect', '-f', '{{.Id}}', a.name], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
    await a.stop();
    const left = (await d.client.unary(d.client.ports, d.client.ports.ListPorts, { network: 'pod' })).ports.map((p) => p.mac);
    expect(left).toEqual([MAC.b]);
    expect(existsSync(join(work, 'state', `${portName(NET, id, 'eth0')}.json`))).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(join(attachDir, a.name));
    expect(readdirSync(join(attachDir, a.name))).toEqual([]);
  });
});
