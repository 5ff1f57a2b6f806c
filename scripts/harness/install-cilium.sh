#!/usr/bin/env bash
# Builds Cilium CILIUM_VERSION, the kind cluster's CNI and NetworkPolicy
# enforcer, from the Go module proxy: the only enforcer the proxy serves here
# (see scripts/harness/cilium/README.md). Stages the image's root filesystem
# (rootfs/) and Cilium's Helm chart (chart/) from the module source; the agent
# compiles its BPF datapath at run time, so the BPF C sources go in too.
source "$(dirname "$0")/lib.sh"
module="$(cd "$(dirname "$0")" && pwd)/cilium"
dest="$TICKERFLOW_CACHE/cilium/$CILIUM_VERSION"
done_marker "$dest" && exit 0
grep -q "^require github.com/cilium/cilium $CILIUM_VERSION\$" "$module/go.mod" \
  || { log "CILIUM_VERSION=$CILIUM_VERSION differs from $module/go.mod"; exit 1; }
log "building Cilium $CILIUM_VERSION (cold build takes about 10 minutes)"
rm -rf "$dest" && mkdir -p "$dest"
rootfs="$dest/rootfs"
cd "$module"
go mod download github.com/cilium/cilium
src=$(go list -m -f '{{.Dir}}' github.com/cilium/cilium)
# pkg/version reads "VERSION REVISION DATE".
ldflags="-s -w -X 'github.com/cilium/cilium/pkg/version.ciliumVersion=${CILIUM_VERSION#v} $CILIUM_VERSION 1970-01-01T00:00:00Z'"
mkdir -p "$rootfs/usr/bin" "$rootfs/opt/cni/bin" "$rootfs/var/lib/cilium"
build() { # OUT PACKAGE [EXTRA_TAGS]
  go build -trimpath -tags "osusergo${3:+,$3}" -ldflags "$ldflags" -o "$1" "github.com/cilium/cilium/$2"
}
build "$rootfs/usr/bin/cilium-agent" daemon
build "$rootfs/usr/bin/cilium-dbg" cilium-dbg
build "$rootfs/usr/bin/cilium-operator-generic" operator ipam_provider_operator
build "$rootfs/usr/bin/cilium-mount" tools/mount
build "$rootfs/usr/bin/cilium-sysctlfix" tools/sysctlfix
build "$rootfs/opt/cni/bin/cilium-cni" plugins/cilium-cni
# The BPF C sources, as the Makefile's install-bpf lays them out.
cp -r "$src/bpf" "$rootfs/var/lib/cilium/bpf"
(cd "$rootfs/var/lib/cilium/bpf" && rm -rf tests complexity-tests custom Makefile Makefile.bpf .gitignore)
install -m 0755 "$src/images/cilium/init-container.sh" "$src/plugins/cilium-cni/install-plugin.sh" \
  "$src/plugins/cilium-cni/cni-uninstall.sh" "$rootfs/"
cp -r "$src/install/kubernetes/cilium" "$dest/chart"
chmod -R u+w "$dest"
mark_done "$dest"
