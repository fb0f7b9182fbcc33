#!/usr/bin/env bash
# The cross-implementation MCP test (tests/mcp/test_mcp_node.py) drives the server with a client
# on the official TypeScript SDK: Debian's Node.js and npm (installed if missing), and the SDK
# from the npm registry at the version tests/mcp/node/package-lock.json pins (node_modules is
# not committed; `npm ci` puts it back). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[ensure-node] $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "node/npm missing and not root: sudo apt-get install nodejs npm"
    exit 1
  fi
  log "installing nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

dir=tests/mcp/node
stamp=$dir/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
  log "npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
log "node $(node --version), $(cd "$dir" && node -p 'require("./node_modules/@modelcontextprotocol/sdk/package.json").version' 2>/dev/null || echo '?') SDK"
