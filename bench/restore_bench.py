#!/usr/bin/python3
"""restore_bench.py: restart with large state. Fills a gridmq broker (real RocksDB store, sync
policy "sync") with SESSIONS offline persistent sessions that each hold MESSAGES queued QoS 1
messages (one topic all of them subscribe to: SESSIONS x MESSAGES queue entries, each body stored
once), kills it with SIGKILL, starts it again on the same data and reports how long the restart
took, what the broker says it loaded, its memory before and after, and whether a sample of
sessions gets every message back, in order.

    bench/restore_bench.py [--sessions 1000] [--messages 1000] [--payload 100] [--verify 20]
                           [--gridmq-bin build/bin/gridmq] [--threads 2]

The default is the issue's case: 1,000 sessions, 1,000,000 queued messages in total (a few
minutes on 2 cores). CI runs the small version in tests/system/test_durability.py
(test_many_sessions_restore). Uses the independent test client of tests/lib (no gridmq code).
Exit status 0 = every sampled session got its messages back, 1 = something was missing.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import mqttbytes as mb  # noqa: E402

TOPIC = "bench/restore"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Broker:
    def __init__(self, binary, threads, work):
        self.port = free_port()
        self.data = os.path.join(work, "data")
        self.log_path = os.path.join(work, "broker.log")
        self.cmd = [binary, "--listen", "tcp://127.0.0.1:%d" % self.port, "--data-dir", self.data,
                    "--threads", str(threads), "--log-level", "info"]
        self.proc = None

    def start(self, timeout=600):
        """Starts the broker; returns seconds until it accepts connections."""
        log = open(self.log_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited at start; see " + self.log_path)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return time.monotonic() - t0
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("broker did not accept within %d s" % timeout)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def connect(port, client_id, timeout=30, clean=False):
    s = mb.tcp_connect(port, timeout)
    s.sendall(mb.gen_connect(client_id, proto=4, clean=clean))
    t, f, body = mb.read_packet(s, timeout)
    p = mb.parse(t, f, body, 4)
    if p.type != mb.CONNACK or p.rc != 0:
        raise RuntimeError("%s: CONNACK %r" % (client_id, p))
    return s, p


def make_sessions(port, n):
    for i in range(n):
        s, _ = connect(port, "restore-%d" % i)
        s.sendall(mb.gen_subscribe(1, [(TOPIC, 1)], proto=4))
        t, f, body = mb.read_packet(s, 30)
        if mb.parse(t, f, body, 4).type != mb.SUBACK:
            raise RuntimeError("no SUBACK")
        s.sendall(mb.gen_disconnect(proto=4))
        s.close()


def publish(port, messages, payload_size, window=100):
    s, _ = connect(port, "restore-pub", clean=True)
    pad = b"x" * max(0, payload_size - 8)
    sent = acked = 0
    while acked < messages:
        while sent < messages and sent - acked < window:
            mid = sent % 65535 + 1
            s.sendall(mb.gen_publish(TOPIC, b"%08d" % sent + pad, qos=1, mid=mid, proto=4))
            sent += 1
        t, f, body = mb.read_packet(s, 60)
        if mb.parse(t, f, body, 4).type == mb.PUBACK:
            acked += 1
    s.sendall(mb.gen_disconnect(proto=4))
    s.close()


def drain(port, client_id, messages):
    """Takes every queued message of one session (acknowledging each); returns their numbers."""
    s, ack = connect(port, client_id)
    if not ack.session_present:
        return None
    got = []
    deadline = time.monotonic() + 120
    while len(got) < messages and time.monotonic() < deadline:
        try:
            t, f, body = mb.read_packet(s, 5)
        except mb.Timeout:
            break
        p = mb.parse(t, f, body, 4)
        if p.type == mb.PUBLISH:
            got.append(int(p.payload[:8]))
            if p.qos == 1:
                s.sendall(mb.gen_puback(p.mid, proto=4))
    s.sendall(mb.gen_disconnect(proto=4))
    s.close()
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=1000, help="queued per session")
    ap.add_argument("--payload", type=int, default=100, help="bytes per message")
    ap.add_argument("--verify", type=int, default=20, help="sessions drained and checked after the restart")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gridmq-bin", default=os.path.join(ROOT, "build", "bin", "gridmq"))
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="gridmq-restore-")
    b = Broker(a.gridmq_bin, a.threads, work)
    ok = False
    try:
        b.start()
        t0 = time.monotonic()
        make_sessions(b.port, a.sessions)
        t1 = time.monotonic()
        publish(b.port, a.messages, a.payload)
        t2 = time.monotonic()
        rss_before = rss_kib(b.proc.pid)
        b.kill()
        du = subprocess.run(["du", "-sk", b.data], capture_output=True, text=True).stdout.split()[0]
        took = b.start()
        rss_after = rss_kib(b.proc.pid)
        loaded = re.findall(r"storage .*: (\d+) sessions, (\d+) queued messages, \d+ retained, loaded in (\d+) ms",
                            b.log())
        sessions, queued, load_ms = (int(x) for x in loaded[-1]) if loaded else (0, 0, -1)
        sample = sorted({i * a.sessions // max(1, a.verify) for i in range(a.verify)})
        bad = []
        for i in sample:
            got = drain(b.port, "restore-%d" % i, a.messages)
            if got != list(range(a.messages)):
                bad.append("restore-%d: %s" % (i, "session lost" if got is None else "%d of %d messages, in order: %s" % (
                    len(got), a.messages, got == sorted(got))))
        b.stop()
        total = a.sessions * a.messages
        print("gridmq restore bench: %d sessions x %d queued QoS 1 messages = %d queue entries, %d-byte payload, "
              "%d bodies; %d cores" % (a.sessions, a.messages, total, a.payload, a.messages, os.cpu_count()))
        print("  fill: sessions %.1f s, publishing %.1f s (%.0f queue entries/s, sync = \"sync\")"
              % (t1 - t0, t2 - t1, total / max(t2 - t1, 1e-9)))
        print("  store on disk after kill -9: %s KiB; broker RSS before kill %d KiB" % (du, rss_before))
        print("  restart after kill -9: accepting after %.2f s; broker log: %d sessions, %d queued messages, "
              "loaded in %d ms; RSS after restore %d KiB" % (took, sessions, queued, load_ms, rss_after))
        ok = sessions == a.sessions and queued == total and not bad
        print("  verified %d sessions drained in full and in order: %s" % (len(sample), "ok" if ok else "FAILED"))
        for line in bad:
            print("    " + line)
    finally:
        b.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
