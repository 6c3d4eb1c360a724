#!/usr/bin/python3
"""06 will: Will Message publication rules (3.1.1 §3.1.2.5-3.1.2.7, 5.0 §3.1.2.5, §3.1.3.2, §3.14.2.1)."""

import time

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, only_gridmq, persistent, run_tests


class Will(BrokerTestCase):

    def watcher(self, proto, topic, qos=2):
        w = self.connected(proto)
        w.subscribe(topic, qos=qos)
        return w

    def will_client(self, proto, topic, payload=b"gone", qos=1, retain=False, keepalive=60, cid=None, **kw):
        c = self.client(proto)
        c.connect(cid or self.uid("w"), will_topic=topic, will_payload=payload, will_qos=qos,
                  will_retain=retain, keepalive=keepalive, **kw)
        return c

    @each_proto
    def test_will_on_socket_close(self, proto):
        """Network connection closed without DISCONNECT -> the Will Message is published
        [MQTT-3.1.2-8] with its topic, payload and QoS (min with the subscription)."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        c = self.will_client(proto, topic, b"closed", qos=1)
        c.ping()
        c.close()
        w.expect_publish(topic=topic, payload=b"closed", qos=1, retain=False)

    @each_proto
    def test_no_will_on_normal_disconnect(self, proto):
        """DISCONNECT (v5 reason 0x00) removes the Will: not published [MQTT-3.1.2-10 (3.1.1),
        MQTT-3.14.4-3]."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        c = self.will_client(proto, topic, b"must-not")
        c.disconnect()
        marker = self.connected(proto)
        marker.publish(topic, b"marker", qos=1)
        w.expect_publish(topic=topic, payload=b"marker")

    def test_will_on_disconnect_0x04_v5(self):
        """5.0: DISCONNECT with reason 0x04 (Disconnect with Will Message) publishes the Will
        (§3.14.2.1)."""
        topic = self.uid("t")
        w = self.watcher(5, topic)
        c = self.will_client(5, topic, b"with-will", qos=2)
        c.send(mb.gen_disconnect(0x04, proto=5))
        w.expect_publish(topic=topic, payload=b"with-will", qos=2)

    @each_proto
    def test_will_retained(self, proto):
        """Will Retain 1: the Will is published as a retained message [MQTT-3.1.2-17 (5.0 -15)]: a later
        subscriber gets it with RETAIN=1."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        c = self.will_client(proto, topic, b"retained-will", qos=1, retain=True)
        c.close()
        w.expect_publish(topic=topic, payload=b"retained-will")
        later = self.connected(proto)
        later.subscribe(topic, qos=1)
        later.expect_publish(topic=topic, payload=b"retained-will", retain=True)

    @each_proto
    def test_will_on_keepalive_timeout(self, proto):
        """Keep-alive expiry is an abnormal close: the Will is published [MQTT-3.1.2-8], after about
        1.5 x Keep Alive (1 s here)."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        t0 = time.monotonic()
        self.will_client(proto, topic, b"timed-out", keepalive=1)
        w.expect_publish(topic=topic, payload=b"timed-out", timeout=10)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)

    @each_proto
    def test_will_on_protocol_error(self, proto):
        """A connection the server closes for a protocol error publishes the Will [MQTT-3.1.2-8]."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        c = self.will_client(proto, topic, b"bad-client")
        c.send(b"\x36\x05\x00\x01t\x00\x01")  # PUBLISH with QoS 3: malformed [MQTT-3.3.1-4]
        c.expect_closed()
        w.expect_publish(topic=topic, payload=b"bad-client")

    @only_gridmq("a second CONNECT closes the connection but discards the Will")
    @each_proto
    def test_will_on_second_connect(self, proto):
        """A second CONNECT is a protocol error [MQTT-3.1.0-2]; the server closes the connection, so the
        Will is published [MQTT-3.1.2-8]."""
        topic = self.uid("t")
        w = self.watcher(proto, topic)
        c = self.will_client(proto, topic, b"second-connect")
        c.send(mb.gen_connect("again", proto=proto))
        c.expect_closed()
        w.expect_publish(topic=topic, payload=b"second-connect")

    def test_will_properties_forwarded_v5(self):
        """5.0: Will Properties (content type, response topic, correlation data, user properties, payload
        format indicator) are sent with the Will Message [MQTT-3.1.3-10 semantics, §3.1.3.2]."""
        topic = self.uid("t")
        w = self.watcher(5, topic)
        props = [(mb.CONTENT_TYPE, "text/plain"), (mb.RESPONSE_TOPIC, "resp/x"),
                 (mb.CORRELATION_DATA, b"\x00\x01corr"), (mb.PAYLOAD_FORMAT_INDICATOR, 1),
                 (mb.USER_PROPERTY, ("k1", "v1")), (mb.USER_PROPERTY, ("k1", "v2"))]
        c = self.will_client(5, topic, b"props", will_props=props)
        c.close()
        p = w.expect_publish(topic=topic, payload=b"props")
        self.assertEqual(p.props.get(mb.CONTENT_TYPE), "text/plain")
        self.assertEqual(p.props.get(mb.RESPONSE_TOPIC), "resp/x")
        self.assertEqual(p.props.get(mb.CORRELATION_DATA), b"\x00\x01corr")
        self.assertEqual(p.props.get(mb.PAYLOAD_FORMAT_INDICATOR), 1)
        self.assertEqual(p.props.user(), [("k1", "v1"), ("k1", "v2")])  # order kept [MQTT-3.3.2-18]

    def test_will_delay_interval(self):
        """5.0: Will Delay Interval 2 s (session expiry 60): the Will is not published at the close but
        about 2 s later [MQTT-3.1.3-9, §3.1.3.2.2]."""
        topic = self.uid("t")
        w = self.watcher(5, topic)
        c = self.will_client(5, topic, b"delayed", will_props={mb.WILL_DELAY_INTERVAL: 2},
                             **persistent(5, expiry=60))
        c.close()
        t0 = time.monotonic()
        try:
            p = w.recv(1.2)
            self.fail("Will published too early (%.2fs): %r" % (time.monotonic() - t0, p))
        except mb.Timeout:
            pass
        w.expect_publish(topic=topic, payload=b"delayed", timeout=5)
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)

    def test_will_delay_cancelled_by_reconnect(self):
        """5.0: if the client reconnects (same session) before the Will Delay Interval elapses, the Will
        is not published [MQTT-3.1.3-9]."""
        topic, cid = self.uid("t"), self.uid("c")
        w = self.watcher(5, topic)
        c = self.will_client(5, topic, b"cancelled", cid=cid, will_props={mb.WILL_DELAY_INTERVAL: 2},
                             **persistent(5, expiry=60))
        c.close()
        c = self.client(5)
        self.assertTrue(c.connect(cid, **persistent(5, expiry=60)).session_present)
        try:
            p = w.recv(3.0)  # longer than the will delay
            self.fail("Will published despite reconnect: %r" % p)
        except mb.Timeout:
            pass
        w.ping()

    def test_will_at_session_end_when_delay_longer(self):
        """5.0: the Will is published when the session ends if that happens before the Will Delay
        Interval (session expiry 1 s, will delay 30 s) [§3.1.3.2.2]."""
        topic = self.uid("t")
        w = self.watcher(5, topic)
        c = self.will_client(5, topic, b"session-ended", will_props={mb.WILL_DELAY_INTERVAL: 30},
                             **persistent(5, expiry=1))
        c.close()
        w.expect_publish(topic=topic, payload=b"session-ended", timeout=6)

    @each_proto
    def test_takeover_with_clean_start_publishes_old_will(self, proto):
        """Takeover: the old connection is closed without DISCONNECT from its client, so its Will is
        published (3.1.1 [MQTT-3.1.2-8]; 5.0 §3.1.4 with Will Delay 0)."""
        topic, cid = self.uid("t"), self.uid("c")
        w = self.watcher(proto, topic)
        old = self.will_client(proto, topic, b"taken-over", cid=cid)
        new = self.client(proto)
        new.connect(cid, clean=True)
        old.expect_closed()
        w.expect_publish(topic=topic, payload=b"taken-over")


if __name__ == "__main__":
    run_tests()
