#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes this host ready to build, test and run fastpath, from a fresh Debian
# 12 with only Node 20, git and a compiler. Idempotent and quick when done:
#   - Debian packages: DPDK 22.11 (runtime, headers, dpdk-testpmd), build
#     tools, libxdp/libbpf (the AF_XDP uplink driver), util-linux (unshare),
#     coreutils (stdbuf), iproute2, tcpdump (the overlay test captures VXLAN)
#   - 2 MiB hugepages: a pool of FP_HUGEPAGES (default 1024) mounted on
#     /dev/hugepages
#   - npm dependencies (npm ci) when node_modules is missing or stale
#   - the native addon, rebuilt when missing or older than its sources
#   - src/ compiled to .dist/ (plain JS the daemon, fpctl and the CNI plugin run)
#   - with --images (npm test): podman, runc, containernetworking-plugins
#     (podman's CNI backend, test/e2e/podman-cni.test.ts) and debootstrap, podman's
#     /etc/containers/containers.conf (deploy/podman/), and the container
#     images (deploy/images/build.sh: kept when their inputs are unchanged)
# Under CI=true the package step always runs (apt-get update included), so a
# warmed machine cannot hide a missing package.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '[prepare] %s\n' "$*" >&2; }
images=0
for a in "$@"; do
  case "$a" in --images) images=1 ;; *) log "unknown option $a"; exit 2 ;; esac
done

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (DPDK needs hugepages, namespaces and mounts)"; exit 1
fi

PKGS=(dpdk dpdk-dev libdpdk-dev libxdp-dev libbpf-dev pkg-config cmake make g++ util-linux coreutils iproute2 iputils-ping procps tcpdump)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${CI:-}" = "true" ] || [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]:-(CI: verifying all)}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
fi
command -v dpdk-testpmd >/dev/null || { log "dpdk-testpmd missing after install"; exit 1; }

want=${FP_HUGEPAGES:-1024}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
  log "reserving $want 2 MiB hugepages (had $have)"
  echo "$want" > /proc/sys/vm/nr_hugepages
  have=$(cat /proc/sys/vm/nr_hugepages)
  [ "$have" -ge "$want" ] || log "warning: kernel gave only $have hugepages"
fi
mkdir -p /dev/hugepages
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
  log "mounting hugetlbfs on /dev/hugepages"
  mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash deploy/host/build-native.sh --if-stale
bash deploy/host/build-js.sh --if-stale

if [ "$images" = 1 ]; then
  CPKGS=(podman runc netavark containernetworking-plugins debootstrap)
  missing=()
  for p in "${CPKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${CI:-}" = "true" ] || [ ${#missing[@]} -gt 0 ]; then
    log "installing container packages: ${missing[*]:-(CI: verifying all)}"
    export DEBIAN_FRONTEND=noninteractive
    [ ${#missing[@]} -gt 0 ] && apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${CPKGS[@]}" >/dev/null
  fi
  # Ours to replace while it carries our marker (or under CI); an
  # administrator's own file is left alone, with a warning.
  conf=/etc/containers/containers.conf
  if ! cmp -s deploy/podman/containers.conf "$conf"; then
    if [ ! -e "$conf" ] || grep -q 'fastpath-managed' "$conf" || [ "${CI:-}" = "true" ]; then
      log "writing $conf (runc, cgroupfs, file events, explicit ulimits)"
      install -D -m 0644 deploy/podman/containers.conf "$conf"
    else
      log "warning: $conf is not fastpath's; podman may fail here (see deploy/podman/containers.conf)"
    fi
  fi
  bash deploy/images/build.sh
fi
