#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""WAL corruption test on the real daemon.

1. Reference: collector -> CSV parser -> file output, drained on the feed
   without any fault: the output lines and the dumped (malformed) lines.
2. A WAL full of un-acknowledged reports: the same graph with a wait expert
   (sleep_time 3600) before the output; once the collector has written every
   chunk to the WAL and deleted the input file, SIGKILL. Nothing is
   acknowledged, nothing was delivered, the input is gone: the WAL alone holds
   the feed.
3. For each kind of damage (flipped bytes in a record in the middle, a
   truncated segment, a zero-filled tail, a zeroed block in the middle, an
   empty checkpoint, a garbage checkpoint) on a fresh copy of that state:
   drain with the reference graph. The daemon must start and finish, say what
   it found (recovery notes), and the output must be the reference minus
   exactly the lines of the reports whose records were damaged: every intact
   record delivered exactly once.

usage: corruption_test.py INTELFLOW_BIN SHARED_BENCH_DIR [--lines N] [--keep]
"""
import argparse
import collections
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ENGINE = {"threads": 2, "batch_size": 64, "fsync": "always", "max_in_flight": 100000}


def write_graph(a, root, inp, out, blocked):
    g = harness.graph_text(a.bench, inp, out, 16384, ENGINE, pipeline="short")
    if blocked:
        g = harness.block_after_parser(g)
    path = os.path.join(root, "blocked.yaml" if blocked else "graph.yaml")
    with open(path, "w") as f:
        f.write(g)
    return path


def outputs(out, state):
    # The file output drops `raw`: events are identified by their parsed fields.
    lines = collections.Counter(harness.event_key(e) for e in harness.read_events(out))
    dumps = collections.Counter(harness.dumped_lines(harness.read_dumps(state)))
    return lines, dumps


def first_block_inside(rec, block=4096):
    b = (rec.offset // block + 1) * block
    assert rec.offset < b < rec.offset + rec.size - 8, "record smaller than a block"
    return b


def damage_cases():
    """(name, function(wal_dir, segment, data records) -> damaged DATA records, notes expected)."""

    def flip_middle(wal, seg, data):
        r = data[len(data) // 2]
        with open(seg, "r+b") as f:
            f.seek(r.offset + harness.HEADER + len(r.payload) // 2)
            b = f.read(4)
            f.seek(-4, 1)
            f.write(bytes(x ^ 0xFF for x in b))
        return [r]

    def truncate_segment(wal, seg, data):
        r = data[2 * len(data) // 3]
        os.truncate(seg, r.offset + r.size // 2)
        return [d for d in data if d.offset >= r.offset]

    def zero_tail(wal, seg, data):
        r = data[len(data) // 2]
        b = first_block_inside(r)
        end = data[-1].offset + data[-1].size
        with open(seg, "r+b") as f:
            f.seek(b)
            f.write(b"\0" * (end - b))
        return [d for d in data if d.offset >= r.offset]

    def zero_block_middle(wal, seg, data):
        r = data[len(data) // 3]
        b = first_block_inside(r)
        n = min(4096, r.offset + r.size - 8 - b)
        with open(seg, "r+b") as f:
            f.seek(b)
            f.write(b"\0" * n)
        return [r]

    def empty_checkpoint(wal, seg, data):
        open(os.path.join(wal, "checkpoint"), "w").close()
        return []

    def garbage_checkpoint(wal, seg, data):
        with open(os.path.join(wal, "checkpoint"), "wb") as f:
            f.write(os.urandom(200))
        return []

    return [
        ("flipped bytes in a record in the middle", flip_middle,
         ["damaged byte(s)", "bad checksum", "un-acknowledged and LOST", "quarantine"]),
        ("truncated segment", truncate_segment, ["torn tail"]),
        ("zero-filled tail", zero_tail, ["torn tail"]),
        ("zeroed block in the middle", zero_block_middle,
         ["damaged byte(s)", "un-acknowledged and LOST", "quarantine"]),
        ("empty checkpoint", empty_checkpoint, ["checkpoint file is empty"]),
        ("garbage checkpoint", garbage_checkpoint, ["checkpoint unreadable"]),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("bench")
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="intelflow-corrupt-")
    try:
        ok = run(a, work)
    finally:
        if a.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"corruption test: {'1 passed, 0 failed' if ok else '0 passed, 1 failed'}")
    return 0 if ok else 1


def run(a, work):
    feed = os.path.join(work, "feed.csv")
    harness.gen_feed(a.bench, a.lines, 5, feed)
    inp = os.path.join(work, "input")
    os.makedirs(inp)
    out = os.path.join(work, "out.jsonl")
    log = os.path.join(work, "daemon.log")
    graph = write_graph(a, work, inp, out, blocked=False)

    # 1. Reference.
    shutil.copy(feed, os.path.join(inp, "feed.csv"))
    ref_state = os.path.join(work, "ref-state")
    rc, text = harness.drain(a.bin, graph, ref_state, log)
    if rc != 0:
        print(f"FAIL: reference drain exited {rc}:\n{text[-2000:]}")
        return False
    ref_lines, ref_dumps = outputs(out, ref_state)
    os.unlink(out)
    print(f"  reference: {sum(ref_lines.values())} events, {sum(ref_dumps.values())} dumped lines",
          flush=True)

    # 2. A WAL holding the whole feed, un-acknowledged.
    blocked = write_graph(a, work, inp, out, blocked=True)
    shutil.copy(feed, os.path.join(inp, "feed.tmp"))
    os.rename(os.path.join(inp, "feed.tmp"), os.path.join(inp, "feed.csv"))
    snap = os.path.join(work, "snapshot")
    d = harness.Daemon(a.bin, blocked, snap, log, work).start()
    d.wait_ready()
    deadline = time.monotonic() + 30
    while os.listdir(inp) and time.monotonic() < deadline:
        time.sleep(0.05)
    d.kill()
    if os.listdir(inp):
        print("FAIL: the collector did not consume the input in 30 s")
        return False
    wal = os.path.join(snap, "wal")
    segs = harness.wal_segments(wal)
    records = [r for s in segs for r in harness.wal_records(s)]
    acked = harness.acked_seqs(records)
    data = [r for r in harness.wal_records(segs[-1]) if r.type == harness.DATA]
    pending = [r for r in records if r.type == harness.DATA and r.seq not in acked]
    print(f"  blocked run killed: {len(segs)} segment(s), {len(records)} records, "
          f"{len(pending)} reports un-acknowledged, output "
          f"{os.path.getsize(out) if os.path.exists(out) else 0} bytes", flush=True)
    if len(pending) < 20 or len(data) < 20:
        print("FAIL: too few un-acknowledged reports in the WAL to damage")
        return False

    ok = True
    for name, damage, notes in damage_cases():
        state = os.path.join(work, "state")
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(snap, state)
        if os.path.exists(out):
            os.unlink(out)
        hit = damage(os.path.join(state, "wal"), os.path.join(state, "wal", os.path.basename(segs[-1])),
                     data)
        lost = [r for r in hit if r.seq not in acked]
        # What reached the output / the dump in the reference, minus the lost reports.
        lost_ok, lost_bad = collections.Counter(), collections.Counter()
        for r in lost:
            for l in harness.report_lines(r):
                if l in ref_dumps:
                    lost_bad[l] += 1
                else:
                    lost_ok[harness.line_key(l)] += 1
        if lost_ok - ref_lines:
            print(f"FAIL: test error: lines of damaged reports not in the reference output")
            return False
        expected = ref_lines - lost_ok
        rc, text = harness.drain(a.bin, graph, state, log)
        got, dumps = outputs(out, state)
        recovery = [l for l in text.splitlines() if l.startswith("intelflow: recovery:")]
        problems = []
        if rc != 0:
            problems.append(f"drain exited {rc}")
        for n in notes:
            if not any(n in l for l in recovery):
                problems.append(f"no recovery note mentioning '{n}'")
        missing, extra = expected - got, got - expected
        if missing:
            problems.append(f"{sum(missing.values())} intact line(s) missing, e.g. {list(missing)[:1]}")
        if extra:
            problems.append(f"{sum(extra.values())} unexpected or duplicate line(s), "
                            f"e.g. {list(extra)[:1]}")
        # Malformed lines: dumped once (those of lost reports may have been
        # dumped before the kill already, or not).
        if dumps - ref_dumps:
            problems.append(f"{sum((dumps - ref_dumps).values())} extra dump(s)")
        if (ref_dumps - lost_bad) - dumps:
            problems.append(f"{sum(((ref_dumps - lost_bad) - dumps).values())} dump(s) missing")
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"  {name}: {len(lost)} report(s) damaged ({sum(lost_ok.values())} events), "
              f"{sum(got.values())} events out, expected {sum(expected.values())}: {status}",
              flush=True)
        for l in recovery:
            print("      " + l)
        ok = ok and not problems
    return ok


if __name__ == "__main__":
    sys.exit(main())
