// SPDX-License-Identifier: Apache-2.0
// fastpath-cni against a careless or hostile NetworkAttachmentDefinition
// author, runtime config or tenant, with the real plugin process and the
// real fastpathd: host paths and the endpoint come only from the node's
// root-owned policy; what a configuration asks is checked against it; the
// CNI_* values are validated; the directory we bind into is the tenant's
// and may hold links. Every refusal answers its CNI error code and leaves
// nothing behind: no port, no reservation, no mount, no file, and the
// victim files outside untouched.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { portName } from '../../src/cni/naming.js';
import { runCni, useCniPolicy, type CniCall, type CniOutcome } from '../helpers/cni.js';
import { Daemon } from '../helpers/daemon.js';

const TAG = 'cnih';
let d: Daemon;
const work = '/run/fastpath-test/cni-hostile';
const kubelet = join(work, 'kubelet');
const stateDir = join(work, 'state');
const devinfoDir = join(work, 'devinfo');
const attachDir = join(work, 'attach');
const policyDir = join(work, 'etc');
const policyFile = join(policyDir, 'cni.json');
const victimDir = join(work, 'victim');
const victimFile = join(victimDir, 'precious');

const POD_UID = '3f1c7e1e-0000-4000-8000-0000000000c1';
const CID = 'c'.repeat(64);
const podVol = join(kubelet, 'pods', POD_UID, 'volumes', 'kubernetes.io~empty-dir', 'fastpath');
const K8S_ARGS = `IgnoreUnknown=1;K8S_POD_NAMESPACE=tenant-a;K8S_POD_NAME=cnf;K8S_POD_UID=${POD_UID}`;

const POLICY = {
  kubeletRoot: kubelet, stateDir, deviceInfoDir: devinfoDir, hostAttachDir: attachDir,
  networks: {
    blue: { namespaces: ['tenant-a'], vlans: [0, '100-101'], maxQueues: 2, uids: [4242], gids: [4343], hugepageMaxMib: 64, maxMacs: 16 },
    red: { portSecurity: 'required' },
  },
};

function writePolicy(file: string, p: object): void {
  writeFileSync(file, JSON.stringify({ endpoint: `unix://${d.paths.grpcSocket}`, ...p }), { mode: 0o644 });
  chmodSync(file, 0o644);
}

const conf = (extra: object = {}): object => ({ cniVersion: '1.1.0', name: 'fp-hostile', type: 'fastpath-cni', network: 'blue', ...extra });

function add(extra: object = {}, call: Partial<CniCall> = {}): Promise<CniOutcome> {
  return runCni({ command: 'ADD', containerId: CID, netns: '/var/run/netns/x', ifname: 'net1', args: K8S_ARGS, conf: conf(extra), ...call });
}

async function ports(): Promise<string[]> {
  const r = await d.client.unary(d.client.ports, d.client.ports.ListPorts, {});
  return r.ports.map((p) => p.spec!.name);
}

