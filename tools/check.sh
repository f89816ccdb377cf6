#!/bin/sh
# What `make check` runs after the ASan/UBSan build: unit tests (cmocka)
# against a throwaway PostgreSQL, then the integration and browser suites
# (node's test runner) against the real server. Ends with "N passed, N failed".
# usage: tools/check.sh BUILD_DIR
set -eu
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build/asan}")
TMP=$(mktemp -d /tmp/openseat-check.XXXXXX)
chmod 755 "$TMP"
PG=$TMP/pg
pass=0
fail=0

cleanup() {
	./tools/pg-local stop "$PG" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== PostgreSQL for the unit tests"
./tools/pg-local start "$PG" 5433 >"$TMP/pg.log" 2>&1 || {
	cat "$TMP/pg.log"
	exit 1
}
export OPENSEAT_TEST_DB_ADMIN="$(./tools/pg-local admin-url "$PG" 5433)"
export OPENSEAT_TEST_DB="$(./tools/pg-local url "$PG" 5433)"
export OPENSEAT_PG_LOCAL=$(pwd)/tools/pg-local

echo "== unit tests (cmocka, ASan/UBSan)"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$TMP/$(basename "$t").tap
	rc=0
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>"$out.err" || rc=$?
	ok=$(grep -c '^ok ' "$out" || true)
	nok=$(grep -c '^not ok ' "$out" || true)
	if [ "$rc" != 0 ] && [ "$nok" = 0 ]; then
		nok=1    # crashed or sanitizer report outside any test
	fi
	pass=$((pass + ok))
	fail=$((fail + nok))
	printf '%-28s %3d passed, %d failed\n' "$(basename "$t")" "$ok" "$nok"
	if [ "$nok" != 0 ]; then
		grep -v '^ok ' "$out" | tail -30
		tail -40 "$out.err"
	fi
done
./tools/pg-local stop "$PG" >/dev/null 2>&1 || true

echo "== integration and browser tests (node --test)"
if [ ! -d tests/node_modules ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
export OPENSEAT_BIN=$BUILD/openseat
files=$(ls tests/integration/*.test.mjs tests/e2e/*.test.mjs 2>/dev/null \
	|| true)
if [ -n "$files" ]; then
	rc=0
	# shellcheck disable=SC2086
	node --test --test-concurrency=1 \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$TMP/node.tap" \
		$files || rc=$?
	np=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TMP/node.tap" | tail -1)
	nf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TMP/node.tap" | tail -1)
	np=${np:-0}
	nf=${nf:-0}
	if [ "$rc" != 0 ] && [ "$nf" = 0 ]; then
		nf=1     # the runner itself failed
	fi
	pass=$((pass + np))
	fail=$((fail + nf))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
