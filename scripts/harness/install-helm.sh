#!/usr/bin/env bash
# Builds helm HELM_VERSION with go install (helm's go.mod has no local replaces).
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/helm/$HELM_VERSION"
if done_marker "$dest"; then echo "$dest/bin"; exit 0; fi
log "building helm $HELM_VERSION"
mkdir -p "$dest/bin"
major="${HELM_VERSION%%.*}"
GOBIN="$dest/bin" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
mark_done "$dest"
echo "$dest/bin"
