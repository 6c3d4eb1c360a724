#!/usr/bin/python3
"""System: many clients across worker threads. A broker with threads=2; 200 raw-socket subscribers,
each on its own topic at QoS 2; 4 publishers send each subscriber one message at QoS 0, 1 and 2. Every
message must reach exactly its own subscriber, exactly once, at its QoS [MQTT-4.3.1..4.3.3]."""

import select
import time

import mqttbytes as mb
from mqtttest import BrokerTestCase, RawClient, run_tests

N_SUBS = 200
N_PUBS = 4


class ManyClients(BrokerTestCase):
    threads = 2

    def run_fanout(self, proto):
        tag = "many%d" % proto
        subs = []
        for i in range(N_SUBS):
            c = RawClient(self.port, proto, timeout=10)
            self._clients.append(c)
            c.connect("%s-sub-%03d" % (tag, i))
            c.subscribe("%s/%03d" % (tag, i), qos=2, expect_codes=[2])
            subs.append(c)
        pubs = []
        for j in range(N_PUBS):
            c = RawClient(self.port, proto, timeout=10)
            self._clients.append(c)
            c.connect("%s-pub-%d" % (tag, j))
            pubs.append(c)

        expected = {i: {(b"%d-q%d" % (i, q), q) for q in (0, 1, 2)} for i in range(N_SUBS)}
        got = {i: [] for i in range(N_SUBS)}
        by_sock = {c.sock: (i, c) for i, c in enumerate(subs)}

        def pump(deadline, until_done):
            """Reads what subscribers have; acks their QoS 1/2 flows. Returns when all expected messages
            arrived (until_done) or at the deadline."""
            while True:
                if until_done and all(len(got[i]) >= 3 for i in got):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                r, _, _ = select.select(list(by_sock), [], [], min(left, 0.2))
                for s in r:
                    i, c = by_sock[s]
                    p = c.recv(5)
                    if p.type == mb.PUBLISH:
                        got[i].append((p.topic, p.payload, p.qos, p.dup))
                        if p.qos == 1:
                            c.send(mb.gen_puback(p.mid, proto=proto))
                        elif p.qos == 2:
                            c.send(mb.gen_pubrec(p.mid, proto=proto))
                    elif p.type == mb.PUBREL:
                        c.send(mb.gen_pubcomp(p.mid, proto=proto))
                    else:
                        raise AssertionError("subscriber %d got unexpected %r" % (i, p))

        t0 = time.monotonic()
        for i in range(N_SUBS):
            pub = pubs[i % N_PUBS]
            for q in (0, 1, 2):
                pub.publish("%s/%03d" % (tag, i), b"%d-q%d" % (i, q), qos=q)
            if i % 20 == 19:
                pump(time.monotonic() + 0.01, False)
        pump(time.monotonic() + 30, True)
        pump(time.monotonic() + 0.5, False)  # anything extra (duplicates, strays) shows up here
        elapsed = time.monotonic() - t0

        missing, wrong = [], []
        for i in range(N_SUBS):
            topic = "%s/%03d" % (tag, i)
            msgs = got[i]
            for t, payload, qos, dup in msgs:
                if t != topic or dup:
                    wrong.append((i, t, payload, qos, dup))
            seen = [(payload, qos) for t, payload, qos, dup in msgs]
            if sorted(seen) != sorted(expected[i]):
                missing.append((i, sorted(seen)))
        self.assertEqual(wrong, [], "messages delivered to the wrong client or as DUP")
        self.assertEqual(missing, [], "clients with missing/duplicate/wrong-QoS messages (%.1fs)" % elapsed)
        # per-client order for one publisher and one topic [MQTT-4.6.0-5]
        for i in range(N_SUBS):
            self.assertEqual([p for _, p, _, _ in got[i]], [b"%d-q%d" % (i, q) for q in (0, 1, 2)], i)
        for c in subs + pubs:
            c.disconnect()

    def test_fanout_v311(self):
        """200 MQTT 3.1.1 subscribers x QoS 0/1/2."""
        self.run_fanout(4)

    def test_fanout_v5(self):
        """200 MQTT 5.0 subscribers x QoS 0/1/2."""
        self.run_fanout(5)


if __name__ == "__main__":
    run_tests()
