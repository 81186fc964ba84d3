#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the libFuzzer target for the peer server's request handling and
# document validation with clang (-fsanitize=fuzzer,address) and runs it.
#
#   build-aux/fuzz.sh BUILD_DIR [libFuzzer options…]
#
# e.g. build-aux/fuzz.sh build -max_total_time=300 for five minutes. The
# binary is rebuilt only when a source is newer. Exits 77 (skipped) when
# clang is not installed. Crashes are written to BUILD_DIR/fuzz/.
set -eu

build_dir=${1:?usage: fuzz.sh BUILD_DIR [libFuzzer options...]}
shift
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$(cd "$build_dir" && pwd)

CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "clang not found: skipping the fuzz target"
  exit 77
fi

out="$build_dir/fuzz"
bin="$out/fuzz-request"
mkdir -p "$out/corpus" "$out/artifacts"

sources="
  src/core/mer-db.c
  src/core/mer-json.c
  src/core/mer-revision.c
  src/core/mer-store.c
  src/core/mer-store-local.c
  src/core/mer-store-revs.c
  src/core/mer-store-search.c
  src/core/mer-store-tree.c
  src/core/mer-store-write.c
  src/core/mer-validate.c
  src/sync/mer-accounts.c
  src/sync/mer-server.c
  src/sync/mer-server-feed.c
  src/sync/mer-server-listen.c
  src/sync/mer-server-stream.c
  src/sync/mer-server-requests.c
  tests/fuzz/fuzz-request.c
"

stale=no
if [ ! -x "$bin" ]; then
  stale=yes
else
  for f in $sources src/core/*.h src/sync/*.h; do
    if [ "$source_dir/$f" -nt "$bin" ]; then
      stale=yes
    fi
  done
fi

if [ "$stale" = yes ]; then
  echo "building $bin"
  paths=""
  for f in $sources; do
    paths="$paths $source_dir/$f"
  done
  # shellcheck disable=SC2046,SC2086
  "$CLANG" -g -O1 -fsanitize=fuzzer,address -fno-omit-frame-pointer \
    -DG_LOG_DOMAIN=\"meridian-fuzz\" -UG_DISABLE_ASSERT \
    -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
    -I"$build_dir" -I"$source_dir/src/core" -I"$source_dir/src/sync" \
    $(pkg-config --cflags glib-2.0 gio-2.0 json-glib-1.0 sqlite3 libsoup-3.0 libsodium) \
    $paths -o "$bin" \
    $(pkg-config --libs glib-2.0 gio-2.0 json-glib-1.0 sqlite3 libsoup-3.0 libsodium)
fi

# Seeds are copied so that libFuzzer grows a corpus in the build folder,
# never in the source tree.
cp -n "$source_dir"/tests/fuzz/corpus-request/* "$out/corpus/" 2>/dev/null || true

# json-glib allocates per parse; leak checking would only report the
# process-wide singletons (GType, the store) kept on purpose.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
  exec "$bin" -artifact_prefix="$out/artifacts/" -max_len=65536 -timeout=20 \
  -dict="$source_dir/tests/fuzz/request.dict" "$@" "$out/corpus"
