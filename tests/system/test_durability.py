"""Durability: nothing the broker acknowledged is lost across kill -9 (design.md §2.3).

The broker runs on its real RocksDB store (sync policy "sync") in a temp dir and is killed with
SIGKILL at random moments while publishers stream QoS 1 and QoS 2 messages to persistent
subscribers, some online (reconnecting after every crash) and some offline throughout; it is
restarted on the same data each time. Counting at the end:
  - every message whose PUBACK (QoS 1) or PUBREC (QoS 2) the publisher got reaches every
    persistent subscriber at least once;
  - QoS 2 messages reach every QoS 2 subscriber exactly once (the subscriber behaves as MQTT
    4.3.3 says a receiver must: it keeps the packet ids it has not seen released, across
    reconnects, and does not deliver a PUBLISH with such an id again);
  - nothing arrives that was never published.
Retained messages, subscriptions, session expiry and message expiry across restarts are checked
for 3.1.1 and 5.0, and a restart with many queued messages restores them all.
"""

import collections
import random
import threading
import time
import unittest

import mqttbytes as mb
from mqtttest import Broker, RawClient, persistent, run_tests, skip_if_mosquitto, wait_until

ROUNDS = 10
PER_ROUND = 600  # messages each publisher offers per round (bounded count; the kill bounds time)
BURST = 40  # publishes in flight at once per publisher
PAUSE = 0.08  # between bursts: a round's stream lasts about 1.2 s, and the kill comes within it
# The offline subscribers collect every round's messages; the default limit (10,000) would drop.
CONFIG = {"mqtt": {"max_queued_messages": 100000}}


class Publisher:
    """Streams numbered messages in bursts (pipelined, BURST acks outstanding) until PER_ROUND are
    done or the connection dies; records which ones the broker acknowledged, and whether the
    stream was cut short."""

    def __init__(self, port, proto, qos, topic, tag):
        self.port, self.proto, self.qos, self.topic, self.tag = port, proto, qos, topic, tag
        self.acked = set()
        self.sent = set()
        self.cut = False

    def run(self, deadline):
        try:
            c = RawClient(self.port, self.proto, timeout=2.0)
            c.connect("pub-%s" % self.tag, clean=True)
        except (OSError, AssertionError):
            return
        n = 0
        try:
            while n < PER_ROUND and time.monotonic() < deadline:
                burst = {}
                for mid in range(1, BURST + 1):
                    payload = ("%s-%d" % (self.tag, n)).encode()
                    n += 1
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
                time.sleep(PAUSE)
        except (OSError, AssertionError):
            self.cut = True  # the broker was killed under us
        finally:
            c.close()


class Subscriber:
    """A persistent-session subscriber that completes every flow. As a QoS 2 receiver it keeps
    the packet ids whose PUBREL it has not seen (MQTT-4.3.3 method B) across connections of its
    session, and takes a PUBLISH with such an id for a resend, not a new message."""

    def __init__(self, port, proto, client_id, flt=None, qos=1):
        self.port, self.proto, self.client_id = port, proto, client_id
        self.got = []  # payloads delivered to the application, duplicates kept
        self.unreleased = {}  # QoS 2 packet id -> payload, PUBREC sent, PUBREL not yet seen
        self.connections = 0
        self.errors = []  # found in a client thread, asserted by the test
        if flt is None:
            return  # the session exists already
        c = RawClient(port, proto)
        c.connect(client_id, **persistent(proto, 3600))
        c.subscribe(flt, qos=qos)
        c.disconnect()

    def run(self, deadline, quiet=None):
        """Receives until the deadline, the connection dies, or (if quiet) nothing came for that
        many seconds. A lost session is recorded in self.errors."""
        try:
            c = RawClient(self.port, self.proto, timeout=2.0)
            ack = c.connect(self.client_id, **persistent(self.proto, 3600))
        except (OSError, mb.Timeout, mb.ConnectionClosed):
            return
        self.connections += 1
        if not ack.session_present:
            self.errors.append("%s: session lost (CONNACK session present 0)" % self.client_id)
            c.close()
            return
        last = time.monotonic()
        try:
            while time.monotonic() < deadline and (quiet is None or time.monotonic() - last < quiet):
                try:
                    t, f, body = mb.read_packet(c.sock, 0.3)
                except mb.Timeout:
                    continue
                last = time.monotonic()
                p = mb.parse(t, f, body, self.proto)
                if p.type == mb.PUBLISH:
                    if p.qos == 2:
                        if p.mid not in self.unreleased:
                            self.unreleased[p.mid] = p.payload
                            self.got.append(p.payload)
                        c.sock.sendall(mb.gen_pubrec(p.mid, proto=self.proto))
                    else:
                        self.got.append(p.payload)
                        if p.qos == 1:
                            c.sock.sendall(mb.gen_puback(p.mid, proto=self.proto))
                elif p.type == mb.PUBREL:
                    self.unreleased.pop(p.mid, None)
                    c.sock.sendall(mb.gen_pubcomp(p.mid, proto=self.proto))
            if quiet is not None:
                c.disconnect()
        except (OSError, AssertionError):
            pass  # the broker was killed under us
        finally:
            c.close()


