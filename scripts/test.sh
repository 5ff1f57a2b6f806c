#!/usr/bin/env bash
# Runs every test against the real harness. On a fresh machine this does all
# set-up: Node 24, npm dependencies, Kafka, etcd, kube-apiserver, kubectl,
# helm, Prometheus and Chromium, all cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/harness/install.sh
npx tsc -b
exec node scripts/harness/bin/tickerflow-harness.js "$@"
