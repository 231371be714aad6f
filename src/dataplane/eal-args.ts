// SPDX-License-Identifier: Apache-2.0
// EAL arguments computed from configuration and what the host offers.
import { readFileSync } from 'node:fs';

import type { DataplaneConfig } from './config.js';
import { DataplaneError } from './errors.js';

export interface HugepageView {
  /** Free 2 MiB pages on the host. */
  free2M: number;
  /** Mount points of hugetlbfs. */
  mounts: string[];
}

export function readHugepages(): HugepageView {
  let free2M = 0;
  try {
    free2M = Number(readFileSync('/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages', 'utf8').trim());
  } catch {
    free2M = 0;
  }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'hugetlbfs')
    .map((f) => f[1] ?? '');
  return { free2M, mounts };
}

export interface EalPlan {
  argv: string[];
  /** CPUs that run more than one lcore (the daemon warns: not fast). */
  sharedCpus: number[];
  hugePages: boolean;
  /** Why hugepages were or were not used, for the logs. */
  memoryReason: string;
}

export function planEal(cfg: DataplaneConfig, huge: HugepageView): EalPlan {
  if (cfg.workerCpus.length === 0) throw new DataplaneError('EINVAL', 'at least one worker CPU is required');
  const cpus = [cfg.mainCpu, ...cfg.workerCpus];
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0) throw new DataplaneError('EINVAL', `invalid CPU ${c}`);
  }
  if (cfg.workerCpus.length > 16) throw new DataplaneError('EINVAL', 'at most 16 worker lcores (FP_MAX_WORKERS)');
  // Worker lcores may share a CPU (worker CPUs 1,1: two lcores on CPU 1):
  // functional, for tests on small machines, never fast; sharedCpus says so.
  if (!/^[A-Za-z0-9_-]{1,48}$/.test(cfg.filePrefix)) {
    throw new DataplaneError('EINVAL', `file prefix must match [A-Za-z0-9_-]{1,48}: ${cfg.filePrefix}`);
  }
  // lcore i runs on cpus[i]; lcore 0 is fp-ctl.
  const lcores = cpus.map((cpu, i) => `${i}@(${cpu})`).join(',');
  const pagesNeeded = Math.ceil(cfg.memoryMb / 2);
  const mounted = huge.mounts.includes(cfg.hugeDir);
  let useHuge: boolean;
  let memoryReason: string;
  if (cfg.hugepages === 'off') {
    useHuge = false;
    memoryReason = 'hugepages disabled by configuration';
  } else if (mounted && huge.free2M >= pagesNeeded) {
    useHuge = true;
    memoryReason = `${huge.free2M} free 2 MiB hugepages on ${cfg.hugeDir}, ${pagesNeeded} needed`;
  } else if (cfg.hugepages === 'on') {
    throw new DataplaneError(
      'ENOMEM',
      `hugepages required but ${mounted ? `only ${huge.free2M} free 2 MiB pages (${pagesNeeded} needed)` : `${cfg.hugeDir} is not a hugetlbfs mount`}`,
    );
  } else {
    useHuge = false;
    memoryReason = mounted
      ? `only ${huge.free2M} free 2 MiB hugepages (${pagesNeeded} needed): running with --no-huge`
      : `${cfg.hugeDir} is not a hugetlbfs mount: running with --no-huge`;
  }
  const argv = [
    'fastpathd',
    '--lcores', lcores,
    '--main-lcore', '0',
    '--file-prefix', cfg.filePrefix,
    '-m', String(cfg.memoryMb),
    '--no-pci',
    '--log-level', cfg.logLevel,
    ...(useHuge
      // Our own hugetlbfs only: never a container's quota mount, and no
      // files left behind after a crash. --socket-limit = -m: the heap never
      // grows after start, so EAL never swaps in the SIGBUS handler it uses
      // while mapping new hugepages (it would take the faults of tenants'
      // memory from the guard, src/common/fp_guard.h).
      ? ['--huge-dir', cfg.hugeDir, '--huge-unlink', '--socket-limit', String(cfg.memoryMb)]
      : ['--no-huge']),
    ...cfg.extraEalArgs,
  ];
  return {
    sharedCpus: [...new Set(cpus.filter((c, i) => cpus.indexOf(c) !== i))], argv, hugePages: useHuge, memoryReason };
}
