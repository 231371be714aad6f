// SPDX-License-Identifier: Apache-2.0
// Where the workload finds its socket. Kubernetes: the kubelet sets up a
// pod's volumes before it asks the runtime for the sandbox (and so before
// CNI ADD), and the runtime bind-mounts them into the containers
// recursively afterwards. So ADD binds the port's directory (only that one)
// onto <emptyDir volume>/<ifname>, and every container of the pod that
// mounts the volume finds <podMountPath>/<ifname>/sock. Without Kubernetes
// (podman), the same onto <hostAttachDir>/<container name>/<ifname> when the
// operator made that directory for the container to mount. DEL unmounts
// before the volume goes, or removing it would reach into the port
// directory.
//
// The directory we bind onto lies in a volume the tenant can write (a
// restarted container runs DEL and ADD again after it had the volume): the
// last component is made and opened here without following a link, and
// mount/umount get that open directory (/proc/self/fd/3, not
// canonicalised) rather than a path that could be swapped underneath.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { CNI_ERR, CniError } from './errors.js';

export interface BindTarget {
  /** Trusted: made by the kubelet or the operator, not the tenant. */
  parent: string;
  /** The component we make (the interface name). */
  name: string;
}

export const targetPath = (t: BindTarget): string => join(t.parent, t.name);

export function podVolumeDir(kubeletRoot: string, podUid: string, volume: string): string {
  return join(kubeletRoot, 'pods', podUid, 'volumes', 'kubernetes.io~empty-dir', volume);
}

interface Mount {
  /** The mounted directory, relative to its file system's root. */
  root: string;
  point: string;
}

/** mountinfo fields 4 and 5, octal escapes (space, newline, \\) decoded. */
function mounts(): Mount[] {
  const unescape = (f: string): string => f.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return { root: unescape(f[3] ?? ''), point: unescape(f[4] ?? '') };
  });
}

/** Opens the target directory itself, never a link planted in its place. */
function openTarget(t: BindTarget): number {
  try {
    return openSync(targetPath(t), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      throw new CniError(CNI_ERR.io, `${targetPath(t)} is not a directory (a link or file was put there); refusing to mount on it`);
    }
    throw e;
  }
}

/** Runs mount(8)/umount(8) on the open directory fd (fd 3 in the child). */
function runOnFd(cmd: string, args: string[], fd: number): void {
  const r = spawnSync(cmd, [...args, '/proc/self/fd/3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd] });
  if (r.status !== 0) throw new CniError(CNI_ERR.io, `${cmd} ${args.join(' ')} failed`, (r.stderr || r.error?.message || '').trim());
}

/** Bind src onto the target (made if needed); a second call is a no-op. */
export function bindInto(src: string, t: BindTarget): void {
  try {
    mkdirSync(targetPath(t), { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const fd = openTarget(t);
  try {
    const have = fstatSync(fd);
    const want = statSync(src);
    if (have.dev === want.dev && have.ino === want.ino) return; // bound already
    runOnFd('mount', ['--no-canonicalize', '--bind', src], fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Undo bindInto; nothing there is fine. The tenant may have renamed the
 * directory we bound onto (Linux allows it from a mount namespace where it
 * is not a mount point; the host's mount moves with it): every mount of
 * the port directory (srcName) below the target's parent goes, wherever
 * it is now. Each is unmounted through a descriptor opened without
 * following links, so a name swapped meanwhile unmounts nothing else.
 */
export function unbind(t: BindTarget, srcName: string): void {
  const path = targetPath(t);
  for (const m of mounts().reverse()) {
    const ours = m.point === path || (m.point.startsWith(`${t.parent}/`) && basename(m.root.replace(/\/\/deleted$/, '')) === srcName);
    if (!ours) continue;
    let fd: number;
    try {
      fd = openSync(m.point, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch {
      continue; // swapped for a link meanwhile: the mount is not reachable there
    }
    try {
      runOnFd('umount', ['--no-canonicalize', '-l'], fd);
    } finally {
      closeSync(fd);
    }
  }
  try {
    rmdirSync(path); // never follows a link: ENOTDIR
  } catch {
    // Not empty, not a directory or already gone: the volume goes anyway.
  }
}

export function isBound(t: BindTarget): boolean {
  return mounts().some((m) => m.point === targetPath(t));
}
