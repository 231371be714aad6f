// SPDX-License-Identifier: Apache-2.0
// The host's hugepage pools as the kernel reports them in sysfs.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYSFS_HUGEPAGES = '/sys/kernel/mm/hugepages';

export interface KernelPool {
  pageKb: number;
  total: number;
  free: number;
  /** resv_hugepages: promised (e.g. by min_size= mounts) but not yet used. */
  reserved: number;
  surplus: number;
}

export function pageLabel(pageKb: number): string {
  return pageKb >= 1048576 ? `${pageKb / 1048576}G` : `${pageKb / 1024}M`;
}

function read(dir: string, f: string): number {
  return Number(readFileSync(join(dir, f), 'utf8').trim());
}

export function readPool(pageKb: number, root = SYSFS_HUGEPAGES): KernelPool | undefined {
  const dir = join(root, `hugepages-${pageKb}kB`);
  if (!existsSync(dir)) return undefined;
  return {
    pageKb,
    total: read(dir, 'nr_hugepages'),
    free: read(dir, 'free_hugepages'),
    reserved: read(dir, 'resv_hugepages'),
    surplus: read(dir, 'surplus_hugepages'),
  };
}

export function pageSizes(root = SYSFS_HUGEPAGES): number[] {
  return readdirSync(root)
    .map((d) => /^hugepages-(\d+)kB$/.exec(d)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Ask the kernel for `total` pages; returns what it actually gave. */
export function growPool(pageKb: number, total: number, root = SYSFS_HUGEPAGES): number {
  writeFileSync(join(root, `hugepages-${pageKb}kB`, 'nr_hugepages'), String(total));
  return read(join(root, `hugepages-${pageKb}kB`), 'nr_hugepages');
}
