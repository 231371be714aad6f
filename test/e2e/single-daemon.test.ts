// SPDX-License-Identifier: Apache-2.0
// One fastpathd per run directory: a second one, started by mistake on the
// same directories (or the same EAL file prefix), exits 2 before it touches
// anything, and the first keeps its API socket, state, EAL and ports. The
// lock dies with its holder: after a kill -9 a new fastpathd starts.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Daemon, daemonPaths } from '../helpers/daemon.js';

const TAG = 'single';
let d: Daemon;

/** What a second daemon could disturb: inodes of the API socket, port sockets, EAL config. */
function fingerprint(): Record<string, number> {
  const p = d.paths;
  const out: Record<string, number> = { api: lstatSync(p.grpcSocket).ino, eal: statSync(`/var/run/dpdk/${p.filePrefix}/config`).ino };
  for (const port of readdirSync(p.socketRoot)) out[port] = lstatSync(join(p.socketRoot, port, 'sock')).ino;
  return out;
}

async function answers(): Promise<boolean> {
  const info = await d.client.unary(d.client.system, d.client.system.GetSystemInfo, {});
  return info.version.length > 0;
}

describe('one fastpathd per run directory', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh(TAG));
    await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'n' } });
    await d.client.unary(d.client.ports, d.client.ports.CreatePort, { port: { name: 'p0', network: 'n', mode: 'PORT_MODE_SERVER' } });
  });

  afterAll(async () => {
    await d?.dispose();
    for (const tag of [`${TAG}-other`, `${TAG}-prefix`]) Daemon.fresh(tag); // removes what the second ones made
  });

  it('a second fastpathd on the same directories exits 2 and changes nothing', async () => {
    const before = fingerprint();
    const second = await Daemon.run(d.paths);
    expect(second.code).toBe(2);
    expect(second.output).toContain(`fastpathd already running (pid ${d.pid})`);
    expect(fingerprint()).toEqual(before);
    expect(await answers()).toBe(true);
  });

  it('the same state directory with another API socket, or the same API directory with another state: exit 2', async () => {
    const before = fingerprint();
    const other = daemonPaths(`${TAG}-other`);
    const sameState = await Daemon.run({ ...other, stateDir: d.paths.stateDir });
    expect(sameState.code).toBe(2);
    expect(sameState.output).toContain(`fastpathd already running (pid ${d.pid})`);
    const sameApi = await Daemon.run({ ...other, grpcSocket: d.paths.grpcSocket });
    expect(sameApi.code).toBe(2);
    expect(fingerprint()).toEqual(before);
    expect(await answers()).toBe(true);
  });

  it('other directories but the same EAL file prefix: refused before EAL starts, the first keeps running', async () => {
    const before = fingerprint();
    const other = Daemon.fresh(`${TAG}-prefix`);
    const r = await Daemon.run({ ...other, filePrefix: d.paths.filePrefix });
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(new RegExp(`EAL file prefix ${d.paths.filePrefix} is in use by process ${d.pid}`));
    expect(fingerprint()).toEqual(before);
    expect(await answers()).toBe(true);
  });

  it('after a kill -9 of the first, the lock is gone with it and a new fastpathd starts', async () => {
    await d.kill9();
    await d.restart();
    expect(await answers()).toBe(true);
    const ports = await d.client.unary(d.client.ports, d.client.ports.ListPorts, {});
    expect(ports.ports.map((p) => p.spec!.name)).toEqual(['p0']);
  });
});
