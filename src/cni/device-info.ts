// SPDX-License-Identifier: Apache-2.0
// The NPWG device-info file (Device Information Specification 1.1.0, 4.2):
// Multus copies it into the pod's network-status annotation, which is how
// the application finds its socket. The path comes from the runtime config
// (capability CNIDeviceInfoFile); without one, a file of our own naming in
// the same directory.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface VhostUserDeviceInfo {
  type: 'vhost-user';
  version: '1.1.0';
  'vhost-user': { mode: 'client' | 'server'; path: string };
}

export function deviceInfoPath(given: string | undefined, dir: string, port: string): string {
  return given ?? join(dir, `${port}-device.json`);
}

/**
 * The spec's mode is the container application's role: a fastpath
 * server-mode port (fastpath creates the socket) is "client" for the pod.
 */
export function deviceInfo(portMode: 'server' | 'client', path: string): VhostUserDeviceInfo {
  return { type: 'vhost-user', version: '1.1.0', 'vhost-user': { mode: portMode === 'server' ? 'client' : 'server', path } };
}

export function writeDeviceInfo(file: string, info: VhostUserDeviceInfo): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o644 });
  renameSync(tmp, file);
}

export function removeDeviceInfo(file: string): void {
  rmSync(file, { force: true });
}
