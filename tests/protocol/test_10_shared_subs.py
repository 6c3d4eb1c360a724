#!/usr/bin/python3
"""10 shared subscriptions: $share/<group>/<filter> (MQTT 5.0 §4.8.2; also accepted from 3.1.1 clients,
as gridmq and Mosquitto do)."""

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, is_mosquitto, only_gridmq, run_tests

N = 20


class SharedSubscriptions(BrokerTestCase):

    def group(self, proto, filt, members, group="g", qos=1):
        clients = []
        for _ in range(members):
            c = self.connected(proto)
            c.subscribe("$share/%s/%s" % (group, filt), qos=qos, expect_codes=[qos])
            clients.append(c)
        return clients

    def drain(self, clients, total, timeout=5.0):
        """Collects PUBLISH payloads from all clients until `total` arrived (bounded); returns a list of
        lists, one per client. Any extra message within a short window afterwards is a failure."""
        import select
        import time
        got = [[] for _ in clients]
        deadline = time.monotonic() + timeout
        while sum(map(len, got)) < total:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("only %d of %d shared messages arrived: %r" % (sum(map(len, got)), total, got))
            ready = [c for c in clients if c.backlog]
            if not ready:
                r, _, _ = select.select([c.sock for c in clients], [], [], left)
                ready = [c for c in clients if c.sock in r]
            for c in ready:
                p = c.expect_publish()
                got[clients.index(c)].append(p.payload)
        for c in clients:
            c.expect_nothing(0.2)
        return got

    def test_connack_shared_available(self):
        """v5 CONNACK does not announce Shared Subscription Available 0 (§3.2.2.3.13)."""
        c = self.client(5)
        self.assertNotEqual(c.connect(self.uid()).props.get(mb.SHARED_SUBSCRIPTION_AVAILABLE, 1), 0)

    @each_proto
    def test_each_message_to_one_member(self, proto):
        """Within one share group each message goes to exactly one member (§4.8.2)."""
        topic = self.uid("t")
        members = self.group(proto, topic, 3)
        pub = self.connected(proto)
        for i in range(N):
            pub.publish(topic, b"%02d" % i, qos=1)
        got = self.drain(members, N)
        self.assertEqual(sorted(sum(got, [])), [b"%02d" % i for i in range(N)])

    @each_proto
    def test_groups_independent_and_plain_subscriber(self, proto):
        """Each share group gets every message once; a non-shared subscriber gets every message."""
        topic = self.uid("t")
        g1 = self.group(proto, topic, 2, group="g1")
        g2 = self.group(proto, topic, 2, group="g2")
        plain = self.connected(proto)
        plain.subscribe(topic, qos=1)
        pub = self.connected(proto)
        for i in range(N):
            pub.publish(topic, b"%02d" % i, qos=1)
        for g in (g1, g2):
            self.assertEqual(sorted(sum(self.drain(g, N), [])), [b"%02d" % i for i in range(N)])
        self.assertEqual(self.drain([plain], N)[0], [b"%02d" % i for i in range(N)])

    @each_proto
    def test_wildcard_share_filter(self, proto):
        """The filter part of a shared subscription may contain wildcards."""
        base = self.uid("w")
        members = self.group(proto, base + "/+/x", 2)
        pub = self.connected(proto)
        pub.publish(base + "/a/x", b"1", qos=1)
        pub.publish(base + "/b/x", b"2", qos=1)
        pub.publish(base + "/b/y", b"no", qos=1)
        self.assertEqual(sorted(sum(self.drain(members, 2), [])), [b"1", b"2"])

    @each_proto
    def test_member_leaves(self, proto):
        """After one member unsubscribes, the remaining member receives every message."""
        topic = self.uid("t")
        a, b = self.group(proto, topic, 2)
        a.unsubscribe("$share/g/" + topic)
        pub = self.connected(proto)
        for i in range(5):
            pub.publish(topic, b"%d" % i, qos=1)
        self.assertEqual(self.drain([a, b], 5), [[], [b"%d" % i for i in range(5)]])

    @only_gridmq("sends retained messages on a shared subscribe")
    @each_proto
    def test_no_retained_on_shared_subscribe(self, proto):
        """Retained messages are not sent when a shared subscription is made (§4.8.2)."""
        topic = self.uid("t")
        self.connected(proto).publish(topic, b"kept", qos=1, retain=True)
        c = self.connected(proto)
        c.subscribe("$share/g/" + topic, qos=1, expect_codes=[1])
        c.expect_nothing(0.4)

    @only_gridmq("grants No Local on a shared subscription")
    def test_no_local_on_shared_is_protocol_error(self):
        """No Local = 1 on a shared subscription is a Protocol Error [MQTT-3.8.3-4]: DISCONNECT 0x82."""
        c = self.connected(5)
        c.send(mb.gen_subscribe(1, [("$share/g/" + self.uid("t"), mb.sub_options(1, no_local=True))], proto=5))
        c.expect_closed(disconnect_rc=0x82)

    @each_proto
    def test_invalid_share_names(self, proto):
        """ShareName must be non-empty without '/', '+' or '#', followed by '/' and a filter (§4.8.2):
        refused with SUBACK 0x8F (v5) / 0x80 (3.1.1), or the connection is closed."""
        for filt in ("$share/g", "$share//t", "$share/g+/t", "$share/g#/t", "$share/g/"):
            if is_mosquitto() and filt in ("$share/g", "$share//t", "$share/g/"):
                continue  # mosquitto 2.0.11 grants these (as ordinary filters) [MQTT-4.8.2-1, -2]
            with self.subTest(filter=filt):
                c = self.connected(proto)
                mid = c.mid()
                c.send(mb.gen_subscribe(mid, [(filt, 1)], proto=proto))
                try:
                    p = c.recv()
                except mb.ConnectionClosed:
                    continue
                if p.type == mb.SUBACK:
                    self.assertEqual(p.codes, [0x8F if proto == 5 else 0x80], p)
                else:
                    self.assertEqual((proto, p.type), (5, mb.DISCONNECT), p)
                    self.assertIn(p.rc, (0x8F, 0x81, 0x82), p)


if __name__ == "__main__":
    run_tests()
