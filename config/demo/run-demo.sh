#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The README's first command: installs dependencies, builds, and runs the demo
# pipeline (config/demo/graph.yaml) once over the shipped sample feed.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash config/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

rm -rf out/demo
mkdir -p out/demo
feed=config/demo/input/sample-feed.csv
echo
echo "== intelflow demo: $(($(wc -l < "$feed") - 1)) lines of $feed through 7 bots"
build/bin/intelflow run config/demo/graph.yaml --drain --state-dir out/demo/state
echo
events=$(wc -l < out/demo/events.jsonl)
dumped=$(grep -c '"bot_id"' out/demo/state/log/demo-csv-parser.dump 2>/dev/null || echo 0)
echo "== result"
echo "events written:        $events  -> out/demo/events.jsonl (one IntelMQ event per line)"
echo "malformed lines:       $dumped  -> out/demo/state/log/demo-csv-parser.dump (IntelMQ dump format)"
echo "duplicates dropped:    the deduplicator's 'dropped' column above"
echo "first event:"
head -1 out/demo/events.jsonl
