#!/usr/bin/env bash
# Prometheus, promtool, Chromium and PostgreSQL from Debian's packages (no daemon is started);
# for the kind cluster: Docker (docker.io), debootstrap, jq, and libseccomp-dev
# with pkg-config to build runc.
source "$(dirname "$0")/lib.sh"
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql) # the sink's database; the harness starts its own
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v jq >/dev/null || need+=(jq)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -f /usr/include/seccomp.h ] || need+=(libseccomp-dev)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev) # the static pause binary
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
log "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packages enable daemons on systemd machines; the harness runs its own.
$sudo systemctl disable --now prometheus postgresql 2>/dev/null || true
if [[ " ${need[*]} " == *" docker.io "* ]]; then $sudo systemctl disable --now docker.socket docker containerd 2>/dev/null || true; fi
