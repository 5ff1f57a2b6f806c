# Sourced by test.sh and bench.sh: Node on PATH, dependencies, the harness, a build.
source scripts/node-env.sh
[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/harness/install.sh
npx tsc -b
