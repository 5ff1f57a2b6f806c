#!/usr/bin/env bash
# Installs every real component of the test harness, idempotently, into the
# cache outside the clone (keyed by version). Any failure fails the run: a
# missing component is never a skipped test.
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
logs="$TICKERFLOW_CACHE/logs"
mkdir -p "$logs"
started=$SECONDS

step() { # name, script: run quietly, show the log if it fails
  local name=$1 script=$2
  if ! bash "$here/$script" >"$logs/$name.log" 2>&1; then
    log "installing $name failed; last lines of $logs/$name.log:"
    tail -n 40 "$logs/$name.log" >&2
    return 1
  fi
}

# Package downloads run beside the Go builds; the Go builds share 2 cores, so they go one by one.
step debian install-debian.sh & debian=$!
step kafka install-kafka.sh && step avro install-avro.sh && step registry install-registry.sh && step node-legacy install-node-legacy.sh & kafka=$!
step etcd install-etcd.sh
step helm install-helm.sh
step crds install-crds.sh
step kubernetes install-k8s.sh
step cilium install-cilium.sh
step monitoring install-monitoring.sh
wait $debian
step kind install-kind.sh
wait $kafka
# Every image the kind cluster runs, built here (needs Docker, the Kafka jars and the Go builds above).
step images build-images.sh
log "harness installed in $((SECONDS - started)) s (cache: $TICKERFLOW_CACHE)"
