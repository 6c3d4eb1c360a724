#!/usr/bin/python3
"""03 publish/QoS: QoS 0/1/2 flows in both directions, packet identifiers, DUP resend on session resume
(3.1.1 §3.3-3.7, §4.3-4.4, §4.6; 5.0 same sections)."""

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, persistent, run_tests


class PublishQoS(BrokerTestCase):

    def pair(self, proto, qos):
        topic = self.uid("t")
        sub = self.connected(proto)
        sub.subscribe(topic, qos=qos, expect_codes=[qos])
        pub = self.connected(proto)
        return topic, sub, pub

    @each_proto
    def test_qos0_exact_bytes(self, proto):
        """QoS 0 end to end: the subscriber receives exactly topic + payload, flags 0 (no packet id)
        [MQTT-3.3.1-2 (dup 0 for QoS 0)]; 3.1.1 bytes compared exactly."""
        topic, sub, pub = self.pair(proto, 0)
        pub.send(mb.gen_publish(topic, b"payload-0", proto=proto))
        p = sub.expect_publish(topic=topic, payload=b"payload-0", qos=0, retain=False)
        self.assertFalse(p.dup)
        self.assertIsNone(p.mid)
        if proto == 4:
            self.assertEqual(p.raw, mb.gen_publish(topic, b"payload-0", proto=4))

    @each_proto
    def test_qos1_flow(self, proto):
        """QoS 1: PUBACK to the publisher with its packet id [MQTT-4.3.2-2 (5.0 -4)]; the subscriber gets
        a QoS 1 PUBLISH with a non-zero packet id and DUP 0 [MQTT-2.3.1-1, MQTT-4.3.2-1]."""
        topic, sub, pub = self.pair(proto, 1)
        pub.send(mb.gen_publish(topic, b"q1", qos=1, mid=0x0102, proto=proto))
        ack = pub.expect(mb.PUBACK, mid=0x0102)
        if proto == 4:
            self.assertEqual(ack.raw, b"\x40\x02\x01\x02")
        else:
            self.assertIn(ack.rc, (0x00,), ack)
        p = sub.expect_publish(topic=topic, payload=b"q1", qos=1, ack=False)
        self.assertNotEqual(p.mid, 0)
        self.assertFalse(p.dup)
        sub.send(mb.gen_puback(p.mid, proto=proto))
        sub.ping()

    @each_proto
    def test_qos2_flow_inbound_and_outbound(self, proto):
        """QoS 2: PUBLISH -> PUBREC, PUBREL -> PUBCOMP with the same packet id [MQTT-4.3.3-2 .. -11];
        the server's PUBREL has fixed header flags 0010 [MQTT-3.6.1-1]."""
        topic, sub, pub = self.pair(proto, 2)
        pub.send(mb.gen_publish(topic, b"q2", qos=2, mid=77, proto=proto))
        rec = pub.expect(mb.PUBREC, mid=77)
        if proto == 4:
            self.assertEqual(rec.raw, b"\x50\x02\x00\x4d")
        self.assertEqual(rec.rc, 0)
        pub.send(mb.gen_pubrel(77, proto=proto))
        comp = pub.expect(mb.PUBCOMP, mid=77)
        self.assertEqual(comp.rc, 0)
        if proto == 4:
            self.assertEqual(comp.raw, b"\x70\x02\x00\x4d")
        p = sub.expect_publish(topic=topic, payload=b"q2", qos=2, ack=False)
        self.assertNotEqual(p.mid, 0)
        sub.send(mb.gen_pubrec(p.mid, proto=proto))
        rel = sub.expect(mb.PUBREL, mid=p.mid)
        self.assertEqual(rel.flags, 2)
        self.assertEqual(rel.rc, 0)
        sub.send(mb.gen_pubcomp(p.mid, proto=proto))
        sub.ping()

    @each_proto
    def test_qos2_released_before_pubrel(self, proto):
        """Method B of 5.0 §4.3.3 / 3.1.1 Fig. 4.3: the receiver may forward on PUBLISH or on PUBREL; either
        way the subscriber gets the message once the publisher's flow completes."""
        topic, sub, pub = self.pair(proto, 1)
        pub.publish(topic, b"done", qos=2)
        sub.expect_publish(topic=topic, payload=b"done", qos=1)

    @each_proto
    def test_qos2_duplicate_publish_delivered_once(self, proto):
        """A QoS 2 PUBLISH resent with DUP=1 before PUBREL is the same message: PUBREC again, and the
        subscriber gets exactly one copy [MQTT-4.3.3-9 (5.0 -10)]."""
        topic, sub, pub = self.pair(proto, 1)
        pub.send(mb.gen_publish(topic, b"once", qos=2, mid=9, proto=proto))
        pub.expect(mb.PUBREC, mid=9)
        pub.send(mb.gen_publish(topic, b"once", qos=2, mid=9, dup=True, proto=proto))
        pub.expect(mb.PUBREC, mid=9)
        pub.send(mb.gen_pubrel(9, proto=proto))
        pub.expect(mb.PUBCOMP, mid=9)
        pub.publish(topic, b"marker", qos=1)
        sub.expect_publish(topic=topic, payload=b"once", qos=1)
        sub.expect_publish(topic=topic, payload=b"marker", qos=1)

    @each_proto
    def test_packet_id_reuse(self, proto):
        """After a flow completes its packet id is free [MQTT-2.3.1-3 (5.0 -4)]: reusing mid 1 for
        new QoS 1 and QoS 2 messages delivers each as a new message."""
        topic, sub, pub = self.pair(proto, 2)
        for i, qos in enumerate((1, 1, 2, 2)):
            pub.publish(topic, b"m%d" % i, qos=qos, mid=1)
        for i, qos in enumerate((1, 1, 2, 2)):
            sub.expect_publish(topic=topic, payload=b"m%d" % i, qos=qos)

    @each_proto
    def test_downgrade_to_granted_qos(self, proto):
        """Delivered QoS = min(published, granted) [MQTT-3.8.4-6 (3.1.1) / 5.0 §3.8.4]: QoS 2 -> QoS 0
        subscription arrives as QoS 0 without packet id."""
        topic, sub, pub = self.pair(proto, 0)
        pub.publish(topic, b"down", qos=2)
        p = sub.expect_publish(topic=topic, payload=b"down", qos=0)
        self.assertIsNone(p.mid)

    @each_proto
    def test_upgrade_never(self, proto):
        """A QoS 0 publish to a QoS 2 subscription is delivered at QoS 0 (never upgraded)."""
        topic, sub, pub = self.pair(proto, 2)
        pub.publish(topic, b"q0", qos=0)
        pub.publish(topic, b"q1", qos=1)
        sub.expect_publish(topic=topic, payload=b"q0", qos=0)
        sub.expect_publish(topic=topic, payload=b"q1", qos=1)

    @each_proto
    def test_ordering(self, proto):
        """Messages from one publisher on one topic arrive in order [MQTT-4.6.0-5 (5.0 -6)]; outgoing
        packet ids are distinct while unacknowledged."""
        topic, sub, pub = self.pair(proto, 1)
        for i in range(20):
            pub.publish(topic, b"%02d" % i, qos=1)
        mids = set()
        got = []
        for i in range(20):
            p = sub.expect_publish(topic=topic, qos=1, ack=False)
            got.append(p.payload)
            mids.add(p.mid)
        self.assertEqual(got, [b"%02d" % i for i in range(20)])
        self.assertEqual(len(mids), min(20, len(mids)))
        for p_mid in mids:
            sub.send(mb.gen_puback(p_mid, proto=proto))
        sub.ping()

    @each_proto
    def test_empty_payload(self, proto):
        """A zero-length payload is valid for a non-retained PUBLISH (§3.3.3) and delivered as such."""
        topic, sub, pub = self.pair(proto, 1)
        pub.publish(topic, b"", qos=1)
        sub.expect_publish(topic=topic, payload=b"", qos=1)

    @each_proto
    def test_large_payload(self, proto):
        """A 200 kB payload (3-byte Remaining Length) is delivered intact."""
        topic, sub, pub = self.pair(proto, 1)
        data = bytes(range(256)) * 800
        pub.publish(topic, data, qos=1)
        sub.expect_publish(topic=topic, payload=data, qos=1)

    @each_proto
    def test_self_delivery(self, proto):
        """Without No Local, a client receives its own publications (3.1.1 has no No Local)."""
        c = self.connected(proto)
        topic = self.uid("t")
        c.subscribe(topic, qos=1)
        c.send(mb.gen_publish(topic, b"me", qos=1, mid=5, proto=proto))
        got = {c.recv().type, c.recv().type}
        self.assertEqual(got, {mb.PUBACK, mb.PUBLISH})

    @each_proto
    def test_pubrel_unknown_packet_id(self, proto):
        """PUBREL for an unknown packet id: the server still answers PUBCOMP (3.1.1 [MQTT-4.3.3-1]
        semantics; 5.0 MAY say 0x92 Packet Identifier not found, §3.7.2.1, Mosquitto says 0x00)."""
        c = self.connected(proto)
        c.send(mb.gen_pubrel(4242, proto=proto))
        comp = c.expect(mb.PUBCOMP, mid=4242)
        self.assertIn(comp.rc, (0x92, 0x00) if proto == 5 else (0,), comp)
        c.ping()

    @each_proto
    def test_resend_unacked_qos1_with_dup(self, proto):
        """Unacknowledged QoS 1 PUBLISH is resent with DUP=1 and the same packet id when the persistent
        session resumes [MQTT-4.4.0-1, MQTT-3.3.1-1]; CONNACK has Session Present 1 [MQTT-3.2.2-2]."""
        cid = self.uid("s")
        topic = self.uid("t")
        sub = self.client(proto)
        ack = sub.connect(cid, **persistent(proto))
        self.assertFalse(ack.session_present)
        sub.subscribe(topic, qos=1)
        pub = self.connected(proto)
        pub.publish(topic, b"resend-me", qos=1)
        first = sub.expect_publish(topic=topic, payload=b"resend-me", qos=1, ack=False)
        self.assertFalse(first.dup)
        sub.close()
        sub = self.client(proto)
        ack = sub.connect(cid, **persistent(proto))
        self.assertTrue(ack.session_present)
        again = sub.expect_publish(topic=topic, payload=b"resend-me", qos=1, ack=False)
        self.assertTrue(again.dup, again)
        self.assertEqual(again.mid, first.mid)
        sub.send(mb.gen_puback(again.mid, proto=proto))
        sub.ping()  # the PUBACK is processed before the connection goes away
        sub.close()
        sub = self.client(proto)
        sub.connect(cid, **persistent(proto))
        sub.expect_nothing(0.3)  # acknowledged: not resent again

    @each_proto
    def test_resend_unacked_qos2_publish_and_pubrel(self, proto):
        """QoS 2 resume: a PUBLISH not yet PUBREC'd is resent with DUP=1; once PUBREC'd, the server
        resends PUBREL instead [MQTT-4.4.0-1]."""
        cid = self.uid("s")
        topic = self.uid("t")
        sub = self.client(proto)
        sub.connect(cid, **persistent(proto))
        sub.subscribe(topic, qos=2)
        pub = self.connected(proto)
        pub.publish(topic, b"q2-a", qos=2)
        first = sub.expect_publish(topic=topic, payload=b"q2-a", qos=2, ack=False)
        sub.close()

        sub = self.client(proto)
        self.assertTrue(sub.connect(cid, **persistent(proto)).session_present)
        again = sub.expect_publish(topic=topic, payload=b"q2-a", qos=2, ack=False)
        self.assertTrue(again.dup)
        self.assertEqual(again.mid, first.mid)
        sub.send(mb.gen_pubrec(again.mid, proto=proto))
        sub.expect(mb.PUBREL, mid=again.mid)
        sub.close()

        sub = self.client(proto)
        self.assertTrue(sub.connect(cid, **persistent(proto)).session_present)
        rel = sub.expect(mb.PUBREL, mid=first.mid)
        self.assertEqual(rel.flags, 2)
        sub.send(mb.gen_pubcomp(rel.mid, proto=proto))
        sub.expect_nothing(0.3)

    @each_proto
    def test_inbound_qos2_state_survives_reconnect(self, proto):
        """The server keeps an inbound QoS 2 packet id across reconnect of a persistent session: the
        publisher can send PUBREL after reconnecting and gets PUBCOMP; the message is delivered once."""
        topic, sub, _ = self.pair(proto, 1)
        cid = self.uid("p")
        pub = self.client(proto)
        pub.connect(cid, **persistent(proto))
        pub.send(mb.gen_publish(topic, b"cross", qos=2, mid=300, proto=proto))
        pub.expect(mb.PUBREC, mid=300)
        pub.close()
        pub = self.client(proto)
        self.assertTrue(pub.connect(cid, **persistent(proto)).session_present)
        pub.send(mb.gen_pubrel(300, proto=proto))
        comp = pub.expect(mb.PUBCOMP, mid=300)
        self.assertEqual(comp.rc, 0)
        pub.publish(topic, b"marker", qos=1)
        sub.expect_publish(topic=topic, payload=b"cross", qos=1)
        sub.expect_publish(topic=topic, payload=b"marker", qos=1)

    @each_proto
    def test_offline_messages_queued(self, proto):
        """QoS 1/2 messages published while a persistent-session client is offline are delivered on
        reconnect, in order [MQTT-3.1.2-5 (3.1.1) / 5.0 §4.1]; QoS 0 may or may not be."""
        cid = self.uid("s")
        topic = self.uid("t")
        sub = self.client(proto)
        sub.connect(cid, **persistent(proto))
        sub.subscribe(topic, qos=2)
        sub.disconnect()
        pub = self.connected(proto)
        for i, q in enumerate((1, 2, 1, 2)):
            pub.publish(topic, b"off%d" % i, qos=q)
        sub = self.client(proto)
        self.assertTrue(sub.connect(cid, **persistent(proto)).session_present)
        for i, q in enumerate((1, 2, 1, 2)):
            sub.expect_publish(topic=topic, payload=b"off%d" % i, qos=q)


if __name__ == "__main__":
    run_tests()
