#!/bin/sh
# Benchmarks of the foundation: HTTP API throughput/latency and WebSocket
# broadcast. Usage: bench/run.sh [path/to/openseat]  (default: release build)
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/release/openseat}
[ -x "$BIN" ] || make -j2 build
[ -d tests/node_modules ] || (cd tests && npm ci --no-audit --no-fund)
command -v wrk >/dev/null || ./tools/install-deps.sh
exec node bench/foundation.mjs "$BIN"
