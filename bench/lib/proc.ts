// SPDX-License-Identifier: Apache-2.0
// What /proc says about a process: its memory, its open files, and which
// process of a tree is the one we mean (fastpathd runs under the tsx CLI,
// which is a separate node process: the pid the fixture holds is tsx's).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set (VmRSS), KiB: anonymous + file-backed + shmem pages. */
  rssKb: number;
  /** Peak resident set (VmHWM), KiB. */
  hwmKb: number;
  anonKb: number;
  fileKb: number;
  shmemKb: number;
  /** hugetlbfs pages mapped (the DPDK heap), KiB; not part of VmRSS. */
  hugetlbKb: number;
  threads: number;
  /** Open file descriptors. */
  fds: number;
}

function statusField(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export function procMemory(pid: number): ProcMemory {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  if (!/^VmRSS:/m.test(s)) throw new Error(`/proc/${pid}/status has no VmRSS (process gone or a zombie?)`);
  return {
    rssKb: statusField(s, 'VmRSS'),
    hwmKb: statusField(s, 'VmHWM'),
    anonKb: statusField(s, 'RssAnon'),
    fileKb: statusField(s, 'RssFile'),
    shmemKb: statusField(s, 'RssShmem'),
    hugetlbKb: statusField(s, 'HugetlbPages'),
    threads: statusField(s, 'Threads'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined; // gone meanwhile
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Processes whose command line holds `flag value` as two arguments. */
export function pidsWithArg(flag: string, value: string): number[] {
  return allPids().filter((pid) => {
    const argv = cmdline(pid);
    return argv !== undefined && argv.some((a, i) => a === flag && argv[i + 1] === value);
  });
}

/**
 * The process that really is the daemon: among root and its descendants
 * that carry `flag value` on their command line, the deepest one (tsx's
 * CLI passes the script's arguments on to the node process it starts).
 */
export function innermostWithArg(root: number, flag: string, value: string): number {
  const parent = new Map<number, number>();
  for (const pid of allPids()) {
    const pp = parentOf(pid);
    if (pp !== undefined) parent.set(pid, pp);
  }
  const depth = (pid: number): number => {
    let d = 0;
    for (let p: number | undefined = pid; p !== undefined && p !== root; p = parent.get(p)) {
      if (p <= 1 || d > 64) return -1; // not below root
      d++;
    }
    return d;
  };
  let best = -1;
  let bestDepth = -1;
  for (const pid of pidsWithArg(flag, value)) {
    const d = depth(pid);
    if (d > bestDepth) { best = pid; bestDepth = d; }
  }
  if (best < 0) throw new Error(`no process below ${root} has ${flag} ${value} on its command line`);
  return best;
}

/** Thread names every DPDK process has (EAL 22.11: eal-intr-thread, rte-worker-N; 23.11+: dpdk-intr, dpdk-worker-N). */
const DPDK_THREAD = /^(eal-intr-thread|rte-worker-\d+|dpdk-intr|dpdk-worker\d+|lcore-worker-\d+)$/;

/**
 * DPDK processes other than the ones listed (and their threads): on a
 * shared machine a second switch or testpmd spinning on our CPUs moves the
 * figures, so the bench says when it saw one.
 */
export function otherDpdkProcesses(ours: number[]): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const pid of allPids()) {
    if (ours.includes(pid)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    const dpdk = tids.some((t) => {
      try {
        return DPDK_THREAD.test(readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    });
    if (dpdk) {
      let comm = '?';
      try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
      out.push({ pid, comm });
    }
  }
  return out;
}
