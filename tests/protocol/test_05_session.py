#!/usr/bin/python3
"""05 session: clean session / clean start, session present, session expiry, takeover
(3.1.1 §3.1.2.4, §3.1.4; 5.0 §3.1.2.4, §3.1.2.11.2, §3.1.4, §4.1)."""

import time

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, persistent, run_tests


class Session(BrokerTestCase):

    def delivered(self, proto, topic, sub, payload):
        """Publishes payload on topic and a marker on topic from a fresh client; returns True if sub got
        the payload before the marker, False if it got only the marker. sub must be subscribed to topic
        (if it is not, it gets neither, and the check is made with a bounded window)."""
        pub = self.connected(proto)
        pub.publish(topic, payload, qos=1)
        try:
            p = sub.expect_publish(topic=topic, timeout=0.7)
        except mb.Timeout:
            sub.ping()
            return False
        self.assertEqual(p.payload, payload)
        return True

    @each_proto
    def test_clean_session_present_0(self, proto):
        """Clean session / clean start: CONNACK Session Present 0 [MQTT-3.2.2-1 (3.1.1), -2 (5.0)], and no
        subscription survives the disconnect [MQTT-3.1.2-6 (3.1.1)]."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(proto)
        self.assertFalse(c.connect(cid, clean=True).session_present)
        c.subscribe(topic, qos=1)
        c.disconnect()
        c = self.client(proto)
        self.assertFalse(c.connect(cid, clean=True).session_present)
        self.assertFalse(self.delivered(proto, topic, c, b"gone"))

    @each_proto
    def test_persistent_session_resumed(self, proto):
        """Persistent session: Session Present 1 on resume [MQTT-3.2.2-2 (3.1.1), -3 (5.0)] and the
        subscriptions are still there [MQTT-3.1.2-4]."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(proto)
        self.assertFalse(c.connect(cid, **persistent(proto)).session_present)
        c.subscribe(topic, qos=1)
        c.disconnect()
        c = self.client(proto)
        self.assertTrue(c.connect(cid, **persistent(proto)).session_present)
        self.assertTrue(self.delivered(proto, topic, c, b"still"))

    @each_proto
    def test_clean_discards_persistent_session(self, proto):
        """Connecting with clean session / clean start 1 discards the stored session
        [MQTT-3.1.2-6 (3.1.1), MQTT-3.1.2-4 (5.0)]: Session Present 0, the subscription is gone, and the
        next persistent connect finds no session either (3.1.1) / the new empty one (5.0)."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(proto)
        c.connect(cid, **persistent(proto))
        c.subscribe(topic, qos=1)
        c.disconnect()
        c = self.client(proto)
        kw = {"clean": True}
        if proto == 5:
            kw["props"] = {mb.SESSION_EXPIRY_INTERVAL: 300}
        self.assertFalse(c.connect(cid, **kw).session_present)
        self.assertFalse(self.delivered(proto, topic, c, b"gone"))
        c.disconnect()
        c = self.client(proto)
        sp = c.connect(cid, **persistent(proto)).session_present
        self.assertEqual(sp, proto == 5)  # 5.0: the clean-start session had expiry 300 and persists
        self.assertFalse(self.delivered(proto, topic, c, b"gone2"))

    def test_v5_session_expiry_zero_ends_at_disconnect(self):
        """5.0: Clean Start 0 without Session Expiry Interval (= 0) -> the session ends when the network
        connection closes [MQTT-3.1.2-23 context, §3.1.2.11.2]: next connect has Session Present 0."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(5)
        c.connect(cid, clean=False)
        c.subscribe(topic, qos=1)
        c.disconnect()
        c = self.client(5)
        self.assertFalse(c.connect(cid, clean=False).session_present)
        self.assertFalse(self.delivered(5, topic, c, b"gone"))

    def test_v5_session_expiry_elapses(self):
        """5.0: Session Expiry Interval 2 s: resumed within the interval (Session Present 1); after >2 s
        offline the session is gone (Session Present 0) [MQTT-3.1.2-23, §4.1]."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(5)
        c.connect(cid, **persistent(5, expiry=2))
        c.subscribe(topic, qos=1)
        c.disconnect()
        c = self.client(5)
        self.assertTrue(c.connect(cid, **persistent(5, expiry=2)).session_present)
        c.disconnect()
        time.sleep(3.5)  # the session expiry interval itself is what is tested
        c = self.client(5)
        self.assertFalse(c.connect(cid, **persistent(5, expiry=2)).session_present)
        self.assertFalse(self.delivered(5, topic, c, b"expired"))

    def test_v5_disconnect_sets_expiry_zero(self):
        """5.0: DISCONNECT may lower the Session Expiry Interval; 0 ends the session now (§3.14.2.2.2)."""
        cid = self.uid("c")
        c = self.client(5)
        c.connect(cid, **persistent(5))
        c.disconnect(props={mb.SESSION_EXPIRY_INTERVAL: 0})
        c = self.client(5)
        self.assertFalse(c.connect(cid, **persistent(5)).session_present)

    def test_v5_disconnect_raising_expiry_from_zero_is_protocol_error(self):
        """5.0: If the CONNECT had Session Expiry 0, a DISCONNECT with non-zero Session Expiry is a
        Protocol Error [MQTT-3.14.2-2]: the server sends DISCONNECT 0x82 and closes."""
        c = self.client(5)
        c.connect(self.uid("c"), clean=True)
        c.send(mb.gen_disconnect(0, proto=5, props={mb.SESSION_EXPIRY_INTERVAL: 60}))
        c.expect_closed(disconnect_rc=0x82)

    @each_proto
    def test_takeover(self, proto):
        """A second connection with the same client id takes over: the old one is closed
        [MQTT-3.1.4-2 (3.1.1), -3 (5.0)]; a v5 old connection first gets DISCONNECT 0x8E (Session taken
        over, §3.14.2.1). The new connection works."""
        cid = self.uid("c")
        old = self.connected(proto, cid)
        new = self.client(proto)
        self.assertEqual(new.connect(cid, clean=True).rc, 0)
        old.expect_closed(disconnect_rc=0x8E)
        new.ping()

    @each_proto
    def test_takeover_keeps_persistent_session(self, proto):
        """Takeover of a persistent session: Session Present 1 for the new connection, subscriptions
        kept, and an unacknowledged QoS 1 message is resent to the new connection with DUP=1."""
        cid, topic = self.uid("c"), self.uid("t")
        old = self.client(proto)
        old.connect(cid, **persistent(proto))
        old.subscribe(topic, qos=1)
        pub = self.connected(proto)
        pub.publish(topic, b"inflight", qos=1)
        first = old.expect_publish(topic=topic, payload=b"inflight", ack=False)
        new = self.client(proto)
        self.assertTrue(new.connect(cid, **persistent(proto)).session_present)
        old.expect_closed(disconnect_rc=0x8E)
        again = new.expect_publish(topic=topic, payload=b"inflight", qos=1)
        self.assertTrue(again.dup)
        self.assertEqual(again.mid, first.mid)
        self.assertTrue(self.delivered(proto, topic, new, b"after"))

    @each_proto
    def test_qos0_not_queued_for_offline_is_allowed_qos1_is_kept(self, proto):
        """While offline, QoS 1 messages for a persistent session are stored and delivered on resume
        [MQTT-3.1.2-5 (3.1.1)]; with the flow acknowledged they are not delivered twice."""
        cid, topic = self.uid("c"), self.uid("t")
        c = self.client(proto)
        c.connect(cid, **persistent(proto))
        c.subscribe(topic, qos=1)
        c.disconnect()
        pub = self.connected(proto)
        pub.publish(topic, b"queued", qos=1)
        c = self.client(proto)
        self.assertTrue(c.connect(cid, **persistent(proto)).session_present)
        c.expect_publish(topic=topic, payload=b"queued", qos=1)
        c.disconnect()
        c = self.client(proto)
        c.connect(cid, **persistent(proto))
        c.expect_nothing(0.3)


if __name__ == "__main__":
    run_tests()
