#!/usr/bin/env bash
# The main job: a local Kafka, finnhub-sim and the pipeline on this machine.
# Needs no Kafka or cluster of yours: the Kafka jars are fetched and cached.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/harness/install-kafka.sh >/dev/null
npx tsc -b
exec node scripts/demo/bin/tickerflow-demo.js
