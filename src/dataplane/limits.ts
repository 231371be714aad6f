// SPDX-License-Identifier: Apache-2.0
// The ranges of the numbers users hand us, in one place: fpctl, the CNI
// plugin and the API check a value against its range before it is encoded
// (a uint32 field would otherwise wrap 4294967306 into VLAN 10). In the data
// plane's layer, the lowest that has them: the addon enforces the same.
import { DataplaneError } from './errors.js';

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
  lcore: r('lcore', 0, 1023), // RTE_MAX_LCORE in Debian's DPDK 22.11
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

/** A number outside its range: EINVAL, which the API answers as INVALID_ARGUMENT. */
export class OutOfRange extends DataplaneError {
  constructor(message: string) {
    super('EINVAL', message);
  }
}

/**
 * v (absent: dflt) checked against its range, the upper bound lowered to
 * hi where a configured limit is tighter. The one check every layer uses;
 * where 0 means "unset" (proto3 fields), the caller says so by passing
 * undefined.
 */
export function intIn(range: Range, v: number | undefined, dflt: number, hi = range.hi): number {
  const r = hi === range.hi ? range : { ...range, hi };
  const x = v ?? dflt;
  if (!inRange(r, x)) throw new OutOfRange(`${range.what} must be an integer in ${rangeText(r)}, got ${String(v)}`);
  return x;
}
