#!/usr/bin/env bash
# Builds kube-apiserver and kubectl of K8S_VERSION from the Go module proxy.
# k8s.io/kubernetes replaces its staging modules with local paths, so a wrapper
# module replaces each one with its published v0.Y.Z release instead.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/k8s/$K8S_VERSION"
if done_marker "$dest"; then echo "$dest/bin"; exit 0; fi
log "building kube-apiserver and kubectl $K8S_VERSION (cold build takes many minutes)"
mkdir -p "$dest/wrapper" "$dest/bin"
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
go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION"
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
go build -trimpath -ldflags "$ldflags" -o "$dest/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
mark_done "$dest"
echo "$dest/bin"
