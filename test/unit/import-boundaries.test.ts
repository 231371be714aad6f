// SPDX-License-Identifier: Apache-2.0
// The clients (fpctl, the CNI plugin) import no server code: no gRPC
// handlers, no orchestrator, no data plane module (which would load the
// addon's types and, on a slip, the addon). Checked on the import graph of
// the sources, so a new import that crosses the line fails here.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Every src/ file reachable from entry through relative imports (types included). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  walk(join(SRC, entry));
  return new Set([...seen].map((f) => relative(SRC, f)));
}

const SERVER = /^(api\/(server|adapter|[a-z-]+-service)\.ts|core\/(orchestrator|state-keeper|store)\.ts|core\/(hugepages|kernel)\/|dataplane\/(index|native|eal-args|port-spec|config)\.ts|daemon\/(main|config)\.ts|metrics\/)/;

describe('client code imports no server code', () => {
  it.each(['cli/main.ts', 'cni/main.ts', 'daemon/health-probe.ts'])('%s', (entry) => {
    const files = [...reachable(entry)];
    expect(files).toContain(entry);
    expect(files.filter((f) => SERVER.test(f))).toEqual([]);
  });

  it('the check sees a server import (it can fail)', () => {
    expect([...reachable('api/flow-service.ts')].filter((f) => SERVER.test(f))).not.toEqual([]);
  });
});
