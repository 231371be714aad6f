// SPDX-License-Identifier: Apache-2.0
// Child process hosting one fastpath data plane for one trial of the loop
// bench, started by FastpathSwitch (fastpath.ts) with fork() and driven
// over the IPC channel. It uses the Dataplane class in-process exactly as
// the e2e fixture does; it is a separate process only because DPDK
// initialises once per process and the worker spins on its CPU until the
// process ends, so a fresh process per trial is what lets fastpath and
// testpmd-io trials take turns on CPU 1.
import { performance } from 'node:perf_hooks';

import { toNativeRule } from '../../src/core/flows/flow-native.js';
import { Dataplane } from '../../src/dataplane/index.js';
import { loopFlowSpecs } from './flow-rules.js';
import type { FromHost, HostConfig, ToHost } from './fastpath-ipc.js';

/** Pair i: ports p<2i> and p<2i+1> in network net<i>. */
function pairPorts(i: number): [string, string] {
  return [`p${2 * i}`, `p${2 * i + 1}`];
}

/** Every network gets `n` rules over its own pair (0: no table, plain L2). */
async function installRules(dp: Dataplane, pairs: number, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < pairs; i++) {
    const rules = loopFlowSpecs(n, pairPorts(i)).map((s, j) => toNativeRule(j + 1, s));
    await dp.setFlowTable(`net${i}`, false, rules);
  }
  return performance.now() - t0;
}

function send(m: FromHost): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as HostConfig;
  const dp = new Dataplane({
    mainCpu: cfg.mainCpu,
    workerCpus: [cfg.workerCpu],
    filePrefix: cfg.filePrefix,
    socketRoot: cfg.socketRoot,
    memoryMb: cfg.memoryMb,
    nMbufs: cfg.nMbufs,
    // The baseline runs on hugepages too: no silent --no-huge fallback.
    hugepages: 'on',
    ...(cfg.macTableSize ? { macTableSize: cfg.macTableSize } : {}),
  });
  const pairs = cfg.pairs ?? 1;
  const ports = Array.from({ length: pairs }, (_, i) => pairPorts(i)).flat();
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> => {
    stopping ??= dp.stop().catch((e: unknown) => {
      console.error(`fastpath-host: stop failed: ${String(e)}`);
    }).then(() => {
      send({ type: 'stopped' });
      process.exit(code);
    });
    return stopping;
  };
  // Ctrl-C reaches the whole process group, and a vanished parent cannot
  // stop us: in both cases stop the data plane (workers, sockets, EAL dir).
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  process.on('disconnect', () => void stop(1));
  process.on('message', (m: ToHost) => {
    if (m.type === 'stop') {
      void stop(0);
    } else if (m.type === 'rules') {
      installRules(dp, pairs, m.rules).then(
        (ms) => send({ type: 'rules', id: m.id, ms }),
        (e: unknown) => send({ type: 'rules', id: m.id, ms: NaN, error: String(e) }),
      );
    } else if (m.type === 'stats') {
      dp.stats().then((s) => {
        const w = s.workers[0];
        let drops = 0n;
        for (const p of s.ports) for (const n of Object.values(p.drops)) drops += n;
        send({
          type: 'stats', id: m.id,
          sample: { busyCycles: Number(w?.busyCycles ?? 0n), packets: Number(w?.packets ?? 0n), drops: Number(drops), tscHz: s.tscHz },
          links: s.ports.map((p) => p.linkUp),
        });
      }, (e: unknown) => send({ type: 'error', message: `stats: ${String(e)}` }));
    }
  });
  try {
    dp.confineToMainCpu(); // as fastpathd does: off the forwarding CPU
    const info = await dp.start();
    for (let i = 0; i < pairs; i++) {
      await dp.createNetwork(`net${i}`);
      // No MAC limit: the scaling bench's guests use up to 100,000 MACs per network.
      for (const name of pairPorts(i)) await dp.addPort({ name, network: `net${i}`, queues: cfg.queues, macLimit: 0 });
    }
    const flowInstallMs = cfg.flows > 0 ? await installRules(dp, pairs, cfg.flows) : 0;
    await dp.setForwarding(true);
    send({
      type: 'ready',
      dpdkVersion: info.dpdkVersion,
      flowInstallMs,
      sockets: ports.map((n) => ({ hostDir: dp.port(n)!.dir, sock: 'sock', queues: cfg.queues })),
    });
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    await stop(1);
  }
}

void main();
