#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Refreshes the README and AppStream screenshots in data/screenshots/ from
# the real window: runs the app test under Xvfb (it drives the window on the
# demo workspace and saves what it shows) and copies the pictures over.
#
# Usage: build-aux/refresh-screenshots.sh [BUILD_DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}

meson test -C "$build" --suite gui test-app test-team-view test-proposals-ui >/dev/null || {
  echo "refresh-screenshots: a window test failed; see $build/meson-logs/testlog.txt" >&2
  exit 1
}

mkdir -p "$top/data/screenshots"
copy () {
  cp "$build/meson-logs/$1" "$top/data/screenshots/$2"
  echo "data/screenshots/$2 ($(identify -format '%wx%h' "$top/data/screenshots/$2" 2>/dev/null || echo '?'))"
}
copy app-reader-info.png reader.png
copy app-search.png search.png
copy app-narrow.png narrow.png
copy app-dark.png dark.png
copy team-view.png team.png
copy app-proposals-section.png proposal.png
