#!/usr/bin/python3
"""11 overlap: overlapping subscriptions of one client. gridmq delivers ONE copy at the highest granted
QoS [MQTT-3.3.5-1 (3.1.1); MQTT-3.3.4-2 (5.0)], and in v5 that copy carries the Subscription Identifiers
of all matching subscriptions [MQTT-3.3.4-4, -5]. Mosquitto 2.0.11 sends one copy per subscription to v5
clients (which the spec allows) and, to 3.1.1 clients, one copy at the QoS of one of the subscriptions
(which violates MQTT-3.3.5-1); in mosquitto mode the cases check only what Mosquitto gets right."""

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, is_mosquitto, run_tests


class Overlap(BrokerTestCase):

    def copies(self, sub, topic, marker_topic):
        """PUBLISHes for topic received before the marker (bounded)."""
        got = []
        for _ in range(10):
            p = sub.expect_publish()
            if p.topic == marker_topic:
                return got
            self.assertEqual(p.topic, topic)
            got.append(p)
        self.fail("marker never arrived")

    @each_proto
    def test_single_copy_highest_qos(self, proto):
        """'base/#' QoS 0 + 'base/+/x' QoS 2 + exact QoS 1: a QoS 2 publish arrives once, at QoS 2."""
        base = self.uid("o")
        topic, marker = base + "/a/x", base + "/marker"
        sub = self.connected(proto)
        sub.subscribe([(base + "/#", 0), (base + "/+/x", 2), (topic, 1)], expect_codes=[0, 2, 1])
        pub = self.connected(proto)
        pub.publish(topic, b"once", qos=2)
        pub.publish(marker, b"m", qos=2)
        got = self.copies(sub, topic, marker)
        self.assertTrue(got)
        if is_mosquitto() and proto == 4:
            return  # mosquitto 2.0.11 (3.1.1) sends one copy at the QoS of one matching subscription
        self.assertIn(2, [p.qos for p in got], got)
        if not is_mosquitto():
            self.assertEqual([(p.qos, p.payload) for p in got], [(2, b"once")])

    @each_proto
    def test_single_copy_limited_by_publish_qos(self, proto):
        """The one copy is at min(publish QoS, highest granted QoS): QoS 1 publish -> QoS 1."""
        base = self.uid("o")
        topic, marker = base + "/a", base + "/marker"
        sub = self.connected(proto)
        sub.subscribe([(base + "/#", 2), (topic, 0)], expect_codes=[2, 0])
        pub = self.connected(proto)
        pub.publish(topic, b"q1", qos=1)
        pub.publish(marker, b"m", qos=1)
        got = self.copies(sub, topic, marker)
        self.assertTrue(got)
        if is_mosquitto() and proto == 4:
            return  # mosquitto 2.0.11 (3.1.1) sends one copy at the QoS of one matching subscription
        self.assertIn(1, [p.qos for p in got], got)
        self.assertTrue(all(p.qos <= 1 for p in got), got)
        if not is_mosquitto():
            self.assertEqual(len(got), 1, got)

    def test_subscription_identifiers_all_in_one_copy(self):
        """v5: the single copy carries the identifiers of all matching subscriptions [MQTT-3.3.4-4];
        subscriptions made in one SUBSCRIBE share its identifier."""
        base = self.uid("o")
        topic, marker = base + "/a/x", base + "/marker"
        sub = self.connected(5)
        sub.subscribe([(base + "/#", 1)], props={mb.SUBSCRIPTION_IDENTIFIER: 11})
        sub.subscribe([(base + "/+/x", 1)], props={mb.SUBSCRIPTION_IDENTIFIER: 22})
        sub.subscribe([(topic, 1)])
        pub = self.connected(5)
        pub.publish(topic, b"ids", qos=1)
        pub.publish(marker, b"m", qos=1)
        got = self.copies(sub, topic, marker)
        ids = sorted(sum((p.props.get(mb.SUBSCRIPTION_IDENTIFIER, []) for p in got), []))
        self.assertEqual(ids, [11, 22])
        if not is_mosquitto():
            self.assertEqual(len(got), 1, got)

    @each_proto
    def test_overlap_after_unsubscribe_of_one(self, proto):
        """Unsubscribing one of two overlapping filters leaves the other in force, at its own QoS."""
        base = self.uid("o")
        topic, marker = base + "/a", base + "/marker"
        sub = self.connected(proto)
        sub.subscribe([(base + "/#", 1), (topic, 2)], expect_codes=[1, 2])
        sub.unsubscribe([topic])
        pub = self.connected(proto)
        pub.publish(topic, b"left", qos=2)
        pub.publish(marker, b"m", qos=2)
        got = self.copies(sub, topic, marker)
        self.assertEqual([(p.qos, p.payload) for p in got], [(1, b"left")])

    @each_proto
    def test_overlap_retained_once_per_subscribe(self, proto):
        """Retained messages are sent for the filters of a SUBSCRIBE; for two overlapping filters in one
        SUBSCRIBE gridmq sends the retained message once or per filter (§3.3.1.3 - either is allowed),
        always with RETAIN=1 and at most the granted QoS of the filter."""
        base = self.uid("o")
        topic = base + "/a"
        self.connected(proto).publish(topic, b"kept", qos=2, retain=True)
        sub = self.connected(proto)
        sub.subscribe([(base + "/#", 1), (topic, 0)], expect_codes=[1, 0])
        first = sub.expect_publish(topic=topic, payload=b"kept", retain=True)
        self.assertLessEqual(first.qos, 1)


if __name__ == "__main__":
    run_tests()
