#!/usr/bin/env bash
# The kind tests (the cluster's smoke test and the Helm chart end to end:
# install, TickerSubscription → candles → the page, upgrade, leader handover,
# RBAC, uninstall) against the public images, for a machine with
# Docker and internet: kind's own node image (kindest/node), the Dockerfile's
# default base node:24-bookworm-slim, Kafka on eclipse-temurin:17-jre and
# PostgreSQL 15 on debian:bookworm-slim.
# The tests are the ones `npm test` runs on the locally built cluster.
# Uses kind from PATH when present (KIND_BIN overrides); the harness's Kafka
# jars, etcd, kube-apiserver and kubectl are installed as for `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
[ -d node_modules ] || npm ci
for part in kafka etcd k8s helm; do bash "scripts/harness/install-$part.sh" >/dev/null; done
export KIND_BIN="${KIND_BIN:-$(command -v kind || true)}"
[ -n "$KIND_BIN" ] || { bash scripts/harness/install-kind.sh; unset KIND_BIN; }
npx tsc -b
TICKERFLOW_KIND_IMAGES=public exec node scripts/harness/bin/tickerflow-harness.js \
  scripts/harness/dist/test/kind.smoke.kind.test.js test/chart/dist/test/chart.kind.test.js
