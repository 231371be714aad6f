// SPDX-License-Identifier: Apache-2.0
// The ranges of the numbers users hand us, in one place: fpctl, the CNI
// plugin and the API check a value against its range before it is encoded
// (a uint32 field would otherwise wrap 4294967306 into VLAN 10). In the data
// plane's layer, the lowest that has them: the addon enforces the same.
export interface Range {
  lo: number;
  hi: number;
  what: string;
}

const r = (what: string, lo: number, hi: number): Range => ({ what, lo, hi });

export const UINT32_MAX = 2 ** 32 - 1;

export const RANGES = {
  vlan: r('VLAN id', 0, 4094),
  queues: r('queues', 1, 16), // FP_MAX_QUEUES
  /** (uid_t)-1 means "leave as is" to chown: not a usable id. */
  id: r('uid/gid', 0, UINT32_MAX - 1),
  socketMode: r('socket mode', 0, 0o777),
  dirMode: r('directory mode', 0, 0o7777),
  memifRingLog2: r('memif ring size (log2)', 4, 14),
  memifBufferSize: r('memif buffer size', 128, 65535),
  maxMacs: r('max MACs', 1, 65536),
  mtu: r('MTU', 68, 9000),
  hugepageMib: r('hugepage reservation (MiB)', 2, 1 << 20),
  uint32: r('value', 0, UINT32_MAX),
} as const;

export function inRange(range: Range, v: number): boolean {
  return Number.isSafeInteger(v) && v >= range.lo && v <= range.hi;
}

export function rangeText(range: Range): string {
  return range === RANGES.socketMode || range === RANGES.dirMode
    ? `${range.lo.toString(8).padStart(4, '0')}..${range.hi.toString(8).padStart(4, '0')} (octal)`
    : `${range.lo}..${range.hi}`;
}
