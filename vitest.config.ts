// SPDX-License-Identifier: Apache-2.0
// Three projects: unit (pure TS), native (the real addon, no containers),
// e2e (real data plane + testpmd containers). DPDK can be initialised once
// per process, so every native/e2e file runs in its own forked process, and
// one file at a time: the machine has two CPUs and DPDK processes spin.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    // fastpathd, fpctl and fastpath-cni run compiled, as users run them.
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads' },
      },
      {
        test: {
          name: 'native',
          include: ['test/native/**/*.test.ts'],
          pool: 'forks',
          isolate: true,
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          isolate: true,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
