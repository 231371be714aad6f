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

/** Where a container sees its hugepage reservation. */
export const CONTAINER_HUGE_DIR = '/dev/hugepages';

export interface HugepageMount {
  hostPath: string;
  sizeMib: number;
}

export function attachFor(p: PortRecord, socketPath: string, hostDir: string, huge?: HugepageMount): AttachInfo {
  const sock = `${CONTAINER_DIR}/${socketPath.slice(hostDir.length + 1)}`;
  const vdev = p.type === 'memif'
    // fastpath is the memif server; the container connects as client. In
    // memif the client sizes rings and buffers: rsize (log2) and bsize say
    // what the port was made for (net_memif would take 10 and 2048).
    ? ['net_memif0', 'role=client', `socket=${sock}`, 'socket-abstract=no', 'id=0', `mac=${p.mac}`,
      `rsize=${p.memifRingLog2 ?? 10}`, `bsize=${p.memifBufferSize ?? 2048}`].join(',')
    : [
      'net_virtio_user0', `path=${sock}`, `mac=${p.mac}`, `queues=${p.queues}`,
      ...(p.mode === 'client' ? ['server=1'] : []),
    ].join(',');
  const ealArgs = [
    // --single-file-segments: virtio_user's limit on memory regions.
    `--vdev=${vdev}`, ...(p.type === 'memif' ? [] : ['--single-file-segments']), `--file-prefix=${p.name}`,
    // With a reservation: EAL takes exactly the quota, from the owner's mount.
    ...(huge ? [`--huge-dir=${CONTAINER_HUGE_DIR}`, '-m', String(huge.sizeMib)] : []),
  ];
  const dockerRun = [
    'docker run --rm -it --privileged',
    `-v ${hostDir}:${CONTAINER_DIR}`,
    `-v ${huge ? huge.hostPath : '/dev/hugepages'}:${CONTAINER_HUGE_DIR}`,
    '<image> dpdk-testpmd',
    ...ealArgs,
    '-- -i',
  ].join(' ');
  return { socketPath, hostDir, containerDir: CONTAINER_DIR, vdev, ealArgs, dockerRun };
}
