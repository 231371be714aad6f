// SPDX-License-Identifier: Apache-2.0
// deploy/cni/fastpath-cni run as a container runtime runs it (CNI_* env,
// configuration on stdin) against the real fastpathd, then real podman
// containers attached to the ports it made: one the Kubernetes way (its
// pod volume and the NPWG device-info path), one with the API's attach
// information. ADD is idempotent and undoes itself on failure, CHECK
// verifies, DEL is idempotent, GC removes what is no longer valid.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PodmanCnf } from '../harness/cnf/podman.js';
import { portName } from '../../src/cni/naming.js';
import { runCni, useCniPolicy, type CniCall } from '../helpers/cni.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';
import { exchange128BothWays, expectNoContainers, requirePodman } from '../helpers/podman.js';

const TAG = 'cni';
let d: Daemon;
const work = '/run/fastpath-test/cni-host';
const kubelet = join(work, 'kubelet');
const stateDir = join(work, 'state');
const devinfoDir = join(work, 'devinfo');
const policyFile = join(work, 'cni.json');

/** The node's plugin policy: host paths, the endpoint, what network blue allows. */
function writePolicy(file: string, extra: object = {}): void {
  writeFileSync(file, JSON.stringify({
    endpoint: `unix://${d.paths.grpcSocket}`, kubeletRoot: kubelet, stateDir, deviceInfoDir: devinfoDir,
    hostAttachDir: join(work, 'attach'), podVolume: 'fastpath',
    networks: { blue: { uids: [4242], gids: [4343], hugepageMaxMib: 64 } },
    ...extra,
  }), { mode: 0o644 });
}
const cnfs: PodmanCnf[] = [];

const POD_A = { uid: '3f1c7e1e-0000-4000-8000-00000000000a', id: 'a'.repeat(64), netns: '/var/run/netns/cni-a' };
const POD_B = { id: 'b'.repeat(64), netns: '/var/run/netns/cni-b' };

function conf(extra: object = {}): object {
  return {
    cniVersion: '1.1.0', name: 'fp-blue', type: 'fastpath-cni',
    network: 'blue',
    // Server mode: this file checks the socket fastpath makes (owner, mode);
    // the default, client mode, is checked in cni-hostile and podman-cni.
    mode: 'server',
    socket: { uid: 4242, gid: 4343, mode: '0660', dirMode: '0750' },
    hugepages: { sizeMib: 64 },
    podMountPath: '/run/fastpath',
    ...extra,
  };
}