const mountsUnder = (dir: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`) || m === dir);

/** Everything the plugin could have touched is as it was. */
async function expectNothingMade(): Promise<void> {
  expect(await ports()).toEqual([]);
  expect((await d.client.unary(d.client.hugepages, d.client.hugepages.List, {})).reservations).toEqual([]);
  expect(mountsUnder(work)).toEqual([]);
  expect(readFileSync(victimFile, 'utf8')).toBe('precious');
  expect(readdirSync(victimDir)).toEqual(['precious']);
  expect(existsSync(devinfoDir) ? readdirSync(devinfoDir) : []).toEqual([]);
  expect(existsSync(stateDir) ? readdirSync(stateDir) : []).toEqual([]);
}

describe('fastpath-cni refuses what its policy does not allow, and nothing is left behind', () => {
  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(victimDir, { recursive: true });
    writeFileSync(victimFile, 'precious', { mode: 0o600 });
    mkdirSync(policyDir, { recursive: true, mode: 0o755 });
    d = await Daemon.start(Daemon.fresh(TAG));
    for (const name of ['blue', 'red']) await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name } });
    useCniPolicy(policyFile);
  });

  beforeEach(() => {
    rmSync(kubelet, { recursive: true, force: true });
    mkdirSync(podVol, { recursive: true });
    writePolicy(policyFile, POLICY);
  });

  afterAll(async () => {
    if (d) await runCni({ command: 'DEL', containerId: CID, ifname: 'net1', args: K8S_ARGS, conf: conf() });
    await d?.dispose();
    for (const m of mountsUnder(work).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(work, { recursive: true, force: true });
  });

  it('the issue\'s configuration: host paths in the network config are refused (2), nothing is made', async () => {
    const r = await add({ kubeletRoot: '/tmp/kl', podVolume: '../../../../../../../../tmp/probe', runtimeConfig: { CNIDeviceInfoFile: victimFile } });
    expect(r).toMatchObject({ code: 1, out: { code: 2, msg: expect.stringMatching(/^kubeletRoot is set by the node's plugin policy/) } });
    expect(existsSync('/tmp/probe')).toBe(false);
    await expectNothingMade();
  });

  it.each([
    ['endpoint', 'unix:///run/elsewhere.sock'], ['kubeletRoot', '/tmp'], ['podVolume', '../../x'], ['hostAttachDir', '/etc'],
    ['stateDir', '/etc'], ['deviceInfoDir', '/etc'], ['timeoutSeconds', 1],
  ])('%s in the network configuration is refused with code 2', async (key, value) => {
    const r = await add({ [key]: value });
    expect(r).toMatchObject({ code: 1, out: { code: 2, details: expect.stringContaining(key) } });
    await expectNothingMade();
  });

  it.each([
    ['outside the device-info directory', victimFile],
    ['a path with ..', join(devinfoDir, '..', 'victim', 'precious')],
    ['a nested path', join(devinfoDir, 'sub', 'x.json')],
    ['a dot name', join(devinfoDir, '..')],
    ['a relative path', 'x.json'],
  ])('CNIDeviceInfoFile %s is refused with code 7', async (_what, file) => {
    const r = await add({ runtimeConfig: { CNIDeviceInfoFile: file } });
    expect(r).toMatchObject({ code: 1, out: { code: 7 } });
    await expectNothingMade();
  });

  it.each([
    ['a network the policy does not open', { network: 'green' }, /network green is not open/],
    ['a network named like an object key', { network: 'constructor' }, /network constructor is not open/],
    ['a VLAN outside the allowed ones', { vlan: 102 }, /VLAN 102 is not allowed/],
    ['more queues than allowed', { queues: 3 }, /3 queues is more than the 2 allowed/],
    ['a socket owner not allowed', { socket: { uid: 0 } }, /socket.uid 0 is not an owner allowed/],
    ['a socket group not allowed', { socket: { uid: 4242, gid: 0 } }, /socket.gid 0 is not an owner allowed/],
    ['more hugepages than allowed', { hugepages: { sizeMib: 128 } }, /hugepages.sizeMib 128 is more than the 64 MiB/],
    ['1G pages where only 2M are allowed', { hugepages: { sizeMib: 64, pageSize: '1G' } }, /1G pages are not allowed/],
    ['a hugepage owner not allowed', { hugepages: { sizeMib: 64, uid: 0 } }, /hugepages.uid 0 is not an owner/],
    ['more MACs than allowed', { maxMacs: 17 }, /maxMacs 17 is more than the 16 allowed/],
  ])('%s is refused by the policy with code 102', async (_what, extra, msg) => {
    const r = await add(extra);
    expect(r).toMatchObject({ code: 1, out: { code: 102, msg: expect.stringMatching(msg) } });
    await expectNothingMade();
  });

  it('a namespace the network is not open to, or no namespace at all, is refused (102)', async () => {
    const other = await add({}, { args: `K8S_POD_NAMESPACE=tenant-b;K8S_POD_UID=${POD_UID}` });
    expect(other).toMatchObject({ code: 1, out: { code: 102, msg: expect.stringMatching(/namespace tenant-b may not join network blue/) } });
    const none = await add({}, { args: '' });
    expect(none).toMatchObject({ code: 1, out: { code: 102, msg: expect.stringMatching(/without K8S_POD_NAMESPACE/) } });
    await expectNothingMade();
  });

  it.each([
    ['vlan past 4094', { vlan: 4294967306 }], ['a negative queue count', { queues: -1 }], ['a fractional VLAN', { vlan: 1.5 }],
    ['a uid past uid_t', { socket: { uid: 4294967296 } }], ['a mode past 0777', { socket: { mode: '1777' } }],
    ['a mode that is not octal', { socket: { mode: '0999' } }], ['hugepages as a number', { hugepages: 64 }],
    ['a name with a slash', { name: 'a/b' }], ['a MAC that is not one', { runtimeConfig: { mac: 'zz' } }],
    ['a relative podMountPath', { podMountPath: 'run' }], ['a podMountPath with ..', { podMountPath: '/run/../etc' }],
  ])('%s is an invalid configuration (7)', async (_what, extra) => {
    const r = await add(extra);
    expect(r).toMatchObject({ code: 1, out: { code: 7 } });
    await expectNothingMade();
  });

  it.each([
    ['CNI_CONTAINERID with a slash', { CNI_CONTAINERID: '../../x' }],
    ['CNI_CONTAINERID of 300 characters', { CNI_CONTAINERID: 'a'.repeat(300) }],
    ['CNI_IFNAME ..', { CNI_IFNAME: '..' }],
    ['CNI_IFNAME with a slash', { CNI_IFNAME: 'a/b' }],
    ['CNI_IFNAME of 16 characters', { CNI_IFNAME: 'a'.repeat(16) }],
    ['K8S_POD_UID with ..', { CNI_ARGS: 'K8S_POD_NAMESPACE=tenant-a;K8S_POD_UID=../../../../tmp' }],
    ['K8S_POD_NAME with a slash', { CNI_ARGS: 'K8S_POD_NAMESPACE=tenant-a;K8S_POD_NAME=../etc' }],
    ['K8S_POD_NAMESPACE in capitals', { CNI_ARGS: 'K8S_POD_NAMESPACE=Tenant-A' }],
  ])('%s is an invalid environment (4)', async (_what, env) => {
    const r = await add({}, { env });
    expect(r).toMatchObject({ code: 1, out: { code: 4 } });
    await expectNothingMade();
  });

  it('a policy file anyone but root could have written is not used (103)', async () => {
    const cases: Array<[string, () => string]> = [
      ['group-writable', () => { const f = join(policyDir, 'gw.json'); writePolicy(f, POLICY); chmodSync(f, 0o664); return f; }],
      ['owned by a user', () => { const f = join(policyDir, 'user.json'); writePolicy(f, POLICY); chownSync(f, 1000, 1000); return f; }],
      ['a symbolic link', () => { const f = join(policyDir, 'link.json'); rmSync(f, { force: true }); symlinkSync(policyFile, f); return f; }],
      ['in a world-writable directory', () => {
        const dir = join(work, 'open'); mkdirSync(dir, { recursive: true }); chmodSync(dir, 0o777);
        const f = join(dir, 'cni.json'); writePolicy(f, POLICY); return f;
      }],
      ['not JSON', () => { const f = join(policyDir, 'bad.json'); writeFileSync(f, '{'); return f; }],
      ['with an unknown key', () => { const f = join(policyDir, 'typo.json'); writePolicy(f, { ...POLICY, netwrks: {} }); return f; }],
      ['a directory', () => policyDir],
    ];
    for (const [what, make] of cases) {
      const r = await add({}, { policy: make() });
      expect(r.out, what).toMatchObject({ code: 103, msg: expect.stringMatching(/^plugin policy /) });
    }
    await expectNothingMade();
  });

  it('without a policy file, the safe defaults: only network default, untagged, root-owned', async () => {
    const r = await add({ network: 'blue' }, { policy: join(work, 'absent.json') });
    expect(r).toMatchObject({ code: 1, out: { code: 102, msg: expect.stringMatching(/default plugin policy/) } });
    const v = await add({ network: 'default', vlan: 100 }, { policy: join(work, 'absent.json') });
    expect(v).toMatchObject({ code: 1, out: { code: 102 } });
    await expectNothingMade();
  });

  it('a link planted where the port directory is bound is refused (5); nothing is mounted through it', async () => {
    symlinkSync(victimDir, join(podVol, 'net1'));
    const r = await add();
    expect(r).toMatchObject({ code: 1, out: { code: 5, msg: expect.stringMatching(/is not a directory \(a link or file was put there\)/) } });
    expect(lstatSync(join(podVol, 'net1')).isSymbolicLink()).toBe(true);
    rmSync(join(podVol, 'net1'));
    await expectNothingMade();
    // The same in a podman attach directory (no pod uid: the container name).
    mkdirSync(join(attachDir, 'cnf'), { recursive: true });
    symlinkSync(victimDir, join(attachDir, 'cnf', 'net1'));
    const p = await add({}, { args: 'K8S_POD_NAMESPACE=tenant-a;K8S_POD_NAME=cnf' });
    expect(p).toMatchObject({ code: 1, out: { code: 5 } });
    rmSync(join(attachDir, 'cnf'), { recursive: true });
    await expectNothingMade();
  });

  it('a tenant that swaps its bound directory for a link before DEL: DEL succeeds and touches nothing outside', async () => {
    const r = await add();
    expect(r.code).toBe(0);
    const name = portName('fp-hostile', CID, 'net1');
    expect(await ports()).toEqual([name]);
    const net1 = join(podVol, 'net1');
    // In a mount namespace of its own (as a container has), the tenant
    // drops the bind there and renames the directory: Linux lets it, and
    // detaches the host's mount, leaving a link where DEL looks.
    const swap = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `umount -l '${net1}' && mv '${net1}' '${podVol}/moved' && ln -s '${victimDir}' '${net1}'`], { encoding: 'utf8' });
    expect(swap.status, swap.stderr).toBe(0);
    expect(lstatSync(net1).isSymbolicLink()).toBe(true);
    const del = await runCni({ command: 'DEL', containerId: CID, ifname: 'net1', args: K8S_ARGS, conf: conf() });
    expect(del).toMatchObject({ code: 0, stdout: '' });
    expect(lstatSync(net1).isSymbolicLink()).toBe(true); // left alone, not followed
    rmSync(net1);
    rmSync(join(podVol, 'moved'), { recursive: true, force: true });
    await expectNothingMade();
  });

  it('port security is forced on where the policy requires it', async () => {
    const r = await add({ network: 'red' }, { args: '' });
    expect(r.code, JSON.stringify(r.out)).toBe(0);
    const name = portName('fp-hostile', CID, 'net1');
    const port = (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name })).port!;
    expect(port.spec!.security).toBeTruthy();
    expect(port.spec!.security!.allowedMacs).toEqual([]);
    expect((await runCni({ command: 'DEL', containerId: CID, ifname: 'net1', conf: conf({ network: 'red' }) })).code).toBe(0);
    await expectNothingMade();
  });
});
