// SPDX-License-Identifier: Apache-2.0
// Container to container across two "nodes" (VXLAN over the uplinks)
// beside the same-node figure, in one run (issue 18). Two fastpathd in two
// network namespaces joined by a veth pair (test/helpers/overlay-nodes.ts),
// both workers on CPU 1, the guest (one testpmd, two virtio_user ports) on
// CPU 0:
//   - same node: both guest ports on node A, `mac` forwarding, frames
//     injected with tx_first circulating (the loop bench): Mpps = the
//     guest's receive rate;
//   - cross node: port a on node A, port b on node B, `flowgen` on both
//     (new frames as fast as the guest can, what arrives freed): Mpps =
//     frames the two nodes' tunnels decapsulated per second.
// Each uplink driver (AF_XDP where the kernel has it, AF_PACKET) is its own
// phase with its own same-node rounds; rounds alternate within a trial.
// Cycles per packet are each daemon's worker CPU time (the kernel's run
// time of its thread, times the busy share of its loop, at the TSC rate)
// per packet it switched: on a CPU two workers share, a poll's TSC span
// also holds the time the other one ran, and the run time does not. The
// kernel's part of the uplink (the AF_XDP kick, AF_PACKET's send, the
// veth) runs in the sending worker's system calls and is in its figure.
// Cross-node Mpps here is what two busy-polling switches time-sliced on one
// CPU reach (the receiver's rings fill while it waits for the CPU: see the
// rx_missed drops), not what two nodes with a core each reach; the cycles
// per packet are what carries over.
//   npm run bench:overlay -- [--seconds N] [--trials N] [--sizes 64,1500] [--drivers af_xdp,af_packet] [--out FILE]
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Port__Output } from '../src/api/gen/fastpath/v1/Port.js';
import type { TestpmdContainer } from '../test/harness/cnf/testpmd.js';
import { sleep } from '../test/harness/wait.js';
import type { Daemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/fixture.js';
import {
  fpctlJson, fpctlOk, kernelHasXdp, NODE_ADDRESSES, removeUnderlay, startNodes, waitNeighbour, type OverlayNode,
} from '../test/helpers/overlay-nodes.js';
import { guestRxPackets, startGuest } from './lib/guest.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { round, spread, table, type Spread } from './lib/summary.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'overlay.json');
const TAG = 'bov';
const NET = 'blue';
const VNI = 100;
/** Room for 1500-byte container frames plus the 50 bytes of VXLAN. */
const UNDERLAY_MTU = 1600;
const MODES = ['same node', 'cross node'] as const;
/** The two nodes, once started (quiet() reads both). */
let nodes: OverlayNode[] = [];
type Mode = (typeof MODES)[number];

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

/**
 * A daemon's worker, cumulative: packets it switched, its busy and total
 * loop cycles (TSC, its own accounting), and the CPU time the kernel gave
 * its thread. On a CPU two workers share, a poll's TSC span includes the
 * time the other ran; the kernel's run time does not, and the busy share
 * of it is what packets cost.
 */
interface WorkerSample { packets: number; busy: number; total: number; runNs: number; wallMs: number }

function workerRunNs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (!/^(rte|lcore)-worker-\d+$/.test(readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim())) continue;
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch { /* thread gone */ }
  }
  return ns;
}

async function worker(d: Daemon): Promise<WorkerSample> {
  const c = d.client;
  const r = await c.unary(c.system, c.system.GetSystemInfo, {});
  const w = r.lcores.filter((l) => l.role === 'worker');
  let packets = 0;
  let busy = 0;
  let total = 0;
  for (const l of w) {
    const b = l.cyclesPerPacket * Number(l.packets);
    packets += Number(l.packets);
    busy += b;
    total += l.busyPercent > 0 ? b * 100 / l.busyPercent : 0;
  }
  return { packets, busy, total, runNs: workerRunNs(d.pid!), wallMs: performance.now() };
}

/** Cycles (TSC) of CPU time per packet over a window, and the TSC rate. */
function costOf(w0: WorkerSample, w1: WorkerSample): { cpp: number; tscHz: number } {
  const packets = w1.packets - w0.packets;
  const total = w1.total - w0.total;
  if (packets <= 0 || total <= 0) return { cpp: 0, tscHz: 0 };
  const tscHz = total / ((w1.wallMs - w0.wallMs) / 1000); // the loop's cycles span wall time
  const busyShare = (w1.busy - w0.busy) / total;
  return { cpp: ((w1.runNs - w0.runNs) / 1e9) * tscHz * busyShare / packets, tscHz };
}

/** Frames a node's tunnels decapsulated (rx) and encapsulated (tx). */
async function tunnels(n: OverlayNode): Promise<{ rx: number; tx: number }> {
  const o = await fpctlJson<{ overlays: Array<{ tunnels: Array<{ rxPackets: string | number; txPackets: string | number }> }> }>(n.daemon, 'overlay', 'list', NET);
  const ts = o.overlays.flatMap((x) => x.tunnels);
  return { rx: ts.reduce((s, t) => s + Number(t.rxPackets), 0), tx: ts.reduce((s, t) => s + Number(t.txPackets), 0) };
}

