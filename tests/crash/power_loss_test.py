#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Power-loss test: the benchmark pipeline on a generated feed split into
files; the daemon is stopped by simulated power failures (fault point
`wal.power_loss`: everything the WAL wrote after its last fdatasync is zeroed,
or left as a torn record, then SIGKILL), restarted each time, then drained.

With fsync `always` nothing the collector confirmed upstream (the input file
deleted) may be lost: every data line of every file deleted before a power
loss must be in the output, and the whole output must reconcile exactly with
counts.json (every event once, every malformed line dumped once).

A control run with fsync `never` checks that the simulation does lose what was
not synced: lines of files the collector had already deleted go missing.

usage: power_loss_test.py INTELFLOW_BIN SHARED_BENCH_DIR [--lines N] [--losses K] [--seed S]
"""
import argparse
import collections
import json
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def setup(a, work, name, fsync, blocked=False):
    root = os.path.join(work, name)
    inp = os.path.join(root, "input")
    os.makedirs(inp)
    feed = os.path.join(root, "feed.csv")
    counts = os.path.join(root, "counts.json")
    harness.gen_feed(a.bench, a.lines, 7, feed, counts)
    files = harness.split_feed(feed, inp, a.files)
    out = os.path.join(root, "out.jsonl")
    graph = os.path.join(root, "graph.yaml")
    engine = {"threads": 2, "batch_size": 64, "fsync": fsync, "max_in_flight": 100000}
    text = harness.graph_text(a.bench, inp, out, 16384, engine)
    with open(graph, "w") as f:
        f.write(text)
    run_graph = graph
    if blocked:  # the daemon runs with its output blocked; the final drain with `graph`
        run_graph = os.path.join(root, "blocked.yaml")
        with open(run_graph, "w") as f:
            f.write(harness.block_after_parser(text))
    state = os.path.join(root, "state")
    d = harness.Daemon(a.bin, run_graph, state, os.path.join(root, "daemon.log"), root)
    return root, inp, out, graph, state, d, files, counts


def power_loss(d, n, tail):
    """Starts the daemon armed to lose power at the n-th group commit. True if it did."""
    d.start({"INTELFLOW_FAULT": f"wal.power_loss:{n}", "INTELFLOW_POWER_LOSS_TAIL": tail})
    d.wait_ready()
    rc = d.wait(20)
    if rc is None:
        d.kill()
        return False
    d.sock.close()
    return "fault point hit" in d.output_since_start()


def missing_lines(events, dumps, files, names):
    """Lines of the files `names` neither in the output nor dumped (malformed)."""
    present = {harness.event_key(e) for e in events}
    dumped = set(harness.dumped_lines(dumps))
    return [(n, l) for n in names for l in files[n]
            if l not in dumped and harness.line_key(l) not in present]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("bench")
    ap.add_argument("--lines", type=int, default=60000)
    ap.add_argument("--files", type=int, default=30)
    ap.add_argument("--losses", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    print(f"power-loss test: seed {seed}, {a.lines} lines in {a.files} files, "
          f"{a.losses} power losses", flush=True)
    work = tempfile.mkdtemp(prefix="intelflow-power-")
    ok = True
    try:
        ok = run_always(a, rng, work) and ok
        ok = run_control(a, work) and ok
    finally:
        if a.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"power-loss test: {'1 passed, 0 failed' if ok else '0 passed, 1 failed'} (seed {seed})")
    return 0 if ok else 1


def reference(a, work):
    """The same files through the same graph, drained without any fault: what
    must come out (split files make cross-file duplicates differ in
    extra.file_name, so counts.json alone does not describe the output)."""
    root, _, out, graph, state, _, _, _ = setup(a, work, "reference", "always")
    rc, log = harness.drain(a.bin, graph, state, os.path.join(root, "daemon.log"))
    if rc != 0:
        raise AssertionError(f"reference drain exited {rc}:\n{log[-2000:]}")
    return (collections.Counter(harness.identity_keys(harness.read_events(out))),
            len(harness.read_dumps(state)))


def run_always(a, rng, work):
    ref_keys, ref_dumps = reference(a, work)
    root, inp, out, graph, state, d, files, counts_path = setup(a, work, "always", "always")
    counts = json.load(open(counts_path))
    if ref_dumps != counts["malformed"]:
        print(f"FAIL: the reference run dumped {ref_dumps} lines, counts.json says "
              f"{counts['malformed']}")
        return False
    confirmed_before_loss = set()
    losses = 0
    for k in range(a.losses):
        n = rng.randint(20, 150)
        tail = rng.choice(["zero", "garbage"])
        hit = power_loss(d, n, tail)
        gone = set(files) - set(os.listdir(inp))
        if hit:
            losses += 1
            confirmed_before_loss |= gone
        print(f"  power loss {k + 1} at group commit {n} ({tail} tail): "
              f"{'hit' if hit else 'not reached'}; input files deleted so far: {len(gone)}",
              flush=True)
    rc, log = harness.drain(a.bin, graph, state, os.path.join(root, "daemon.log"))
    if rc != 0:
        print(f"FAIL: final drain exited {rc}:\n{log[-2000:]}")
        return False
    events = harness.read_events(out)
    keys = collections.Counter(harness.identity_keys(events))
    dumps = harness.read_dumps(state)
    lost = missing_lines(events, dumps, files, sorted(confirmed_before_loss))
    missing = ref_keys - keys
    extra = keys - ref_keys
    print(f"  after {losses} power losses: {len(events)} events out, reference "
          f"{sum(ref_keys.values())}: {sum(missing.values())} missing, {sum(extra.values())} "
          f"extra; {len(dumps)} dumps, expected {counts['malformed']}; "
          f"{len(confirmed_before_loss)} files confirmed before a loss, {len(lost)} of their "
          f"lines missing", flush=True)
    ok = True
    if losses == 0:
        print("FAIL: no power loss happened")
        ok = False
    if not confirmed_before_loss:
        print("FAIL: no input file was confirmed before a power loss (nothing was checked)")
        ok = False
    if lost:
        print(f"FAIL: lines of files deleted upstream were lost, e.g. {lost[:3]}")
        ok = False
    if missing or extra:
        print(f"FAIL: output differs from the reference run (missing e.g. "
              f"{list(missing)[:1]}, extra e.g. {list(extra)[:1]})")
        ok = False
    if len(dumps) != counts["malformed"]:
        print("FAIL: malformed lines not dumped exactly once")
        ok = False
    if os.listdir(inp):
        print("FAIL: input not consumed")
        ok = False
    return ok


def run_control(a, work):
    """fsync never: the collector deletes files whose data only sat in the page
    cache; a power loss must make their lines disappear (or the simulation is
    not simulating anything). The output is blocked (nothing delivered before
    the loss), so every line of every deleted file must be gone."""
    root, inp, out, graph, state, d, files, _ = setup(a, work, "never", "never", blocked=True)
    hit = power_loss(d, 40, "zero")
    gone = set(files) - set(os.listdir(inp))
    if not hit or not gone:
        print(f"  control (fsync never): power loss {'hit' if hit else 'not reached'}, "
              f"{len(gone)} files deleted: nothing to check")
        return True
    # Whatever the run wrote to the output: the files it deleted are not
    # replayed (their WAL records were zeroed) and will not be read again.
    rc, _ = harness.drain(a.bin, graph, state, os.path.join(root, "daemon.log"))
    events = harness.read_events(out)
    lost = missing_lines(events, harness.read_dumps(state), files, sorted(gone))
    delivered_before = len(events)
    print(f"  control (fsync never): {len(gone)} files deleted before the power loss, "
          f"{len(lost)} of their lines lost ({delivered_before} events out after the drain)",
          flush=True)
    if rc != 0:
        print("FAIL: control drain failed")
        return False
    # Every line of the deleted files should be gone, except malformed lines
    # (dumped durably by the parser before the loss) and lines whose twin in a
    # file read after the loss reached the output.
    dumped = set(harness.dumped_lines(harness.read_dumps(state)))
    others = {harness.line_key(l) for n in files if n not in gone for l in files[n]}
    expected_lost = [l for n in sorted(gone) for l in files[n]
                     if l not in dumped and harness.line_key(l) not in others]
    if len(lost) != len(expected_lost):
        print(f"FAIL: with fsync never a power loss should lose {len(expected_lost)} lines of the "
              f"deleted files, lost {len(lost)}")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
