#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Process-level tests of `intelflow dump` with the real daemon: a parser
dumps malformed lines, the tool lists them, an edit fixes them, re-injection
delivers them through the running daemon, and kill -9 of the CLI (between the
spool and the dump rewrite) or of the daemon (between the injection and the
spool unlink) loses and doubles nothing: every entry ends up delivered exactly
once or still in the dump, never both, never neither.

usage: dump_tool_test.py INTELFLOW_BIN
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_util import Notify, wait_until  # noqa: E402

BIN = None

GRAPH = """
engine:
  threads: 2
collector:
  module: intelmq.bots.collectors.file.collector_file
  parameters:
    destination_queues: {{_default: [parser-queue]}}
    path: {input}
    postfix: .csv
    delete_file: true
    rate_limit: 0.05
    name: Dump Tool Test
parser:
  module: intelmq.bots.parsers.generic.parser_csv
  parameters:
    destination_queues: {{_default: [output-queue]}}
    columns: [source.ip, extra.n]
output:
  module: intelmq.bots.outputs.file.output
  parameters:
    file: {output}
"""

# The editor: turns the malformed address of the line into a good one.
FIX_EDITOR = """#!/usr/bin/env python3
import base64, json, sys
with open(sys.argv[1]) as f:
    msg = json.load(f)
line = base64.b64decode(msg["raw"]).decode().replace("not-an-ip", "192.0.2.77")
msg["raw"] = base64.b64encode(line.encode()).decode()
with open(sys.argv[1], "w") as f:
    json.dump(msg, f, indent=4, sort_keys=True)
"""

BREAK_EDITOR = """#!/bin/sh
sed -i 's/"feed.accuracy": 100.0/"feed.accuracy": "very"/' "$1"
"""


class DumpToolTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="intelflow-dumptool-")
        self.input = os.path.join(self.dir, "input")
        os.makedirs(self.input)
        self.state = os.path.join(self.dir, "state")
        self.out = os.path.join(self.dir, "out.jsonl")
        self.graph = os.path.join(self.dir, "graph.yaml")
        with open(self.graph, "w") as f:
            f.write(GRAPH.format(input=self.input, output=self.out))
        self.fix = self.script("fix.py", FIX_EDITOR)
        self.breaker = self.script("break.sh", BREAK_EDITOR)
        self.notify = Notify(os.path.join(self.dir, "notify.sock"))
        self.proc = None
        self.log = None
        self.runs = 0

    def tearDown(self):
        self.stop_daemon(kill=True)
        self.notify.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def script(self, name, body):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, 0o755)
        return path

    # --- the daemon -------------------------------------------------------------
    def start_daemon(self, fault=None):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        env.pop("INTELFLOW_FAULT", None)
        if fault:
            env["INTELFLOW_FAULT"] = fault
        self.runs += 1
        self.log = open(os.path.join(self.dir, f"daemon{self.runs}.log"), "w")
        self.proc = subprocess.Popen([BIN, "run", self.graph, "--state-dir", self.state],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.notify.wait_for("READY=1")

    def stop_daemon(self, kill=False):
        if self.proc and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(timeout=60)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def daemon_logs(self):
        text = ""
        for i in range(1, self.runs + 1):
            with open(os.path.join(self.dir, f"daemon{i}.log")) as f:
                text += f.read()
        return text

    # --- the tool ---------------------------------------------------------------
    def dump(self, *args, editor=None, fault=None, check=True):
        env = dict(os.environ)
        env.pop("INTELFLOW_FAULT", None)
        if editor:
            env["EDITOR"] = editor
        if fault:
            env["INTELFLOW_FAULT"] = fault
        r = subprocess.run([BIN, "dump", self.graph, "--state-dir", self.state, *args],
                           capture_output=True, text=True, timeout=120, env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"intelflow dump {' '.join(args)}: rc {r.returncode}\n"
                                 f"{r.stdout}{r.stderr}")
        return r

    def entries(self):
        r = self.dump("parser", "show", "--json", "--truncate", "0", check=False)
        if "no dump file" in r.stderr:
            return []
        return json.loads(r.stdout)

    def dumped_numbers(self):
        """extra.n of each line held in the dump (decoded raw)."""
        nums = []
        for e in self.entries():
            line = base64.b64decode(e["message"]["raw"]).decode()
            nums.append(int(line.strip().split(",")[1]))
        return sorted(nums)

    def delivered(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return sorted(int(json.loads(l)["extra.n"]) for l in f if l.strip())

    def feed(self, name, good, bad):
        """good/bad: lists of numbers; bad lines have a malformed address."""
        tmp = os.path.join(self.dir, name + ".tmp")
        with open(tmp, "w") as f:
            for n in good:
                f.write(f"192.0.2.{n % 250 + 1},{n}\n")
            for n in bad:
                f.write(f"not-an-ip,{n}\n")
        os.rename(tmp, os.path.join(self.input, name + ".csv"))

    def make_dumps(self, good, bad):
        self.feed("batch", good, bad)
        wait_until(lambda: len(self.delivered()) == len(good) and
                   len(self.dumped_numbers()) == len(bad), what="good lines delivered, bad dumped")

    def fix_all(self):
        for i in range(len(self.entries())):
            self.dump("parser", "edit", str(i), editor=self.fix)

    def assert_exactly_once(self, good, bad):
        """Each bad line: delivered once or still in the dump, never both/neither;
        good lines delivered once."""
        delivered = self.delivered()
        dumped = self.dumped_numbers()
        for n in good:
            self.assertEqual(delivered.count(n), 1, f"good line {n}")
        for n in bad:
            self.assertEqual(delivered.count(n) + dumped.count(n), 1,
                             f"line {n}: delivered {delivered.count(n)}x, dumped "
                             f"{dumped.count(n)}x\n{self.daemon_logs()}")

    def pending_spools(self):
        d = os.path.join(self.state, "reinject")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    # --- tests ------------------------------------------------------------------
    def test_list_edit_reinject_with_the_running_daemon(self):
        good, bad = list(range(10)), [100, 101, 102]
        self.start_daemon()
        self.make_dumps(good, bad)
        r = self.dump()
        self.assertIn("parser", r.stdout)
        self.assertRegex(r.stdout, r"parser\s+3\s+\d{4}-")
        listing = self.dump("parser").stdout
        self.assertIn("Processing parser: 3 dumps", listing)
        self.assertIn("invalid value 'not-an-ip'", listing)
        # An invalid edit is refused and changes nothing.
        before = self.entries()
        r = self.dump("parser", "edit", "0", editor=self.breaker, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("edit refused", r.stderr)
        self.assertEqual(self.entries(), before)
        # A good edit, then re-injection into the running daemon.
        self.dump("parser", "edit", "0", editor=self.fix)
        fixed_n = self.dumped_numbers()[0]
        r = self.dump("parser", "reinject", "0", "--wait", "30")
        self.assertIn("Recovered dump 0.", r.stdout)
        self.assertIn("Taken over by the daemon.", r.stdout)
        wait_until(lambda: fixed_n in self.delivered(), what="the fixed line delivered")
        self.assertEqual(len(self.dumped_numbers()), 2)
        # An un-fixed entry re-injected fails again and is dumped again (once).
        self.dump("parser", "reinject", "--filter", "not-an-ip", "0")
        wait_until(lambda: not self.pending_spools(), what="spool taken over")
        wait_until(lambda: len(self.dumped_numbers()) == 2, what="the failure dumped again")
        self.stop_daemon()
        self.assert_exactly_once(good, bad)
        self.assertEqual(self.delivered().count(fixed_n), 1)

    def test_pending_without_daemon_then_delivered_at_start(self):
        good, bad = [1, 2], [200, 201]
        self.start_daemon()
        self.make_dumps(good, bad)
        self.stop_daemon()
        self.fix_all()
        r = self.dump("parser", "reinject", "all")
        self.assertIn("none is running", r.stdout)
        overview = self.dump().stdout
        self.assertIn("Pending re-injection", overview)
        self.start_daemon()
        wait_until(lambda: all(n in self.delivered() for n in bad), what="delivery at start")
        wait_until(lambda: not self.pending_spools(), what="spool removed")
        self.stop_daemon()
        self.assert_exactly_once(good, bad)
        self.assertEqual(self.dumped_numbers(), [])

    def cli_crash(self, fault, daemon_running):
        good, bad = [5, 6], [300, 301, 302]
        self.start_daemon()
        self.make_dumps(good, bad)
        if not daemon_running:
            self.stop_daemon()
        self.fix_all()
        r = self.dump("parser", "reinject", "0,2", fault=fault, check=False)
        self.assertEqual(r.returncode, -9, r.stdout + r.stderr)
        # Recovery: the running daemon rolls the spool forward by itself;
        # otherwise the next `intelflow dump` does, and the daemon delivers at start.
        if not daemon_running:
            r = self.dump()
            if fault == "dump.after_spool":
                self.assertIn("Finished 1 interrupted re-injection.", r.stdout)
            self.start_daemon()
        wait_until(lambda: not self.pending_spools(), what="spool taken over")
        wait_until(lambda: len(self.delivered()) == len(good) + 2, what="re-injected delivered")
        self.stop_daemon()
        self.assert_exactly_once(good, bad)
        self.assertEqual(len(self.dumped_numbers()), 1)

    def test_cli_killed_after_spool_daemon_running(self):
        self.cli_crash("dump.after_spool", daemon_running=True)

    def test_cli_killed_after_spool_no_daemon(self):
        self.cli_crash("dump.after_spool", daemon_running=False)

    def test_cli_killed_after_dump_rewrite_no_daemon(self):
        self.cli_crash("dump.after_rewrite", daemon_running=False)

    def test_daemon_killed_between_inject_and_spool_unlink(self):
        good, bad = [7, 8], [400, 401, 402]
        self.start_daemon()
        self.make_dumps(good, bad)
        self.stop_daemon()
        self.fix_all()
        self.start_daemon(fault="reinject.before_unlink")
        self.dump("parser", "reinject", "all")
        self.assertEqual(self.proc.wait(timeout=60), -9, self.daemon_logs())
        self.stop_daemon()
        self.assertEqual(len(self.pending_spools()), 1)  # the spool outlived the daemon
        self.start_daemon()
        wait_until(lambda: not self.pending_spools(), what="spool removed after recovery")
        wait_until(lambda: all(n in self.delivered() for n in bad), what="delivery")
        self.stop_daemon()
        self.assertIn("replayed", self.daemon_logs())
        # The records already in the WAL were recognised by their tags, not injected again.
        self.assertIn("Re-injected 0 dumped message(s)", self.daemon_logs())
        self.assert_exactly_once(good, bad)
        self.assertEqual(self.dumped_numbers(), [])


if __name__ == "__main__":
    BIN = sys.argv.pop(1)
    unittest.main(verbosity=2)
