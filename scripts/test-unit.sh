#!/usr/bin/env bash
# The fast inner loop: every pure unit test (beside its module, under src/),
# with coverage, starting no component. `npm test` still runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npx tsc -b
exec node --test --experimental-test-coverage --test-coverage-exclude='**/*.test.js' --test-coverage-exclude='scripts/**' \
  'services/*/dist/src/**/*.test.js' 'services/*/dist/src/*.test.js'
