// SPDX-License-Identifier: Apache-2.0
// The C counter tables own the names and descriptions of drop reasons, punt
// classes and peer errors: the generated TS lists are current with the
// header, fpctl's help shows every one of them, and the reference tables in
// native/README.md are generated from them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

// @ts-expect-error: a plain .mjs build script without types
import { DOC, generate, generateDoc, OUT } from '../../native/gen-counters.mjs';
import { stats } from '../../src/cli/commands/stats.js';
import { networkAdd } from '../../src/cli/commands/network.js';
import { DROP_REASONS, PEER_ERRORS, PUNT_CLASSES } from '../../src/dataplane/counters.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('counter names come from the C tables', () => {
  it('src/dataplane/counters.ts is what native/gen-counters.mjs makes of fp_counters.h (npm run gen:counters)', () => {
    expect(readFileSync(OUT as string, 'utf8')).toBe((generate as () => string)());
    expect(DROP_REASONS.length).toBeGreaterThan(5);
  });

  it('fpctl stats lists every drop reason and peer error with its description', () => {
    for (const r of [...DROP_REASONS, ...PEER_ERRORS]) {
      expect(stats.details).toContain(r.name);
      expect(stats.details).toContain(r.description);
    }
  });

  it('fpctl network add --punt names every punt class', () => {
    for (const c of PUNT_CLASSES) expect(networkAdd.options!.punt!.help).toContain(c.name);
  });

  it('native/README.md has the current counter tables (npm run gen:counters)', () => {
    const doc = readFileSync(DOC as string, 'utf8');
    expect(doc).toBe((generateDoc as (d: string) => string)(doc));
    for (const r of [...DROP_REASONS, ...PUNT_CLASSES, ...PEER_ERRORS]) expect(doc, r.name).toContain(`| \`${r.name}\` | ${r.description}`);
  });
});
