// SPDX-License-Identifier: Apache-2.0
// The loop bench's watch on its forwarding CPU: /proc parsing (a thread's
// name may hold spaces and parentheses), and a real disturber pinned to a
// CPU is seen there, named, and called a disturbance; nothing else is.
import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { describeNoise, NOISE_WARN_PERCENT, parseCpuStat, parseThreadStat, watchCpu } from '../../bench/lib/cpu-noise.js';

describe('bench CPU noise', () => {
  it('reads a thread\'s CPU time and last CPU, whatever its name', () => {
    // proc(5): pid (comm) state ppid ... utime(14) stime(15) ... processor(39)
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field n holds "n"
    rest[0] = 'R';
    const t = parseThreadStat(`4242 (a (b) c) ${rest.join(' ')}`)!;
    expect(t).toEqual({ name: 'a (b) c', ticks: 14 + 15, cpu: 39 });
    expect(parseThreadStat('garbage')).toBeUndefined();
  });

  it('reads a CPU\'s ticks and stolen ticks from /proc/stat', () => {
    const stat = 'cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 10 0 10 100 0 0 0 5 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\n';
    expect(parseCpuStat(stat, 0)).toEqual({ total: 125, steal: 5 });
    expect(parseCpuStat(stat, 1)).toEqual({ total: 8, steal: 1 });
    expect(parseCpuStat(stat, 2)).toBeUndefined();
  });

  it('a spinning process pinned beside a spinning "poll loop" is seen, named and reported as a disturbance', async () => {
    const spin = () => spawn('taskset', ['-c', '1', 'bash', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    const poll = spin(); // the busiest thread: taken for the poll loop under test
    const other = spin();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const end = watchCpu(1);
      await new Promise((r) => setTimeout(r, 500));
      const n = end();
      expect(n.othersPercent).toBeGreaterThan(20); // two spinners share the CPU about half and half
      expect(n.others.map((o) => o.name)).toContain('bash');
      expect(describeNoise(n).disturbed).toBe(true);
      expect(describeNoise(n).text).toMatch(/DISTURBED/);
    } finally {
      poll.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });

  it('a quiet window is not called disturbed', () => {
    const quiet = describeNoise({ cpu: 1, stealPercent: 0, othersPercent: NOISE_WARN_PERCENT / 2, others: [] });
    expect(quiet).toEqual({ text: `CPU 1: others ${(NOISE_WARN_PERCENT / 2).toFixed(1)}%, steal 0.0%`, disturbed: false });
  });
});
