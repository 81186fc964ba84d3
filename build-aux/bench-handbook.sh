#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The handbook benchmark: builds Meridian, generates 10,000 pages and prints
# import time, in-process and whole-process search latency, the sqlite3
# FTS5 floor and Zim Desktop Wiki's search over the same pages, with ratios.
#
#   build-aux/bench-handbook.sh [--pages N] [--queries N] [--zim-queries N] [--keep]
#
# BUILD_DIR picks the build folder (default: build-bench). Zim figures need
# the zim package (apt-get install zim); without it they are skipped.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" >/dev/null
fi
ninja -C "$build" src/meridian tests/bench-handbook tests/bench-search-lean >/dev/null

if ! command -v sqlite3 >/dev/null; then
  echo "bench-handbook: the sqlite3 shell is needed for the floor (apt-get install sqlite3)" >&2
  exit 1
fi
if ! command -v zim >/dev/null; then
  echo "bench-handbook: zim is not installed (apt-get install zim); Zim figures are skipped" >&2
fi

exec "$build/tests/bench-handbook" --meridian "$build/src/meridian" --lean "$build/tests/bench-search-lean" "$@"