class Durability(unittest.TestCase):
    def setUp(self):
        skip_if_mosquitto(self, "Mosquitto persists state periodically, not per acknowledgement")

    def kill9_rounds(self, proto):
        rng = random.Random(4242 + proto)
        with Broker(config_extra=CONFIG) as b:
            subs = {
                "off-q1": Subscriber(b.port, proto, "off-q1-%d" % proto, "dur/q1/#", 1),
                "off-q2": Subscriber(b.port, proto, "off-q2-%d" % proto, "dur/q2/#", 2),
                "on-q1": Subscriber(b.port, proto, "on-q1-%d" % proto, "dur/q1/#", 1),
                "on-q2": Subscriber(b.port, proto, "on-q2-%d" % proto, "dur/+/#", 2),
            }
            online = [subs["on-q1"], subs["on-q2"]]
            pubs = []
            for rnd in range(ROUNDS):
                round_pubs = [Publisher(b.port, proto, 1, "dur/q1/m", "r%d-q1" % rnd),
                              Publisher(b.port, proto, 2, "dur/q2/m", "r%d-q2" % rnd)]
                pubs += round_pubs
                deadline = time.monotonic() + 4.0
                threads = [threading.Thread(target=p.run, args=(deadline,)) for p in round_pubs]
                threads += [threading.Thread(target=s.run, args=(deadline,)) for s in online]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.05, 1.1))
                b.restart(crash=True)  # kill -9 mid-stream, start again on the same data
                for t in threads:
                    t.join(10)
                    self.assertFalse(t.is_alive(), "a client thread did not stop")
            for s in subs.values():
                s.run(time.monotonic() + 60, quiet=1.5)
            log = b.log_text(limit=1 << 30)
        self.assertNotIn("queued messages dropped", log, "the test must not overflow a queue")

        sent = set().union(*(p.sent for p in pubs))
        acked = {q: set().union(*(p.acked for p in pubs if p.qos == q)) for q in (1, 2)}
        self.assertGreater(len(acked[1]), 0, "no QoS 1 message was acknowledged at all")
        self.assertGreater(len(acked[2]), 0, "no QoS 2 message was acknowledged at all")
        expect = {"off-q1": acked[1], "on-q1": acked[1], "off-q2": acked[2], "on-q2": acked[1] | acked[2]}
        for name, s in subs.items():
            self.assertEqual(s.errors, [], name)
            got = set(s.got)
            missing = expect[name] - got
            self.assertEqual(missing, set(), "%s lost %d of %d acknowledged messages" % (name, len(missing), len(expect[name])))
            self.assertEqual(got - sent, set(), "%s got messages that were never published" % name)
        for name in ("off-q2", "on-q2"):
            counts = collections.Counter(m for m in subs[name].got if b"-q2-" in m)
            dups = sorted(m for m, n in counts.items() if n > 1)
            self.assertEqual(dups, [], "%s: QoS 2 messages delivered more than once" % name)
        cut = sum(p.cut for p in pubs)
        self.assertGreaterEqual(cut, ROUNDS, "the kills must come mid-stream (%d of %d streams cut)" % (cut, len(pubs)))
        self.assertGreaterEqual(subs["on-q2"].connections, ROUNDS, "the online subscriber did not follow the rounds")
        print("proto %d: %d streams of %d cut by kill -9; %d of %d QoS 1 and %d of %d QoS 2 acknowledged, "
              "all delivered; on-q1 got %d, on-q2 %d" % (
                  proto, cut, len(pubs), len(acked[1]), sum(len(p.sent) for p in pubs if p.qos == 1),
                  len(acked[2]), sum(len(p.sent) for p in pubs if p.qos == 2), len(subs["on-q1"].got),
                  len(subs["on-q2"].got)))

    def test_kill9_loses_nothing_acknowledged_v311(self):
        self.kill9_rounds(4)

    def test_kill9_loses_nothing_acknowledged_v5(self):
        self.kill9_rounds(5)

    def retained_and_subscriptions(self, proto):
        with Broker() as b:
            pub = RawClient(b.port, proto)
            pub.connect("ret-pub-%d" % proto)
            pub.publish("dur/ret/%d" % proto, b"kept", qos=1, retain=True)
            pub.publish("dur/gone/%d" % proto, b"cleared", qos=1, retain=True)
            pub.publish("dur/gone/%d" % proto, b"", qos=1, retain=True)  # deletes it
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
            # The retained message was restored; the deleted one stays deleted.
            sub.subscribe("dur/ret/%d" % proto, qos=1)
            sub.expect_publish(topic="dur/ret/%d" % proto, payload=b"kept", retain=True)
            sub.subscribe("dur/gone/%d" % proto, qos=1)
            sub.expect_nothing(0.5)
            sub.disconnect()

    def test_retained_and_subscriptions_survive_kill9_v311(self):
        self.retained_and_subscriptions(4)

    def test_retained_and_subscriptions_survive_kill9_v5(self):
        self.retained_and_subscriptions(5)

    def test_session_without_subscriptions_survives_kill9_v311(self):
        """CONNACK goes out only once the session record is durable."""
        with Broker() as b:
            for _ in range(20):
                c = RawClient(b.port, 4)
                c.connect("bare-%d" % _, clean=False)
                c.close()
            b.restart(crash=True)
            for _ in range(20):
                c = RawClient(b.port, 4)
                self.assertEqual(c.connect("bare-%d" % _, clean=False).session_present, 1, "bare-%d" % _)
                c.close()

    def test_clean_session_discard_survives_kill9_v311(self):
        """A clean session that discards a persistent one: the discard is durable before CONNACK."""
        with Broker() as b:
            c = RawClient(b.port, 4)
            c.connect("discard", clean=False)
            c.subscribe("dur/discard", qos=1)
            c.disconnect()
            c = RawClient(b.port, 4)
            self.assertEqual(c.connect("discard", clean=True).session_present, 0)
            c.close()
            b.restart(crash=True)
            c = RawClient(b.port, 4)
            self.assertEqual(c.connect("discard", clean=False).session_present, 0)
            c.disconnect()

    def session_expiry(self, proto):
        with Broker() as b:
            if proto == 5:
                c = RawClient(b.port, 5)
                c.connect("exp-short", **persistent(5, 2))
                c.subscribe("dur/exp", qos=1)
                c.disconnect()
            c = RawClient(b.port, proto)
            c.connect("exp-long-%d" % proto, **persistent(proto, 3600))
            c.subscribe("dur/exp", qos=1)
            c.disconnect()
            b.restart(crash=True)
            time.sleep(2.5)
            if proto == 5:
                c = RawClient(b.port, 5)
                self.assertEqual(c.connect("exp-short", **persistent(5, 2)).session_present, 0,
                                 "the session expired while the broker was down")
                c.disconnect()
            b.restart(crash=True)
            c = RawClient(b.port, proto)
            self.assertEqual(c.connect("exp-long-%d" % proto, **persistent(proto, 3600)).session_present, 1)
            c.disconnect()

    def test_session_expiry_counts_across_restart_v311(self):
        self.session_expiry(4)

    def test_session_expiry_counts_across_restart_v5(self):
        self.session_expiry(5)

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
            pub.publish("dur/mexp/ret", b"short-retained", qos=1, retain=True, props={mb.MESSAGE_EXPIRY_INTERVAL: 2})
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
            sub.subscribe("dur/mexp/ret", qos=1)
            sub.expect_nothing(0.5)  # the expired retained message is gone too
            sub.disconnect()

    def test_message_without_expiry_survives_restart_v311(self):
        with Broker() as b:
            sub = RawClient(b.port, 4)
            sub.connect("mexp-sub", clean=False)
            sub.subscribe("dur/mexp", qos=2)
            sub.disconnect()
            pub = RawClient(b.port, 4)
            pub.connect("mexp-pub")
            pub.publish("dur/mexp", b"q2", qos=2)
            pub.publish("dur/mexp/r", b"ret", qos=1, retain=True)
            pub.close()
            b.restart(crash=True)
            time.sleep(1.0)
            b.restart(crash=True)
            sub = RawClient(b.port, 4)
            sub.connect("mexp-sub", clean=False)
            sub.expect_publish(topic="dur/mexp", payload=b"q2", qos=2)
            sub.subscribe("dur/mexp/r", qos=1)
            sub.expect_publish(topic="dur/mexp/r", payload=b"ret", retain=True)
            sub.disconnect()

    def test_queue_overflow_drop_oldest_survives_kill9_and_is_logged_v5(self):
        config = {"mqtt": {"max_queued_messages": 5, "queue_overflow": "drop_oldest"}}
        with Broker(config_extra=config) as b:
            sub = RawClient(b.port, 5)
            sub.connect("ql-sub", **persistent(5, 3600))
            sub.subscribe("dur/ql", qos=1)
            sub.disconnect()
            pub = RawClient(b.port, 5)
            pub.connect("ql-pub")
            for i in range(8):
                pub.publish("dur/ql", b"m%d" % i, qos=1)
            pub.close()
            wait_until(lambda: "client 'ql-sub': 3 queued messages dropped" in b.log_text(), what="the drop log line")
            b.restart(crash=True)
            s = Subscriber(b.port, 5, "ql-sub")
            s.run(time.monotonic() + 30, quiet=1.0)
            self.assertEqual(s.errors, [])
            self.assertEqual(s.got, [b"m%d" % i for i in range(3, 8)], "the oldest three were dropped, durably")

    def test_queue_age_limit_counts_across_restart_v311(self):
        with Broker(config_extra={"mqtt": {"max_queued_age_s": 2}}) as b:
            sub = RawClient(b.port, 4)
            sub.connect("qa-sub", clean=False)
            sub.subscribe("dur/qa", qos=1)
            sub.disconnect()
            pub = RawClient(b.port, 4)
            pub.connect("qa-pub")
            pub.publish("dur/qa", b"old", qos=1)
            pub.close()
            b.kill()
            time.sleep(2.5)  # the message ages while the broker is down
            b.restart(crash=True)
            pub = RawClient(b.port, 4)
            pub.connect("qa-pub")
            pub.publish("dur/qa", b"new", qos=1)
            pub.close()
            s = Subscriber(b.port, 4, "qa-sub")
            s.run(time.monotonic() + 30, quiet=1.0)
            self.assertEqual(s.errors, [])
            self.assertEqual(s.got, [b"new"])
            wait_until(lambda: "client 'qa-sub': 1 queued messages dropped" in b.log_text(), what="the drop log line")

    def test_many_sessions_restore(self):
        """200 persistent sessions x 250 queued QoS 1 messages (50,000 queue entries, each body
        stored once) come back after kill -9; the start-up time is printed (bench/restore_bench.py
        measures the 1,000 x 1,000 case)."""
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
                s = Subscriber(b.port, 4, "many-%d" % i)
                s.run(time.monotonic() + 30, quiet=1.0)
                self.assertEqual(s.errors, [])
                self.assertEqual(s.got, [b"m%d" % k for k in range(messages)], "session many-%d" % i)


if __name__ == "__main__":
    run_tests()
