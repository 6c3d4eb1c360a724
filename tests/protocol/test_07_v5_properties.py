#!/usr/bin/python3
"""07 v5 properties: topic alias, receive maximum, maximum packet size, message expiry, request/response
properties, user properties, subscription identifiers, no local, retain as published, retain handling,
maximum QoS, reason strings (MQTT 5.0 §3.1.2.11, §3.2.2.3, §3.3.2.3, §3.8.3.1)."""

import time

import mqttbytes as mb
from mqtttest import BrokerTestCase, only_gridmq, persistent, run_tests


class Forwarding(BrokerTestCase):

    def pair(self, qos=1, options=None, sub_props=None, sub_connect_props=None):
        topic = self.uid("t")
        sub = self.client(5)
        sub.connect(self.uid("s"), props=sub_connect_props)
        opts = options if options is not None else qos
        sub.subscribe([(topic, opts)], props=sub_props, expect_codes=[qos])
        pub = self.connected(5)
        return topic, sub, pub

    def test_request_response_and_user_properties_forwarded(self):
        """Response Topic, Correlation Data, Content Type, Payload Format Indicator and User Properties
        are forwarded unaltered [MQTT-3.3.2-4, -15, -16, -17, -18, -20]; user property order kept."""
        topic, sub, pub = self.pair()
        props = [(mb.PAYLOAD_FORMAT_INDICATOR, 1), (mb.CONTENT_TYPE, "application/json"),
                 (mb.RESPONSE_TOPIC, "reply/here"), (mb.CORRELATION_DATA, b"\xff\x00\x10id"),
                 (mb.USER_PROPERTY, ("a", "1")), (mb.USER_PROPERTY, ("b", "2")), (mb.USER_PROPERTY, ("a", "3"))]
        pub.publish(topic, b'{"x":1}', qos=1, props=props)
        p = sub.expect_publish(topic=topic, payload=b'{"x":1}', qos=1)
        self.assertEqual(p.props.get(mb.PAYLOAD_FORMAT_INDICATOR), 1)
        self.assertEqual(p.props.get(mb.CONTENT_TYPE), "application/json")
        self.assertEqual(p.props.get(mb.RESPONSE_TOPIC), "reply/here")
        self.assertEqual(p.props.get(mb.CORRELATION_DATA), b"\xff\x00\x10id")
        self.assertEqual(p.props.user(), [("a", "1"), ("b", "2"), ("a", "3")])
        self.assertNotIn(mb.TOPIC_ALIAS, p.props)  # subscriber allowed no aliases [MQTT-3.3.2-9]

    def test_message_expiry_forwarded_reduced(self):
        """Message Expiry Interval is forwarded, reduced by the time the message waited
        [MQTT-3.3.2-6]: online subscriber gets a value in [59, 60]."""
        topic, sub, pub = self.pair()
        pub.publish(topic, b"exp", qos=1, props={mb.MESSAGE_EXPIRY_INTERVAL: 60})
        p = sub.expect_publish(topic=topic, payload=b"exp")
        self.assertIn(p.props.get(mb.MESSAGE_EXPIRY_INTERVAL), (59, 60), p)

    def test_no_expiry_not_invented(self):
        """A message without Message Expiry Interval is forwarded without one [MQTT-3.3.2-5 context]."""
        topic, sub, pub = self.pair()
        pub.publish(topic, b"forever", qos=1)
        p = sub.expect_publish(topic=topic, payload=b"forever")
        self.assertNotIn(mb.MESSAGE_EXPIRY_INTERVAL, p.props)

    def test_expired_queued_message_not_delivered(self):
        """A queued message whose expiry elapsed while the subscriber was offline is not delivered
        [MQTT-3.3.2-5]; a still-valid one is, with its remaining interval [MQTT-3.3.2-6]."""
        cid, topic = self.uid("c"), self.uid("t")
        sub = self.client(5)
        sub.connect(cid, **persistent(5))
        sub.subscribe(topic, qos=1)
        sub.disconnect()
        pub = self.connected(5)
        pub.publish(topic, b"short", qos=1, props={mb.MESSAGE_EXPIRY_INTERVAL: 1})
        pub.publish(topic, b"long", qos=1, props={mb.MESSAGE_EXPIRY_INTERVAL: 60})
        time.sleep(2.2)  # the expiry interval itself is what is tested
        sub = self.client(5)
        sub.connect(cid, **persistent(5))
        p = sub.expect_publish(topic=topic, qos=1)
        self.assertEqual(p.payload, b"long")
        self.assertTrue(56 <= p.props.get(mb.MESSAGE_EXPIRY_INTERVAL, 0) <= 58, p)
        sub.expect_nothing(0.3)

    def test_expired_retained_not_delivered(self):
        """A retained message past its Message Expiry Interval is no longer sent to new subscribers
        (§3.3.2.3.3)."""
        topic = self.uid("t")
        pub = self.connected(5)
        pub.publish(topic, b"stale", qos=1, retain=True, props={mb.MESSAGE_EXPIRY_INTERVAL: 1})
        pub.publish(topic + "/fresh", b"fresh", qos=1, retain=True, props={mb.MESSAGE_EXPIRY_INTERVAL: 60})
        time.sleep(2.2)
        sub = self.connected(5)
        sub.subscribe([(topic, 1), (topic + "/fresh", 1)])
        p = sub.expect_publish(retain=True)
        self.assertEqual((p.topic, p.payload), (topic + "/fresh", b"fresh"))
        sub.expect_nothing(0.3)

    def test_subscription_identifier(self):
        """The Subscription Identifier of the matching subscription is sent with the PUBLISH
        [MQTT-3.3.4-3]; a subscription without one gets none."""
        topic = self.uid("t")
        sub = self.connected(5)
        sub.subscribe([(topic, 1)], props={mb.SUBSCRIPTION_IDENTIFIER: 42})
        sub.subscribe([(topic + "/plain", 1)])
        sub.subscribe([(topic + "/big", 1)], props={mb.SUBSCRIPTION_IDENTIFIER: 268435455})
        pub = self.connected(5)
        pub.publish(topic, b"id", qos=1)
        pub.publish(topic + "/plain", b"none", qos=1)
        pub.publish(topic + "/big", b"big", qos=1)
        self.assertEqual(sub.expect_publish(payload=b"id").props.get(mb.SUBSCRIPTION_IDENTIFIER), [42])
        self.assertNotIn(mb.SUBSCRIPTION_IDENTIFIER, sub.expect_publish(payload=b"none").props)
        self.assertEqual(sub.expect_publish(payload=b"big").props.get(mb.SUBSCRIPTION_IDENTIFIER), [268435455])

    def test_subscription_identifier_zero_is_protocol_error(self):
        """Subscription Identifier 0 is a Protocol Error (§3.8.2.1.2): DISCONNECT 0x82 then close."""
        c = self.connected(5)
        c.send(mb.gen_subscribe(1, [(self.uid("t"), 0)], proto=5, props={mb.SUBSCRIPTION_IDENTIFIER: 0}))
        c.expect_closed(disconnect_rc=0x82, mosq_rc=0x81)

    def test_subscription_identifier_not_sent_to_others(self):
        """A Subscription Identifier belongs to one client's subscription: another subscriber without one
        does not get it [MQTT-3.3.4-3]."""
        topic = self.uid("t")
        a = self.connected(5)
        a.subscribe([(topic, 1)], props={mb.SUBSCRIPTION_IDENTIFIER: 7})
        b = self.connected(5)
        b.subscribe([(topic, 1)])
        self.connected(5).publish(topic, b"x", qos=1)
        self.assertEqual(a.expect_publish(payload=b"x").props.get(mb.SUBSCRIPTION_IDENTIFIER), [7])
        self.assertNotIn(mb.SUBSCRIPTION_IDENTIFIER, b.expect_publish(payload=b"x").props)

    def test_no_local(self):
        """No Local: the server MUST NOT forward a client's own publications to it [MQTT-3.8.3-3];
        others' still arrive."""
        topic = self.uid("t")
        c = self.connected(5)
        c.subscribe([(topic, mb.sub_options(1, no_local=True))], expect_codes=[1])
        c.publish(topic, b"mine", qos=1)
        other = self.connected(5)
        other.publish(topic, b"theirs", qos=1)
        c.expect_publish(topic=topic, payload=b"theirs")

    def test_retain_as_published(self):
        """Retain As Published 1: forwarded messages keep their RETAIN flag [MQTT-3.3.1-13]; with 0
        the flag is cleared [MQTT-3.3.1-12]."""
        topic = self.uid("t")
        rap = self.connected(5)
        rap.subscribe([(topic, mb.sub_options(1, retain_as_published=True))], expect_codes=[1])
        plain = self.connected(5)
        plain.subscribe([(topic, 1)])
        pub = self.connected(5)
        pub.publish(topic, b"r1", qos=1, retain=True)
        pub.publish(topic, b"n1", qos=1, retain=False)
        rap.expect_publish(topic=topic, payload=b"r1", retain=True)
        rap.expect_publish(topic=topic, payload=b"n1", retain=False)
        plain.expect_publish(topic=topic, payload=b"r1", retain=False)
        plain.expect_publish(topic=topic, payload=b"n1", retain=False)

    def test_retain_handling(self):
        """Retain Handling 0: retained sent at every subscribe; 1: only if the subscription did not
        exist [MQTT-3.3.1-10]; 2: never [MQTT-3.3.1-11]."""
        topic = self.uid("t")
        self.connected(5).publish(topic, b"kept", qos=1, retain=True)
        for rh, first, second in ((0, True, True), (1, True, False), (2, False, False)):
            with self.subTest(retain_handling=rh):
                c = self.connected(5)
                for expect_retained in (first, second):
                    c.subscribe([(topic, mb.sub_options(1, retain_handling=rh))], expect_codes=[1])
                    if expect_retained:
                        c.expect_publish(topic=topic, payload=b"kept", retain=True)
                    else:
                        c.expect_nothing(0.3)

    def test_outbound_maximum_packet_size(self):
        """The server MUST NOT send a packet larger than the client's Maximum Packet Size; it drops the
        message instead [MQTT-3.1.2-24, -25]. Later small messages still arrive."""
        topic, sub, pub = self.pair(sub_connect_props={mb.MAXIMUM_PACKET_SIZE: 200})
        pub.publish(topic, b"x" * 500, qos=1)
        pub.publish(topic, b"small", qos=1)
        p = sub.expect_publish(topic=topic, qos=1)
        self.assertEqual(p.payload, b"small")
        self.assertLessEqual(len(p.raw), 200)

    @only_gridmq("after an ack it sends more than the client's Receive Maximum (3 in flight with 2)")
    def test_outbound_receive_maximum(self):
        """The server sends at most the client's Receive Maximum unacknowledged QoS 1/2 PUBLISHes
        [MQTT-3.3.4-9]; each ack lets exactly one more through; all arrive in order eventually."""
        topic, sub, pub = self.pair(sub_connect_props={mb.RECEIVE_MAXIMUM: 2})
        for i in range(6):
            pub.publish(topic, b"m%d" % i, qos=1)
        got = [sub.expect_publish(topic=topic, qos=1, ack=False) for _ in range(2)]
        sub.expect_nothing(0.5)
        for i in range(2, 6):
            done = got.pop(0)
            sub.send(mb.gen_puback(done.mid, proto=5))
            got.append(sub.expect_publish(topic=topic, qos=1, ack=False))
            self.assertEqual(got[-1].payload, b"m%d" % i)
            try:
                extra = sub.recv(0.2)
                self.fail("more than Receive Maximum in flight: %r" % extra)
            except mb.Timeout:
                pass
        for p in got:
            sub.send(mb.gen_puback(p.mid, proto=5))
        sub.ping()

    def test_outbound_topic_alias_when_allowed(self):
        """Client allows Topic Alias Maximum 3: the server MAY use aliases; if it does, aliases are
        within 1..3 [MQTT-3.3.2-10 area], a new alias comes with the topic name and a later empty topic
        name maps to it (§3.3.2.3.4). Every message resolves to the right topic."""
        topic, sub, pub = self.pair(sub_connect_props={mb.TOPIC_ALIAS_MAXIMUM: 3})
        aliases = {}
        for i in range(4):
            pub.publish(topic, b"a%d" % i, qos=1)
        for i in range(4):
            p = sub.expect_publish(payload=b"a%d" % i)
            alias = p.props.get(mb.TOPIC_ALIAS)
            if alias is not None:
                self.assertTrue(1 <= alias <= 3, p)
                if p.topic:
                    aliases[alias] = p.topic
                self.assertIn(alias, aliases, "alias used before it was set: %r" % p)
                resolved = aliases[alias]
            else:
                resolved = p.topic
            self.assertEqual(resolved, topic)


