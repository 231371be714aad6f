#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs a command as a minimal "container": private mount namespace (and the
# caller's unshare gives it its own network namespace) in which /run holds
# only this container's port directories, below /run/fastpath, and
# /dev/hugepages is a fresh hugetlbfs instance whose size= quota the kernel
# enforces.
#   FP_PORT_DIR   host directory of the port (holds the vhost-user socket),
#                 seen as /run/fastpath
#   FP_PORT_DIRS  instead of FP_PORT_DIR, for a container on several ports:
#                 newline-separated host directories, the n-th (from 0)
#                 seen as /run/fastpath/<n>
#   FP_HUGE_MB    hugetlbfs quota in MiB; 0 = no hugepages mount
#   FP_HUGE_DIR   instead of FP_HUGE_MB: a host hugetlbfs mount (a fastpath
#                 reservation) to bind at /dev/hugepages
#   FP_SERVER_SOCKS  sockets (paths below /run/fastpath) this container
#                 serves (virtio_user server=1): a crashed predecessor
#                 leaves the file behind and bind() would fail, so remove it
#                 (server=1 vdevs in the arguments are found by themselves)
set -eu
mount --make-rprivate /
# The port directories usually live below /run, which the tmpfs below hides:
# bind them to staging points first, move them into place afterwards.
nl='
'
stages=
if [ -n "${FP_PORT_DIRS:-}" ]; then
  oldifs=$IFS; IFS=$nl; set -f
  for d in $FP_PORT_DIRS; do
    s=$(mktemp -d /tmp/fp-cnf.XXXXXX)
    mount --bind "$d" "$s"
    stages="$stages$s$nl"
  done
  IFS=$oldifs; set +f
else
  s=$(mktemp -d /tmp/fp-cnf.XXXXXX)
  mount --bind "$FP_PORT_DIR" "$s"
  stages=$s
fi
# Before /run disappears under the tmpfs: reservations live below it.
if [ -n "${FP_HUGE_DIR:-}" ]; then
  mount --bind "$FP_HUGE_DIR" /dev/hugepages
fi
mount -t tmpfs -o size=16m,mode=0755 fp-run /run
mkdir -p /run/fastpath
if [ -n "${FP_PORT_DIRS:-}" ]; then
  n=0
  oldifs=$IFS; IFS=$nl; set -f
  for s in $stages; do
    mkdir "/run/fastpath/$n"
    mount --move "$s" "/run/fastpath/$n"
    rmdir "$s"
    n=$((n + 1))
  done
  IFS=$oldifs; set +f
else
  mount --move "$stages" /run/fastpath
  rmdir "$stages"
fi
for s in ${FP_SERVER_SOCKS:-}; do rm -f "/run/fastpath/$s"; done
if [ -z "${FP_HUGE_DIR:-}" ] && [ "${FP_HUGE_MB:-0}" -gt 0 ]; then
  mount -t hugetlbfs -o pagesize=2M,size="${FP_HUGE_MB}M" fp-huge /dev/hugepages
fi
# The CNF image's entrypoint runs the command, as in the image: it removes
# the socket of every server=1 vdev in the arguments first.
FP_SERVER_SOCKS= exec "$(dirname "$0")/../../../deploy/images/cnf-entrypoint.sh" "$@"
