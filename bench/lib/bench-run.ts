// SPDX-License-Identifier: Apache-2.0
// The frame every DPDK bench runs in: one undo stack for success, failure
// and signals; the bench's own processes off the forwarding CPU; enough
// free hugepages, checked before anything starts; a directory of its own
// below /run/fastpath-bench (named by pid, so a stale one of another run
// is never ours to delete), with those of SIGKILLed runs swept first.
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { readHugepages } from '../../src/dataplane/eal-args.js';
import { Cleanup } from './cleanup.js';
import { SWITCH_WORKER_CPU } from './fastpath.js';
import { keepBenchOffCpu } from './pin.js';

const BENCH_ROOT = '/run/fastpath-bench';

/** Directories of bench runs that were SIGKILLed (their pid is gone): nobody else removes them. */
async function sweepDeadRuns(): Promise<void> {
  const names = await readdir(BENCH_ROOT).catch(() => [] as string[]);
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      process.kill(Number(n), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') await rm(join(BENCH_ROOT, n), { recursive: true, force: true });
    }
  }
}

/** Run body(cleanup, root) in the frame above; `hugepages`: free 2 MiB pages it needs. */
export async function benchRun(hugepages: number, body: (cleanup: Cleanup, root: string) => Promise<void>): Promise<void> {
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const root = join(BENCH_ROOT, String(process.pid));
  keepBenchOffCpu(SWITCH_WORKER_CPU);
  try {
    const huge = readHugepages();
    if (!huge.mounts.includes('/dev/hugepages') || huge.free2M < hugepages) {
      throw new Error(`need ${hugepages} free 2 MiB hugepages on /dev/hugepages, have ${huge.free2M}`);
    }
    await sweepDeadRuns();
    cleanup.defer(`remove ${root}`, async () => {
      await rm(root, { recursive: true, force: true });
      await rmdir(BENCH_ROOT).catch(() => undefined); // only when no other run uses it
    });
    await mkdir(root, { recursive: true, mode: 0o755 });
    await body(cleanup, root);
  } catch (e) {
    // After a signal the pending steps fail as their processes go away:
    // those errors are only noise; the signal handler sets the exit code.
    if (!cleanup.interruptedBy) throw e;
  } finally {
    await cleanup.runAll(); // the same run as the signal handler's, if any
  }
}
