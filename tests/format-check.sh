#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Fails if any tracked C++ file differs from clang-format's output, or a
# Catch2 test name contains ';'.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || true)
[ -z "$files" ] && exit 0
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f differs from clang-format (run: clang-format -i $f)"; bad=1
  fi
done
# A ';' in a Catch2 test name cuts the name CTest passes back to the binary,
# which then runs nothing and passes: refuse such names.
if grep -n 'TEST_CASE("[^"]*;' $files; then
  echo "format: Catch2 test names must not contain ';' (CTest splits the name there)"; bad=1
fi
exit $bad
