#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs a command as a minimal "container": private mount namespace (and the
# caller's unshare gives it its own network namespace) in which /run holds
# only this container's port directory, at /run/fastpath, and /dev/hugepages
# is a fresh hugetlbfs instance whose size= quota the kernel enforces.
#   FP_PORT_DIR   host directory of the port (holds the vhost-user socket)
#   FP_HUGE_MB    hugetlbfs quota in MiB; 0 = no hugepages mount
#   FP_SERVER_SOCKS  sockets (names in the port directory) this container
#                 serves (virtio_user server=1): a crashed predecessor
#                 leaves the file behind and bind() would fail, so remove it
set -eu
mount --make-rprivate /
stage=$(mktemp -d /tmp/fp-cnf.XXXXXX)
mount --bind "$FP_PORT_DIR" "$stage"
mount -t tmpfs -o size=16m,mode=0755 fp-run /run
mkdir -p /run/fastpath
mount --move "$stage" /run/fastpath
rmdir "$stage"
for s in ${FP_SERVER_SOCKS:-}; do rm -f "/run/fastpath/$s"; done
if [ "${FP_HUGE_MB:-0}" -gt 0 ]; then
  mount -t hugetlbfs -o pagesize=2M,size="${FP_HUGE_MB}M" fp-huge /dev/hugepages
fi
exec "$@"
