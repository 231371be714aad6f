#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compiles src/ to plain JavaScript in .dist/ (same layout, so paths made
# from import.meta.url still reach proto/, native/ and package.json), and
# copies the files src/ uses at run time (shell scripts, JSON). fastpathd,
# fpctl and fastpath-cni run this with plain node: nothing is compiled at
# run time, as root, into a cache someone else could write.
# fastpathd itself runs from a bundle, .dist/fastpathd/ (esbuild): a few
# files instead of ~300 modules is ~100 ms less of every restart's
# forwarding gap. What it needs only after EAL has started (gRPC, metrics,
# the orchestrator) is a separate chunk, loaded while EAL initialises.
# pino and grpc-health-check read files beside their own code, so they
# stay in node_modules.
#   --if-stale  only when .dist is missing or older than a source
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=.dist/.built
if [ "${1:-}" = "--if-stale" ] && [ -f "$stamp" ] &&
   [ -z "$(find src tsconfig.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "[build-js] compiling src/ into .dist/" >&2
rm -rf .dist.tmp
npx tsc -p src/tsconfig.json --outDir .dist.tmp
(cd src && find . -type f \( -name '*.sh' -o -name '*.json' -o -name '*.mjs' \) ! -name tsconfig.json -print0 |
  while IFS= read -r -d '' f; do mkdir -p "../.dist.tmp/$(dirname "$f")"; cp -p "$f" "../.dist.tmp/$f"; done)
npx esbuild src/daemon/main.ts --bundle --platform=node --target=node20 --format=esm \
  --splitting --outdir=.dist.tmp/fastpathd --log-level=warning --legal-comments=none \
  --external:grpc-health-check \
  --banner:js="import { createRequire as __fpRequire } from 'node:module'; const require = __fpRequire(import.meta.url);"
touch .dist.tmp/.built
rm -rf .dist && mv .dist.tmp .dist
