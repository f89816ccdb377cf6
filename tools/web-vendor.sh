#!/bin/sh
# Copy the browser libraries pinned in web/package.json from
# web/node_modules to web/vendor. Idempotent; with none pinned it only
# makes sure web/vendor exists.
set -eu

cd "$(dirname "$0")/../web"
mkdir -p vendor

[ -f package.json ] || exit 0

deps=$(node -e '
	const p = require("./package.json");
	console.log(Object.keys(p.dependencies || {}).join("\n"));
')
[ -n "$deps" ] || exit 0

# Install only when a listed package is missing or the lock file changed.
need=0
for d in $deps; do
	[ -f "node_modules/$d/package.json" ] || need=1
done
if [ -f package-lock.json ] && [ -f node_modules/.package-lock.json ] &&
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
	need=1
fi
if [ "$need" = 1 ]; then
	if [ -f package-lock.json ]; then
		npm ci --omit=dev --no-audit --no-fund --loglevel=error
	else
		npm install --omit=dev --no-audit --no-fund --loglevel=error
	fi
fi

# Each package's published files go to vendor/<name>/ unchanged; copy
# only when something differs so repeated runs touch nothing.
for d in $deps; do
	mkdir -p "vendor/$d"
	if ! diff -rq "node_modules/$d" "vendor/$d" >/dev/null 2>&1; then
		rm -rf "vendor/$d"
		mkdir -p "vendor/$d"
		cp -R "node_modules/$d/." "vendor/$d/"
	fi
done
