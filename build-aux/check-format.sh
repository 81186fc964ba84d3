#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reports C files whose formatting differs from .clang-format.  Advisory:
# prints what it finds and exits 0, unless --strict is given.
#
# Usage: check-format.sh [--strict] [FILE...]
# With no FILE, checks the C files changed since the last commit (staged,
# unstaged or new); with --all, every C file under src/ and tests/.

strict=0
all=0
while [ $# -gt 0 ]; do
  case "$1" in
    --strict) strict=1; shift ;;
    --all) all=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done

cd "$(dirname "$0")/.." || exit 2

if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-format: clang-format is not installed; nothing checked"
  exit 0
fi

if [ $# -gt 0 ]; then
  files="$*"
elif [ "$all" -eq 1 ]; then
  files=$(find src tests -maxdepth 2 -name '*.[ch]' -not -path '*/node_modules/*' | sort)
else
  files=$( (git diff --name-only HEAD; git ls-files --others --exclude-standard) 2>/dev/null \
           | grep '\.[ch]$' | sort -u)
fi

checked=0
differ=0
for file in $files; do
  [ -f "$file" ] || continue
  checked=$((checked + 1))
  lines=$(clang-format --style=file "$file" | diff "$file" - | grep -c '^<')
  if [ "$lines" -gt 0 ]; then
    differ=$((differ + 1))
    echo "check-format: $file: $lines lines differ (clang-format -i $file to fix)"
  fi
done

echo "check-format: $checked files checked, $differ differ from .clang-format"
if [ "$strict" -eq 1 ] && [ "$differ" -gt 0 ]; then
  exit 1
fi
exit 0
