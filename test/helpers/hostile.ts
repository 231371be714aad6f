// SPDX-License-Identifier: Apache-2.0
// Drives native/test/fp_hostile (a front-end that speaks vhost-user or
// memif badly on purpose) and reads what an attack costs the daemon: its
// open descriptors and resident memory.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOSTILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'fp_hostile');

export interface HostileResult {
  rounds: number;
  connections: number;
  closedBySwitch: number;
  attacks: Record<string, number>;
}

/** Run `rounds` attacks on a socket (every kind in turn, or only one), pinned to cpu. */
export function runHostile(kind: 'vhost' | 'memif', socket: string, seed: number, rounds: number, cpu = 0, only?: string): Promise<HostileResult> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-c', String(cpu), HOSTILE, kind, socket, String(seed), String(rounds)],
      { timeout: 600_000, maxBuffer: 1 << 20, env: { ...process.env, ...(only ? { FP_HOSTILE_ONLY: only } : {}) } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`fp_hostile ${kind} failed (code ${String(err.code)}, signal ${String(err.signal)}): ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as HostileResult);
      });
  });
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Sample a number while a promise runs; the largest value seen. */
export async function maxDuring<T>(sample: () => number, work: Promise<T>, everyMs = 50): Promise<{ result: T; max: number }> {
  let max = sample();
  let done = false;
  const loop = (async () => {
    while (!done) {
      max = Math.max(max, sample());
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    const result = await work;
    return { result, max };
  } finally {
    done = true;
    await loop;
  }
}
