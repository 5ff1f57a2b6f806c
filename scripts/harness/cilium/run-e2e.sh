#!/bin/bash
# End-to-end: image -> kind cluster (no default CNI) -> cilium from the chart ->
# deny-all-ingress NetworkPolicy test -> delete cluster.
# usage: run-e2e.sh ROOTFS_DIR   (ROOTFS_DIR staged by build-binaries.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rootfs=$(cd "${1:?rootfs}" && pwd)
name=${CLUSTER:-cilium-try}
work=$(mktemp -d)
export DOCKER_HOST=${DOCKER_HOST:-$(bash /work/main/scripts/harness/docker/daemon.sh up)}
kind=$(ls ~/.cache/tickerflow/kind/*/bin/kind | tail -1)
helm=$(ls ~/.cache/tickerflow/helm/v3*/bin/helm | tail -1)
export K=$(ls ~/.cache/tickerflow/k8s/*/bin/kubectl | tail -1) KUBECONFIG=$work/kubeconfig
tags=$(bash /work/main/scripts/harness/build-images.sh --print-tags)
tag() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$tags" "$1"; }
t() { echo "[$(date +%T)] $*"; }

t "docker build"
mkdir -p "$work/ctx" && cp "$here/Dockerfile" "$work/ctx/" && cp -a "$rootfs" "$work/ctx/rootfs"
DOCKER_BUILDKIT=0 docker build -q --build-arg DEBIAN_IMAGE="$(tag debian)" -t tickerflow.local/cilium:v1.20.2 "$work/ctx"
docker images tickerflow.local/cilium:v1.20.2 --format 'image size {{.Size}}'

t "kind create cluster"
"$kind" create cluster --name "$name" --image "$(tag kindNode)" --config "$here/kind.yaml" --kubeconfig "$KUBECONFIG"
t "kind load"
"$kind" load docker-image --name "$name" tickerflow.local/cilium:v1.20.2 "$(tag node)"

t "install cilium"
chart=$(cd "$here" && go list -m -f '{{.Dir}}' github.com/cilium/cilium)/install/kubernetes/cilium
"$helm" template cilium "$chart" --namespace kube-system --kube-version 1.36.3 -f "$here/values.yaml" > "$work/cilium.yaml"
"$K" apply -f "$work/cilium.yaml" >/dev/null
"$K" -n kube-system rollout status ds/cilium --timeout=300s
"$K" -n kube-system rollout status deploy/cilium-operator --timeout=300s
"$K" wait --for=condition=Ready node --all --timeout=120s
"$K" -n kube-system rollout status deploy/coredns --timeout=120s
t "cilium ready"

sed "s|tickerflow.local/node:24.21.0-99a908b5e3|$(tag node)|" "$here/np-test.yaml" | "$K" apply -f - >/dev/null
"$K" -n np-test wait --for=condition=Ready pod/server pod/client --timeout=120s >/dev/null
ip=$("$K" -n np-test get pod server -o jsonpath='{.status.podIP}')
probe() { "$here/np-probe.sh" "$1"; }
before_ip=$(probe "http://$ip:8080/"); before_svc=$(probe http://server.np-test.svc/)
"$K" apply -f "$here/np-deny.yaml" >/dev/null; sleep 3
deny_ip=$(probe "http://$ip:8080/"); deny_svc=$(probe http://server.np-test.svc/)
"$K" apply -f "$here/np-allow-client.yaml" >/dev/null; sleep 3
allow_ip=$(probe "http://$ip:8080/")
echo "no policy:        pod-IP: $before_ip | service: $before_svc"
echo "deny-all-ingress: pod-IP: $deny_ip | service: $deny_svc"
echo "+ allow app=client: pod-IP: $allow_ip"
ok=0
[[ $before_ip == OK* && $before_svc == OK* && $deny_ip == FAIL* && $deny_svc == FAIL* && $allow_ip == OK* ]] && ok=1
t "result: $([[ $ok == 1 ]] && echo PASS || echo FAIL)"
if [[ -z ${KEEP:-} ]]; then "$kind" delete cluster --name "$name"; fi
[[ $ok == 1 ]]
