#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the native addon with cmake-js.
#   --if-stale  only when the .node file is missing or older than a source
#   --soft      exit 0 with a notice when DPDK is not installed yet (used by
#               npm's postinstall, which may run before prepare.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
stale_only=0 soft=0
for a in "$@"; do
  case "$a" in --if-stale) stale_only=1 ;; --soft) soft=1 ;; esac
done
addon=native/build/Release/fastpath.node
if [ "$stale_only" = 1 ] && [ -f "$addon" ] &&
   [ -z "$(find native/CMakeLists.txt native/src native/include native/binding native/test -newer "$addon" -print -quit)" ]; then
  exit 0
fi
if ! pkg-config --exists libdpdk 2>/dev/null; then
  if [ "$soft" = 1 ]; then
    echo "[build-native] DPDK not installed yet; 'npm test' or 'npm run demo' will install it and build the addon" >&2
    exit 0
  fi
  echo "[build-native] libdpdk-dev not found (run: bash deploy/host/prepare.sh)" >&2; exit 1
fi
echo "[build-native] building the native addon" >&2
npx cmake-js compile -d native -O native/build --log-level warn
