// SPDX-License-Identifier: Apache-2.0
// Preconditions and leftovers of the podman e2e tests. They fail, loudly,
// when podman cannot run a container or an image is missing: never skip.
import { execFileSync, spawnSync } from 'node:child_process';

import { CNF_IMAGE, listCnfs } from '../../src/cnf/podman.js';

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
