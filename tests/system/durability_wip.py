"""Durability: nothing the broker acknowledged is lost across kill -9 (design.md §2.3).

The broker runs on its real RocksDB store (sync policy "sync") in a temp dir and is killed with
SIGKILL at random moments while publishers stream QoS 1 and QoS 2 messages; it is restarted on
the same data each time. Counting at the end:
  - every message whose PUBACK (QoS 1) or PUBREC (QoS 2) the publisher got reaches every
    persistent subscriber at least once;
  - QoS 2 messages reach the subscriber that was offline throughout exactly once;
  - nothing arrives that was never published.
Retained messages, subscriptions, session expiry and message expiry across restarts are checked
for 3.1.1 and 5.0.
"""

import random
import socket
import threading
import time
import unittest

import mqttbytes as mb
from mqtttest import Broker, RawClient, each_proto, persistent, run_tests, skip_if_mosquitto

ROUNDS = 10


class Publisher:
    """Streams numbered messages in bursts (pipelined, a window of acks outstanding) until the
    connection dies; records which ones the broker acknowledged."""

    def __init__(self, port, proto, qos, topic, tag):
        self.port, self.proto, self.qos, self.topic, self.tag = port, proto, qos, topic, tag
        self.acked = set()
        self.sent = set()
        self.next = 0

    def run(self, deadline):
        try:
            c = RawClient(self.port, self.proto, timeout=2.0)
            c.connect("pub-%s" % self.tag, clean=True)
        except (OSError, AssertionError):
            return
        try:
            while time.monotonic() < deadline:
                burst = {}
                for mid in range(1, 41):
                    payload = ("%s-%d" % (self.tag, self.next)).encode()
                    self.next += 1
                    burst[mid] = payload
                    self.sent.add(payload)
                    c.sock.sendall(mb.gen_publish(self.topic, payload, qos=self.qos, mid=mid, proto=self.proto))
                pending = set(burst)
                while pending:
                    t, f, body = mb.read_packet(c.sock, 2.0)
                    p = mb.parse(t, f, body, self.proto)
                    if p.type in (mb.PUBACK, mb.PUBREC) and p.mid in pending:
                        if getattr(p, "rc", 0) < 0x80:
                            self.acked.add(burst[p.mid])
                        if p.type == mb.PUBREC:
                            c.sock.sendall(mb.gen_pubrel(p.mid, proto=self.proto))
                            continue
                        pending.discard(p.mid)
                    elif p.type == mb.PUBCOMP:
                        pending.discard(p.mid)
        except (OSError, AssertionError, mb.Timeout):
            pass  # the broker was killed under us
        finally:
            try:
                c.sock.close()
            except OSError:
                pass


def drain(port, proto, client_id, timeout=5.0, expiry=3600):
    """Connects a persistent session, completes every flow, and returns the payloads received (in
    order, duplicates kept) once nothing has arrived for a while."""
    got = []
    c = RawClient(port, proto, timeout=timeout)
    c.connect(client_id, **persistent(proto, expiry))
    quiet_until = time.monotonic() + 1.5
    hard_deadline = time.monotonic() + 60
    while time.monotonic() < min(quiet_until, hard_deadline):
        try:
            t, f, body = mb.read_packet(c.sock, 0.5)
        except mb.Timeout:
            continue
        p = mb.parse(t, f, body, proto)
        if p.type == mb.PUBLISH:
            got.append(p.payload)
            if p.qos == 1:
                c.send(mb.gen_puback(p.mid, proto=proto))
            elif p.qos == 2:
                c.send(mb.gen_pubrec(p.mid, proto=proto))
        elif p.type == mb.PUBREL:
            c.send(mb.gen_pubcomp(p.mid, proto=proto))
        quiet_until = time.monotonic() + 1.5
    c.disconnect()
    return got


