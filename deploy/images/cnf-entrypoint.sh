#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A container serving a vhost-user socket (virtio_user server=1, a fastpath
# client-mode port, the default) that crashed leaves the file behind, and
# virtio_user then refuses to bind. Before the application starts, remove
# the socket of every virtio_user vdev in the arguments that has server=1
# (and any named in FP_SERVER_SOCKS). Safe: the port directory is this
# container's alone, so a socket there can only be its predecessor's.
set -eu
for s in ${FP_SERVER_SOCKS:-}; do rm -f "$s"; done
for a in "$@"; do
  case "$a" in
    --vdev=net_virtio_user*server=1*|net_virtio_user*server=1*)
      p=$(printf '%s\n' "$a" | tr ',' '\n' | sed -n 's/^path=//p')
      if [ -n "$p" ] && [ -S "$p" ]; then rm -f "$p"; fi ;;
  esac
done
exec "$@"
