// SPDX-License-Identifier: Apache-2.0
// hugetlbfs mounts (mount(8)/umount(8) from util-linux) and who uses them.
import { execFile } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
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

/** Whether process pid maps or holds open a file of device dev. */
async function uses(pid: string, dev: number, mapsDev: string): Promise<boolean> {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  if (maps.split('\n').some((l) => l.split(/\s+/)[3] === mapsDev)) return true;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const st = await stat(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
    if (st?.dev === dev) return true;
  }
  return false;
}

/**
 * Processes with a file of the mount at `dir` open or mapped (DPDK maps its
 * hugepage files). Matched by device number, not path: a container sees the
 * mount under its own path (/dev/hugepages). Asynchronous: a scan of every
 * process must not hold up the API's event loop.
 */
export async function holders(dir: string): Promise<Array<{ pid: number; command: string }>> {
  const dev = (await stat(dir)).dev;
  const major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  const mapsDev = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  const out: Array<{ pid: number; command: string }> = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    // Gone meanwhile, or not ours to read: not a holder.
    if (!await uses(e, dev, mapsDev).catch(() => false)) continue;
    const command = await readFile(`/proc/${e}/comm`, 'utf8').then((c) => c.trim(), () => '?');
    out.push({ pid: Number(e), command });
  }
  return out;
}
