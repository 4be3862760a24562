#!/bin/sh
# Prints "COMMIT DATE" for build_info.h (see meson.build beside it).
root=$1
commit=$(git -C "$root" describe --always --dirty --abbrev=12 2>/dev/null) || commit=unknown
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  date=$(TZ=UTC0 git -C "$root" log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null) || date=unknown
fi
echo "$commit $date"