class TopicAliasInbound(BrokerTestCase):
    broker_config = {"mqtt": {"topic_alias_maximum": 4}}

    def test_connack_topic_alias_maximum(self):
        """CONNACK carries the configured Topic Alias Maximum (§3.2.2.3.8)."""
        c = self.client(5)
        self.assertEqual(c.connect(self.uid()).props.get(mb.TOPIC_ALIAS_MAXIMUM), 4)

    def test_inbound_topic_alias(self):
        """A PUBLISH with topic + alias sets the alias; a later PUBLISH with empty topic + alias uses it
        [MQTT-3.3.2-12 semantics]; an alias can be remapped. Subscribers always see full topic names."""
        base = self.uid("t")
        sub = self.connected(5)
        sub.subscribe(base + "/#", qos=1)
        pub = self.connected(5)
        pub.publish(base + "/one", b"1", qos=1, props={mb.TOPIC_ALIAS: 1})
        pub.publish("", b"2", qos=1, props={mb.TOPIC_ALIAS: 1})
        pub.publish(base + "/two", b"3", qos=1, props={mb.TOPIC_ALIAS: 1})
        pub.publish("", b"4", qos=1, props={mb.TOPIC_ALIAS: 1})
        pub.publish(base + "/max", b"5", qos=0, props={mb.TOPIC_ALIAS: 4})
        pub.publish("", b"6", qos=1, props={mb.TOPIC_ALIAS: 4})
        for topic, payload in ((base + "/one", b"1"), (base + "/one", b"2"), (base + "/two", b"3"),
                               (base + "/two", b"4"), (base + "/max", b"5"), (base + "/max", b"6")):
            p = sub.expect_publish(payload=payload)
            self.assertEqual(p.topic, topic)
            self.assertNotIn(mb.TOPIC_ALIAS, p.props)

    def test_topic_alias_zero(self):
        """Topic Alias 0 is not permitted [MQTT-3.3.2-8]: DISCONNECT 0x94 (Topic Alias invalid, the
        reason code §3.3.2.3.4 gives for an invalid alias; Mosquitto says 0x81)."""
        c = self.connected(5)
        c.send(mb.gen_publish(self.uid("t"), b"x", qos=0, proto=5, props={mb.TOPIC_ALIAS: 0}))
        c.expect_closed(disconnect_rc=0x94, mosq_rc=0x81)

    def test_topic_alias_above_maximum(self):
        """Topic Alias greater than the server's Topic Alias Maximum: DISCONNECT 0x94
        [MQTT-3.3.2-9 .. -10]."""
        c = self.connected(5)
        c.send(mb.gen_publish(self.uid("t"), b"x", qos=0, proto=5, props={mb.TOPIC_ALIAS: 5}))
        c.expect_closed(disconnect_rc=0x94)

    def test_unknown_topic_alias(self):
        """Empty topic name with an alias that was never set is a Protocol Error: DISCONNECT 0x82
        (§3.3.4 'If the Topic Name is zero length and there is no mapping')."""
        c = self.connected(5)
        c.send(mb.gen_publish("", b"x", qos=0, proto=5, props={mb.TOPIC_ALIAS: 2}))
        c.expect_closed(disconnect_rc=0x82)

    def test_empty_topic_without_alias(self):
        """Empty topic name and no Topic Alias is a Protocol Error: DISCONNECT 0x82 (§3.3.2.1)."""
        c = self.connected(5)
        c.send(mb.gen_publish("", b"x", qos=0, proto=5))
        c.expect_closed(disconnect_rc=0x82)

    def test_alias_not_shared_between_connections(self):
        """Topic aliases belong to one network connection [MQTT-3.3.2-7]: a new connection has none."""
        cid = self.uid("c")
        a = self.client(5)
        a.connect(cid, **persistent(5))
        a.publish(self.uid("t"), b"x", qos=1, props={mb.TOPIC_ALIAS: 1})
        a.disconnect()
        b = self.client(5)
        b.connect(cid, **persistent(5))
        b.send(mb.gen_publish("", b"y", qos=0, proto=5, props={mb.TOPIC_ALIAS: 1}))
        b.expect_closed(disconnect_rc=0x82)