const devinfoA = join(devinfoDir, 'multus-generated-a.json');
function callA(command: CniCall['command'], extra: object = {}): Promise<Awaited<ReturnType<typeof runCni>>> {
  return runCni({
    command, containerId: POD_A.id, netns: POD_A.netns, ifname: 'net1',
    args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=cnf-a;K8S_POD_INFRA_CONTAINER_ID=${POD_A.id};K8S_POD_UID=${POD_A.uid}`,
    conf: conf({ runtimeConfig: { CNIDeviceInfoFile: devinfoA }, ...extra }),
  });
}
function callB(command: CniCall['command'], extra: object = {}): Promise<Awaited<ReturnType<typeof runCni>>> {
  return runCni({ command, containerId: POD_B.id, netns: POD_B.netns, ifname: 'net1', conf: conf(extra) });
}

const volA = (): string => join(kubelet, 'pods', POD_A.uid, 'volumes', 'kubernetes.io~empty-dir', 'fastpath');
const portA = (): string => portName('fp-blue', POD_A.id, 'net1');
const portB = (): string => portName('fp-blue', POD_B.id, 'net1');

describe('fastpath-cni against the real fastpathd', () => {
  beforeAll(async () => {
    requirePodman();
    rmSync(work, { recursive: true, force: true });
    // What the kubelet has made by the time it asks for the sandbox: the
    // pod's emptyDir volume.
    mkdirSync(volA(), { recursive: true });
    d = await Daemon.start(Daemon.fresh(TAG));
    writePolicy(policyFile);
    useCniPolicy(policyFile);
    await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'blue' } });
  });

  afterAll(async () => {
    for (const c of cnfs) await c.remove();
    // DEL everything even when a test failed half-way; DEL is idempotent.
    if (d) {
      await callA('DEL');
      await callB('DEL');
    }
    await expectNoContainers(TAG);
    await d?.dispose();
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(work));
    rmSync(work, { recursive: true, force: true });
    expect(mounts).toEqual([]);
  });

  it('answers VERSION and STATUS', async () => {
    const v = await runCni({ command: 'VERSION', conf: { cniVersion: '1.0.0' } });
    expect(v).toMatchObject({ code: 0, out: { cniVersion: '1.0.0', supportedVersions: ['1.0.0', '1.1.0'] } });
    const st = await runCni({ command: 'STATUS', conf: conf() });
    expect(st.code, st.stdout).toBe(0);
    const downPolicy = join(work, 'cni-down.json');
    writePolicy(downPolicy, { endpoint: 'unix:///run/fastpath-test/nobody.sock', timeoutSeconds: 2 });
    const down = await runCni({ command: 'STATUS', conf: conf(), policy: downPolicy });
    expect(down).toMatchObject({ code: 1, out: { code: 50, msg: 'fastpathd is not answering' } });
  });

  it('ADD makes a port, a reservation, the pod bind mount and the device-info file; again is the same', async () => {
    const r = await callA('ADD');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const port = (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name: portA() })).port!;
    expect(r.out).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'net1', mac: port.mac, sandbox: POD_A.netns, socketPath: '/run/fastpath/net1/sock' }],
      ips: [], dns: {},
    });
    // NPWG device-info: the app in the pod is the vhost-user client.
    expect(JSON.parse(readFileSync(devinfoA, 'utf8'))).toEqual({
      type: 'vhost-user', version: '1.1.0', 'vhost-user': { mode: 'client', path: '/run/fastpath/net1/sock' },
    });
    // A short socket path, in a directory of its own, owned as configured.
    expect(port.attach!.socketPath).toBe(`${d.paths.socketRoot}/${portA()}/sock`);
    expect(Buffer.byteLength(port.attach!.socketPath)).toBeLessThan(108);
    const dir = statSync(port.attach!.hostDir);
    const sock = statSync(port.attach!.socketPath);
    expect([dir.uid, dir.gid, dir.mode & 0o777]).toEqual([4242, 4343, 0o750]);
    expect([sock.uid, sock.gid, sock.mode & 0o777, sock.isSocket()]).toEqual([4242, 4343, 0o660, true]);
    expect(readdirSync(port.attach!.hostDir)).toEqual(['sock']);
    // The pod volume shows this port's directory and nothing else.
    expect(readdirSync(volA())).toEqual(['net1']);
    expect(statSync(join(volA(), 'net1', 'sock')).ino).toBe(sock.ino);
    // The reservation tied to the port: attach arguments carry --huge-dir/-m.
    expect(port.attach!.ealArgs.slice(-3)).toEqual(['--huge-dir=/dev/hugepages', '-m', '64']);

    const again = await callA('ADD');
    expect(again.out).toEqual(r.out);
    expect(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(`${volA()}/net1 `))).toHaveLength(1);
    expect((await callA('CHECK', { prevResult: r.out })).code).toBe(0);
  });

  it('attaches real podman containers: A through its pod volume, B with the API attach info; traffic both ways', async () => {
    const b = await callB('ADD');
    expect(b.code).toBe(0);
    // Without a pod, the device-info path is the host socket (the runtime mounts attach.hostDir).
    const pb = (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name: portB() })).port!;
    const pa = (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name: portA() })).port!;
    expect(JSON.parse(readFileSync(join(devinfoDir, `${portB()}-device.json`), 'utf8'))['vhost-user'].path).toBe(pb.attach!.socketPath);

    // Pod A: the pod volume at /run/fastpath and the socket path from the device-info file.
    const info = JSON.parse(readFileSync(devinfoA, 'utf8')) as { 'vhost-user': { path: string } };
    const resA = (await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations.find((x) => x.owner === portA())!;
    const eal = pa.attach!.ealArgs.map((a) => a.replace('path=/run/fastpath/sock', `path=${info['vhost-user'].path}`));
    const ca = await PodmanCnf.start({
      name: 'fp-cni-a', label: TAG, cpu: 0, ealArgs: eal,
      attach: { ealArgs: eal, dockerRun: pa.attach!.dockerRun.replace(`-v ${pa.attach!.hostDir}:/run/fastpath`, `-v ${volA()}:/run/fastpath`) },
    });
    cnfs.push(ca);
    expect(ca.argv).toContain(`${resA.mountPath}:/dev/hugepages`);
    const cb = await PodmanCnf.start({ name: 'fp-cni-b', label: TAG, cpu: 0, attach: pb.attach! });
    cnfs.push(cb);
    await until(() => d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name: '' }),
      (r) => r.stats.filter((s) => s.linkUp).length === 2, 'both CNI ports up');

    await exchange128BothWays(ca, cb, pa.mac, pb.mac);

    // Pod A sees its own volume (one socket) and its own hugepages only.
    expect((await ca.exec('ls', '-A', '/run/fastpath')).trim()).toBe('net1');
    expect((await ca.exec('ls', '-A', '/run/fastpath/net1')).trim()).toBe('sock');
    const huge = (await ca.exec('ls', '-A', '/dev/hugepages')).trim().split('\n');
    expect(huge.every((f) => f.startsWith(portA()))).toBe(true);
  });

  it('CHECK fails when the port is gone; DEL is idempotent and removes everything', async () => {
    for (const c of cnfs.splice(0)) await c.stop();
    const added = await callA('ADD');
    await d.client.unary(d.client.ports, d.client.ports.DeletePort, { name: portA() });
    const bad = await callA('CHECK', { prevResult: added.out });
    expect(bad).toMatchObject({ code: 1, out: { code: 101, msg: `net1: port ${portA()} does not exist in fastpathd` } });

    const del = await callA('DEL');
    expect(del).toMatchObject({ code: 0, stdout: '' });
    expect(existsSync(devinfoA)).toBe(false);
    expect(existsSync(join(volA(), 'net1'))).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(volA());
    expect(existsSync(join(stateDir, `${portA()}.json`))).toBe(false);
    const res = (await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations.map((x) => x.owner);
    expect(res).not.toContain(portA());
    expect((await callA('DEL')).code).toBe(0);
  });

  it('ADD that fails half-way leaves nothing behind', async () => {
    // Open by the policy, unknown to fastpathd: the reservation is made, then undone.
    writePolicy(policyFile, { networks: { blue: { uids: [4242], gids: [4343], hugepageMaxMib: 64 }, 'no-such-network': { uids: [4242], gids: [4343] } } });
    const r = await callB('ADD', { name: 'fp-nowhere', network: 'no-such-network' });
    writePolicy(policyFile);
    expect(r).toMatchObject({ code: 1, out: { code: 100 } });
    expect(String(r.out!.msg)).toMatch(/^fastpathd refused to create the port: .*no-such-network/);
    const owner = portName('fp-nowhere', POD_B.id, 'net1');
    const res = (await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations.map((x) => x.owner);
    expect(res).not.toContain(owner);
    expect(existsSync(join(stateDir, `${owner}.json`))).toBe(false);
  });

  it('GC removes attachments that are no longer valid and keeps the valid ones', async () => {
    const stale = await runCni({ command: 'ADD', containerId: 'c'.repeat(64), netns: '/var/run/netns/cni-c', ifname: 'net1', conf: conf() });
    expect(stale.code).toBe(0);
    const gc = await runCni({ command: 'GC', conf: conf({ 'cni.dev/valid-attachments': [{ containerID: POD_B.id, ifname: 'net1' }] }) });
    expect(gc).toMatchObject({ code: 0, stdout: '' });
    const ports = (await d.client.unary(d.client.ports, d.client.ports.ListPorts, { network: 'blue' })).ports.map((p) => p.spec!.name);
    expect(ports).toEqual([portB()]);
    expect((await callB('DEL')).code).toBe(0);
    expect((await d.client.unary(d.client.ports, d.client.ports.ListPorts, { network: 'blue' })).ports).toEqual([]);
    expect((await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations).toEqual([]);
    expect(readdirSync(devinfoDir)).toEqual([]);
  });
});
