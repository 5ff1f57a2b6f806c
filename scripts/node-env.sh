# Source this to put Node.js >= 22 on PATH. Where the machine's Node is older,
# Node 24 LTS is bootstrapped from the npm registry (the `node` package ships
# the binary) into the cache outside the clone. The machine's npm then runs on it.
TICKERFLOW_NODE_VERSION="${TICKERFLOW_NODE_VERSION:-24.21.0}"
_tf_node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_tf_node_major)" -lt 22 ]; then
  _tf_node_dir="${TICKERFLOW_CACHE:-$HOME/.cache/tickerflow}/node/$TICKERFLOW_NODE_VERSION"
  if [ ! -x "$_tf_node_dir/node_modules/node/bin/node" ]; then
    echo "[node-env] installing Node.js $TICKERFLOW_NODE_VERSION from the npm registry" >&2
    npm install --silent --no-save --no-audit --no-fund --prefix "$_tf_node_dir" "node@$TICKERFLOW_NODE_VERSION" >&2
  fi
  export PATH="$_tf_node_dir/node_modules/node/bin:$PATH"
  unset _tf_node_dir
fi
unset -f _tf_node_major
