#!/usr/bin/python3
"""09 acl: authorization of SUBSCRIBE and PUBLISH through [auth] acl_file (gridmq rule format:
'<allow|deny> <publish|subscribe|all> <client-id|*> <filter with %c>', first match wins, default deny).
SUBACK 0x80 (3.1.1) / 0x87 (5.0, §3.9.3); v5 PUBACK/PUBREC 0x87 (§3.4.2.1); 3.1.1 denied PUBLISH is
acknowledged but not forwarded (3.1.1 has no negative ack; the connection stays open)."""

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, only_gridmq, persistent, run_tests

NOT_AUTHORIZED = {4: 0x80, 5: 0x87}

ACL = [
    "# own subtree",
    "allow all * acl/%c/#",
    "allow subscribe * acl/public/#",
    "allow publish * acl/public/in",
    "allow publish * acl/inbox/#",
    "allow subscribe * acl/inbox/%c",
    "deny all * #",
]


class Acl(BrokerTestCase):
    acl = ACL

    def named(self, proto, tag):
        cid = self.uid(tag)
        return cid, self.connected(proto, cid)

    @only_gridmq("acl_file does not check SUBSCRIBE (granted; 'read' only filters delivery)")
    @each_proto
    def test_subscribe_allowed_and_denied(self, proto):
        """Allowed filters get their QoS, denied ones the failure code, in one SUBACK in order
        [MQTT-3.9.3-1 (5.0 -1)]."""
        cid, c = self.named(proto, "a")
        ack = c.subscribe([("acl/%s/x" % cid, 1), ("acl/other/#", 1), ("acl/public/#", 2), ("#", 0),
                           ("acl/inbox/%s" % cid, 1), ("acl/inbox/+", 1)])
        n = NOT_AUTHORIZED[proto]
        self.assertEqual(ack.codes, [1, n, 2, n, 1, n])
        c.ping()

    @only_gridmq("acl_file does not check SUBSCRIBE (granted; 'read' only filters delivery)")
    @each_proto
    def test_client_id_substitution(self, proto):
        """%c stands for the connecting client's id: bob may not subscribe to alice's subtree."""
        alice, a = self.named(proto, "alice")
        bob, b = self.named(proto, "bob")
        a.subscribe("acl/%s/#" % alice, qos=1, expect_codes=[1])
        b.subscribe("acl/%s/#" % alice, qos=1, expect_codes=[NOT_AUTHORIZED[proto]])
        b.subscribe("acl/%s/#" % bob, qos=1, expect_codes=[1])

    @each_proto
    def test_refused_publish_acked_after_earlier_durable_ones(self, proto):
        """Acks keep the order of the PUBLISHes [MQTT-4.6.0-2]: a PUBLISH the ACL refuses (5.0:
        0x87; 3.1.1: dropped, acked with success) right behind one whose ack waits for its commit
        to disk (an offline persistent subscriber queues it) is acknowledged after that one."""
        cid = self.uid("dur")
        sub = self.client(proto)
        sub.connect(cid, **persistent(proto, 300))
        sub.subscribe("acl/inbox/%s" % cid, qos=1, expect_codes=[1])
        sub.disconnect()
        _, pub = self.named(proto, "p")
        for rnd in range(5):
            kept, refused = 10 + 2 * rnd, 11 + 2 * rnd
            pub.send(mb.gen_publish("acl/inbox/%s" % cid, b"kept", qos=1, mid=kept, proto=proto))
            pub.send(mb.gen_publish("acl/public/denied", b"no", qos=1, mid=refused, proto=proto))
            first, second = pub.expect(mb.PUBACK), pub.expect(mb.PUBACK)
            self.assertEqual((first.mid, second.mid), (kept, refused), "acks out of PUBLISH order")
            if proto == 5:
                self.assertEqual(second.rc, NOT_AUTHORIZED[5])

    @each_proto
    def test_publish_allowed_delivered(self, proto):
        """An allowed PUBLISH is acknowledged with success and forwarded."""
        cid, sub = self.named(proto, "s")
        sub.subscribe("acl/inbox/%s" % cid, qos=1, expect_codes=[1])
        _, pub = self.named(proto, "p")
        ack = pub.publish("acl/inbox/%s" % cid, b"hello", qos=1)
        self.assertEqual(ack.rc, 0)
        sub.expect_publish(topic="acl/inbox/%s" % cid, payload=b"hello")

    @each_proto
    def test_publish_denied(self, proto):
        """A denied PUBLISH is not forwarded. v5: PUBACK / PUBREC with 0x87 [§3.4.2.1, §3.5.2.1];
        3.1.1: normal acknowledgement, message dropped. The connection stays open either way."""
        _, sub = self.named(proto, "s")
        sub.subscribe("acl/public/#", qos=2, expect_codes=[2])
        _, pub = self.named(proto, "p")
        for qos in (0, 1, 2):
            with self.subTest(qos=qos):
                if qos == 0:
                    pub.send(mb.gen_publish("acl/public/denied", b"q0", proto=proto))
                    continue
                mid = pub.mid()
                pub.send(mb.gen_publish("acl/public/denied", b"q%d" % qos, qos=qos, mid=mid, proto=proto))
                ack = pub.expect(mb.PUBACK if qos == 1 else mb.PUBREC, mid=mid)
                if proto == 5:
                    self.assertEqual(ack.rc, 0x87, ack)
                else:
                    self.assertEqual(ack.raw[2:], mid.to_bytes(2, "big"))
                    if qos == 2:
                        pub.send(mb.gen_pubrel(mid, proto=proto))
                        pub.expect(mb.PUBCOMP, mid=mid)
        pub.ping()
        pub.publish("acl/public/in", b"marker", qos=1)
        sub.expect_publish(topic="acl/public/in", payload=b"marker")

    @each_proto
    def test_will_to_denied_topic_not_published(self, proto):
        """A Will is a publication by its client: a Will to a topic the client may not publish to is
        never delivered. The server may refuse the CONNECT (3.1.1 CONNACK 0x05, 5.0 CONNACK 0x87) or
        accept it and drop the Will."""
        owner, watcher = self.named(proto, "own")
        watcher.subscribe("acl/%s/#" % owner, qos=1, expect_codes=[1])
        c = self.client(proto)
        ack = c.connect(self.uid("w"), will_topic="acl/%s/will" % owner, will_payload=b"sneaky", will_qos=1,
                        expect_rc=None)
        if ack.rc == 0:
            c.ping()
            c.close()
            watcher.expect_nothing(0.7)
        else:
            self.assertEqual(ack.rc, 0x87 if proto == 5 else 0x05, ack)
            c.expect_closed()
        watcher.publish("acl/%s/will" % owner, b"marker", qos=1)
        watcher.expect_publish(payload=b"marker")


