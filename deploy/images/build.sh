#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the container images with podman, without a registry:
#   localhost/fastpathd:dev            the daemon (+ fpctl, + the CNI plugin)
#   localhost/fastpath-cnf-testpmd:dev the CNF test image (dpdk-testpmd)
# on top of --base IMAGE (default: localhost/debian-min:12, made by base.sh
# with debootstrap; elsewhere pass --base docker.io/library/debian:12).
# An image whose inputs (Containerfile, sources, base image) are unchanged
# is kept: its label org.fastpath.inputs holds their hash. --force rebuilds.
# Prints how long each step took ("[images] ... built in N s").
set -euo pipefail
cd "$(dirname "$0")/../.."
base=localhost/debian-min:12 force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift ;;
    --force) force=1 ;;
    *) echo "usage: $0 [--base IMAGE] [--force]" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[images] %s\n' "$*" >&2; }
TAG=${FP_IMAGE_TAG:-dev}
t0=$(date +%s)

if [ "$base" = localhost/debian-min:12 ]; then
  bash deploy/images/base.sh $([ "$force" = 1 ] && echo --force)
fi
base_id=$(podman image inspect -f '{{.Id}}' "$base" 2>/dev/null || true)
[ -n "$base_id" ] || { podman pull "$base" >/dev/null && base_id=$(podman image inspect -f '{{.Id}}' "$base"); }

# hash of the listed files and directories (contents and names) + base id
inputs_hash() {
  { find "$@" -type f -not -path 'native/build/*' -print0 | sort -z | xargs -0 sha256sum; echo "$base_id"; } | sha256sum | cut -c1-16
}

build() { # image containerfile inputs...
  local image=$1 file=$2; shift 2
  local want have start
  want=$(inputs_hash "$file" "$@")
  have=$(podman image inspect -f '{{index .Labels "org.fastpath.inputs"}}' "$image" 2>/dev/null || true)
  if [ "$force" = 0 ] && [ "$have" = "$want" ]; then
    log "$image is current (inputs $want)"; return
  fi
  start=$(date +%s)
  log "building $image (inputs $want)"
  # --network host: build steps reach the package mirrors through the host.
  # The host's CA bundle as a build secret (never stored in the image): a
  # network that intercepts TLS needs it for npm.
  local ca=()
  [ -s "${FP_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}" ] && ca=(--secret "id=cacert,src=${FP_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}")
  podman build -q --network host "${ca[@]}" --build-arg "BASE=$base" --label "org.fastpath.inputs=$want" \
    -f "$file" -t "$image" . >/dev/null
  log "$image built in $(( $(date +%s) - start )) s"
}

build "localhost/fastpath-cnf-testpmd:$TAG" deploy/images/cnf-testpmd.Containerfile deploy/images/cnf-entrypoint.sh
build "localhost/fastpathd:$TAG" deploy/images/fastpathd.Containerfile \
  package.json package-lock.json tsconfig.json native/CMakeLists.txt native/src native/include native/binding native/test proto src deploy/cni \
  deploy/host/build-js.sh
# The <none> images left behind are podman's layer cache (a change to src/
# rebuilds only the last steps): `podman image prune` when disk matters.
log "images ready in $(( $(date +%s) - t0 )) s"
