// SPDX-License-Identifier: Apache-2.0
// The loop's guest: one testpmd container with two virtio_user ports in
// `mac` forward mode. Whatever arrives on port 0 leaves port 1 with
// source = port 1's MAC and destination = port 0's MAC (and the other way
// round), so both legs carry real addresses the switch learns, and the
// frames injected by `start tx_first` circulate forever.
import { TestpmdContainer } from '../../test/harness/cnf/testpmd.js';
import type { RingLayout } from './args.js';
import { removeEalRuntimeDir } from './util.js';

/** Locally administered, distinct from the MACs the e2e tests use. */
export const GUEST_MACS = ['02:00:00:00:b0:00', '02:00:00:00:b0:01'] as const;

export interface SocketDir {
  /** Host directory holding the vhost-user socket. */
  hostDir: string;
  sock: string;
  /** The guest's virtio_user serves the socket (server=1); the switch connects as the client. */
  guestServes?: boolean;
  /** Queue pairs the guest opens and forwards on (default 1). */
  queues?: number;
}

/** Lcores of the guest: main and forwarding both on CPU 0, the switch worker has CPU 1. */
export const GUEST_CPU = 0;

/** One cell of the bench matrix: what the guest injects and which virtqueue layout it asks for. */
export interface GuestTraffic {
  /** Frame size (testpmd --txpkts: the frame without FCS). */
  size: number;
  /** packed: virtio_user packed_vq=1; the switch's vhost side follows what the guest offers. */
  ring: RingLayout;
  /** testpmd forwarding mode (default mac: the loop). flowgen sends new
   * frames as fast as it can and frees what it receives. */
  mode?: 'mac' | 'flowgen';
}

export async function startGuest(name: string, sockets: readonly SocketDir[], traffic: GuestTraffic): Promise<TestpmdContainer> {
  if (sockets.length !== 2) throw new Error('the loop guest needs exactly two ports');
  return TestpmdContainer.start({
    name,
    cpu: GUEST_CPU,
    fwdCpu: GUEST_CPU,
    // Room for 8192 mbufs: both rx rings full plus every frame in flight.
    hugeMb: 128,
    mbufs: 8192,
    ports: sockets.map((s, i) => ({
      hostDir: s.hostDir, sock: s.sock, mac: GUEST_MACS[i]!, server: s.guestServes === true, packedVq: traffic.ring === 'packed',
      queues: s.queues ?? 1,
    })),
    forwardMode: traffic.mode ?? 'mac',
    // tx_first sends frames of --txpkts bytes; mac forwarding keeps their size.
    // With more queues, tx_first's frames vary their source address
    // (--txonly-multi-flow), so the switch spreads them over every queue.
    extraArgs: [
      `--eth-peer=0,${GUEST_MACS[1]}`, `--eth-peer=1,${GUEST_MACS[0]}`, `--txpkts=${traffic.size}`,
      ...((sockets[0]!.queues ?? 1) > 1 ? [`--rxq=${sockets[0]!.queues}`, `--txq=${sockets[0]!.queues}`, '--txonly-multi-flow'] : []),
    ],
  });
}

/** The container's EAL runtime dir lives in its private /run; remove a host copy should one exist. */
export async function guestLeftovers(name: string): Promise<void> {
  await removeEalRuntimeDir(`cnf-${name}`);
}

/** Packets received by the guest on both ports: one per switch traversal. */
export async function guestRxPackets(g: TestpmdContainer): Promise<number> {
  const text = await g.cmd('show port stats all');
  const counts = [...text.matchAll(/RX-packets:\s+(\d+)/g)].map((m) => Number(m[1]));
  if (counts.length !== 2) throw new Error(`${g.name}: expected stats of 2 ports, got:\n${text}`);
  return counts[0]! + counts[1]!;
}
