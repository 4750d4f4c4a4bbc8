# SPDX-License-Identifier: AGPL-3.0-or-later
"""Helpers shared by the daemon process tests: a NOTIFY_SOCKET listener
(the readiness latch) and a polling wait with a deadline."""
import socket
import time


class Notify:
    """A NOTIFY_SOCKET listener: collects READY=1 / RELOADING=1 / STOPPING=1."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait_for(self, word, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"daemon did not send {word} within {timeout}s")
            self.sock.settimeout(left)
            data = self.sock.recv(4096).decode()
            if word in data.split("\n"):
                return

    def close(self):
        self.sock.close()


def wait_until(pred, timeout=60, what="condition", step=0.02):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