/** Drops on a node's uplink and tunnels, by reason (nonzero only). */
async function drops(n: OverlayNode): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const add = (d: Record<string, string | number>, where: string): void => {
    for (const [k, v] of Object.entries(d)) if (Number(v) > 0) out[`${where}.${k}`] = (out[`${where}.${k}`] ?? 0) + Number(v);
  };
  const u = await fpctlJson<{ uplinks: Array<{ status: { drops: Record<string, string | number> } }> }>(n.daemon, 'uplink', 'list');
  for (const x of u.uplinks) add(x.status.drops, 'uplink');
  const o = await fpctlJson<{ overlays: Array<{ tunnels: Array<{ drops: Record<string, string | number> }> }> }>(n.daemon, 'overlay', 'list');
  for (const x of o.overlays) for (const t of x.tunnels) add(t.drops, 'tunnel');
  return out;
}

/** Both nodes' tunnel totals once nothing moves (two equal reads). */
async function quiet(): Promise<{ rx: number; tx: number }> {
  let prev = { rx: -1, tx: -1 };
  for (let i = 0; i < 50; i++) {
    const [x, y] = [await tunnels(nodes[0]!), await tunnels(nodes[1]!)];
    const now = { rx: x.rx + y.rx, tx: x.tx + y.tx };
    if (now.rx === prev.rx && now.tx === prev.tx) return now;
    prev = now;
    await sleep(100);
  }
  throw new Error('the tunnels\' counters never settled');
}

async function setDriver(nodes: OverlayNode[], driver: OverlayNode['driver']): Promise<void> {
  for (const n of nodes) {
    const peer = nodes.find((x) => x !== n)!;
    await fpctlOk(n.daemon, 'overlay', 'del', NET, '--if-exists');
    await fpctlOk(n.daemon, 'uplink', 'del', n.iface, '--if-exists');
    await fpctlOk(n.daemon, 'uplink', 'add', n.iface, '--driver', driver, '--address', `${n.address}/24`);
    await fpctlOk(n.daemon, 'overlay', 'set', NET, '--uplink', n.iface, '--vni', String(VNI), '--peer', peer.address);
    n.driver = driver;
  }
  for (const n of nodes) await waitNeighbour(n, nodes.find((x) => x !== n)!.address, nodes.find((x) => x !== n)!.mac);
}

