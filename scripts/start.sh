#!/usr/bin/env bash
# The main job: the simulator, the pipeline and the live page on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npx tsc -b
echo "tickerflow: the local demo (finnhub-sim -> producer -> Kafka -> candles -> live page) arrives with the data-plane issues; the test harness is ready: npm test" >&2
