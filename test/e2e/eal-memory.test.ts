// SPDX-License-Identifier: Apache-2.0
// Starting EAL with too little memory fails with ENOMEM and a message that
// says what to do, and leaves nothing behind.
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { Dataplane, DataplaneError } from '../../src/dataplane/index.js';

describe('EAL start with too little memory', () => {
  it('fails with ENOMEM, a clear message, and no leftovers', async () => {
    const dp = new Dataplane({
      mainCpu: 0, workerCpus: [1], filePrefix: 'fptest-mem', hugepages: 'off',
      memoryMb: 8, nMbufs: 65536, socketRoot: '/run/fastpath-test/mem/ports',
    });
    const err = await dp.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataplaneError);
    expect((err as DataplaneError).code).toBe('ENOMEM');
    expect((err as DataplaneError).message).toMatch(/cannot allocate the mbuf pool \(65536 mbufs.*give the data plane more memory/);
    expect(existsSync('/var/run/dpdk/fptest-mem')).toBe(false);
    // DPDK cannot be initialised twice in one process: said plainly.
    const again = await dp.start().then(() => undefined, (e: unknown) => e);
    expect((again as DataplaneError).code).toBe('EALREADY');
  });
});
