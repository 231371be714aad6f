#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The `fpctl` bin (package.json "bin"): runs the compiled CLI in .dist/
// (deploy/host/build-js.sh, run by the install steps). Plain node: nothing
// is compiled at run time.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// From src/cli/ (the package bin) or from .dist/cli/ (its compiled copy).
const main = [join(here, 'main.js'), join(here, '..', '..', '.dist', 'cli', 'main.js')].find((f) => existsSync(f));
if (!main) {
  process.stderr.write('fpctl: not built (run: bash deploy/host/build-js.sh)\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
