// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the bench modules.
import { rm } from 'node:fs/promises';

/** The EAL runtime directory of a file prefix: every DPDK process leaves one. */
export async function removeEalRuntimeDir(prefix: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`refusing odd EAL file prefix ${prefix}`);
  await rm(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
}
