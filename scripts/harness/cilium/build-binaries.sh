#!/bin/bash
# Builds the Cilium 1.20.2 binaries from the Go module proxy through a wrapper
# module (this directory: go.mod, go.sum, stubs/) and stages the image's rootfs.
# usage: build-binaries.sh ROOTFS_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rootfs=${1:?rootfs dir}
export GOMODCACHE=${GOMODCACHE:-$HOME/.cache/tickerflow/go/mod} GOCACHE=${GOCACHE:-$HOME/.cache/tickerflow/go/build}
export GOFLAGS='-buildvcs=false -modcacherw' CGO_ENABLED=0 GOOS=linux GOARCH=amd64
cd "$here"
go mod download github.com/cilium/cilium
src=$(go list -m -f '{{.Dir}}' github.com/cilium/cilium)
# pkg/version.FromString wants "VERSION REVISION DATE"
ldflags='-s -w -X "github.com/cilium/cilium/pkg/version.ciliumVersion=1.20.2 v1.20.2 2026-09-15T20:03:11Z"'
mkdir -p "$rootfs/usr/bin" "$rootfs/opt/cni/bin" "$rootfs/var/lib/cilium"
build() { # OUT PKG [EXTRA_TAGS]
  local s=$(date +%s)
  nice -n 19 go build -trimpath -tags "osusergo${3:+,$3}" -ldflags "$ldflags" -o "$1" "github.com/cilium/cilium/$2"
  echo "built $(basename "$1") in $(( $(date +%s) - s ))s, $(stat -c %s "$1") bytes"
}
build "$rootfs/usr/bin/cilium-agent" daemon
build "$rootfs/usr/bin/cilium-dbg" cilium-dbg
build "$rootfs/usr/bin/cilium-operator-generic" operator ipam_provider_operator
build "$rootfs/usr/bin/cilium-mount" tools/mount
build "$rootfs/usr/bin/cilium-sysctlfix" tools/sysctlfix
build "$rootfs/usr/bin/cilium-health" cilium-health
build "$rootfs/usr/bin/cilium-health-responder" cilium-health/responder
build "$rootfs/opt/cni/bin/cilium-cni" plugins/cilium-cni
# BPF C sources, compiled by the agent at run time (Makefile install-bpf)
rm -rf "$rootfs/var/lib/cilium/bpf"
cp -r "$src/bpf" "$rootfs/var/lib/cilium/bpf"
chmod -R u+w "$rootfs/var/lib/cilium/bpf"
(cd "$rootfs/var/lib/cilium/bpf" && rm -rf tests complexity-tests custom Makefile Makefile.bpf .gitignore)
install -m 0755 "$src/images/cilium/init-container.sh" "$src/plugins/cilium-cni/install-plugin.sh" \
  "$src/plugins/cilium-cni/cni-uninstall.sh" "$rootfs/"
