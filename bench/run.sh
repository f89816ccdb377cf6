#!/bin/sh
# Benchmarks: the foundation (HTTP API throughput/latency, WebSocket
# broadcast) and telephony (call setup rate, concurrent calls with media).
# Usage: bench/run.sh [path/to/openseat]  (default: release build)
# BENCH=foundation, BENCH=telephony or BENCH=acd (the routing core, in
# process: make bench-acd) or BENCH=acd-calls (the ACD end to end
# with sipp and 100 agents' phones: bench/acd.mjs) or BENCH=softphone
# (the browser softphone with 200 consoles: bench/softphone.mjs) or
# BENCH=console-events (an agent's state change to 200 supervisors'
# wallboards: bench/console_events.mjs) or BENCH=recording-calls (hang-up
# to recording.ready end to end: bench/recording_calls.mjs) or
# BENCH=screen-pop (offer -> customer data at the console, OpenSeat's
# customers and a local CRM: bench/screen_pop.mjs) or
# BENCH=customer-lookup (GET /customers/lookup among 1,000,000
# customers, and the same SQL alone: bench/customer_lookup.mjs) or
# BENCH=webhooks (deliveries/s to a local receiver: bench/webhooks.mjs)
# or BENCH=customer-import (CSV rows/s, BENCH_IMPORT_ROWS rows:
# bench/customer_import.mjs) runs one; the recording encoder in process
# is make bench-recording, callers on hold music in process is make
# bench-hold.
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/release/openseat}
[ -x "$BIN" ] || make -j2 build
[ -d tests/node_modules ] || (cd tests && npm ci --no-audit --no-fund)
for t in wrk sipp sox; do
	command -v $t >/dev/null || ./tools/install-deps.sh
done
case ${BENCH:-all} in
all|foundation) node bench/foundation.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|telephony) node bench/telephony.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|acd) make --no-print-directory bench-acd ;;
esac
case ${BENCH:-all} in
all|acd-calls) node bench/acd.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|softphone) node bench/softphone.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|console-events) node bench/console_events.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|recording-calls) node bench/recording_calls.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|screen-pop) node bench/screen_pop.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|customer-lookup) node bench/customer_lookup.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|webhooks) node bench/webhooks.mjs "$BIN" ;;
esac
case ${BENCH:-all} in
all|customer-import) node bench/customer_import.mjs "$BIN" ;;
esac
