#!/usr/bin/env bash
# Benchmarks against the real harness; each result is reported beside a
# reference measured in the same run (Kafka's own tools on the same broker).
# Usage: npm run bench [-- producer|consumer|e2e ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
exec node --disable-warning=TimeoutNegativeWarning scripts/bench/dist/src/main.js "$@"
