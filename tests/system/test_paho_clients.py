#!/usr/bin/python3
"""System: paho-mqtt 1.6 (an independent client library) against the broker: v5 properties, shared
subscriptions, topic aliases, session expiry; 3.1.1 basics."""

from independent_clients import Paho
from mqtttest import BrokerTestCase, run_tests


class PahoClients(BrokerTestCase):

    def setUp(self):
        super().setUp()
        self.paho = []

    def tearDown(self):
        for p in self.paho:
            try:
                p.disconnect()
            except Exception:
                pass
        super().tearDown()

    def client(self, proto=5, cid=None, **kw):
        p = Paho(self.port, cid or self.uid("p"), proto=proto, **kw)
        self.paho.append(p)
        return p

    def test_v311_qos_levels(self):
        """paho 3.1.1: QoS 0/1/2 publish/subscribe round trip."""
        sub, pub = self.client(4), self.client(4)
        sub.connect()
        pub.connect()
        topic = self.uid("t")
        self.assertEqual(sub.subscribe(topic, qos=2), (2,))
        for qos in (0, 1, 2):
            pub.publish(topic, b"q%d" % qos, qos=qos)
            m = sub.message()
            self.assertEqual((m.topic, m.payload, m.qos), (topic, b"q%d" % qos, qos))

    def test_v5_properties_round_trip(self):
        """paho 5.0: user properties, content type, response topic, correlation data, payload format
        indicator and message expiry arrive at a paho subscriber."""
        sub, pub = self.client(), self.client()
        sub.connect()
        pub.connect()
        topic = self.uid("t")
        sub.subscribe(topic, qos=1)
        props = pub.props("PUBLISH", UserProperty=[("k", "v"), ("k", "w")], ContentType="text/plain",
                          ResponseTopic="reply/" + topic, CorrelationData=b"\x01\x02",
                          PayloadFormatIndicator=1, MessageExpiryInterval=120)
        pub.publish(topic, b"props", qos=1, properties=props)
        m = sub.message()
        self.assertEqual(m.payload, b"props")
        p = m.properties
        self.assertEqual(p.UserProperty, [("k", "v"), ("k", "w")])
        self.assertEqual(p.ContentType, "text/plain")
        self.assertEqual(p.ResponseTopic, "reply/" + topic)
        self.assertEqual(p.CorrelationData, b"\x01\x02")
        self.assertEqual(p.PayloadFormatIndicator, 1)
        self.assertIn(p.MessageExpiryInterval, (119, 120))

    def test_v5_request_response(self):
        """A responder answers on the Response Topic with the Correlation Data (request/response
        pattern, §4.10)."""
        requester, responder = self.client(), self.client()
        requester.connect()
        responder.connect()
        req_topic, reply = self.uid("req"), self.uid("reply")
        responder.subscribe(req_topic, qos=1)
        requester.subscribe(reply, qos=1)
        requester.publish(req_topic, b"ping", qos=1,
                          properties=requester.props("PUBLISH", ResponseTopic=reply, CorrelationData=b"c-42"))
        m = responder.message()
        responder.publish(m.properties.ResponseTopic, b"pong", qos=1,
                          properties=responder.props("PUBLISH", CorrelationData=m.properties.CorrelationData))
        r = requester.message()
        self.assertEqual((r.topic, r.payload, r.properties.CorrelationData), (reply, b"pong", b"c-42"))

    def test_v5_shared_subscription(self):
        """Two paho members of $share/g/<t>: 30 messages, each delivered exactly once across the group."""
        members = [self.client(), self.client()]
        for m in members:
            m.connect()
        topic = self.uid("t")
        for m in members:
            m.subscribe("$share/g/" + topic, qos=1)
        pub = self.client()
        pub.connect()
        for i in range(30):
            pub.publish(topic, b"%02d" % i, qos=1)
        got = []
        for _ in range(30):
            import time
            deadline = time.monotonic() + 5
            while True:
                for m in members:
                    if not m.messages.empty():
                        got.append(m.messages.get().payload)
                        break
                else:
                    if time.monotonic() > deadline:
                        self.fail("only %d of 30 shared messages: %r" % (len(got), got))
                    time.sleep(0.01)
                    continue
                break
        for m in members:
            m.no_message(0.3)
        self.assertEqual(sorted(got), [b"%02d" % i for i in range(30)])

    def test_v5_topic_alias(self):
        """A paho publisher sets Topic Alias 1 with the topic, then publishes with an empty topic and the
        alias: the subscriber sees the full topic both times."""
        sub, pub = self.client(), self.client()
        sub.connect()
        ev = pub.connect()
        self.assertGreaterEqual(getattr(ev[3], "TopicAliasMaximum", 0), 1, "broker allows aliases")
        topic = self.uid("t")
        sub.subscribe(topic, qos=1)
        pub.publish(topic, b"first", qos=1, properties=pub.props("PUBLISH", TopicAlias=1))
        pub.publish("", b"second", qos=1, properties=pub.props("PUBLISH", TopicAlias=1))
        for payload in (b"first", b"second"):
            m = sub.message()
            self.assertEqual((m.topic, m.payload), (topic, payload))

    def test_v5_session_expiry(self):
        """paho with Clean Start 0 and Session Expiry 60: after a disconnect, QoS 1 messages published in
        the meantime arrive on reconnect, with Session Present 1."""
        cid, topic = self.uid("s"), self.uid("t")
        sub = self.client(cid=cid, clean=False)
        sub.properties = sub.props("CONNECT", SessionExpiryInterval=60)
        sub.connect()
        sub.subscribe(topic, qos=1)
        sub.disconnect()
        pub = self.client()
        pub.connect()
        pub.publish(topic, b"offline", qos=1)
        again = self.client(cid=cid, clean=False)
        again.properties = again.props("CONNECT", SessionExpiryInterval=60)
        ev = again.connect()
        self.assertEqual(ev[1].get("session present"), 1)
        m = again.message()
        self.assertEqual((m.topic, m.payload, m.qos), (topic, b"offline", 1))

    def test_v5_will_with_properties(self):
        """A paho v5 client's Will (with user property) is published when its connection drops."""
        from paho.mqtt.properties import Properties
        from paho.mqtt.packettypes import PacketTypes
        wp = Properties(PacketTypes.WILLMESSAGE)
        wp.UserProperty = [("why", "dropped")]
        topic = self.uid("will")
        watcher = self.client()
        watcher.connect()
        watcher.subscribe(topic, qos=1)
        w = self.client(will={"topic": topic, "payload": b"bye", "qos": 1, "properties": wp})
        w.connect()
        w.kill()
        m = watcher.message()
        self.assertEqual((m.topic, m.payload), (topic, b"bye"))
        self.assertEqual(m.properties.UserProperty, [("why", "dropped")])


if __name__ == "__main__":
    run_tests()
