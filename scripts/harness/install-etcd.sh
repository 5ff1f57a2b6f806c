#!/usr/bin/env bash
# Builds etcd ETCD_VERSION from the Go module proxy through a wrapper module
# (etcd's server go.mod replaces its sibling modules with local paths).
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/etcd/$ETCD_VERSION"
if done_marker "$dest"; then echo "$dest/bin"; exit 0; fi
log "building etcd $ETCD_VERSION"
mkdir -p "$dest/wrapper" "$dest/bin"
cd "$dest/wrapper"
gomod=$(go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
go_directive=$(sed -n 's/^go \(.*\)$/\1/p' "$gomod" | head -1)
{
  echo "module tickerflow.local/etcd-wrapper"
  echo
  echo "go $go_directive"
  echo
  echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  echo
  grep -E '^\s*go.etcd.io/etcd/[a-z0-9/]+ => \.\./' "$gomod" \
    | awk -v v="$ETCD_VERSION" '{print "replace " $1 " => " $1 " " v}'
} > go.mod
go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
go build -trimpath -ldflags "-s -w" -o "$dest/bin/etcd" go.etcd.io/etcd/server/v3
mark_done "$dest"
echo "$dest/bin"
