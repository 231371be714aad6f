// SPDX-License-Identifier: Apache-2.0
// What a container needs to attach to a port: its directory mounted at
// /run/fastpath (only that one: it holds only this port's socket), and the
// exact EAL arguments for virtio_user.
import type { PortRecord } from './state.js';

export const CONTAINER_DIR = '/run/fastpath';

export interface AttachInfo {
  socketPath: string;
  hostDir: string;
  containerDir: string;
  vdev: string;
  ealArgs: string[];
  dockerRun: string;
}

export function attachFor(p: PortRecord, socketPath: string, hostDir: string): AttachInfo {
  const sock = `${CONTAINER_DIR}/${socketPath.slice(hostDir.length + 1)}`;
  const vdev = [
    'net_virtio_user0', `path=${sock}`, `mac=${p.mac}`, `queues=${p.queues}`,
    ...(p.mode === 'client' ? ['server=1'] : []),
  ].join(',');
  const ealArgs = [`--vdev=${vdev}`, '--single-file-segments', `--file-prefix=${p.name}`];
  const dockerRun = [
    'docker run --rm -it --privileged',
    `-v ${hostDir}:${CONTAINER_DIR}`,
    '-v /dev/hugepages:/dev/hugepages',
    '<image> dpdk-testpmd',
    ...ealArgs,
    '-- -i',
  ].join(' ');
  return { socketPath, hostDir, containerDir: CONTAINER_DIR, vdev, ealArgs, dockerRun };
}
