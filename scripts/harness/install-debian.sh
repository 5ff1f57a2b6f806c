#!/usr/bin/env bash
# Prometheus, promtool and Chromium from Debian's packages (no daemon is started).
source "$(dirname "$0")/lib.sh"
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
log "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package enables a daemon on systemd machines; the harness runs its own.
$sudo systemctl disable --now prometheus 2>/dev/null || true
