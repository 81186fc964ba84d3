#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sync benchmark (prints figures; asserts no times):
#   build-aux/bench-sync.sh [BUILD_DIR] [replicate|latency|nochange|couchdb|attachments]
# Needs a built tree and the npm packages of tests/interop
# (npm ci --prefix tests/interop). The couchdb mode starts Apache CouchDB
# nodes from MERIDIAN_COUCHDB_DIR (default: shared/couchdb beside the
# source tree) on free loopback ports, and stops them when it ends.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
export MERIDIAN_BIN="$build/src/meridian"

if [ ! -x "$MERIDIAN_BIN" ]; then
  echo "bench-sync: no $MERIDIAN_BIN; build first (meson setup build && ninja -C build)" >&2
  exit 2
fi
if [ ! -d "$top/tests/interop/node_modules/pouchdb" ]; then
  echo "bench-sync: PouchDB is not installed; run: npm ci --prefix tests/interop" >&2
  exit 2
fi

mode=${2:-}
case "$mode" in
  ""|replicate|latency|nochange|couchdb|attachments) ;;
  *) echo "bench-sync: unknown mode “$mode”: replicate, latency, nochange, couchdb or attachments" >&2; exit 2 ;;
esac
export MERIDIAN_COUCHDB_DIR=${MERIDIAN_COUCHDB_DIR:-$(cd "$top/.." && pwd)/shared/couchdb}
if [ "$mode" = couchdb ] && [ ! -x "$MERIDIAN_COUCHDB_DIR/start-node" ]; then
  echo "bench-sync: no Apache CouchDB at $MERIDIAN_COUCHDB_DIR (start-node); set MERIDIAN_COUCHDB_DIR" >&2
  exit 2
fi

exec node "$top/build-aux/bench-sync.mjs" "${@:2}"
