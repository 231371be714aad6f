// SPDX-License-Identifier: Apache-2.0
// Port names derived from the attachment, so DEL, CHECK and GC find the port
// ADD made without any lookup, and a repeated ADD finds it again:
//   cni-<6 hex of the CNI network name>-<12 hex of container id + ifname>
// 23 characters: the socket path (<socket root>/<name>/sock) stays far below
// the 108-byte limit of a unix socket address.
import { createHash } from 'node:crypto';

const hex = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Prefix of every port this plugin makes for one CNI network. */
export function portPrefix(netName: string): string {
  return `cni-${hex(netName, 6)}-`;
}

export function portName(netName: string, containerId: string, ifname: string): string {
  return portPrefix(netName) + hex(`${containerId}\0${ifname}`, 12);
}