class Limits(BrokerTestCase):
    broker_config = {"mqtt": {"max_packet_size": 1000, "receive_maximum": 3}}

    def test_connack_limits(self):
        """CONNACK carries Maximum Packet Size 1000 and Receive Maximum 3 (§3.2.2.3.3, §3.2.2.3.6)."""
        c = self.client(5)
        ack = c.connect(self.uid())
        self.assertEqual(ack.props.get(mb.MAXIMUM_PACKET_SIZE), 1000, ack)
        self.assertEqual(ack.props.get(mb.RECEIVE_MAXIMUM), 3, ack)

    def test_inbound_packet_too_large(self):
        """A packet above the server's Maximum Packet Size: v5 DISCONNECT 0x95 then close
        [MQTT-3.2.2-15 / §4.13]; 3.1.1 close. The broker keeps serving others."""
        for proto in (4, 5):
            with self.subTest(proto=proto):
                c = self.connected(proto)
                c.send(mb.gen_publish(self.uid("t"), b"z" * 1500, qos=1, mid=1, proto=proto))
                c.expect_closed(disconnect_rc=0x95)
                self.connected(proto).ping()

    def test_packet_at_limit_accepted(self):
        """A packet of exactly Maximum Packet Size bytes (whole packet) is accepted."""
        topic = self.uid("t")
        sub = self.connected(5)
        sub.subscribe(topic, qos=1)
        pub = self.connected(5)
        head = len(mb.gen_publish(topic, b"", qos=1, mid=1, proto=5))
        payload = b"p" * (1000 - head - 1)  # remaining length grows to 2 bytes: one more header byte
        pkt = mb.gen_publish(topic, payload, qos=1, mid=1, proto=5)
        self.assertEqual(len(pkt), 1000)
        pub.send(pkt)
        pub.expect(mb.PUBACK, mid=1)
        sub.expect_publish(topic=topic, payload=payload)

    @only_gridmq("answers the 4th PUBLISH with PUBREC 0x97 (quota exceeded) instead of DISCONNECT 0x93")
    def test_inbound_receive_maximum_exceeded(self):
        """More unacknowledged inbound QoS 2 PUBLISHes than the server's Receive Maximum (3): DISCONNECT
        0x93 (Receive Maximum exceeded) [MQTT-3.3.4-8, §3.2.2.3.3]."""
        c = self.connected(5)
        topic = self.uid("t")
        for mid in (1, 2, 3):
            c.send(mb.gen_publish(topic, b"q2", qos=2, mid=mid, proto=5))
            c.expect(mb.PUBREC, mid=mid)
        c.send(mb.gen_publish(topic, b"q2", qos=2, mid=4, proto=5))
        c.expect_closed(disconnect_rc=0x93)

    def test_inbound_receive_maximum_respected_ok(self):
        """Staying within Receive Maximum (complete flows, then more) never triggers 0x93."""
        c = self.connected(5)
        topic = self.uid("t")
        for _ in range(3):
            for mid in (1, 2, 3):
                c.send(mb.gen_publish(topic, b"q2", qos=2, mid=mid, proto=5))
                c.expect(mb.PUBREC, mid=mid)
            for mid in (1, 2, 3):
                c.send(mb.gen_pubrel(mid, proto=5))
                c.expect(mb.PUBCOMP, mid=mid)
        c.ping()


