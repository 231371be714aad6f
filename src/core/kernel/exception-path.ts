// SPDX-License-Identifier: Apache-2.0
// Which kernel exception path a network's interface uses: vhost.ko
// (virtio_user on /dev/vhost-net: the kernel's vhost threads move packets,
// no syscall per packet on the worker) when the device exists and opens,
// else the net_tap PMD (a read/write per burst on the worker). Config may
// force either; forcing vhost-net where it cannot work is an error, not a
// silent fallback.
import { closeSync, constants, openSync } from 'node:fs';

import type { KernelPortKind } from '../../dataplane/index.js';
import { invalid, precondition } from '../errors.js';

export type ExceptionPathMode = 'auto' | 'vhost-net' | 'tap';
export const EXCEPTION_PATH_MODES: readonly ExceptionPathMode[] = ['auto', 'vhost-net', 'tap'];

export interface ExceptionPath {
  kind: KernelPortKind;
  /** Why this one, in words for logs and the API. */
  reason: string;
}

export const VHOST_NET = '/dev/vhost-net';

/** Whether /dev/vhost-net exists and opens read-write: why not, or undefined when it does. */
export function probeVhostNet(path = VHOST_NET): string | undefined {
  try {
    closeSync(openSync(path, constants.O_RDWR));
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist (no vhost_net module, or CONFIG_VHOST_NET off)` : `${path} cannot be opened (${code})`;
  }
}

export function chooseExceptionPath(mode: string, probe: () => string | undefined = probeVhostNet): ExceptionPath {
  if (!(EXCEPTION_PATH_MODES as readonly string[]).includes(mode)) {
    throw invalid(`exception path must be one of ${EXCEPTION_PATH_MODES.join(', ')}, got ${mode}`);
  }
  if (mode === 'tap') return { kind: 'tap', reason: 'configured: tap' };
  const missing = probe();
  if (mode === 'vhost-net') {
    if (missing) throw precondition(`exception path vhost-net was asked for, but ${missing}; use tap or auto`);
    return { kind: 'vhost-net', reason: `configured: vhost-net (${VHOST_NET} works)` };
  }
  return missing
    ? { kind: 'tap', reason: `auto: ${missing}, so net_tap` }
    : { kind: 'vhost-net', reason: `auto: ${VHOST_NET} works, so virtio_user on vhost.ko` };
}
