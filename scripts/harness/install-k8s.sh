#!/usr/bin/env bash
# Builds Kubernetes K8S_VERSION from the Go module proxy: kube-apiserver and
# kubectl for the harness control plane (bin/), and the kind node's kubelet,
# kubeadm and control-plane components (node/).
# k8s.io/kubernetes replaces its staging modules with local paths, so a wrapper
# module replaces each one with its published v0.Y.Z release instead.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/k8s/$K8S_VERSION"
node_pkgs=(k8s.io/kubernetes/cmd/{kubelet,kubeadm,kube-controller-manager,kube-scheduler,kube-proxy})
if done_marker "$dest" && done_marker "$dest/node"; then echo "$dest/bin"; exit 0; fi
log "building Kubernetes $K8S_VERSION (cold build takes many minutes)"
mkdir -p "$dest/wrapper" "$dest/bin" "$dest/node"
cd "$dest/wrapper"
staging_version="v0.${K8S_VERSION#v1.}"
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
go_directive=$(sed -n 's/^go \(.*\)$/\1/p' "$gomod" | head -1)
{
  echo "module tickerflow.local/k8s-wrapper"
  echo
  echo "go $go_directive"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$gomod" \
    | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
} > go.mod
go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION" \
  "${node_pkgs[@]/%/@$K8S_VERSION}"
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
if ! done_marker "$dest"; then
  go build -trimpath -ldflags "$ldflags" -o "$dest/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  mark_done "$dest"
fi
go build -trimpath -ldflags "$ldflags" -o "$dest/node/" "${node_pkgs[@]}"
mark_done "$dest/node"
echo "$dest/bin"
