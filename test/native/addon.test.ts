// SPDX-License-Identifier: Apache-2.0
// The built addon matches its TypeScript declaration, and the C unit tests
// (ctest) pass.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { DROP_REASONS, PEER_ERRORS, PUNT_CLASSES } from '../../src/dataplane/counters.js';

import { loadAddon, NATIVE_FUNCTIONS } from '../../src/dataplane/native.js';

describe('native addon', () => {
  it('exports exactly the declared functions', () => {
    const addon = loadAddon() as unknown as Record<string, unknown>;
    expect(Object.keys(addon).sort()).toEqual([...NATIVE_FUNCTIONS].sort());
    for (const f of NATIVE_FUNCTIONS) expect(typeof addon[f]).toBe('function');
  });

  it('names counters in the order of the C X-macro lists', () => {
    const a = loadAddon();
    expect(a.portCounterNames().slice(0, 4)).toEqual(['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes']);
    expect(a.portCounterNames()).toContain('drop_tx_full');
    expect(a.workerCounterNames()).toEqual(['busy_cycles', 'idle_cycles', 'packets', 'iterations', 'busy_iterations']);
    // The compiled tables and the generated TS lists (fpctl's help, native/README.md) agree.
    expect(a.portCounterNames().filter((n) => n.startsWith('drop_'))).toEqual(DROP_REASONS.map((r) => `drop_${r.name}`));
    expect(a.puntClassNames()).toEqual(PUNT_CLASSES.map((c) => c.name));
    expect(a.peerErrorNames()).toEqual(PEER_ERRORS.map((e) => e.name));
  });

  it('refuses commands before start with ENODEV', async () => {
    await expect(loadAddon().stats()).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('passes the C unit tests (ctest)', () => {
    const build = join(dirname(fileURLToPath(import.meta.url)), '../../native/build');
    const out = execFileSync('ctest', ['--output-on-failure'], { cwd: build, encoding: 'utf8' });
    expect(out).toMatch(/100% tests passed/);
  });
});
