#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes localhost/debian-min:12, a Debian 12 base image, without a registry:
# debootstrap --variant=minbase into a scratch directory, trim what no image
# needs (apt lists, caches, docs), and `podman import` it. Elsewhere, build
# from debian:12 instead (build.sh --base docker.io/library/debian:12).
#   --force  rebuild even when the image exists with the same recipe
set -euo pipefail
self=$(readlink -f "$0")
IMAGE=${FP_BASE_IMAGE:-localhost/debian-min:12}
SUITE=bookworm
MIRROR=${FP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '[images] %s\n' "$*" >&2; }

# The recipe is this script: a changed script means a new base.
recipe=$(sha256sum "$self" | cut -c1-16)
if [ "${1:-}" != --force ] &&
   [ "$(podman image inspect -f '{{index .Labels "org.fastpath.recipe"}}' "$IMAGE" 2>/dev/null)" = "$recipe" ]; then
  log "$IMAGE is current (recipe $recipe)"; exit 0
fi
command -v debootstrap >/dev/null || { log "debootstrap missing (apt-get install debootstrap)"; exit 1; }
root=$(mktemp -d /var/tmp/fp-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
log "debootstrap $SUITE into $root"
debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >/dev/null
cat > "$root/etc/apt/sources.list" <<SRC
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SRC
# Images keep no package lists or docs; every build step fetches its own.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*.log
log "importing as $IMAGE"
tar -C "$root" -c . | podman import -q --change "LABEL org.fastpath.recipe=$recipe" --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
log "base image built in $(( $(date +%s) - start )) s"
