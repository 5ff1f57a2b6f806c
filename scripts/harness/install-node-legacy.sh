#!/usr/bin/env bash
# An end-of-life Node.js (LEGACY_NODE_VERSION, from the npm registry's `node`
# package) for the test that every bin refuses it with one clear line.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/node-legacy/$LEGACY_NODE_VERSION"
if done_marker "$dest"; then echo "$dest"; exit 0; fi
rm -rf "$dest"
npm install --silent --no-save --no-audit --no-fund --prefix "$dest" "node@$LEGACY_NODE_VERSION"
"$dest/node_modules/node/bin/node" --version >&2
mark_done "$dest"
echo "$dest"
