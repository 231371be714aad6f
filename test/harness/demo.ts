// SPDX-License-Identifier: Apache-2.0
// `npm run demo`: start the data plane, attach two testpmd containers and
// print live per-port counters and the forwarding rate for ~10 s, then clean
// everything up. Both containers run testpmd in macswap mode: A injects 256
// packets addressed to B, and each side sends every packet it gets back to
// the other, so traffic flows both ways with a fixed number in flight (no
// ring overflows even though both containers share one CPU here).
import { rmSync } from 'node:fs';

import { renderTable } from '../../src/cli/table.js';
import { TestpmdContainer } from './cnf/testpmd.js';
import { Dataplane, type DataplaneStats } from '../../src/dataplane/index.js';

const SECONDS = Number(process.env.FP_DEMO_SECONDS ?? 10);
const ROOT = '/run/fastpath-demo';
const MAC_A = '02:fa:00:00:00:0a';
const MAC_B = '02:fa:00:00:00:0b';

const fmt = (n: number | bigint): string => n.toLocaleString('en-US');
const mpps = (pps: number): string => `${(pps / 1e6).toFixed(2)} Mpps`;

function table(s: DataplaneStats, prev: DataplaneStats, dt: number): string {
  const rows = s.ports.map((p) => {
    const q = prev.ports.find((x) => x.name === p.name);
    const rate = q ? Number(p.txPackets - q.txPackets) / dt : 0;
    const drops = Object.values(p.drops).reduce((a, b) => a + b, 0n);
    return [p.name, p.linkUp ? 'up' : 'down', fmt(p.rxPackets), fmt(p.txPackets), fmt(drops), mpps(rate)];
  });
  const ports = renderTable([{ header: 'port' }, { header: 'link' }, { header: 'rx packets', align: 'right' }, { header: 'tx packets', align: 'right' },
    { header: 'drops', align: 'right' }, { header: 'tx rate', align: 'right' }], rows).replace(/^/gm, '  ');
  const w = s.workers[0]!;
  const pw = prev.workers[0]!;
  const dPk = Number(w.packets - pw.packets);
  const dBusy = Number(w.busyCycles - pw.busyCycles);
  const cpp = dPk > 0 ? dBusy / dPk : 0;
  const busy = (100 * dBusy) / Math.max(1, dBusy + Number(w.idleCycles - pw.idleCycles));
  return [
    ports,
    `  worker lcore ${w.lcore}: ${mpps(dPk / dt)} switched, ${cpp.toFixed(0)} cycles/packet, ${busy.toFixed(0)}% busy, mbufs in use ${s.mbufs.inUse}`,
  ].join('\n');
}

async function main(): Promise<void> {
  rmSync(ROOT, { recursive: true, force: true });
  const dp = new Dataplane({ socketRoot: `${ROOT}/ports`, filePrefix: 'fastpath-demo', mainCpu: 0, workerCpus: [1] });
  const containers: TestpmdContainer[] = [];
  let stopping = false;
  const cleanup = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const c of containers) await c.kill();
    await dp.stop();
    rmSync(ROOT, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

  try {
    const info = await dp.start();
    console.log(`fastpath data plane up: ${info.dpdkVersion}, fp-ctl on lcore ${info.mainLcore}, workers on lcores ${info.workerLcores.join(',')}`);
    console.log(`memory: ${info.memoryReason}`);
    dp.on('link', (ev) => console.log(`event: port ${ev.port} link ${ev.up ? `up (features 0x${ev.features?.toString(16)}, ${ev.queuePairs} queue pair)` : 'down'}`));
    await dp.createNetwork('demo');
    const a = await dp.addPort({ name: 'a', network: 'demo' });
    const b = await dp.addPort({ name: 'b', network: 'demo' });
    console.log(`ports: a -> ${a.socketPath}, b -> ${b.socketPath}`);
    await dp.setForwarding(true);

    console.log('starting containers A and B (testpmd, macswap), each in its own namespaces with 64 MiB of hugepages');
    const cb = await TestpmdContainer.start({ name: 'demo-b', cpu: 0, ports: [{ hostDir: b.dir, mac: MAC_B }], forwardMode: 'macswap' });
    containers.push(cb);
    const ca = await TestpmdContainer.start({ name: 'demo-a', cpu: 0, ports: [{ hostDir: a.dir, mac: MAC_A }], forwardMode: 'macswap' });
    containers.push(ca);
    await cb.cmd('start');
    await ca.cmd(`set eth-peer 0 ${MAC_B}`);
    await ca.cmd('start tx_first 8'); // 8 bursts of 32 packets, bounced forever

    let prev = await dp.stats();
    let t0 = Date.now();
    for (let i = 1; i <= SECONDS; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await dp.stats();
      const t = Date.now();
      console.log(`\n[${i}/${SECONDS} s]`);
      console.log(table(s, prev, (t - t0) / 1000));
      prev = s;
      t0 = t;
    }
    await ca.cmd('stop');
    await cb.cmd('stop');
    const sa = await ca.portStats();
    const sb = await cb.portStats();
    const end = await dp.stats();
    const drops = end.ports.reduce((n, p) => n + Object.values(p.drops).reduce((x, y) => x + y, 0n), 0n);
    console.log('\nBoth containers share CPU 0 here (the worker has CPU 1), so the rate above is bounded by Linux');
    console.log('switching between them, not by the switch: `npm run bench:loop` measures throughput.');
    console.log(`A sent ${fmt(sa.txPackets)} and received ${fmt(sa.rxPackets)}; B sent ${fmt(sb.txPackets)} and received ${fmt(sb.rxPackets)}; switch drops: ${fmt(drops)}`);
  } finally {
    await cleanup();
  }
  console.log('demo done, everything cleaned up');
}

main().catch((e: unknown) => {
  console.error('demo failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
