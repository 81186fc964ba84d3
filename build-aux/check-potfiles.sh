#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fails when a source file that marks strings for translation is missing
# from po/POTFILES.in, or when POTFILES.in lists a file that does not exist.
# Usage: check-potfiles.sh [SOURCE_ROOT]

root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2

potfiles=po/POTFILES.in
if [ ! -f "$potfiles" ]; then
  echo "check-potfiles: $potfiles is missing" >&2
  exit 1
fi

status=0
listed=$(mktemp)
trap 'rm -f "$listed"' EXIT
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$potfiles" | sort -u >"$listed"

# Every listed file exists.
while read -r file; do
  if [ ! -f "$file" ]; then
    echo "check-potfiles: $potfiles lists $file, which does not exist" >&2
    status=1
  fi
done <"$listed"

# Every file that uses _(), N_(), C_(), NC_(), ngettext or
# translatable="yes" is listed.
for file in $(find src -type f \( -name '*.c' -o -name '*.h' -o -name '*.ui' -o -name '*.blp' \) | sort); do
  case "$file" in
    *.ui|*.blp)
      grep -q 'translatable="yes"\|translatable="true"\|_("' "$file" || continue
      ;;
    *)
      grep -Eq '(^|[^A-Za-z0-9_])(N|C|NC)?_ ?\(|[^A-Za-z0-9_]g_d?n?gettext ?\(|[^A-Za-z0-9_]g_dngettext ?\(|[^A-Za-z0-9_]ngettext ?\(' "$file" || continue
      ;;
  esac
  if ! grep -qxF "$file" "$listed"; then
    echo "check-potfiles: $file has translatable strings but is not in $potfiles" >&2
    status=1
  fi
done

if [ "$status" -eq 0 ]; then
  echo "check-potfiles: $(wc -l <"$listed") files listed, none missing"
fi
exit "$status"
