#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# 1. every bot folder (bots/<group>/<name>/) registers at least one module that
#    the intelflow binary lists; 2. docs/bots/ is exactly what
#    `intelflow bots --markdown` generates (regenerate-and-diff).
set -uo pipefail
bin=$1
src=$2
fail=0
listed=$("$bin" bots | awk '{print $2}')
for dir in "$src"/bots/collectors/*/ "$src"/bots/parsers/*/ "$src"/bots/experts/*/ "$src"/bots/outputs/*/; do
  [ -d "$dir" ] || continue
  modules=$(grep -ho '\.module = "[^"]*"' "$dir"*.cpp 2>/dev/null | sed 's/.*"\(.*\)"/\1/')
  if [ -z "$modules" ]; then
    echo "FAIL: $dir registers no bot (INTELFLOW_REGISTER_BOT with .module = ...)"; fail=1; continue
  fi
  for m in $modules; do
    if ! grep -qx "$m" <<<"$listed"; then
      echo "FAIL: $m (from $dir) is not registered in the intelflow binary"; fail=1
    fi
  done
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bots --markdown "$tmp/bots" >/dev/null
if ! diff -ru "$src/docs/bots" "$tmp/bots"; then
  echo "FAIL: docs/bots/ is stale: run 'build/bin/intelflow bots --markdown docs/bots' and commit"; fail=1
fi
[ $fail -eq 0 ] && echo "bots: all folders registered, docs/bots up to date"
exit $fail