class AclFirstMatch(BrokerTestCase):
    """Rules Mosquitto's acl_file cannot express (first-match deny, per-client-id rules): gridmq only;
    in mosquitto mode the class is skipped when the ACL translation refuses them."""
    acl = [
        "deny publish * fm/secret",
        "allow publish * fm/#",
        "allow subscribe * fm/#",
        "allow publish admin-%d adm/x" % 1,
        "allow subscribe * adm/#",
        "deny all * #",
    ]

    @each_proto
    def test_first_match_deny(self, proto):
        """'deny publish * fm/secret' before 'allow publish * fm/#': the deny wins (first match)."""
        sub = self.connected(proto)
        sub.subscribe("fm/#", qos=1, expect_codes=[1])
        pub = self.connected(proto)
        ack = pub.publish("fm/secret", b"no", qos=1, expect_rc=None)
        if proto == 5:
            self.assertEqual(ack.rc, 0x87)
        pub.publish("fm/open", b"yes", qos=1, expect_rc=0)
        sub.expect_publish(topic="fm/open", payload=b"yes")

    @each_proto
    def test_per_client_rule(self, proto):
        """'allow publish admin-1 adm/x' applies to client id admin-1 only."""
        sub = self.connected(proto)
        sub.subscribe("adm/#", qos=1, expect_codes=[1])
        other = self.connected(proto, "not-admin-%d" % proto)
        ack = other.publish("adm/x", b"no", qos=1, expect_rc=None)
        if proto == 5:
            self.assertEqual(ack.rc, 0x87)
        admin = self.connected(proto, "admin-1")
        admin.publish("adm/x", b"yes", qos=1, expect_rc=0)
        sub.expect_publish(topic="adm/x", payload=b"yes")
        admin.close()


if __name__ == "__main__":
    run_tests()
