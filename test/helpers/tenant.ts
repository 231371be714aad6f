// SPDX-License-Identifier: Apache-2.0
// What a hostile tenant can do to the memory it shares with the switch, done
// from outside its container: truncate the files behind its hugepages or its
// memfds while fastpath has them mapped. And a watch on the victims: the
// longest time their traffic stood still.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

import type { TestpmdContainer } from '../harness/cnf/testpmd.js';

/** The testpmd process inside a container (the child of unshare). */
export function containerPid(c: TestpmdContainer): number {
  const out = execFileSync('pgrep', ['-P', String(c.pid)], { encoding: 'utf8' }).trim().split('\n');
  const pid = Number(out[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no process in container ${c.name}`);
  return pid;
}

/** Truncate every hugepage file the container's EAL made: to 0 bytes. */
export function truncateHugepageFiles(c: TestpmdContainer): string[] {
  const dir = join('/proc', String(containerPid(c)), 'root', 'dev', 'hugepages');
  const files = readdirSync(dir).filter((f) => f.includes('map_'));
  if (files.length === 0) throw new Error(`container ${c.name} has no hugepage files in ${dir}`);
  for (const f of files) truncateSync(join(dir, f), 0);
  return files;
}

/** Truncate the memfds the container's process holds whose name matches. */
export function truncateMemfds(c: TestpmdContainer, name: RegExp): string[] {
  const fdDir = join('/proc', String(containerPid(c)), 'fd');
  const hit: string[] = [];
  for (const fd of readdirSync(fdDir)) {
    let target = '';
    try {
      target = readlinkSync(join(fdDir, fd));
    } catch {
      continue;
    }
    if (target.startsWith('/memfd:') && name.test(target)) {
      truncateSync(join(fdDir, fd), 0);
      hit.push(target);
    }
  }
  if (hit.length === 0) throw new Error(`container ${c.name} holds no memfd matching ${name}`);
  return hit;
}

export interface GapReport {
  /** Longest time (ms) in which the counter did not move. */
  longestGapMs: number;
  samples: number;
  first: number;
  last: number;
}

/**
 * Sample a growing counter every `everyMs` until stop() and report the
 * longest stretch without growth (first growth to last sample).
 */
export function watchGaps(read: () => Promise<number>, everyMs = 20): { stop: () => Promise<GapReport> } {
  let running = true;
  let longest = 0;
  let samples = 0;
  let first = -1;
  let last = -1;
  let lastChange = 0;
  const loop = (async () => {
    while (running) {
      const v = await read();
      const now = Date.now();
      samples++;
      if (first < 0) {
        first = v;
        lastChange = now;
      } else if (v !== last) {
        lastChange = now;
      } else {
        longest = Math.max(longest, now - lastChange);
      }
      last = v;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    // May be called more than once (from a finally and again for the report).
    stop: async () => {
      running = false;
      await loop;
      return { longestGapMs: longest, samples, first, last };
    },
  };
}
