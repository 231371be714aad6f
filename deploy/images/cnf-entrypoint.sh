#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A container serving a vhost-user socket (virtio_user server=1, a fastpath
# client-mode port) that crashed leaves the file behind, and virtio_user then
# refuses to bind: remove the sockets named in FP_SERVER_SOCKS first.
set -eu
for s in ${FP_SERVER_SOCKS:-}; do rm -f "$s"; done
exec "$@"
