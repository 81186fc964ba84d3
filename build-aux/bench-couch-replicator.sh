#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# CouchDB's own replicator with `meridian serve` as the other end (prints
# figures; asserts no times):
#   build-aux/bench-couch-replicator.sh [BUILD_DIR] [DOCS] [RUNS]
# In one run, on one Apache CouchDB node and one serve, both on loopback:
# DOCS small pages (default 10000) replicated by _replicator documents
# CouchDB -> serve, serve -> CouchDB, and CouchDB -> CouchDB for comparison,
# RUNS times each (default 3, fresh targets every time). Each figure is the
# time from writing the _replicator document until CouchDB's scheduler
# reports it completed, polled every 50 ms. Needs the shared CouchDB
# (MERIDIAN_COUCHDB_DIR, default ../shared/couchdb beside the clone), curl
# and python3.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
docs=${2:-10000}
runs=${3:-3}
meridian="$build/src/meridian"
couchdir=${MERIDIAN_COUCHDB_DIR:-$top/../shared/couchdb}

if [ ! -x "$meridian" ]; then
  echo "bench-couch-replicator: no $meridian; build first (meson setup build && ninja -C build)" >&2
  exit 2
fi
if [ ! -x "$couchdir/start-node" ]; then
  echo "bench-couch-replicator: no Apache CouchDB at $couchdir; set MERIDIAN_COUCHDB_DIR" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-couch-replicator-XXXXXX")
couch_pid=""
serve_pids=()
cleanup() {
  for pid in "${serve_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$couch_pid" ] && { kill -- -"$couch_pid" 2>/dev/null || kill "$couch_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=$(free_port)
couch="http://127.0.0.1:$port"
couch_pid=$("$couchdir/start-node" "$work/couch" "$port" "benchrep$$")
admin=(-s -u admin:secret -H 'Content-Type: application/json')
curl "${admin[@]}" -X PUT "$couch/_users" >/dev/null
curl "${admin[@]}" -X PUT "$couch/_replicator" >/dev/null

# The source: DOCS pages of about 300 bytes, written 1000 at a time.
curl "${admin[@]}" -X PUT "$couch/src" >/dev/null
for ((first = 0; first < docs; first += 1000)); do
  python3 - "$first" "$docs" >"$work/batch.json" <<'PY'
import json, sys
first, total = int(sys.argv[1]), int(sys.argv[2])
body = "A page of the handbook, written for the benchmark. " * 4
print(json.dumps({"docs": [{"_id": "page:b%06d" % i, "type": "page", "title": "Page %d" % i,
                            "path": "bench/%d" % i, "body": body}
                           for i in range(first, min(first + 1000, total))]}))
PY
  curl "${admin[@]}" -X POST "$couch/src/_bulk_docs" --data-binary @"$work/batch.json" >/dev/null
done

# Starts serve on a new empty workspace with the account ana; sets serve_url.
start_serve() {
  local dir=$1
  mkdir -p "$dir"
  echo "ana-pw" | "$meridian" --data "$dir" user add ana --password-stdin >/dev/null
  "$meridian" --data "$dir" serve --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
  serve_pids+=($!)
  for _ in $(seq 100); do
    if grep -q '^Serving ' "$dir/serve.out"; then
      serve_url=$(sed -n 's/^Serving [^ ]* at //p' "$dir/serve.out")
      return
    fi
    sleep 0.05
  done
  echo "bench-couch-replicator: serve did not start; see $dir/serve.err" >&2
  exit 1
}

# Replicates SOURCE to TARGET under _replicator/ID; prints seconds taken.
replicate() {
  local id=$1 source=$2 target=$3 start state info
  start=$(date +%s.%N)
  curl "${admin[@]}" -X PUT "$couch/_replicator/$id" \
    -d "{\"source\":\"$source\",\"target\":\"$target\",\"create_target\":true}" >/dev/null
  while :; do
    info=$(curl "${admin[@]}" "$couch/_scheduler/docs/_replicator/$id")
    state=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get("state"))' "$info")
    case "$state" in
      completed) break ;;
      failed) echo "bench-couch-replicator: $id failed: $info" >&2; exit 1 ;;
    esac
    sleep 0.05
  done
  local written
  written=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["info"]["docs_written"])' "$info")
  if [ "$written" != "$docs" ]; then
    echo "bench-couch-replicator: $id wrote $written of $docs documents: $info" >&2
    exit 1
  fi
  python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$(date +%s.%N)" "$start"
}

median() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

into_serve=()
from_serve=()
couch_couch=()
src_url="http://admin:secret@127.0.0.1:$port/src"
for ((run = 1; run <= runs; run++)); do
  start_serve "$work/serve$run"
  served=${serve_url/http:\/\//http://ana:ana-pw@}
  a=$(replicate "in$run" "$src_url" "$served")
  b=$(replicate "out$run" "$served" "http://admin:secret@127.0.0.1:$port/back$run")
  c=$(replicate "copy$run" "$src_url" "http://admin:secret@127.0.0.1:$port/copy$run")
  printf 'run %d: CouchDB->serve %.2f s, serve->CouchDB %.2f s, CouchDB->CouchDB %.2f s\n' "$run" "$a" "$b" "$c"
  into_serve+=("$a"); from_serve+=("$b"); couch_couch+=("$c")
  kill "${serve_pids[-1]}" 2>/dev/null || true
done

m_in=$(median "${into_serve[@]}")
m_out=$(median "${from_serve[@]}")
m_cc=$(median "${couch_couch[@]}")
echo "CouchDB's replicator, $docs documents, median of $runs runs:"
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
printf '  CouchDB -> serve     %6.2f s  (%sx CouchDB -> CouchDB)\n' "$m_in" "$(ratio "$m_in" "$m_cc")"
printf '  serve -> CouchDB     %6.2f s  (%sx CouchDB -> CouchDB)\n' "$m_out" "$(ratio "$m_out" "$m_cc")"
printf '  CouchDB -> CouchDB   %6.2f s\n' "$m_cc"
