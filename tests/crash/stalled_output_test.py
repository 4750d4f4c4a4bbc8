# SPDX-License-Identifier: AGPL-3.0-or-later
"""Stalled output (issue #5): the benchmark graph with its output replaced by
the TCP output, whose peer accepts the connection and then reads nothing for
STALL seconds while the whole feed (default 1,000,000 lines) is released into
the daemon. Back-pressure must hold the graph: the daemon's peak RSS (VmHWM)
stays under --max-rss-mb (default 256), and once the peer reads again every
expected event arrives, exactly once.

usage: stalled_output_test.py INTELFLOW SHARED_BENCH_DIR [--lines N] [--stall S] [--max-rss-mb M]
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("bench")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--stall", type=float, default=10.0,
                    help="seconds the peer reads nothing (below the output's 15 s socket timeout)")
    ap.add_argument("--max-rss-mb", type=float, default=256.0)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="intelflow-stall-")
    inp, state = os.path.join(work, "input"), os.path.join(work, "state")
    os.makedirs(inp)
    feed, counts_path = os.path.join(work, "feed.csv"), os.path.join(work, "counts.json")
    harness.gen_feed(args.bench, args.lines, 1, feed, counts_path)
    counts = json.load(open(counts_path))

    # The peer: accepts one connection, stalls, then reads newline-separated events.
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    stall_over = threading.Event()
    received = []
    peer_error = []

    def peer():
        try:
            conn, _ = srv.accept()
            stall_over.wait()
            buf = b""
            conn.settimeout(60)
            while len(received) < counts["expected_events_out"]:
                data = conn.recv(1 << 20)
                if not data:
                    break
                buf += data
                *lines, buf = buf.split(b"\n")
                received.extend(lines)
            conn.close()
        except Exception as e:  # reported by the main thread
            peer_error.append(repr(e))

    t = threading.Thread(target=peer, daemon=True)
    t.start()

    g = harness.graph_text(args.bench, inp, os.path.join(work, "unused.jsonl"), 1048576,
                           {"fsync": "always"})
    # Replace the file output by the TCP output towards the stalling peer.
    start = g.index("bench-file-output:")
    end = g.index("\nglobal:\n")
    g = g[:start] + f"""bench-file-output:
  bot_id: bench-file-output
  enabled: true
  group: Output
  module: intelmq.bots.outputs.tcp.output
  name: TCP output
  parameters:
    ip: 127.0.0.1
    port: {port}
    counterpart_is_intelmq: false
    separator: "\\n"
  run_mode: continuous
""" + g[end:]
    graph = os.path.join(work, "graph.yaml")
    with open(graph, "w") as f:
        f.write(g)

    d = harness.Daemon(args.binary, graph, state, os.path.join(work, "daemon.log"), work)
    d.start()
    ok = False
    try:
        assert d.wait_ready(), "daemon did not start:\n" + d.output_since_start()
        os.rename(feed, os.path.join(inp, "feed.csv"))
        t0 = time.monotonic()
        peak_during_stall = 0.0
        while time.monotonic() - t0 < args.stall:
            peak_during_stall = max(peak_during_stall, vm_hwm_mb(d.p.pid))
            time.sleep(0.2)
        consumed = not os.path.exists(os.path.join(inp, "feed.csv"))
        print(f"stall of {args.stall:.0f} s over: input file consumed: {consumed}, "
              f"peak RSS so far {peak_during_stall:.1f} MiB")
        stall_over.set()
        t.join(timeout=300)
        assert not t.is_alive(), "the peer did not receive everything in time"
        assert not peer_error, f"peer failed: {peer_error}"
        peak = vm_hwm_mb(d.p.pid)
        expected = counts["expected_events_out"]
        keys = set()
        for line in received:
            e = json.loads(line)
            e.pop("time.observation", None)
            e.pop("raw", None)
            keys.add(json.dumps(e, sort_keys=True))
        print(f"events received {len(received)} (distinct {len(keys)}), expected {expected}; "
              f"peak RSS {peak:.1f} MiB (bound {args.max_rss_mb:.0f} MiB)")
        assert len(received) == expected, "events lost or duplicated"
        assert len(keys) == expected, "duplicate events"
        assert peak <= args.max_rss_mb, f"peak RSS {peak:.1f} MiB over the bound"
        ok = True
    finally:
        d.kill()
        if not ok:
            print(d.output_since_start()[-3000:])
    print("stalled output: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
