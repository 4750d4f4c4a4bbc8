# SPDX-License-Identifier: AGPL-3.0-or-later
"""Helpers shared by the daemon-level crash tests (power loss, corruption):
the daemon as a child process (sd_notify readiness), generated feeds, the
benchmark graph, reading the output, and a reader of the WAL's segment format
(engine/wal/wal.hpp: u32 len | u32 crc32c | u64 seq | u8 type | u8 flags |
u16 source | u32 aux, payload padded to 8)."""
import base64
import collections
import csv
import json
import os
import socket
import struct
import subprocess
import sys
import time

DATA, ACK, PAD, OUTPUT = 1, 2, 3, 4
HEADER = 24


class Daemon:
    """`intelflow run GRAPH --state-dir STATE` as a child process."""

    def __init__(self, binary, graph, state, log_path, work):
        self.binary, self.graph, self.state = binary, graph, state
        self.log = open(log_path, "ab")
        self.log_path = log_path
        self.notify_path = os.path.join(work, "notify.sock")
        self.p = None
        self.sock = None

    def start(self, env_extra=None):
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        env.pop("INTELFLOW_FAULT", None)
        env.pop("INTELFLOW_POWER_LOSS_TAIL", None)
        env.update(env_extra or {})
        self.log_offset = self.log.tell()
        self.p = subprocess.Popen([self.binary, "run", self.graph, "--state-dir", self.state],
                                  env=env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout=30):
        """True once READY=1 arrives; False if the process died first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                return False
            self.sock.settimeout(0.2)
            try:
                if b"READY=1" in self.sock.recv(4096):
                    return True
            except socket.timeout:
                pass
        raise AssertionError("daemon not ready in time")

    def wait(self, timeout):
        """Exit status, or None if still running after `timeout` seconds."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.sock.close()
        return self.p.returncode

    def output_since_start(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            return f.read().decode("utf-8", "replace")


def drain(binary, graph, state, log_path, timeout=120):
    """`intelflow run --drain`: replay, one collector round, drain, exit. (rc, its log)."""
    with open(log_path, "ab") as log:
        start = log.tell()
        r = subprocess.run([binary, "run", graph, "--state-dir", state, "--drain", "--quiet"],
                           stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
    with open(log_path, "rb") as f:
        f.seek(start)
        return r.returncode, f.read().decode("utf-8", "replace")


def gen_feed(bench, lines, seed, out, counts=None):
    cmd = [sys.executable, os.path.join(bench, "gen_feed.py"), "--lines", str(lines),
           "--seed", str(seed), "--out", out]
    if counts:
        cmd += ["--counts", counts]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def split_feed(feed, inp, parts):
    """Writes `feed` as `parts` files feed_00.csv... into `inp`, each with the header.
    Returns {file name: [data lines]}."""
    with open(feed) as f:
        header, *lines = f.read().splitlines()
    per = (len(lines) + parts - 1) // parts
    files = {}
    for i in range(parts):
        chunk = lines[i * per:(i + 1) * per]
        name = f"feed_{i:02d}.csv"
        # Written elsewhere and renamed in: the collector never sees a partial file.
        tmp = os.path.join(inp, "..", name + ".tmp")
        with open(tmp, "w") as f:
            f.write(header + "\n" + "\n".join(chunk) + "\n")
        os.rename(tmp, os.path.join(inp, name))
        files[name] = chunk
    return files


def graph_text(bench, inp, out, chunk_size, engine, pipeline="bench", extra_bots=""):
    """The benchmark graph (pipeline.yaml.in) with our input, output, chunk size
    and engine section. pipeline="short": collector -> CSV parser -> file output."""
    with open(os.path.join(bench, "pipeline.yaml.in")) as f:
        g = (f.read().replace("@INPUT_DIR@", inp).replace("@OUTPUT_FILE@", out)
             .replace("@MODIFY_RULES@", os.path.join(bench, "modify-rules.json"))
             .replace('"@CACHE_HOST@"', '""').replace("@CACHE_PORT@", "6379"))
    g = g.replace("chunk_size: 1048576", f"chunk_size: {chunk_size}").replace(
        "rate_limit: 1", "rate_limit: 0.05")
    if pipeline == "short":
        g = g.replace("_default: [bench-taxonomy-expert-queue]", "_default: [bench-file-output-queue]")
        for bot in ("bench-taxonomy-expert", "bench-url2fqdn-expert", "bench-deduplicator-expert",
                    "bench-modify-expert"):
            g = g.replace(f"bot_id: {bot}\n  enabled: true", f"bot_id: {bot}\n  enabled: false")
    g += extra_bots
    g += "\nglobal:\n  error_max_retries: 0\n  error_procedure: pass\n"
    g += "engine:\n" + "".join(f"  {k}: {v}\n" for k, v in engine.items())
    return g


WAIT_BOT = """
slow-wait:
  bot_id: slow-wait
  enabled: true
  group: Expert
  module: intelmq.bots.experts.wait.expert
  name: Wait
  parameters:
    destination_queues:
      _default: [{dest}]
    sleep_time: 3600
  run_mode: continuous
"""


def block_after_parser(g):
    """Puts a wait expert sleeping an hour per event after the CSV parser: the
    collector keeps writing reports to the WAL (with a large engine
    max_in_flight) while nothing is delivered or acknowledged."""
    marker = "\n    columns:"
    i = g.index(marker)
    j = g.rindex("_default: [", 0, i)
    dest = g[j + len("_default: ["):g.index("]", j)]
    g = g[:j] + "_default: [slow-wait-queue]" + g[g.index("]", j) + 1:]
    k = g.index("\nglobal:\n")
    return g[:k] + WAIT_BOT.format(dest=dest) + g[k:]


def read_events(out):
    if not os.path.exists(out):
        return []
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def event_raw(e):
    """The input line an event came from (the parser's `raw`)."""
    return base64.b64decode(e["raw"]).decode("utf-8").rstrip("\r\n")


def line_key(line):
    """What identifies a feed line in the output of the benchmark pipeline (its
    experts drop `raw`): time (Z written +00:00), IP, ASN, comment."""
    t, ip, _url, asn, _typ, comment = next(csv.reader([line]))
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    return (t, ip, asn, comment)


def event_key(e):
    return (e.get("time.source"), e.get("source.ip"), str(e.get("source.asn", "")),
            e.get("extra.comment") or "")


def dumped_lines(dumps):
    """The input lines in the dumped reports (header removed)."""
    out = []
    for v in dumps.values():
        raw = json.loads(v["message"]).get("raw")
        if raw:
            out += base64.b64decode(raw).decode("utf-8").splitlines()[1:]
    return out


def read_dumps(state, bot="bench-csv-parser"):
    path = os.path.join(state, "log", f"{bot}.dump")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def identity_keys(events):
    """An event's identity: everything but time.observation (a file read again
    after a crash gets a new observation time; the deduplicator ignores it) and
    feed.url (it names the run's own input directory)."""
    return [json.dumps({k: v for k, v in e.items() if k not in ("time.observation", "feed.url")},
                       sort_keys=True) for e in events]


Record = collections.namedtuple("Record", "offset size seq type payload")


def wal_segments(wal_dir):
    return sorted(os.path.join(wal_dir, n) for n in os.listdir(wal_dir)
                  if n.endswith(".wal") and len(n) == 24)


def wal_records(segment):
    """The records of an intact segment, in order (stops at the zero header)."""
    with open(segment, "rb") as f:
        b = f.read()
    recs, off = [], 0
    while off + HEADER <= len(b):
        length, _crc, seq, typ = struct.unpack_from("<IIQB", b, off)
        if typ == 0:
            break
        size = HEADER + ((length + 7) & ~7)
        recs.append(Record(off, size, seq, typ, b[off + HEADER:off + HEADER + length]))
        off += size
    return recs


def acked_seqs(records):
    s = set()
    for r in records:
        if r.type == ACK:
            s.update(struct.unpack_from(f"<{len(r.payload) // 8}Q", r.payload))
    return s


def report_lines(record):
    """The data lines of the report in a DATA record (the collector's chunk,
    header line removed)."""
    bot, path, root, msg = record.payload.split(b"\n", 3)
    raw = base64.b64decode(json.loads(msg)["raw"]).decode("utf-8")
    return raw.splitlines()[1:]
