// SPDX-License-Identifier: Apache-2.0
// The NPWG device-info file (Device Information Specification 1.1.0, 4.2):
// Multus copies it into the pod's network-status annotation, which is how
// the application finds its socket. The runtime config's CNIDeviceInfoFile
// names it; we honour that only as a plain file name directly inside the
// device-info directory of the node's policy (anything else would let a
// runtime config overwrite, and DEL delete, any file on the node). Without
// one, a file of our own naming in the same directory.
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { writeFileAtomic } from './atomic-file.js';
import { CNI_ERR, CniError } from './errors.js';
import { PLAIN_NAME } from './policy.js';

export interface VhostUserDeviceInfo {
  type: 'vhost-user';
  version: '1.1.0';
  'vhost-user': { mode: 'client' | 'server'; path: string };
}

export function deviceInfoPath(given: string | undefined, dir: string, port: string): string {
  if (given === undefined) return join(dir, `${port}-device.json`);
  if (dirname(given) !== dir || !PLAIN_NAME.test(basename(given))) {
    throw new CniError(CNI_ERR.invalidConfig, `runtimeConfig.CNIDeviceInfoFile must be a plain file name in ${dir}`, `CNIDeviceInfoFile=${JSON.stringify(given.slice(0, 256))}`);
  }
  return given;
}

/**
 * The spec's mode is the container application's role: a fastpath
 * server-mode port (fastpath creates the socket) is "client" for the pod.
 */
export function deviceInfo(portMode: 'server' | 'client', path: string): VhostUserDeviceInfo {
  return { type: 'vhost-user', version: '1.1.0', 'vhost-user': { mode: portMode === 'server' ? 'client' : 'server', path } };
}

export function writeDeviceInfo(file: string, info: VhostUserDeviceInfo): void {
  writeFileAtomic(file, JSON.stringify(info), 0o644, 0o755);
}

export function removeDeviceInfo(file: string): void {
  rmSync(file, { force: true });
}
