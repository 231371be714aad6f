// SPDX-License-Identifier: Apache-2.0
// Before any test: the compiled JavaScript the tests run as users do
// (fastpathd, fpctl, fastpath-cni from .dist/) is current with src/.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function setup(): void {
  execFileSync('bash', [join(ROOT, 'deploy', 'host', 'build-js.sh'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
}
