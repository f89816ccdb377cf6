#!/bin/sh
# Build and run the libFuzzer targets: tests/fuzz/run.sh [seconds] [target]
set -eu

cd "$(dirname "$0")/../.."
SECS=${1:-30}
TARGET=${2:-fuzz_param}
CC=${FUZZ_CC:-clang-14}
OUT=build/fuzz
CORPUS=$OUT/corpus/$TARGET

case $TARGET in
fuzz_param) SRCS="server/http/param.c" ;;
*) echo "unknown target $TARGET" >&2; exit 2 ;;
esac

RE_DEFS="-DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DLINUX"
mkdir -p "$OUT" "$CORPUS"

$CC -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined $RE_DEFS \
	$(pkg-config --cflags libre jansson) -Iserver -Imedia \
	-o "$OUT/$TARGET" "tests/fuzz/$TARGET.c" $SRCS \
	$(pkg-config --libs libre jansson)

# a few valid and invalid bodies to start from
printf '{"username":"a","role":"agent"}' > "$CORPUS/seed1"
printf '{"username":"\\u4f60\\u597d","role":"admin","seat_quota":5,' \
	> "$CORPUS/seed2"
printf '"queue_id":"3f2a0c1e-9b7d-4c55-8a1e-0123456789ab",' \
	>> "$CORPUS/seed2"
printf '"email":"a@b.cd","skills":[1],"admin":{"username":"x"}}' \
	>> "$CORPUS/seed2"
printf '[1,2,{"a":null}]' > "$CORPUS/seed3"

exec "$OUT/$TARGET" -max_total_time="$SECS" -max_len=4096 \
	-print_final_stats=1 "$CORPUS"
