#!/usr/bin/python3
"""02 subscribe: SUBSCRIBE/SUBACK, UNSUBSCRIBE/UNSUBACK, topic filter matching (3.1.1 §3.8-3.11, §4.7;
5.0 §3.8-3.11, §4.7)."""

import mqttbytes as mb
from broker import Broker
from mqtttest import BrokerTestCase, RawClient, each_proto, run_tests


class Subscribe(BrokerTestCase):

    @each_proto
    def test_suback_granted_qos(self, proto):
        """SUBACK carries the packet id of the SUBSCRIBE [MQTT-3.8.4-2] and one code per filter in order
        [MQTT-3.8.4-6 (5.0 -7)]: the granted QoS 0/1/2 (maximum_qos 2)."""
        c = self.connected(proto)
        base = self.uid("t")
        ack = c.subscribe([(base + "/0", 0), (base + "/1", 1), (base + "/2", 2)], mid=0x1234)
        self.assertEqual(ack.mid, 0x1234)
        self.assertEqual(ack.codes, [0, 1, 2])
        if proto == 4:
            self.assertEqual(ack.raw, b"\x90\x05\x12\x34\x00\x01\x02")

    @each_proto
    def test_subscribe_then_receive(self, proto):
        """A matching PUBLISH is delivered with the topic, payload and min(pub QoS, granted QoS)
        [MQTT-3.8.4-8 (5.0)]: pub QoS 2 to a QoS 1 subscription arrives as QoS 1."""
        sub = self.connected(proto)
        topic = self.uid("t")
        sub.subscribe(topic, qos=1, expect_codes=[1])
        pub = self.connected(proto)
        pub.publish(topic, b"hello", qos=2)
        p = sub.expect_publish(topic=topic, payload=b"hello", qos=1, retain=False)
        self.assertFalse(p.dup)

    @each_proto
    def test_resubscribe_replaces(self, proto):
        """Subscribing again to an identical filter replaces the subscription: new QoS, and only one copy
        of each message [MQTT-3.8.4-3]."""
        sub = self.connected(proto)
        topic = self.uid("t")
        sub.subscribe(topic, qos=0, expect_codes=[0])
        sub.subscribe(topic, qos=2, expect_codes=[2])
        pub = self.connected(proto)
        pub.publish(topic, b"one", qos=2)
        pub.publish(topic, b"marker", qos=2)
        sub.expect_publish(topic=topic, payload=b"one", qos=2)
        sub.expect_publish(topic=topic, payload=b"marker", qos=2)

    @each_proto
    def test_wildcards(self, proto):
        """'+' matches one level, '#' any number of levels including the parent [MQTT-4.7.1-2, -3];
        'a/#' matches 'a'."""
        base = self.uid("w")
        sub = self.connected(proto)
        sub.subscribe([(base + "/+/x", 0)], expect_codes=[0])
        sub.subscribe([(base + "/h/#", 0)], expect_codes=[0])
        pub = self.connected(proto)
        cases = [(base + "/a/x", True), (base + "/a/b/x", False), (base + "/x", False),
                 (base + "/h", True), (base + "/h/1/2/3", True), (base + "/hh", False), (base + "//x", True)]
        for topic, _ in cases:
            pub.publish(topic, topic.encode(), qos=1)
        pub.publish(base + "/end/x", b"marker", qos=1)
        for topic, match in cases + [(base + "/end/x", True)]:
            if match:
                sub.expect_publish(topic=topic)

    def test_dollar_topics_not_matched_by_leading_wildcard(self):
        """Topics starting with '$' are not matched by filters starting with '#' or '+' [MQTT-4.7.2-1],
        but are matched by a filter naming the '$' level. Own broker so '#' sees no other traffic."""
        for proto in (4, 5):
            with self.subTest(proto=proto), Broker() as b:
                wild = RawClient(b.port, proto)
                wild.connect("wild")
                wild.subscribe([("#", 1)], expect_codes=[1])
                plus = RawClient(b.port, proto)
                plus.connect("plus")
                plus.subscribe([("+/dtest/x", 1)], expect_codes=[1])
                exact = RawClient(b.port, proto)
                exact.connect("exact")
                exact.subscribe([("$dtest/#", 1)], expect_codes=[1])
                pub = RawClient(b.port, proto)
                pub.connect("pub")
                pub.publish("$dtest/x", b"dollar", qos=1)
                exact.expect_publish(topic="$dtest/x", payload=b"dollar")
                pub.publish("plain/dtest/x", b"marker", qos=1)
                # '#' and '+/dtest/x' must see the marker and nothing before it
                for c in (wild, plus):
                    c.expect_publish(topic="plain/dtest/x", payload=b"marker")
                    c.expect_nothing(0.2)
                for c in (wild, plus, exact, pub):
                    c.close()

    @each_proto
    def test_invalid_filters(self, proto):
        """Invalid topic filters ('#' not last, '#' or '+' not a whole level, empty filter)
        [MQTT-4.7.1-1, -2, MQTT-4.7.3-1]: v5 SUBACK 0x8F, or close (optionally after DISCONNECT
        0x8F/0x81/0x82); 3.1.1 SUBACK 0x80 or close. The broker must not grant them."""
        for filt in ("a/#/b", "a/b#", "a+/b", "a/+b", ""):
            with self.subTest(filter=filt):
                c = self.connected(proto)
                mid = c.mid()
                c.send(mb.gen_subscribe(mid, [(filt, 0)], proto=proto))
                try:
                    p = c.recv()
                except mb.ConnectionClosed:
                    continue
                if p.type == mb.SUBACK:
                    self.assertEqual(p.mid, mid)
                    self.assertEqual(p.codes, [0x8F if proto == 5 else 0x80], p)
                    c.ping()
                else:
                    self.assertEqual(proto, 5, "3.1.1 server must not send %r" % p)
                    self.assertEqual(p.type, mb.DISCONNECT, p)
                    self.assertIn(p.rc, (0x8F, 0x81, 0x82), p)
                    c.expect_closed()

    @each_proto
    def test_empty_subscribe_closes(self, proto):
        """A SUBSCRIBE with no topic filter is a Protocol Error [MQTT-3.8.3-3 (5.0 -2)]: close; v5
        DISCONNECT 0x82 first. (Mosquitto sends 0x81.)"""
        c = self.connected(proto)
        c.send(mb.gen_subscribe(7, [], proto=proto))
        c.expect_closed(disconnect_rc=0x82, mosq_rc=0x81)
        self.connected(proto).ping()

    @each_proto
    def test_subscribe_qos3_closes(self, proto):
        """Requested QoS 3 is malformed [MQTT-3.8.3-4 (5.0 -5)]: close; v5 DISCONNECT 0x81."""
        c = self.connected(proto)
        c.send(mb.gen_subscribe(7, [(self.uid("t"), 3)], proto=proto))
        c.expect_closed(disconnect_rc=0x81)

    def test_subscribe_reserved_option_bits_v5(self):
        """5.0: reserved bits 6-7 of the Subscription Options, or Retain Handling 3, are a Malformed
        Packet / Protocol Error [MQTT-3.8.3-5]: DISCONNECT then close."""
        for opts in (0x40, 0x80, 0x30):
            with self.subTest(options=opts):
                c = self.connected(5)
                c.send(mb.gen_subscribe(7, [(self.uid("t"), opts)], proto=5))
                pk = c.expect_closed()
                for p in pk:
                    self.assertEqual(p.type, mb.DISCONNECT, pk)
                    self.assertIn(p.rc, (0x81, 0x82), pk)

    def test_subscribe_options_must_be_zero_v311(self):
        """3.1.1: the upper 6 bits of the requested QoS byte are reserved and MUST be 0; otherwise the
        server MUST close [MQTT-3-8.3-4]."""
        c = self.connected(4)
        c.send(mb.gen_subscribe(7, [(self.uid("t"), 0x04 | 1)], proto=4))
        self.assertEqual(c.expect_closed(), [])

    @each_proto
    def test_unsubscribe(self, proto):
        """UNSUBACK echoes the packet id [MQTT-3.10.4-4 (5.0 -4)]; 3.1.1 UNSUBACK has exactly 2 bytes
        of body; v5 UNSUBACK has one reason code per filter: 0x00 success, 0x11 no subscription existed
        [MQTT-3.11.3-1]. After it, no more messages on that filter [MQTT-3.10.4-1/2]."""
        sub = self.connected(proto)
        other = self.connected(proto)
        topic = self.uid("t")
        sub.subscribe(topic, qos=1)
        other.subscribe(topic, qos=1)
        mid = sub.mid()
        sub.send(mb.gen_unsubscribe(mid, [topic, topic + "/never"], proto=proto))
        ack = sub.expect(mb.UNSUBACK, mid=mid)
        if proto == 4:
            self.assertEqual(ack.raw, b"\xb0\x02" + mid.to_bytes(2, "big"))
        else:
            self.assertEqual(ack.codes, [0x00, 0x11])
        pub = self.connected(proto)
        pub.publish(topic, b"after", qos=1)
        other.expect_publish(topic=topic, payload=b"after")
        sub.expect_nothing(0.3)

    @each_proto
    def test_unsubscribe_empty_closes(self, proto):
        """UNSUBSCRIBE with no topic filter is a Protocol Error [MQTT-3.10.3-2]: close (v5: 0x82)."""
        c = self.connected(proto)
        c.send(mb.gen_unsubscribe(3, [], proto=proto))
        c.expect_closed(disconnect_rc=0x82, mosq_rc=0x81)

    @each_proto
    def test_subscribe_bad_fixed_header_flags(self, proto):
        """SUBSCRIBE / UNSUBSCRIBE fixed header flags MUST be 0010 [MQTT-3.8.1-1, MQTT-3.10.1-1];
        anything else is malformed: close (v5 DISCONNECT 0x81)."""
        for pkt in (mb.gen_subscribe(3, [(self.uid("t"), 0)], proto=proto, flags=0),
                    mb.gen_unsubscribe(3, [self.uid("t")], proto=proto, flags=0)):
            with self.subTest(packet=pkt.hex()):
                c = self.connected(proto)
                c.send(pkt)
                c.expect_closed(disconnect_rc=0x81)


if __name__ == "__main__":
    run_tests()
