#!/usr/bin/env bash
# kind and the Go-built parts of its node image, from the Go module proxy:
# containerd 2.x, runc, CNI plugins, CoreDNS and the local-path storage provisioner.
source "$(dirname "$0")/lib.sh"
go_install kind "$KIND_VERSION" -ldflags "-s -w" -- sigs.k8s.io/kind
go_install containerd "$CONTAINERD_VERSION" -ldflags "-s -w" -tags "no_btrfs no_devmapper no_zfs" -- \
  github.com/containerd/containerd/v2/cmd/{containerd,containerd-shim-runc-v2,ctr}
# runc needs cgo for seccomp (Debian's libseccomp-dev); the node image has libseccomp2.
CGO_ENABLED=1 go_install runc "$RUNC_VERSION" -ldflags "-s -w" -tags seccomp -- github.com/opencontainers/runc
go_install cni-plugins "$CNI_PLUGINS_VERSION" -ldflags "-s -w" -- \
  github.com/containernetworking/plugins/plugins/{main/bridge,main/loopback,main/ptp,ipam/host-local,meta/portmap}
go_install coredns "$COREDNS_VERSION" -ldflags "-s -w" -- github.com/coredns/coredns
go_install local-path-provisioner "$LOCAL_PATH_VERSION" -ldflags "-s -w" -- github.com/rancher/local-path-provisioner
