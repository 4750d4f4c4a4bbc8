#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The README's test command: installs dependencies, builds (release and
# ASan+UBSan), and runs every test suite. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

bash config/install-deps.sh

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export INTELFLOW_CONFORMANCE_DIR=${INTELFLOW_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}

echo "== format check"
bash tests/format-check.sh

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"

echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 1200

echo "== sanitizer build (address,undefined)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DINTELFLOW_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$JOBS"
echo "== tests (ASan+UBSan, labels unit|engine)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L 'unit|engine' --timeout 1200

echo "run-all: every suite passed"
