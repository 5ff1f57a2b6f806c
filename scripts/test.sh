#!/usr/bin/env bash
# Runs every test against the real harness. On a fresh machine this does all
# set-up: Node 24, npm dependencies, Kafka, etcd, kube-apiserver, kubectl,
# helm, Prometheus and Chromium, all cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
# Lint first: undeclared imports, type-aware rules and formatting fail the run in seconds.
npm run --silent lint
exec node scripts/harness/bin/tickerflow-harness.js "$@"
