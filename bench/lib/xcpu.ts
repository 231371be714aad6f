// SPDX-License-Identifier: Apache-2.0
// Cache-line round trip between two CPUs: two threads pinned one per CPU
// bounce a shared word. On this VM the hypervisor moves our two vCPUs
// between host cores that share a cache (~100 ns from JS) and cores that do
// not (~350 ns), every few seconds; a vhost-user loop is one long cache-line
// ping-pong between guest and switch, so its figures follow that placement.
// Run only while both CPUs are otherwise idle (no DPDK lcore spinning).
import { Worker } from 'node:worker_threads';

// Plain JS (eval'd worker): no TypeScript loader inside the thread.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
const { readlinkSync } = require('node:fs');
// /proc/thread-self -> <pid>/task/<tid>: pin this thread, not the process.
const tid = readlinkSync('/proc/thread-self').split('/').pop();
execFileSync('taskset', ['-p', '-c', String(workerData.cpu), tid], { stdio: 'ignore' });
const f = new Int32Array(workerData.sab);
Atomics.add(f, 16, 1);
while (Atomics.load(f, 16) < 2) {} // both pinned before the clock starts
let v = 0;
if (workerData.ping) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(workerData.ms) * 1000000n;
  let t = t0;
  for (;;) {
    Atomics.store(f, 0, v + 1);
    while (Atomics.load(f, 0) !== v + 2) {}
    v += 2;
    if ((++n & 1023) === 0 && (t = process.hrtime.bigint()) > end) break;
  }
  Atomics.store(f, 0, -1);
  parentPort.postMessage(Number(t - t0) / n);
} else {
  for (;;) {
    const x = Atomics.load(f, 0);
    if (x === -1) break;
    if (x === v + 1) { Atomics.store(f, 0, v + 2); v += 2; }
  }
  parentPort.postMessage(0);
}`;

/** Round trips above this are the far placement (measured: ~60-130 ns near, ~330-370 ns far). */
export const NEAR_MAX_NS = 200;

/** Mean round trip in ns over `ms` milliseconds between cpuA and cpuB. */
export async function crossCpuRoundTripNs(cpuA: number, cpuB: number, ms = 200): Promise<number> {
  // Word 0 is the ping-pong, word 16 (another cache line) the start barrier.
  const sab = new SharedArrayBuffer(128);
  const workers = [
    new Worker(WORKER, { eval: true, workerData: { sab, cpu: cpuA, ping: true, ms } }),
    new Worker(WORKER, { eval: true, workerData: { sab, cpu: cpuB, ping: false, ms } }),
  ];
  try {
    const [ns] = await Promise.all(workers.map((w) => new Promise<number>((resolve, reject) => {
      w.once('message', (m: number) => resolve(m));
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`cross-CPU probe thread exited with ${code}`)));
    })));
    return ns!;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
