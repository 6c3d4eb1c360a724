#!/usr/bin/python3
"""04 retain: retained messages (3.1.1 §3.3.1.3, 5.0 §3.3.1.3). Retain Handling and Retain As Published
options are in 07_v5_properties."""

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, run_tests


class Retain(BrokerTestCase):

    @each_proto
    def test_retained_delivered_on_subscribe(self, proto):
        """A retained message is sent to a new subscriber with RETAIN=1 [MQTT-3.3.1-8 (5.0 -9)], at
        min(published QoS, granted QoS)."""
        topic = self.uid("t")
        pub = self.connected(proto)
        pub.publish(topic, b"kept", qos=1, retain=True)
        for granted in (0, 1, 2):
            with self.subTest(granted=granted):
                sub = self.connected(proto)
                sub.subscribe(topic, qos=granted, expect_codes=[granted])
                sub.expect_publish(topic=topic, payload=b"kept", qos=min(1, granted), retain=True)

    @each_proto
    def test_retained_qos0_is_stored(self, proto):
        """A QoS 0 retained message is stored too [MQTT-3.3.1-7 (3.1.1)]."""
        topic = self.uid("t")
        pub = self.connected(proto)
        pub.publish(topic, b"q0kept", qos=0, retain=True)
        pub.ping()  # the QoS 0 publish was processed before the PINGREQ
        sub = self.connected(proto)
        sub.subscribe(topic, qos=1)
        sub.expect_publish(topic=topic, payload=b"q0kept", qos=0, retain=True)

    @each_proto
    def test_retained_replaced(self, proto):
        """A new retained message replaces the old one on the same topic [MQTT-3.3.1-5 (5.0)]."""
        topic = self.uid("t")
        pub = self.connected(proto)
        pub.publish(topic, b"old", qos=1, retain=True)
        pub.publish(topic, b"new", qos=1, retain=True)
        sub = self.connected(proto)
        sub.subscribe(topic, qos=1)
        sub.expect_publish(topic=topic, payload=b"new", qos=1, retain=True)
        sub.expect_nothing(0.3)

    @each_proto
    def test_live_delivery_has_retain_0(self, proto):
        """A retained PUBLISH forwarded to an existing subscriber (no Retain As Published) carries
        RETAIN=0 [MQTT-3.3.1-9 (3.1.1), MQTT-3.3.1-12 (5.0)]."""
        topic = self.uid("t")
        sub = self.connected(proto)
        sub.subscribe(topic, qos=1)
        pub = self.connected(proto)
        pub.publish(topic, b"live", qos=1, retain=True)
        sub.expect_publish(topic=topic, payload=b"live", qos=1, retain=False)

    @each_proto
    def test_empty_retained_deletes(self, proto):
        """A retained PUBLISH with zero-length payload removes the retained message and is not stored
        [MQTT-3.3.1-10, -11 (3.1.1); MQTT-3.3.1-6, -7 (5.0)]; existing subscribers still get it as a
        normal message."""
        topic = self.uid("t")
        pub = self.connected(proto)
        pub.publish(topic, b"doomed", qos=1, retain=True)
        live = self.connected(proto)
        live.subscribe(topic, qos=1)
        live.expect_publish(topic=topic, payload=b"doomed", retain=True)
        pub.publish(topic, b"", qos=1, retain=True)
        live.expect_publish(topic=topic, payload=b"", qos=1, retain=False)
        sub = self.connected(proto)
        sub.subscribe([(topic, 1), (topic + "/marker", 1)])
        pub.publish(topic + "/marker", b"m", qos=1, retain=False)
        sub.expect_publish(topic=topic + "/marker", payload=b"m")  # nothing retained came before it

    @each_proto
    def test_wildcard_gets_all_retained(self, proto):
        """A wildcard subscription receives every matching retained message (each with RETAIN=1)."""
        base = self.uid("w")
        pub = self.connected(proto)
        topics = [base + "/a", base + "/b/c", base + "/d"]
        for t in topics:
            pub.publish(t, t.encode(), qos=1, retain=True)
        pub.publish(base + "x/no", b"no", qos=1, retain=True)
        sub = self.connected(proto)
        sub.subscribe(base + "/#", qos=1)
        got = {}
        for _ in topics:
            p = sub.expect_publish(retain=True)
            got[p.topic] = p.payload
        self.assertEqual(got, {t: t.encode() for t in topics})
        sub.expect_nothing(0.3)

    @each_proto
    def test_resubscribe_resends_retained(self, proto):
        """Re-subscribing (identical filter, Retain Handling 0) sends the retained messages again
        [MQTT-3.8.4-3]."""
        topic = self.uid("t")
        pub = self.connected(proto)
        pub.publish(topic, b"again", qos=1, retain=True)
        sub = self.connected(proto)
        sub.subscribe(topic, qos=1)
        sub.expect_publish(topic=topic, payload=b"again", retain=True)
        sub.subscribe(topic, qos=1)
        sub.expect_publish(topic=topic, payload=b"again", retain=True)

    @each_proto
    def test_retained_not_sent_on_unrelated_subscribe(self, proto):
        """Only matching retained messages are sent."""
        base = self.uid("t")
        pub = self.connected(proto)
        pub.publish(base + "/x", b"x", qos=1, retain=True)
        sub = self.connected(proto)
        sub.subscribe(base + "/y", qos=1)
        sub.expect_nothing(0.3)


class RetainUnavailable(BrokerTestCase):
    broker_config = {"mqtt": {"retain_available": False}}

    def test_connack_retain_available_0(self):
        """retain_available=false: v5 CONNACK carries Retain Available 0 (§3.2.2.3.5)."""
        c = self.client(5)
        ack = c.connect(self.uid())
        self.assertEqual(ack.props.get(mb.RETAIN_AVAILABLE), 0, ack)

    def test_retained_publish_refused_v5(self):
        """A v5 PUBLISH with RETAIN=1 when Retain Available is 0 is an error: DISCONNECT 0x9A (Retain not
        supported) then close [MQTT-3.3.1-13 .. and §3.2.2.3.5]."""
        c = self.connected(5)
        c.send(mb.gen_publish(self.uid("t"), b"r", qos=1, mid=1, retain=True, proto=5))
        c.expect_closed(disconnect_rc=0x9A)


if __name__ == "__main__":
    run_tests()
