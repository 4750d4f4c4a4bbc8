#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Re-runs every variant of the end-to-end benchmark and regenerates the figures
# of docs/performance.md (the table between the bench-table markers),
# docs/performance-data.json (every figure of every run) and
# docs/performance-batch.svg (events/s against batch size).
#
# usage: benchmarks/run-all.sh [BUILD_DIR] [extra `intelflow bench` options]
#   BUILD_DIR defaults to ./build (a Release build: cmake -DCMAKE_BUILD_TYPE=Release);
#   default options: --all --lines 1000000 --repeats 5 (later options win, e.g. --repeats 3).
# Needs python3 (feed generator, table and SVG); no gnuplot.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
bin=$build/bin/intelflow
cmake --build "$build" --target intelflow bench_baseline -j2
data=$src/docs/performance-data.json
set +e
"$bin" bench --all --lines 1000000 --repeats 5 "$@" --json "$data.tmp"
rc=$?
set -e
[ -s "$data.tmp" ] || { echo "run-all: no JSON written" >&2; exit 2; }
mv "$data.tmp" "$data"
python3 "$src/benchmarks/harness/render_performance.py" "$data" "$src/docs/performance.md" \
  "$src/docs/performance-batch.svg"
echo "run-all: wrote $data, docs/performance.md (table), docs/performance-batch.svg (bench exit status $rc)"
exit $rc
