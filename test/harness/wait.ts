// SPDX-License-Identifier: Apache-2.0
// Waiting, for tests, benches and the demo: a poll with a deadline (what
// we wait for is named in the error), and a plain pause for benches that
// pace traffic (never as synchronisation).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** JSON.stringify replacer for values with bigints (counters). */
export function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** Poll fn until it returns a value for which pred holds. */
export async function until<T>(fn: () => Promise<T>, pred: (v: T) => boolean, what: string, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await fn();
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last, bigintJson)}`);
    await sleep(everyMs);
  }
}
