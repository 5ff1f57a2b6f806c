# Sourced by build-images.sh: the kind node image, its base from images/kind-node,
# then every image in node_images preloaded into its containerd and Cilium as its
# default CNI. Its tag hashes this file (not build-images.sh), so images the node
# does not hold can be added to build-images.sh without rebuilding the node.
if ! have "$kind_node"; then
  base="$kind_node-base"
  ctx="$staging/kind-node"
  mkdir -p "$ctx/bin/cni"
  cp -r "$recipes/kind-node/." "$ctx/"
  # kind applies /kind/manifests/default-cni.yaml at cluster creation: Cilium, rendered from its chart.
  "$TICKERFLOW_CACHE/helm/$HELM_VERSION/bin/helm" template cilium "$TICKERFLOW_CACHE/cilium/$CILIUM_VERSION/chart" \
    --namespace kube-system --kube-version "$K8S_VERSION" -f "$cilium_values" \
    --set "image.override=$cilium" --set "operator.image.override=$cilium" >"$ctx/files/kind/manifests/default-cni.yaml"
  cp "$TICKERFLOW_CACHE/containerd/$CONTAINERD_VERSION/bin/"* "$TICKERFLOW_CACHE/runc/$RUNC_VERSION/bin/runc" \
    "$k8s/node/kubelet" "$k8s/node/kubeadm" "$k8s/bin/kubectl" "$ctx/bin/"
  cp "$TICKERFLOW_CACHE/cni-plugins/$CNI_PLUGINS_VERSION/bin/"* "$ctx/bin/cni/"
  printf '%s' "$K8S_VERSION" >"$ctx/files/kind/version"
  sed -i "s|@PAUSE_IMAGE@|$pause|g; s|@HELPER_IMAGE@|$helper|g; s|@LOCAL_PATH_IMAGE@|$local_path|g" \
    "$ctx/files/etc/containerd/config.toml" "$ctx/files/kind/manifests/"*.yaml
  build "$base" "$ctx" --build-arg "DEBIAN_IMAGE=$debian"
  log "preloading images into $kind_node"
  cid=$(docker run -d --entrypoint sleep --security-opt seccomp=unconfined "$base" infinity)
  docker exec "$cid" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker exec "$cid" ctr version >/dev/null 2>&1 && break; sleep 0.5; done
  for image in "${node_images[@]}"; do
    docker save "$image" | docker exec -i "$cid" ctr --namespace=k8s.io images import \
      --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - >/dev/null
  done
  docker exec "$cid" ctr --namespace=k8s.io images list -q | grep "^$repo/" | sort >"$staging/preloaded"
  docker exec "$cid" pkill containerd
  for _ in $(seq 1 20); do docker exec "$cid" pgrep -x containerd >/dev/null || break; sleep 0.5; done
  docker exec "$cid" rm -f /tmp/containerd.log
  docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' "$cid" "$kind_node" >/dev/null
  docker rm -f -v "$cid" >/dev/null
  docker rmi "$base" >/dev/null
  log "$kind_node holds: $(tr '\n' ' ' <"$staging/preloaded")"
fi
