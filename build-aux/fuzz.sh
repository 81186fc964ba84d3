#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds a libFuzzer target with clang (-fsanitize=fuzzer,address) and
# runs it: by default "request" (the peer server's request handling and
# document validation); FUZZ_TARGET=roundtrip picks the round trip of a
# document from one replica through the server and the pull's reader into
# another (tests/fuzz/fuzz-roundtrip.c).
#
#   [FUZZ_TARGET=roundtrip] build-aux/fuzz.sh BUILD_DIR [libFuzzer options…]
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

target=${FUZZ_TARGET:-request}
case "$target" in
  request) corpus=corpus dict="-dict=$source_dir/tests/fuzz/request.dict" max_len=65536 ;;
  roundtrip) corpus=corpus-roundtrip dict="" max_len=16384 ;;
  *) echo "unknown FUZZ_TARGET $target" >&2; exit 2 ;;
esac

out="$build_dir/fuzz"
bin="$out/fuzz-$target"
mkdir -p "$out/$corpus" "$out/artifacts"

sources="
  src/store/mer-db.c
  src/store/mer-json.c
  src/store/mer-revision.c
  src/store/mer-store.c
  src/store/mer-store-attachments.c
  src/store/mer-store-index.c
  src/store/mer-store-load.c
  src/store/mer-store-local.c
  src/store/mer-store-revs.c
  src/store/mer-store-search.c
  src/store/mer-store-tree.c
  src/store/mer-store-write.c
  src/core/mer-core.c
  src/core/mer-validate.c
  src/sync/mer-accounts.c
  src/sync/mer-server.c
  src/sync/mer-server-feed.c
  src/sync/mer-server-listen.c
  src/sync/mer-server-stream.c
  src/sync/mer-server-requests.c
  src/sync/mer-server-couch.c
  src/sync/mer-server-session.c
  src/sync/mer-server-attachments.c
  tests/fuzz/fuzz-$target.c
"

stale=no
if [ ! -x "$bin" ]; then
  stale=yes
else
  for f in $sources src/store/*.h src/core/*.h src/sync/*.h; do
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
    -I"$build_dir" -I"$source_dir/src/store" -I"$source_dir/src/core" -I"$source_dir/src/sync" \
    $(pkg-config --cflags glib-2.0 gio-2.0 json-glib-1.0 sqlite3 libsoup-3.0 libsodium) \
    $paths -o "$bin" \
    $(pkg-config --libs glib-2.0 gio-2.0 json-glib-1.0 sqlite3 libsoup-3.0 libsodium) -lm
fi

# Seeds are copied so that libFuzzer grows a corpus in the build folder,
# never in the source tree.
cp -n "$source_dir"/tests/fuzz/corpus-"$target"/* "$out/$corpus/" 2>/dev/null || true

# json-glib allocates per parse; leak checking would only report the
# process-wide singletons (GType, the store) kept on purpose.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
  exec "$bin" -artifact_prefix="$out/artifacts/$target-" -max_len="$max_len" -timeout=20 \
  $dict "$@" "$out/$corpus"
