#!/usr/bin/env bash
# The kubelet runs its pods under the cgroup root "kubelet" (kubelet.slice with
# the systemd driver). On cgroup v1 systemd leaves some hierarchies (cpuset)
# alone, so the slice is made in each one, cpuset with its parent's cpus and mems.
set -euo pipefail
[ -f /sys/fs/cgroup/cgroup.controllers ] && exit 0
awk '$3 == "cgroup" {print $2 "/"}' /proc/self/mounts | while read -r hierarchy; do
  for name in kubelet kubelet.slice; do
    mkdir -p "$hierarchy$name"
    if [ -f "$hierarchy/cpuset.cpus" ]; then
      cat "$hierarchy/cpuset.cpus" >"$hierarchy$name/cpuset.cpus"
      cat "$hierarchy/cpuset.mems" >"$hierarchy$name/cpuset.mems"
    fi
  done
done