interface Row { driver: string; mode: Mode; size: number; mpps: Spread; trials: number[]; cppA: Spread; cppB: Spread; ratio?: Spread; loss?: Spread }

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '5'));
  const trials = Number(arg('trials', '3'));
  const sizes = arg('sizes', '64,1500').split(',').map(Number);
  const drivers = arg('drivers', kernelHasXdp() ? 'af_xdp,af_packet' : 'af_packet').split(',') as Array<OverlayNode['driver']>;
  const out = arg('out', RESULTS);
  /** Bursts of 32 the guest injects (frames in flight). */
  const bursts = Number(arg('bursts', '8'));
  const { a, b } = await startNodes(TAG, { mtu: UNDERLAY_MTU, drivers: { a: drivers[0]!, b: drivers[0]! } });
  nodes = [a, b];
  let guest: TestpmdContainer | undefined;
  const rows: Row[] = [];
  try {
    for (const n of [a, b]) await n.daemon.client.unary(n.daemon.client.networks, n.daemon.client.networks.CreateNetwork, { network: { name: NET } });
    const port = async (n: OverlayNode, name: string): Promise<Port__Output> =>
      (await n.daemon.client.unary(n.daemon.client.ports, n.daemon.client.ports.CreatePort, { port: { name, network: NET, mode: 'PORT_MODE_SERVER' } })).port!;
    const pairs: Record<Mode, { ports: Port__Output[]; nodes: OverlayNode[] }> = {
      'same node': { ports: [await port(a, 'sa'), await port(a, 'sb')], nodes: [a, a] },
      'cross node': { ports: [await port(a, 'xa'), await port(b, 'xb')], nodes: [a, b] },
    };
    const total = drivers.length * sizes.length * MODES.length * trials;
    let n = 0;
    for (const driver of drivers) {
      await setDriver([a, b], driver);
      for (const size of sizes) {
        const got: Record<Mode, { mpps: number[]; cppA: number[]; cppB: number[]; loss: number[] }> = {
          'same node': { mpps: [], cppA: [], cppB: [], loss: [] }, 'cross node': { mpps: [], cppA: [], cppB: [], loss: [] },
        };
        for (let t = 1; t <= trials; t++) {
          for (const mode of t % 2 ? MODES : [...MODES].reverse()) {
            const { ports, nodes } = pairs[mode];
            guest = await startGuest(`bov-${driver}-${size}-${t}`, ports.map((p) => ({ hostDir: p.attach!.hostDir, sock: 'sock' })),
              { size, ring: 'split', mode: mode === 'same node' ? 'mac' : 'flowgen' });
            for (const [i, p] of ports.entries()) {
              const d = nodes[i]!.daemon;
              await until(() => d.client.unary(d.client.ports, d.client.ports.GetPort, { name: p.spec!.name }), (r) => r.port!.status!.linkUp, `${p.spec!.name} up`);
            }
            const q0 = mode === 'cross node' ? await quiet() : undefined;
            await guest.cmd(mode === 'same node' ? `start tx_first ${bursts}` : 'start');
            await sleep(1000); // warm-up: learning, the first floods
            // Cross node: frames the tunnels decapsulated, and how many of
            // those they encapsulated never arrived (lost on the underlay).
            const rate = async (): Promise<{ rx: number; tx: number }> => {
              if (mode === 'same node') return { rx: await guestRxPackets(guest!), tx: 0 };
              const [x, y] = [await tunnels(a), await tunnels(b)];
              return { rx: x.rx + y.rx, tx: x.tx + y.tx };
            };
            const [r0, wa0, wb0] = [await rate(), await worker(a.daemon), await worker(b.daemon)];
            const t0 = performance.now();
            await sleep(seconds * 1000); // the measurement window
            const [r1, wa1, wb1] = [await rate(), await worker(a.daemon), await worker(b.daemon)];
            const mpps = (r1.rx - r0.rx) / ((performance.now() - t0) / 1000) / 1e6;
            const [ca, cb] = [costOf(wa0, wa1), costOf(wb0, wb1)];
            await guest.stop();
            guest = undefined;
            // Loss over the whole trial, counted with nothing in flight: the
            // nodes' counters are read a moment apart, so a running count
            // would mistake that skew for loss (or gain).
            let underlayLoss = 0;
            if (q0) {
              const q1 = await quiet();
              underlayLoss = q1.tx > q0.tx ? 1 - (q1.rx - q0.rx) / (q1.tx - q0.tx) : 0;
            }
            got[mode].mpps.push(mpps);
            got[mode].cppA.push(ca.cpp);
            got[mode].loss.push(underlayLoss);
            got[mode].cppB.push(cb.cpp);
            const lost = mode === 'cross node' ? { a: await drops(a), b: await drops(b) } : {};
            console.log(`trial ${++n} of ${total}: ${driver}, ${mode}, ${size} B: ${mpps.toFixed(3)} Mpps; cycles/packet A ${ca.cpp.toFixed(0)}, B ${cb.cpp.toFixed(0)}${mode === 'cross node' ? `; underlay loss ${(100 * underlayLoss).toFixed(2)}%; drops so far ${JSON.stringify(lost)}` : ''}`);
          }
        }
        const same = got['same node'].mpps;
        for (const mode of MODES) {
          const g = got[mode];
          rows.push({
            driver, mode, size, mpps: spread(g.mpps), trials: g.mpps, cppA: spread(g.cppA), cppB: spread(g.cppB),
            ...(mode === 'cross node' ? { ratio: spread(g.mpps.map((x, i) => x / same[i]!)), loss: spread(g.loss) } : {}),
          });
        }
      }
    }
  } finally {
    await guest?.kill();
    for (const x of [a, b]) await x.daemon.dispose().catch((e: Error) => console.error(e.message));
    removeUnderlay(TAG);
  }
  const date = new Date().toISOString();
  const machine = describeMachine(0, 'DPDK 22.11');
  console.log(`\n${machineLine(machine, date)}\nCPU: ${cpuModel()}\nnodes: ${NODE_ADDRESSES.join(', ')} over a veth, MTU ${UNDERLAY_MTU}; both workers on CPU 1`);
  console.log(table(['driver', 'mode', 'size', 'Mpps min', 'median', 'max', 'cross/same', 'cyc/pkt A', 'cyc/pkt B', 'underlay loss'], rows.map((r) => [
    r.driver, r.mode, `${r.size} B`, r.mpps.min.toFixed(3), r.mpps.median.toFixed(3), r.mpps.max.toFixed(3),
    r.ratio ? `${r.ratio.median.toFixed(3)}x` : '', r.cppA.median.toFixed(0), r.mode === 'cross node' ? r.cppB.median.toFixed(0) : '',
    r.loss ? `${(100 * r.loss.median).toFixed(1)}%` : '',
  ])));
  const s3 = (x: Spread) => ({ min: round(x.min, 4), median: round(x.median, 4), max: round(x.max, 4) });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({
    rows: rows.map((r) => ({
      driver: r.driver, mode: r.mode, size: r.size, mpps: s3(r.mpps), trials: r.trials.map((x) => round(x, 4)),
      cycles_per_packet: { a: s3(r.cppA), ...(r.mode === 'cross node' ? { b: s3(r.cppB) } : {}) },
      ...(r.ratio ? { cross_over_same: s3(r.ratio) } : {}),
      ...(r.loss ? { underlay_loss: s3(r.loss) } : {}),
    })),
    machine, date, settings: { seconds, trials, sizes, drivers, underlay_mtu: UNDERLAY_MTU, bursts },
  }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
