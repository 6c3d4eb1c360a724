"""Start-up on a damaged store: a database that cannot be opened, or a record that fails its
checksum or version check, is reported clearly and the broker refuses to start (nothing is
dropped silently), unless [storage] quarantine_corrupt moves the bad records aside.

The store is a real RocksDB database written by the broker; tests/tools/store_edit.cpp
(gridmq_store_edit) damages one record of it in place.
"""

import os
import subprocess
import unittest

from mqtttest import Broker, RawClient, run_tests, skip_if_mosquitto

_HERE = os.path.dirname(os.path.abspath(__file__))


def store_edit(*args):
    tool = os.environ.get("GRIDMQ_STORE_EDIT") or os.path.join(_HERE, "..", "..", "build", "bin", "gridmq_store_edit")
    out = subprocess.run([tool] + [str(a) for a in args], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError("gridmq_store_edit %s failed: %s" % (" ".join(map(str, args)), out.stderr))
    return out.stdout.strip()


class Startup(unittest.TestCase):
    def setUp(self):
        skip_if_mosquitto(self, "gridmq's own store")

    def fill(self, b):
        """Two persistent sessions, one queued message for each, a retained message; then a clean
        stop. Returns the data directory."""
        for cid in ("keep-a", "keep-b"):
            c = RawClient(b.port, 4)
            c.connect(cid, clean=False)
            c.subscribe("start/q", qos=1)
            c.disconnect()
        pub = RawClient(b.port, 4)
        pub.connect("start-pub")
        pub.publish("start/q", b"queued", qos=1)
        pub.publish("start/r", b"retained", qos=1, retain=True)
        pub.disconnect()
        self.assertEqual(b.stop(), 0)
        return os.path.join(b.dir, "data")

    def start_fails(self, b):
        """Runs the broker's command again; it must exit by itself, non-zero. Returns its output."""
        run = subprocess.run(b.proc.args, cwd=b.dir, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(run.returncode, 0, "the broker started on a damaged store:\n" + run.stdout + run.stderr)
        return run.stdout + run.stderr

    def test_bad_checksum_refuses_start_and_keeps_the_data(self):
        with Broker() as b:
            data = self.fill(b)
            store_edit(data, "corrupt", "queues")
            out = self.start_fails(b)
            self.assertIn("storage: corrupt record in queues key ", out)
            self.assertIn("checksum mismatch", out)
            self.assertIn("quarantine_corrupt", out, "the message says how to start anyway")
            self.assertEqual(store_edit(data, "count", "queues"), "2", "nothing was deleted")
            self.assertEqual(store_edit(data, "count", "quarantine"), "0")

    def test_unknown_record_version_refuses_start(self):
        with Broker() as b:
            data = self.fill(b)
            store_edit(data, "version", "sessions", 9)
            out = self.start_fails(b)
            self.assertIn("storage: corrupt record in sessions key ", out)
            self.assertIn("unsupported record version 9", out)
            self.assertEqual(store_edit(data, "count", "sessions"), "2")

    def test_database_that_cannot_be_opened_refuses_start(self):
        with Broker() as b:
            data = self.fill(b)
            with open(os.path.join(data, "CURRENT"), "w") as f:
                f.write("garbage\n")
            out = self.start_fails(b)
            self.assertIn("cannot open RocksDB at '%s'" % data, out)

    def test_quarantine_corrupt_starts_and_moves_the_record_aside(self):
        with Broker(config_extra={"storage": {"quarantine_corrupt": True}}) as b:
            data = self.fill(b)
            store_edit(data, "corrupt", "sessions")  # the first: keep-a
            b.restart(crash=False)
            log = b.log_text(limit=1 << 20)
            self.assertIn("storage: corrupt record in sessions key ", log)
            self.assertIn("moved to quarantine key", log)
            self.assertEqual(b.stop(), 0)
            self.assertEqual(store_edit(data, "count", "quarantine"), "1")
            self.assertEqual(store_edit(data, "count", "sessions"), "1")
            b.restart(crash=False)
            # The intact session is still there with its queued message and the retained one.
            c = RawClient(b.port, 4)
            self.assertEqual(c.connect("keep-b", clean=False).session_present, 1)
            c.expect_publish(topic="start/q", payload=b"queued", qos=1)
            c.subscribe("start/r", qos=1)
            c.expect_publish(topic="start/r", payload=b"retained", retain=True)
            c.disconnect()
            # The quarantined one is gone (and its orphaned queue entry with it).
            c = RawClient(b.port, 4)
            self.assertEqual(c.connect("keep-a", clean=False).session_present, 0)
            c.expect_nothing(0.5)
            c.disconnect()


if __name__ == "__main__":
    run_tests()
