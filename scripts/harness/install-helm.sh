#!/usr/bin/env bash
# Builds Helm 3 and Helm 4 (the chart must work with both) and helm-docs (the
# chart's README is generated from values.yaml) with go install: their go.mod
# files have no local replaces.
source "$(dirname "$0")/lib.sh"
for version in "$HELM_VERSION" "$HELM4_VERSION"; do
  major="${version%%.*}"
  go_install helm "$version" -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$version" \
    -- "helm.sh/helm/$major/cmd/helm"
done
go_install helm-docs "$HELM_DOCS_VERSION" -ldflags "-s -w -X main.version=$HELM_DOCS_VERSION" \
  -- github.com/norwoodj/helm-docs/cmd/helm-docs
