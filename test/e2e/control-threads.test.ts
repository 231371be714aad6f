// SPDX-License-Identifier: Apache-2.0
// fastpathd's control threads never run on a worker's CPU. Node's main
// thread, libuv's pool, V8's platform threads, fp-ctl, EAL's service
// threads and librte_vhost's threads all stay on the main CPU; only the
// worker lcores run on the worker CPUs. On a worker's CPU a control thread
// would take cycles from its poll loop (and, as measured with bench:restart,
// get so few that a restart takes twice as long).
import { readdirSync, readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Daemon } from '../helpers/daemon.js';

const TAG = 'ctl-threads';
let d: Daemon;

/** Every thread of a process: its name and the CPUs it may run on. */
function threads(pid: number): Array<{ name: string; cpus: string }> {
  return readdirSync(`/proc/${pid}/task`).map((tid) => ({
    name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
    cpus: /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!,
  }));
}

describe('control threads stay on the main CPU', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh(TAG)); // --main-cpu 0 --worker-cpus 1
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'n' } });
    // A server-mode port starts librte_vhost's threads without a container.
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'p0', network: 'n', mode: 'PORT_MODE_SERVER' } });
  });

  afterAll(async () => {
    await d?.dispose();
  });

  it('only worker lcores run on the worker CPU; every other thread, including those started after the pinning, on CPU 0', () => {
    const all = threads(d.pid!);
    const workers = all.filter((t) => /^rte-worker-\d+$/.test(t.name));
    expect(workers.map((t) => t.cpus)).toEqual(['1']);
    const control = all.filter((t) => !workers.includes(t));
    // Threads created after start-up are there: fp-ctl, vhost's, libuv's pool.
    expect(control.map((t) => t.name)).toEqual(expect.arrayContaining(['fp-ctl', 'vhost-events']));
    expect(control.length).toBeGreaterThan(8);
    expect(control.filter((t) => t.cpus !== '0')).toEqual([]);
  });
});
