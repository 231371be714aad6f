// SPDX-License-Identifier: Apache-2.0
// hugetlbfs mounts (mount(8)/umount(8) from util-linux) and who uses them.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { promisify } from 'node:util';

import { pageLabel } from './pool.js';

const run = promisify(execFile);

export interface MountSpec {
  path: string;
  pageKb: number;
  sizeMib: number;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface MountState {
  mounted: boolean;
  /** Same page size and size as asked. */
  matches: boolean;
  usedBytes: number;
}

export async function mountHugetlbfs(m: MountSpec): Promise<void> {
  const opts = [
    `pagesize=${pageLabel(m.pageKb)}`,
    // size= caps what the owner can use; min_size= makes the kernel set the
    // pages aside now, so the reservation cannot be taken by anyone else.
    `size=${m.sizeMib}M`, `min_size=${m.sizeMib}M`,
    `mode=${m.mode.toString(8).padStart(4, '0')}`,
    ...(m.uid !== undefined ? [`uid=${m.uid}`] : []),
    ...(m.gid !== undefined ? [`gid=${m.gid}`] : []),
  ];
  await run('mount', ['-t', 'hugetlbfs', '-o', opts.join(','), 'fastpath-hugepages', m.path]);
}

export async function unmount(path: string, lazy: boolean): Promise<void> {
  await run('umount', [...(lazy ? ['-l'] : []), path]);
}

/** The options the kernel shows for a hugetlbfs mount at path, if any. */
function mountOptions(path: string): Map<string, string> | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[1] === path && f[2] === 'hugetlbfs') {
      return new Map((f[3] ?? '').split(',').map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }));
    }
  }
  return undefined;
}

export function inspectMount(m: MountSpec): MountState {
  const o = mountOptions(m.path);
  if (!o) return { mounted: false, matches: false, usedBytes: 0 };
  const st = statfsSync(m.path);
  const matches = o.get('pagesize') === pageLabel(m.pageKb) && Number(o.get('size')) === m.sizeMib * 1024 * 1024;
  return { mounted: true, matches, usedBytes: (st.blocks - st.bfree) * st.bsize };
}

/**
 * Processes with a file of the mount at `dir` open or mapped (DPDK maps its
 * hugepage files). Matched by device number, not path: a container sees the
 * mount under its own path (/dev/hugepages).
 */
export function holders(dir: string): Array<{ pid: number; command: string }> {
  const dev = statSync(dir).dev;
  const major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  const mapsDev = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  const out: Array<{ pid: number; command: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let uses = false;
    try {
      uses = readFileSync(`/proc/${e}/maps`, 'utf8').split('\n').some((l) => l.split(/\s+/)[3] === mapsDev);
      if (!uses) {
        uses = readdirSync(`/proc/${e}/fd`).some((fd) => {
          try {
            return statSync(`/proc/${e}/fd/${fd}`).dev === dev;
          } catch {
            return false;
          }
        });
      }
    } catch {
      continue; // gone, or not ours to read
    }
    if (uses) {
      let command = '?';
      try {
        command = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
      } catch {
        // exited meanwhile
      }
      out.push({ pid: Number(e), command });
    }
  }
  return out;
}
