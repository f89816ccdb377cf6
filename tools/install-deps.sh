#!/bin/sh
# Installs every Debian package OpenSeat needs to build, run and test.
# Idempotent: installs only what is missing; a no-op on a ready machine.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libre-dev librem-dev libssl-dev zlib1g-dev
libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
libpq-dev libjansson-dev libjwt-dev libsodium-dev
libmp3lame-dev libopus-dev libspeexdsp-dev libmpg123-dev libsndfile1-dev
libarchive-dev
libcmocka-dev
postgresql-15 postgresql-client-15
sip-tester wrk sox espeak-ng mpg123
chromium firefox-esr fonts-wqy-microhei openssl ca-certificates procps"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

# node may come from elsewhere (it bundles npm): only ask Debian if absent.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
