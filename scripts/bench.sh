#!/usr/bin/env bash
# Benchmarks against the real harness; each result is reported beside a
# reference measured in the same run (Kafka's own tools on the same broker).
# Usage: npm run bench [-- producer]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/harness/install.sh
npx tsc -b
exec node scripts/bench/dist/src/main.js "$@"
