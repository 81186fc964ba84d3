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

# What building and running the app needs. tzdata: every teammate's time
# zone is read from the system's zone database. librsvg2-common: the
# gdk-pixbuf loader that shows an SVG attachment full size.
build_packages=(
  meson ninja-build pkg-config gcc gettext python3
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libwebkitgtk-6.0-dev libgtksourceview-5-dev libsoup-3.0-dev
  libsqlite3-dev libjson-glib-dev libcmark-gfm-dev
  libcmark-gfm-extensions-dev libgit2-dev libyaml-dev libsodium-dev
  libgnutls28-dev libqrencode-dev
  desktop-file-utils appstream fonts-cantarell glib-networking tzdata
  ca-certificates librsvg2-common libsecret-1-dev
)
# What the tests need on top: a display (Xvfb) and a private session bus
# (dbus-run-session) for the window tests with the accessibility bus that
# GTK asks that session for (at-spi2-core), Xlib for finding the window,
# python3-pyatspi and the AT-SPI typelib for walking the window's
# accessibility tree (test-a11y), locales for the German test's
# de_DE.UTF-8, clang and its runtime for the fuzz target, sqlite3 and openssl for the
# command-line tests, gnome-keyring (a real Secret Service for the peer
# password tests), git and curl, and the run-time libraries of the
# Apache CouchDB used as a hub in the tests (see shared/couchdb).
test_packages=(
  xvfb xauth dbus at-spi2-core python3-pyatspi gir1.2-atspi-2.0 locales libx11-dev sqlite3 clang libclang-rt-14-dev openssl
  gnome-keyring imagemagick git curl xz-utils libicu72 libssl3 libtinfo6 zlib1g libstdc++6
)

packages=("${build_packages[@]}")
[ "$want_tests" = 1 ] && packages+=("${test_packages[@]}")

# Node.js and npm run the PouchDB peers of the interoperability tests.
# Debian 12's own (Node 18) is what a fresh machine gets; a Node.js that is
# already there with its npm (from another source) is used as it is.
if [ "$want_tests" = 1 ] && ! command -v npm >/dev/null 2>&1; then
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  packages+=(npm)
fi

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

# The German translation's window test runs the app in de_DE.UTF-8; a fresh
# Debian has no locale but C until one is generated.
if [ "$want_tests" = 1 ] && ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  echo "Generating the de_DE.UTF-8 locale…"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen 2>/dev/null; then
    echo 'de_DE.UTF-8 UTF-8' | $sudo tee -a /etc/locale.gen >/dev/null
  fi
  $sudo locale-gen >/dev/null
fi

# The interoperability tests run real PouchDB, couchbackup, nano and RxDB, pinned by the lockfile.
if [ "$want_tests" = 1 ] && [ -f tests/interop/package-lock.json ]; then
  stamp=tests/interop/node_modules/.meridian-lock
  if [ ! -f "$stamp" ] || ! cmp -s tests/interop/package-lock.json "$stamp"; then
    echo "Installing the interoperability test peers: PouchDB, CouchDB tools, RxDB (npm ci)…"
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp tests/interop/package-lock.json "$stamp"
  fi
fi

# Quiet when all is well; the whole output when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A build configured before the test tools were installed (run-app first,
# run-tests later) must look for them again: meson remembers what it found.
reconfigure=()
[ -f build/build.ninja ] && [ "${#missing[@]}" -gt 0 ] && reconfigure=(--reconfigure)
if [ ! -f build/build.ninja ] || [ "${#reconfigure[@]}" -gt 0 ]; then
  if ! meson setup "${reconfigure[@]}" build --buildtype=debugoptimized >"$log" 2>&1; then
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
