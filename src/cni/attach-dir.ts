// SPDX-License-Identifier: Apache-2.0
// Kubernetes: the pod sees its socket through one of its own volumes. The
// kubelet sets up a pod's volumes before it asks the runtime for the
// sandbox (and so before CNI ADD), and the runtime bind-mounts them into
// the containers recursively afterwards. So ADD binds the port's directory
// (only that one) onto <emptyDir volume>/<ifname>, and every container of
// the pod that mounts the volume at podMountPath finds
// <podMountPath>/<ifname>/sock. No host directory holding other pods'
// sockets is ever shared. DEL must unmount before the kubelet removes the
// volume, or removing it would reach into the port directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

import { CNI_ERR, CniError } from './errors.js';

export function podVolumeDir(kubeletRoot: string, podUid: string, volume: string): string {
  return join(kubeletRoot, 'pods', podUid, 'volumes', 'kubernetes.io~empty-dir', volume);
}

function mounted(path: string): boolean {
  // mountinfo field 5 is the mount point (octal escapes for spaces etc.).
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .some((l) => l.split(' ')[4]?.replace(/\\040/g, ' ') === path);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new CniError(CNI_ERR.io, `${cmd} ${args.join(' ')} failed`, (r.stderr || r.error?.message || '').trim());
}

/** Bind src onto target (created if needed); a second call is a no-op. */
export function bindInto(src: string, target: string): void {
  mkdirSync(target, { recursive: true, mode: 0o755 });
  if (mounted(target)) return;
  run('mount', ['--bind', src, target]);
}

/** Undo bindInto; nothing there is fine. */
export function unbind(target: string): void {
  if (mounted(target)) run('umount', ['-l', target]);
  if (existsSync(target)) {
    try {
      rmdirSync(target);
    } catch {
      // Not empty or already gone: the kubelet removes the volume anyway.
    }
  }
}

export function isMounted(target: string): boolean {
  return mounted(target);
}
