// SPDX-License-Identifier: Apache-2.0
// Keep the bench's own processes off the forwarding CPU: their threads
// (Node's workers; the npm, sh and tsx processes that started us) would
// otherwise run there now and then, take cycles from the poll loop under
// test and show up as noise. Children inherit the setting; DPDK processes
// then place their lcores explicitly (--lcores), which affinity allows.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What started us: npm run, its shell, the tsx launcher (all node or sh). */
const LAUNCHERS = /^(node|npm.*|sh|bash|tsx)$/;

/** [comm, ppid] of a process, from /proc/<pid>/stat (comm may hold spaces and parentheses). */
function parent(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) };
  } catch {
    return undefined;
  }
}

/** Pin every thread of this process and of the launchers above it to the CPUs other than `cpu`. */
export function keepBenchOffCpu(cpu: number): void {
  const others = Array.from({ length: availableParallelism() }, (_, i) => i).filter((i) => i !== cpu);
  if (others.length === 0) return;
  const pids = [process.pid];
  for (let p = parent(process.pid); p && p.ppid > 1; ) {
    const up = parent(p.ppid);
    if (!up || !LAUNCHERS.test(up.comm)) break;
    pids.push(p.ppid);
    p = up;
  }
  // Best effort: a launcher that is gone only costs a little noise.
  for (const pid of pids) spawnSync('taskset', ['-a', '-p', '-c', others.join(','), String(pid)], { stdio: 'ignore' });
}
