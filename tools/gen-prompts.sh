#!/bin/sh
# Generate the built-in prompts from config/prompts.tsv, reproducibly:
# espeak-ng with a fixed voice, speed and pitch, then sox (no dither) to
# the engine format, 8 kHz mono 16-bit WAV.
#   tools/gen-prompts.sh OUTDIR [TSV]
set -eu
cd "$(dirname "$0")/.."
OUT=${1:?usage: tools/gen-prompts.sh OUTDIR [TSV]}
TSV=${2:-config/prompts.tsv}
RATE=8000        # MEDIA_SRATE in media/mconf.h
SPEED=150        # words per minute
PITCH=50

for t in espeak-ng sox; do
	command -v $t >/dev/null 2>&1 || {
		echo "gen-prompts: $t is missing (run make deps)" >&2
		exit 1
	}
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/openseat-prompts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$TMP/zh-CN" "$TMP/en"

# one prompt: lang voice name text
make_one() {
	dst=$TMP/$1/$3.wav
	case $4 in
	tone:*)
		hz=$(echo "$4" | cut -d: -f2)
		ms=$(echo "$4" | cut -d: -f3)
		sox -D -n -r $RATE -c 1 -b 16 "$dst" \
			synth "$(awk "BEGIN{printf \"%.3f\", $ms/1000}")" \
			sine "$hz" vol 0.5
		;;
	*)
		espeak-ng -v "$2" -s $SPEED -p $PITCH -a 150 \
			-w "$TMP/raw.wav" -- "$4"
		# trim leading and trailing silence, 8 kHz mono, peak -1 dBFS
		sox -D "$TMP/raw.wav" -r $RATE -c 1 -b 16 "$dst" \
			silence 1 0.02 0.1% reverse silence 1 0.02 0.1% \
			reverse norm -1 rate -h $RATE
		;;
	esac
}

n=0
# shellcheck disable=SC2034
while IFS='	' read -r name zh en rest; do
	case $name in ''|'#'*) continue ;; esac
	if ! echo "$name" | grep -Eq '^[a-z0-9_]{1,64}$' || [ -z "$zh" ] ||
	   [ -z "$en" ]; then
		echo "gen-prompts: $TSV: bad line for '$name'" >&2
		exit 1
	fi
	make_one zh-CN cmn "$name" "$zh"
	make_one en en "$name" "$en"
	n=$((n + 1))
done <"$TSV"

mkdir -p "$OUT"
rm -rf "$OUT/zh-CN" "$OUT/en"
mv "$TMP/zh-CN" "$TMP/en" "$OUT/"
echo "gen-prompts: $n prompts in zh-CN and en under $OUT"
