// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the bench modules.
import { rm } from 'node:fs/promises';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll fn until pred holds; the error names what we waited for. */
export async function until<T>(fn: () => Promise<T>, pred: (v: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

/** The EAL runtime directory of a file prefix: every DPDK process leaves one. */
export async function removeEalRuntimeDir(prefix: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`refusing odd EAL file prefix ${prefix}`);
  await rm(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
}