class MaximumQoS(BrokerTestCase):
    broker_config = {"mqtt": {"maximum_qos": 1}}

    def test_connack_maximum_qos(self):
        """maximum_qos=1: CONNACK Maximum QoS 1 (§3.2.2.3.4)."""
        c = self.client(5)
        self.assertEqual(c.connect(self.uid()).props.get(mb.MAXIMUM_QOS), 1)

    def test_subscribe_qos2_granted_1(self):
        """A QoS 2 subscription is granted QoS 1 when the server's maximum is 1 (§3.9.3)."""
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.connected(proto).subscribe(self.uid("t"), qos=2, expect_codes=[1])

    def test_publish_above_maximum_qos(self):
        """A v5 PUBLISH with QoS above Maximum QoS: DISCONNECT 0x9B (QoS not supported)
        [MQTT-3.2.2-11]."""
        c = self.connected(5)
        c.send(mb.gen_publish(self.uid("t"), b"x", qos=2, mid=1, proto=5))
        c.expect_closed(disconnect_rc=0x9B)


class ReasonStrings(BrokerTestCase):

    def test_no_reason_string_when_problem_info_not_requested(self):
        """Request Problem Information 0: no Reason String or User Property on packets other than
        PUBLISH, CONNACK, DISCONNECT [MQTT-3.1.2-29]."""
        c = self.client(5)
        c.connect(self.uid(), props={mb.REQUEST_PROBLEM_INFORMATION: 0})
        ack = c.unsubscribe(self.uid("never"))
        self.assertEqual(ack.codes, [0x11])
        self.assertEqual(dict(ack.props), {})
        c.ping()


if __name__ == "__main__":
    run_tests()
