#!/usr/bin/env bash
# Runs every test against the real harness. On a fresh machine this does all
# set-up: Node 24, npm dependencies, Kafka, etcd, kube-apiserver, kubectl,
# helm, Prometheus and Chromium, all cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
exec node scripts/harness/bin/tickerflow-harness.js "$@"
