#!/usr/bin/env bash
# Upstream CRDs that ../shared/crds/upstream does not carry, from their
# operators' modules on the Go module proxy, so the chart's objects of those
# kinds are validated like the Strimzi, prometheus-operator and KEDA ones.
#   $TICKERFLOW_CACHE/crds/cloudnative-pg-<version>/  CloudNativePG's Cluster CRD
source "$(dirname "$0")/lib.sh"
module=github.com/cloudnative-pg/cloudnative-pg
dest="$TICKERFLOW_CACHE/crds/cloudnative-pg-$CNPG_VERSION"
done_marker "$dest" && exit 0
log "fetching CloudNativePG $CNPG_VERSION's Cluster CRD"
# Outside any module: a plain download of the operator's source zip, nothing built.
(cd "$TICKERFLOW_CACHE" && go mod download "$module@$CNPG_VERSION")
rm -rf "$dest" && mkdir -p "$dest"
cp "$GOMODCACHE/$module@$CNPG_VERSION/config/crd/bases/postgresql.cnpg.io_clusters.yaml" "$dest/"
mark_done "$dest"
