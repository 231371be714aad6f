// SPDX-License-Identifier: Apache-2.0
// Who else ran on a CPU during a measurement window. A poll loop's cycles
// per packet are only its own while nothing else runs on its CPU: another
// process there (a tenant, a kernel thread, this harness) takes time slices
// from it, and steal time (the hypervisor running someone else on our vCPU)
// does the same invisibly. The bench records both per trial and says so
// when they are large enough to move the figures.
import { readFileSync, readdirSync } from 'node:fs';

/** Above this share of the window, a trial is reported as disturbed. */
export const NOISE_WARN_PERCENT = 2;

interface ThreadTime {
  name: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** The CPU it last ran on. */
  cpu: number;
}

/** Every thread of every process: name, CPU time, last CPU. */
function threads(): Map<string, ThreadTime> {
  const out = new Map<string, ThreadTime>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const t = parseThreadStat(stat);
      if (t) out.set(`${pid}/${tid}`, t);
    }
  }
  return out;
}

/** /proc/<pid>/task/<tid>/stat: comm in parentheses (may hold spaces and
 * parentheses itself), then fields from state on; utime, stime are fields
 * 14 and 15 and processor field 39 (1-based, proc(5)). */
export function parseThreadStat(stat: string): ThreadTime | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = stat.slice(close + 2).split(' '); // f[0] is field 3 (state)
  const at = (field: number): number => Number(f[field - 3]);
  const ticks = at(14) + at(15);
  const cpu = at(39);
  if (!Number.isFinite(ticks) || !Number.isFinite(cpu)) return undefined;
  return { name: stat.slice(open + 1, close), ticks, cpu };
}

/** A CPU's line of /proc/stat: ticks in all states, and stolen ones. */
export function parseCpuStat(procStat: string, cpu: number): { total: number; steal: number } | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest
  // time is already counted in user.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, steal: v[7] ?? 0 };
}

export interface CpuNoise {
  cpu: number;
  /** Share of the window the hypervisor stole from this vCPU. */
  stealPercent: number;
  /** Share of the window other threads ran on it (all but the busiest one,
   * which is the poll loop under test). */
  othersPercent: number;
  /** The largest of those others, for the report. */
  others: Array<{ name: string; percent: number }>;
}

/** Start watching a CPU; the function returned ends the window. */
export function watchCpu(cpu: number): () => CpuNoise {
  const t0 = threads();
  const c0 = parseCpuStat(readFileSync('/proc/stat', 'utf8'), cpu);
  return () => {
    const t1 = threads();
    const c1 = parseCpuStat(readFileSync('/proc/stat', 'utf8'), cpu);
    const window = c0 && c1 ? c1.total - c0.total : 0;
    if (window <= 0) return { cpu, stealPercent: NaN, othersPercent: NaN, others: [] };
    // Threads that ended the window on this CPU, by CPU time in the window.
    // A thread that moved here or away during it is attributed wholly to
    // where it ended: an approximation that only matters for threads that
    // are neither pinned here nor elsewhere.
    const here = [...t1].filter(([, t]) => t.cpu === cpu)
      .map(([k, t]) => ({ name: t.name, ticks: t.ticks - (t0.get(k)?.ticks ?? 0) }))
      .filter((t) => t.ticks > 0)
      .sort((a, b) => b.ticks - a.ticks);
    const others = here.slice(1);
    const pct = (ticks: number): number => (100 * ticks) / window;
    return {
      cpu,
      stealPercent: pct(c1!.steal - c0!.steal),
      othersPercent: pct(others.reduce((a, t) => a + t.ticks, 0)),
      others: others.slice(0, 3).map((t) => ({ name: t.name, percent: Math.round(pct(t.ticks) * 10) / 10 })),
    };
  };
}

/** One line for a trial's log, and whether it was disturbed. */
export function describeNoise(n: CpuNoise): { text: string; disturbed: boolean } {
  const disturbed = n.stealPercent > NOISE_WARN_PERCENT || n.othersPercent > NOISE_WARN_PERCENT;
  const who = n.others.length > 0 ? ` (${n.others.map((o) => `${o.name} ${o.percent}%`).join(', ')})` : '';
  const text = `CPU ${n.cpu}: others ${n.othersPercent.toFixed(1)}%${who}, steal ${n.stealPercent.toFixed(1)}%`;
  return { text: disturbed ? `${text} -- DISTURBED: another task or the hypervisor took part of the forwarding CPU` : text, disturbed };
}