class Durability(unittest.TestCase):
    def setUp(self):
        skip_if_mosquitto(self, "Mosquitto persists state periodically, not per acknowledgement")

    @each_proto
    def test_kill9_loses_nothing_acknowledged(self, proto):
        rng = random.Random(4242 + proto)
        with Broker() as b:
            # Two persistent subscribers that stay offline for the whole run.
            for cid, flt, qos in (("off-q1", "dur/q1/#", 1), ("off-q2", "dur/q2/#", 2)):
                c = RawClient(b.port, proto)
                c.connect("%s-%d" % (cid, proto), **persistent(proto, 3600))
                c.subscribe(flt, qos=qos)
                c.disconnect()
            pubs = []
            for rnd in range(ROUNDS):
                round_pubs = [Publisher(b.port, proto, 1, "dur/q1/m", "r%d-q1" % rnd),
                              Publisher(b.port, proto, 2, "dur/q2/m", "r%d-q2" % rnd)]
                pubs += round_pubs
                deadline = time.monotonic() + 3.0
                threads = [threading.Thread(target=p.run, args=(deadline,)) for p in round_pubs]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.05, 0.6))
                b.restart(crash=True)  # kill -9 mid-stream, start again on the same data
                for t in threads:
                    t.join(10)
            q1 = drain(b.port, proto, "off-q1-%d" % proto)
            q2 = drain(b.port, proto, "off-q2-%d" % proto)

        acked_q1 = set().union(*(p.acked for p in pubs if p.qos == 1))
        acked_q2 = set().union(*(p.acked for p in pubs if p.qos == 2))
        sent = set().union(*(p.sent for p in pubs))
        self.assertGreater(len(acked_q1), 0, "no QoS 1 message was acknowledged at all")
        self.assertGreater(len(acked_q2), 0, "no QoS 2 message was acknowledged at all")
        missing_q1 = acked_q1 - set(q1)
        missing_q2 = acked_q2 - set(q2)
        self.assertEqual(missing_q1, set(), "acknowledged QoS 1 messages lost: %d of %d" % (len(missing_q1), len(acked_q1)))
        self.assertEqual(missing_q2, set(), "acknowledged QoS 2 messages lost: %d of %d" % (len(missing_q2), len(acked_q2)))
        dup_q2 = sorted({m for m in q2 if q2.count(m) > 1})
        self.assertEqual(dup_q2, [], "QoS 2 messages delivered more than once")
        self.assertEqual(set(q1 + q2) - sent, set(), "messages delivered that were never published")

    @each_proto
    def test_retained_and_subscriptions_survive_kill9(self, proto):
        with Broker() as b:
            pub = RawClient(b.port, proto)
            pub.connect("ret-pub-%d" % proto)
            pub.publish("dur/ret/%d" % proto, b"kept", qos=1, retain=True)
            sub = RawClient(b.port, proto)
            sub.connect("ret-sub-%d" % proto, **persistent(proto, 3600))
            sub.subscribe("dur/later/%d" % proto, qos=1)
            sub.disconnect()
            pub.close()
            b.restart(crash=True)

            # The subscription was restored: a message published after the restart is queued.
            pub = RawClient(b.port, proto)
            pub.connect("ret-pub-%d" % proto)
            pub.publish("dur/later/%d" % proto, b"queued", qos=1)
            pub.close()
            sub = RawClient(b.port, proto)
            ack = sub.connect("ret-sub-%d" % proto, **persistent(proto, 3600))
            self.assertEqual(ack.session_present, 1)
            sub.expect_publish(topic="dur/later/%d" % proto, payload=b"queued", qos=1)
            # The retained message was restored.
            sub.subscribe("dur/ret/%d" % proto, qos=1)
            sub.expect_publish(topic="dur/ret/%d" % proto, payload=b"kept", retain=True)
            sub.disconnect()

    def test_session_expiry_counts_across_restart_v5(self):
        with Broker() as b:
            c = RawClient(b.port, 5)
            c.connect("exp-short", **persistent(5, 2))
            c.subscribe("dur/exp", qos=1)
            c.disconnect()
            c = RawClient(b.port, 5)
            c.connect("exp-long", **persistent(5, 3600))
            c.disconnect()
            b.restart(crash=True)
            time.sleep(2.5)
            c = RawClient(b.port, 5)
            self.assertEqual(c.connect("exp-short", **persistent(5, 2)).session_present, 0)
            c.disconnect()
            c = RawClient(b.port, 5)
            self.assertEqual(c.connect("exp-long", **persistent(5, 3600)).session_present, 1)
            c.disconnect()

    def test_message_expiry_counts_across_restart_v5(self):
        with Broker() as b:
            sub = RawClient(b.port, 5)
            sub.connect("mexp-sub", **persistent(5, 3600))
            sub.subscribe("dur/mexp", qos=1)
            sub.disconnect()
            pub = RawClient(b.port, 5)
            pub.connect("mexp-pub")
            pub.publish("dur/mexp", b"short", qos=1, props={mb.MESSAGE_EXPIRY_INTERVAL: 2})
            pub.publish("dur/mexp", b"long", qos=1, props={mb.MESSAGE_EXPIRY_INTERVAL: 600})
            pub.close()
            b.restart(crash=True)
            time.sleep(2.5)
            sub = RawClient(b.port, 5)
            sub.connect("mexp-sub", **persistent(5, 3600))
            p = sub.expect_publish(topic="dur/mexp", payload=b"long")
            left = p.props.get(mb.MESSAGE_EXPIRY_INTERVAL)
            self.assertIsNotNone(left)
            self.assertLessEqual(left, 598, "expiry must count down across the restart")
            sub.expect_nothing(0.5)
            sub.disconnect()

    def test_many_sessions_restore(self):
        """200 persistent sessions x 250 queued QoS 1 messages (50,000 queue entries, each body
        stored once) come back after kill -9; the start-up time is printed."""
        sessions, messages = 200, 250
        with Broker() as b:
            for i in range(sessions):
                c = RawClient(b.port, 4)
                c.connect("many-%d" % i, clean=False)
                c.subscribe("dur/many", qos=1)
                c.sock.close()
            pub = RawClient(b.port, 4)
            pub.connect("many-pub")
            for i in range(messages):
                pub.publish("dur/many", b"m%d" % i, qos=1)
            pub.close()
            took = b.restart(crash=True)
            print("restart with %d queued entries took %.2f s" % (sessions * messages, took))
            for i in (0, sessions // 2, sessions - 1):
                got = drain(b.port, 4, "many-%d" % i)
                self.assertEqual(got, [b"m%d" % k for k in range(messages)], "session many-%d" % i)


if __name__ == "__main__":
    run_tests()
