#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Crash test: the benchmark's 7-bot pipeline on a generated feed, killed with
SIGKILL at random moments and at every WAL fault point, restarted each time,
then finished in --drain mode. At the end the output must reconcile exactly
with counts.json: every expected event exactly once, every malformed line
dumped exactly once, nothing else.

usage: crash_test.py INTELFLOW_BIN SHARED_BENCH_DIR [--lines N] [--kills K] [--seed S]
A failing run prints the seed of every kill so it can be replayed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

FAULT_POINTS = ["wal.after_write", "wal.before_fsync", "wal.segment_roll", "output.after_write",
                "recovery.replay"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("bench")
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    print(f"crash test: seed {seed}, {a.lines} lines, {a.kills} random kills "
          f"+ {len(FAULT_POINTS)} fault points", flush=True)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="intelflow-crash-")
    try:
        ok = run(a, rng, work)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    print(f"crash test: {'1 passed, 0 failed' if ok else '0 passed, 1 failed'} (seed {seed})")
    return 0 if ok else 1


def run(a, rng, work):
    inp = os.path.join(work, "input")
    os.makedirs(inp)
    state = os.path.join(work, "state")
    out = os.path.join(work, "out.jsonl")
    subprocess.run([sys.executable, os.path.join(a.bench, "gen_feed.py"), "--lines", str(a.lines),
                    "--seed", "1", "--out", os.path.join(work, "feed.csv"),
                    "--counts", os.path.join(work, "counts.json")], check=True,
                   stdout=subprocess.DEVNULL)
    counts = json.load(open(os.path.join(work, "counts.json")))
    with open(os.path.join(a.bench, "pipeline.yaml.in")) as f:
        graph = (f.read().replace("@INPUT_DIR@", inp).replace("@OUTPUT_FILE@", out)
                 .replace("@MODIFY_RULES@", os.path.join(a.bench, "modify-rules.json"))
                 .replace('"@CACHE_HOST@"', '""').replace("@CACHE_PORT@", "6379"))
    # Small chunks and batches: many WAL records and segment rolls per run.
    graph = graph.replace("chunk_size: 1048576", "chunk_size: 65536").replace("rate_limit: 1", "rate_limit: 0.05")
    graph += "\nglobal:\n  error_max_retries: 0\n  error_procedure: pass\n"
    graph += "engine:\n  threads: 2\n  batch_size: 64\n  fsync: always\n"
    gpath = os.path.join(work, "pipeline.yaml")
    open(gpath, "w").write(graph)
    # The feed is released in parts, one at a time, all named feed.csv (same
    # feed.url and file name, so the deduplicator sees one feed): every start
    # below finds fresh input, so the kills land while the graph is busy.
    with open(os.path.join(work, "feed.csv")) as f:
        header, *data = f.read().splitlines(keepends=True)
    nparts = a.kills + len(FAULT_POINTS) + 1
    per = (len(data) + nparts - 1) // nparts
    parts = [data[i:i + per] for i in range(0, len(data), per)]

    def release():
        """Moves the next part in if the collector consumed the previous one."""
        if not parts or os.listdir(inp):
            return
        tmp = os.path.join(work, "part.tmp")
        with open(tmp, "w") as f:
            f.write(header)
            f.writelines(parts.pop(0))
        os.rename(tmp, os.path.join(inp, "feed.csv"))

    notify_path = os.path.join(work, "notify.sock")
    log = open(os.path.join(work, "daemon.log"), "ab")

    def start(env_extra=None):
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        if env_extra:
            env.update(env_extra)
        p = subprocess.Popen([a.bin, "run", gpath, "--state-dir", state], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
        return p, sock

    def wait_ready(p, sock, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                return False  # died (a fault point during recovery, or an error)
            sock.settimeout(0.2)
            try:
                if b"READY=1" in sock.recv(4096):
                    return True
            except socket.timeout:
                pass
        raise AssertionError("daemon not ready in time")

    kills = 0
    # 1. Fault points: the daemon kills itself at the n-th hit of a point.
    for fp in FAULT_POINTS:
        n = rng.randint(1, 40)
        release()
        p, sock = start({"INTELFLOW_FAULT": f"{fp}:{n}"})
        wait_ready(p, sock)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        sock.close()
        kills += 1
        print(f"  fault point {fp}:{n}: exit {p.returncode}", flush=True)
    # 2. Random SIGKILLs while the feed is being processed.
    for k in range(a.kills):
        delay = rng.uniform(0.0, 0.6)
        release()
        p, sock = start()
        ready = wait_ready(p, sock)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        sock.close()
        kills += 1
        size = os.path.getsize(out) if os.path.exists(out) else 0
        print(f"  kill {k + 1}: after {delay:.3f}s (ready={ready}), output {size} bytes", flush=True)
    # 3. Finish: replay what is left and drain, then the parts not yet released.
    while True:
        release()
        r = subprocess.run([a.bin, "run", gpath, "--state-dir", state, "--drain", "--quiet"],
                           stdout=log, stderr=subprocess.STDOUT, timeout=600)
        if r.returncode != 0:
            print("final drain failed, see daemon.log")
            return False
        if not parts:
            break
    lines = [l for l in open(out) if l.strip()] if os.path.exists(out) else []
    events = [json.loads(l) for l in lines]
    # An event's identity: everything but time.observation (a file read again
    # after a crash gets a new observation time; the deduplicator ignores it).
    keys = [json.dumps({k: v for k, v in e.items() if k != "time.observation"}, sort_keys=True)
            for e in events]
    distinct = len(set(keys))
    dump_path = os.path.join(state, "log", "bench-csv-parser.dump")
    dumps = json.load(open(dump_path)) if os.path.exists(dump_path) else {}
    dumped_lines = [v["message"] for v in dumps.values()]
    print(f"  after {kills} kills: {len(lines)} lines out ({distinct} distinct), expected "
          f"{counts['expected_events_out']}; {len(dumps)} dumps, expected {counts['malformed']}; "
          f"input left: {os.listdir(inp)}", flush=True)
    ok = True
    if distinct != counts["expected_events_out"]:
        print("FAIL: events lost or unexpected events present")
        ok = False
    if len(lines) != distinct:
        print(f"FAIL: {len(lines) - distinct} duplicate event(s) in the output")
        ok = False
    if len(dumps) != counts["malformed"]:
        print("FAIL: malformed lines not dumped exactly once")
        ok = False
    if os.listdir(inp):
        print("FAIL: input not consumed")
        ok = False
    return ok


if __name__ == "__main__":
    sys.exit(main())
