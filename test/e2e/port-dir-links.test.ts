// SPDX-License-Identifier: Apache-2.0
// A port directory belongs to its tenant: any name in it may be a link to
// a host file or another tenant's socket, or be swapped for one while
// fastpathd restarts or deletes the port. Against the real fastpathd, the
// tests plant links, trees, mounts and racing swappers there, and check
// that nothing outside the port directory changed (modes, owners, content,
// listings), that a client-mode port never connects through a link, and
// that the other tenant's port is unharmed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';

const TAG = 'links';
let d: Daemon;
const victim = '/run/fastpath-test/links-victim';
const otherSock = '/run/fastpath-test/links-other.sock';

interface Snapshot {
  [path: string]: string;
}

/** Every file under the victim tree: type, mode, owner, size, mtime, content. */
function snapshot(root: string): Snapshot {
  const out: Snapshot = {};
  const walk = (p: string): void => {
    const st = lstatSync(p);
    const content = st.isFile() ? readFileSync(p, 'utf8') : '';
    out[p] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${content}`;
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n));
  };
  walk(root);
  return out;
}

function makeVictim(): Snapshot {
  rmSync(victim, { recursive: true, force: true });
  mkdirSync(join(victim, 'sub'), { recursive: true, mode: 0o700 });
  writeFileSync(join(victim, 'secret'), 'root only', { mode: 0o600 });
  writeFileSync(join(victim, 'sub', 'deep'), 'also', { mode: 0o600 });
  chmodSync(victim, 0o700);
  return snapshot(victim);
}

const portDir = (name: string): string => join(d.paths.socketRoot, name);

async function createPort(name: string, mode: 'PORT_MODE_SERVER' | 'PORT_MODE_CLIENT' = 'PORT_MODE_SERVER'): Promise<void> {
  await d.client.unary(d.client.ports, d.client.ports.CreatePort, {
    port: { name, network: 'links', mode, access: { uid: 4242, gid: 4343, mode: 0o660, dirMode: 0o750 } },
  });
}

async function portNames(): Promise<string[]> {
  return (await d.client.unary(d.client.ports, d.client.ports.ListPorts, {})).ports.map((p) => p.spec!.name).sort();
}

/** A tenant swapping a name in its directory between a real entry and a link, as fast as it can. */
function swapper(dir: string, name: string, target: string): ChildProcess {
  const script = `cd '${dir}' || exit 1; while :; do mv -f '${name}' '.${name}.real' 2>/dev/null; ln -sfn '${target}' '${name}' 2>/dev/null; rm -f '${name}'; mv -f '.${name}.real' '${name}' 2>/dev/null; done`;
  return spawn('sh', ['-c', script], { stdio: 'ignore' });
}

async function stopSwapper(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGKILL');
  await done;
}

describe('port directories: links, swaps and mounts placed by the tenant', () => {
  let before: Snapshot;

  beforeAll(async () => {
    before = makeVictim();
    d = await Daemon.start(Daemon.fresh(TAG));
    await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'links' } });
    await createPort('bystander');
  });

  afterAll(async () => {
    await d?.dispose();
    rmSync(victim, { recursive: true, force: true });
  });

  it('a link planted as the socket is replaced, not followed, when fastpathd restarts', async () => {
    await createPort('t1');
    await d.stop();
    const sock = join(portDir('t1'), 'sock');
    rmSync(sock, { force: true }); // a clean stop removes it
    symlinkSync(join(victim, 'secret'), sock);
    await d.restart();
    expect(snapshot(victim)).toEqual(before);
    const st = lstatSync(sock);
    expect([st.isSocket(), st.uid, st.gid, st.mode & 0o777]).toEqual([true, 4242, 4343, 0o660]);
    expect(await portNames()).toEqual(['bystander', 't1']);
  });

  it('a tree of links, a FIFO and a mount in the directory: DeletePort removes the tree, follows nothing, crosses no mount', async () => {
    await createPort('t2');
    const dir = portDir('t2');
    mkdirSync(join(dir, 'a', 'b', 'c'), { recursive: true });
    symlinkSync(victim, join(dir, 'a', 'to-victim'));
    symlinkSync(join(victim, 'secret'), join(dir, 'a', 'b', 'secret'));
    symlinkSync('../../..', join(dir, 'a', 'b', 'c', 'up'));
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    // Something mounted below the directory (the tenant cannot mount on
    // the host; a careless operator can): never entered.
    mkdirSync(join(dir, 'mnt'));
    expect(spawnSync('mount', ['--bind', victim, join(dir, 'mnt')]).status).toBe(0);
    try {
      await d.client.unary(d.client.ports, d.client.ports.DeletePort, { name: 't2' });
      expect(snapshot(victim)).toEqual(before);
      expect(await portNames()).toEqual(['bystander', 't1']);
      // What could go, went; the mount and the path to it stay.
      expect(readdirSync(dir)).toEqual(['mnt']);
      expect(d.logs).toMatch(/port directory .*t2 not fully removed: mnt is another file system/);
    } finally {
      spawnSync('umount', ['-l', join(dir, 'mnt')]);
    }
    rmSync(dir, { recursive: true });
  });

  it('more entries than removal allows: DeletePort succeeds, the rest stays for the operator', async () => {
    await createPort('t3');
    const dir = portDir('t3');
    expect(spawnSync('sh', ['-c', `cd '${dir}' && mkdir many && cd many && seq 1 10001 | xargs touch`]).status).toBe(0);
    await d.client.unary(d.client.ports, d.client.ports.DeletePort, { name: 't3' });
    expect(await portNames()).toEqual(['bystander', 't1']);
    expect(d.logs).toMatch(/port directory .*t3 not fully removed: too many entries/);
    rmSync(dir, { recursive: true });
  });

  it('names swapped for links while fastpathd restarts and deletes: nothing outside changes', async () => {
    await createPort('t4');
    mkdirSync(join(portDir('t4'), 'sub'));
    const racers = [swapper(portDir('t4'), 'sock', join(victim, 'secret')), swapper(portDir('t4'), 'sub', victim)];
    try {
      for (let i = 0; i < 3; i++) {
        await d.stop();
        await d.restart();
        expect(snapshot(victim)).toEqual(before);
      }
      await d.client.unary(d.client.ports, d.client.ports.DeletePort, { name: 't4' });
    } finally {
      for (const r of racers) await stopSwapper(r);
    }
    expect(snapshot(victim)).toEqual(before);
    expect(existsSync(portDir('t4'))).toBe(false);
    // The other tenant's port came back each time, its socket as it was.
    const st = lstatSync(join(portDir('bystander'), 'sock'));
    expect([st.isSocket(), st.uid, st.mode & 0o777]).toEqual([true, 4242, 0o660]);
  });

  it('a client-mode port never connects through a link; a real socket there is connected', async () => {
    const connections: string[] = [];
    const listen = (path: string, tag: string): Promise<Server> => new Promise((resolve) => {
      const s = createServer((c) => { connections.push(tag); c.destroy(); });
      s.listen(path, () => resolve(s));
    });
    rmSync(otherSock, { force: true });
    const elsewhere = await listen(otherSock, 'through-link');
    const dir = portDir('c1');
    mkdirSync(dir, { recursive: true });
    symlinkSync(otherSock, join(dir, 'sock'));
    try {
      // Whoever watches the port hears of the refusal.
      const events: Array<{ type: string; reason: string }> = [];
      const call = d.client.ports.WatchPortEvents({ port: '' });
      call.on('data', (m: { event: { port: string; type: string; reason: string } }) => { if (m.event.port === 'c1') events.push(m.event); });
      call.on('error', () => undefined);
      // CreatePort's start makes the first connection attempt before it returns.
      await createPort('c1', 'PORT_MODE_CLIENT');
      expect(connections).toEqual([]);
      // Refused, counted on the port, and reported (the library retries every second: each is counted).
      const st = await until(async () => (await d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name: 'c1' })).stats[0]!,
        (s) => Number(s.peerErrors.bad_socket) >= 1, 'the refusal counted as bad_socket');
      expect(st.linkUp).toBe(false);
      await until(async () => events, (e) => e.length > 0, 'a disconnected event with the reason');
      expect(events[0]).toMatchObject({ type: 'PORT_EVENT_TYPE_DISCONNECTED', reason: 'its socket was swapped for a link or another file' });
      call.cancel();
      // Positive control: the tenant's real socket at the same name is reached.
      rmSync(join(dir, 'sock'));
      const own = await listen(join(dir, 'sock'), 'own');
      try {
        await until(async () => connections, (c) => c.includes('own'), 'the client-mode port connects to the real socket', 15_000);
        expect(connections).not.toContain('through-link');
      } finally {
        own.close();
      }
      await d.client.unary(d.client.ports, d.client.ports.DeletePort, { name: 'c1' });
    } finally {
      elsewhere.close();
    }
    rmSync(otherSock, { force: true });
    expect(snapshot(victim)).toEqual(before);
    expect(statSync(d.paths.grpcSocket).isSocket()).toBe(true);
  });
});
