// SPDX-License-Identifier: Apache-2.0
// Preconditions, leftovers and the traffic check of the podman e2e tests.
// They fail, loudly, when podman cannot run a container or an image is
// missing: never skip.
import { execFileSync, spawnSync } from 'node:child_process';

import { expect } from 'vitest';

import { CNF_IMAGE, listCnfs, type PodmanCnf } from '../harness/cnf/podman.js';

export const DAEMON_IMAGE = process.env.FP_DAEMON_IMAGE ?? 'localhost/fastpathd:dev';

export function requirePodman(images: string[] = [CNF_IMAGE]): void {
  const v = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`podman is required for the container e2e tests (bash deploy/host/prepare.sh --images installs it): ${v.error?.message ?? v.stderr}`);
  for (const img of images) {
    if (spawnSync('podman', ['image', 'exists', img]).status !== 0) {
      throw new Error(`image ${img} is missing: build it with bash deploy/images/build.sh`);
    }
  }
  // A container that runs at all (runtime, cgroups, rlimits as containers.conf sets them).
  const r = spawnSync('podman', ['run', '--rm', '--network', 'none', images[0]!, 'true'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`podman cannot run a container here (see deploy/podman/containers.conf): ${r.stderr}`);
}

/** Throws when containers with this test's label are left. */
export async function expectNoContainers(label: string): Promise<void> {
  const left = await listCnfs(label);
  if (left.length > 0) {
    execFileSync('podman', ['rm', '-f', '-t', '0', ...left]);
    throw new Error(`containers left behind: ${left.join(', ')}`);
  }
}

/**
 * b listens, a sends 4 bursts (128 frames) to b's MAC; then the other way.
 * Each side must get exactly those 128 frames.
 */
export async function exchange128BothWays(a: PodmanCnf, b: PodmanCnf, macA: string, macB: string): Promise<void> {
  await b.cmd('start');
  await a.cmd(`set eth-peer 0 ${macB}`);
  await a.cmd('start tx_first 4');
  expect((await b.testpmd.waitStats((s) => s.rxPackets >= 128)).rxPackets).toBe(128);
  await b.cmd('stop');
  await b.cmd(`set eth-peer 0 ${macA}`);
  await b.cmd('start tx_first 4');
  expect((await a.testpmd.waitStats((s) => s.rxPackets >= 128)).rxPackets).toBe(128);
}
