# Shared settings for the harness installers. Everything heavy is cached
# outside the clone, keyed by version, so repeated runs are fast.
set -euo pipefail
TICKERFLOW_CACHE="${TICKERFLOW_CACHE:-$HOME/.cache/tickerflow}"
export TICKERFLOW_CACHE
export GOMODCACHE="${GOMODCACHE:-$TICKERFLOW_CACHE/go/mod}"
export GOCACHE="${GOCACHE:-$TICKERFLOW_CACHE/go/build}"
export GOFLAGS="-buildvcs=false -modcacherw"
export CGO_ENABLED=0

NODE_VERSION="${NODE_VERSION:-24}"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
AVRO_VERSION="${AVRO_VERSION:-1.12.1}"

log() { printf '[harness] %s\n' "$*" >&2; }

# Run a step at most once per cache key: the marker is written only on success.
done_marker() { [ -f "$1/.complete" ]; }
mark_done() { touch "$1/.complete"; }
