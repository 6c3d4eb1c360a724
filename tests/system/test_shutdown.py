#!/usr/bin/python3
"""System: graceful shutdown. SIGTERM / SIGINT -> exit code 0 within a few seconds; connected clients see
their connection closed (a v5 client may first get DISCONNECT 0x8B Server shutting down, §3.14.2.1)."""

import signal
import socket
import time

import mqttbytes as mb
from broker import Broker
from mqtttest import RawClient, run_tests
import unittest

EXIT_WITHIN = 5.0


class Shutdown(unittest.TestCase):

    def shutdown_with_clients(self, sig):
        with Broker() as b:
            clients = []
            for proto in (4, 5):
                for k in range(3):
                    c = RawClient(b.port, proto)
                    c.connect("sd-%d-%d" % (proto, k), will_topic="sd/will/%d/%d" % (proto, k), will_payload=b"w")
                    c.subscribe("sd/#", qos=1)
                    clients.append(c)
            # one unacknowledged QoS 1 message in flight to every subscriber
            clients[0].publish("sd/x", b"inflight", qos=1)
            for c in clients:
                c.wait_for(mb.PUBLISH, topic="sd/x")
            t0 = time.monotonic()
            code = b.stop(sig, timeout=EXIT_WITHIN + 5)
            elapsed = time.monotonic() - t0
            self.assertEqual(code, 0, "exit code after %s" % sig.name)
            self.assertLess(elapsed, EXIT_WITHIN, "took %.1fs to exit" % elapsed)
            for c in clients:
                pk = c.expect_closed(timeout=2)
                for p in pk:
                    # whatever arrives before the close must be well-formed; a DISCONNECT must be 0x8B (v5)
                    if p.type == mb.DISCONNECT:
                        self.assertEqual((c.proto, p.rc), (5, 0x8B), pk)
                c.close()
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", b.port), timeout=1).close()

    def test_sigterm_idle(self):
        """SIGTERM on an idle broker: exit code 0 within 5 s."""
        with Broker() as b:
            t0 = time.monotonic()
            self.assertEqual(b.stop(signal.SIGTERM, timeout=EXIT_WITHIN + 5), 0)
            self.assertLess(time.monotonic() - t0, EXIT_WITHIN)

    def test_sigterm_right_after_start(self):
        """SIGTERM sent as soon as the listener accepts (e.g. a service manager stopping a just-started
        broker): still a graceful exit 0 - signal handling must be in place before the port is open.
        Repeated 15 times because it is a race."""
        for i in range(15):
            with self.subTest(run=i), Broker() as b:
                self.assertEqual(b.stop(signal.SIGTERM, timeout=EXIT_WITHIN + 5), 0)

    def test_sigterm_with_clients(self):
        """SIGTERM with 3.1.1 and 5.0 clients connected (with wills and in-flight QoS 1): exit 0, every
        client connection closed, port no longer accepting."""
        self.shutdown_with_clients(signal.SIGTERM)

    def test_sigint_with_clients(self):
        """SIGINT behaves like SIGTERM."""
        self.shutdown_with_clients(signal.SIGINT)


if __name__ == "__main__":
    run_tests()
