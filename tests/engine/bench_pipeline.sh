#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs the benchmark's 7-bot pipeline (../shared/bench/pipeline.yaml.in, an
# IntelMQ runtime.yaml) in --drain mode over a generated feed and checks that
# the output reconciles with counts.json exactly.
# usage: bench_pipeline.sh INTELFLOW_BIN SHARED_BENCH_DIR LINES CACHE(embedded|redis)
set -euo pipefail
bin=$1; bench=$2; lines=$3; cache=$4
work=$(mktemp -d)
cleanup() {
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/input" "$work/state"
python3 "$bench/gen_feed.py" --lines "$lines" --seed 1 --out "$work/feed.csv" --counts "$work/counts.json" >/dev/null
host=""; port=6379
if [ "$cache" = redis ]; then
  sock="$work/redis.sock"
  redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  [ -S "$sock" ] || { echo "redis-server did not start"; cat "$work/redis.log"; exit 1; }
  host="$sock"
fi
sed -e "s#@INPUT_DIR@#$work/input#" -e "s#@OUTPUT_FILE@#$work/out.jsonl#" \
    -e "s#@MODIFY_RULES@#$bench/modify-rules.json#" -e "s#\"@CACHE_HOST@\"#\"$host\"#" \
    -e "s#@CACHE_PORT@#$port#" "$bench/pipeline.yaml.in" > "$work/pipeline.yaml"
cat >> "$work/pipeline.yaml" <<YAML
global:
  error_max_retries: 0
  error_procedure: pass
YAML
mv "$work/feed.csv" "$work/input/feed.csv"
"$bin" run "$work/pipeline.yaml" --drain --state-dir "$work/state"
expected=$(python3 -c "import json;print(json.load(open('$work/counts.json'))['expected_events_out'])")
malformed=$(python3 -c "import json;print(json.load(open('$work/counts.json'))['malformed'])")
got=$(wc -l < "$work/out.jsonl")
dumped=$(python3 -c "import json;print(len(json.load(open('$work/state/log/bench-csv-parser.dump'))))" 2>/dev/null || echo 0)
echo "events out: $got (expected $expected); malformed dumped: $dumped (expected $malformed)"
[ "$got" -eq "$expected" ] && [ "$dumped" -eq "$malformed" ] && [ ! -e "$work/input/feed.csv" ]
