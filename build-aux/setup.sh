#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what Meridian needs to build (and, with --tests, to run its test
# suite), then configures and builds it in ./build. Safe to run again: it
# installs only what is missing and says nothing when nothing is.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

build_packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libwebkitgtk-6.0-dev libgtksourceview-5-dev libsoup-3.0-dev
  libsqlite3-dev libjson-glib-dev libcmark-gfm-dev
  libcmark-gfm-extensions-dev libgit2-dev libyaml-dev libsodium-dev
  desktop-file-utils appstream fonts-cantarell glib-networking
)
test_packages=(
  xvfb xauth sqlite3 clang openssl imagemagick
)

packages=("${build_packages[@]}")
[ "$want_tests" = 1 ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The interoperability tests run a real PouchDB, pinned by the lockfile.
if [ "$want_tests" = 1 ] && [ -f tests/interop/package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the PouchDB interoperability tests; install Node.js 20 and npm" >&2
    exit 1
  fi
  stamp=tests/interop/node_modules/.meridian-lock
  if [ ! -f "$stamp" ] || ! cmp -s tests/interop/package-lock.json "$stamp"; then
    echo "Installing the PouchDB test peers (npm ci)…"
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp tests/interop/package-lock.json "$stamp"
  fi
fi

# Quiet when all is well; the whole output when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f build/build.ninja ]; then
  if ! meson setup build --buildtype=debugoptimized >"$log" 2>&1; then
    cat "$log" >&2
    echo "meson setup failed" >&2
    exit 1
  fi
fi
if ! ninja -C build >"$log" 2>&1; then
  grep -v '^\[' "$log" >&2
  echo "the build failed" >&2
  exit 1
fi
