#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Process-level tests of the intelflow daemon: the real binary, real files,
real signals. Readiness is taken from the daemon's own sd_notify messages
(NOTIFY_SOCKET points at a datagram socket of this test), not from sleeps.

usage: daemon_test.py INTELFLOW_BIN
"""
import json
import os
import shutil
import signal
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
  batch_size: 64
collector:
  module: intelmq.bots.collectors.file.collector_file
  parameters:
    destination_queues: {{_default: [parser-queue]}}
    path: {input}
    postfix: .csv
    delete_file: true
    rate_limit: 0.05
    name: Daemon Test
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


class DaemonTest(unittest.TestCase):
    maxDiff = 2000

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="intelflow-daemon-")
        self.input = os.path.join(self.dir, "input")
        os.makedirs(self.input)
        self.graph = os.path.join(self.dir, "graph.yaml")
        self.notify = Notify(os.path.join(self.dir, "notify.sock"))
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_graph(self, output):
        with open(self.graph, "w") as f:
            f.write(GRAPH.format(input=self.input, output=output))

    def start(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        self.log = open(os.path.join(self.dir, "daemon.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "run", self.graph, "--state-dir", os.path.join(self.dir, "state")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.notify.wait_for("READY=1")

    def feed(self, name, first, count):
        tmp = os.path.join(self.dir, name + ".tmp")
        with open(tmp, "w") as f:
            for n in range(first, first + count):
                f.write(f"192.0.2.{n % 250 + 1},{n}\n")
        os.rename(tmp, os.path.join(self.input, name + ".csv"))

    def numbers(self, path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return sorted(int(json.loads(line)["extra.n"]) for line in f if line.strip())

    def daemon_log(self):
        with open(os.path.join(self.dir, "daemon.log")) as f:
            return f.read()

    def test_sigterm_drains_everything_accepted(self):
        out = os.path.join(self.dir, "out.jsonl")
        self.write_graph(out)
        self.start()
        for i in range(20):
            self.feed(f"f{i:02d}", i * 1000, 1000)
        # Stop while files are still being taken in.
        wait_until(lambda: len(os.listdir(self.input)) < 20, what="the collector to start")
        self.proc.send_signal(signal.SIGTERM)
        self.notify.wait_for("STOPPING=1")
        self.assertEqual(self.proc.wait(timeout=120), 0, self.daemon_log())
        left = {f for f in os.listdir(self.input) if f.endswith(".csv")}
        taken = [i for i in range(20) if f"f{i:02d}.csv" not in left]
        expected = sorted(n for i in taken for n in range(i * 1000, i * 1000 + 1000))
        # Every file the collector deleted was delivered completely, once.
        got = self.numbers(out)
        self.assertEqual(len(got), len(expected), "events delivered vs accepted")
        self.assertTrue(got == expected, "delivered events differ from the accepted files")
        self.assertGreater(len(taken), 0)

    def test_sighup_reload_and_refused_bad_file(self):
        out1 = os.path.join(self.dir, "out1.jsonl")
        out2 = os.path.join(self.dir, "out2.jsonl")
        self.write_graph(out1)
        self.start()
        self.feed("a", 0, 10)
        wait_until(lambda: len(self.numbers(out1)) == 10, what="first file delivered")
        # A good new file: the next data goes to out2.
        self.write_graph(out2)
        self.proc.send_signal(signal.SIGHUP)
        self.notify.wait_for("RELOADING=1")
        self.notify.wait_for("READY=1")
        self.feed("b", 100, 10)
        wait_until(lambda: len(self.numbers(out2)) == 10, what="delivery after reload")
        self.assertEqual(self.numbers(out1), list(range(0, 10)))
        # A bad file is refused and the running graph goes on.
        with open(self.graph, "w") as f:
            f.write("output:\n  module: no.such.bot\n")
        self.proc.send_signal(signal.SIGHUP)
        self.notify.wait_for("RELOADING=1")
        self.notify.wait_for("READY=1")
        self.assertIsNone(self.proc.poll())
        self.feed("c", 200, 10)
        wait_until(lambda: len(self.numbers(out2)) == 20, what="delivery after refused reload")
        self.assertIn("Reload refused", self.daemon_log())
        self.assertIn("graph.yaml:2:", self.daemon_log())
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=60), 0)

    def test_check_reports_file_line_column(self):
        with open(self.graph, "w") as f:
            f.write("parser:\n  module: intelmq.bots.parsers.generic.parser_csv\n"
                    "  parameters:\n    destination_queues: {_default: [nowhere]}\n"
                    "    no_such_parameter: 1\n")
        r = subprocess.run([BIN, "check", self.graph], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("graph.yaml:5:5", r.stdout)
        self.assertIn("no_such_parameter", r.stdout)

    def test_refuses_to_start_on_a_bad_graph(self):
        with open(self.graph, "w") as f:
            f.write("collector:\n  module: intelmq.bots.collectors.file.collector_file\n  parameters: [\n")
        r = subprocess.run([BIN, "run", self.graph, "--state-dir", os.path.join(self.dir, "s")],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("graph.yaml:", r.stderr)
        self.assertIn("refusing to start", r.stderr)

    def test_second_daemon_on_the_same_state_dir_is_refused(self):
        self.write_graph(os.path.join(self.dir, "out.jsonl"))
        self.start()
        r = subprocess.run([BIN, "run", self.graph, "--state-dir", os.path.join(self.dir, "state")],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("in use by another intelflow process", r.stderr)


if __name__ == "__main__":
    BIN = sys.argv.pop(1)
    unittest.main(verbosity=2)
