#!/usr/bin/python3
"""08 malformed: malformed packets and protocol errors after CONNECT. v5: DISCONNECT with the reason code
then close [MQTT-4.13.1-1, §4.13.2]; 3.1.1: just close [MQTT-4.8.0-1]. After each case the broker must
still serve a new client."""

import random
import socket

import mqttbytes as mb
from mqtttest import BrokerTestCase, each_proto, is_mosquitto, only_gridmq, run_tests

MALFORMED, PROTOCOL_ERROR, TOPIC_NAME_INVALID = 0x81, 0x82, 0x90


class Malformed(BrokerTestCase):

    def bad(self, proto, data, rc, also=(), mosq=()):
        """Sends data on a connected client; asserts close (v5: DISCONNECT rc, or one of `also`, first).
        mosq: further codes Mosquitto 2.0.11 is known to send instead (accepted only in mosquitto mode)."""
        if is_mosquitto():
            also = tuple(also) + tuple(mosq)
        c = self.connected(proto)
        c.send(data)
        pk = c.expect_closed()
        if proto == 4:
            self.assertEqual(pk, [], "3.1.1 server must just close")
        else:
            discs = [p for p in pk if p.type == mb.DISCONNECT]
            if discs or not self.broker.target == "mosquitto":
                self.assertEqual(len(discs), 1, pk)
                self.assertIn(discs[0].rc, (rc,) + tuple(also), pk)
        self.connected(proto).ping()  # the broker still serves new clients
        return pk

    @each_proto
    def test_publish_qos3(self, proto):
        """PUBLISH with both QoS bits set is malformed [MQTT-3.3.1-4]."""
        self.bad(proto, mb.packet(mb.PUBLISH, 0x06, mb.utf8("a/b") + b"\x00\x01" + (b"\x00" if proto == 5 else b"") + b"x"),
                 MALFORMED)

    @each_proto
    def test_publish_qos0_with_dup(self, proto):
        """DUP MUST be 0 for QoS 0 [MQTT-3.3.1-2]. That statement binds the sender; the receiver's
        reaction is not fixed, so either closing (v5: DISCONNECT 0x81) or accepting is allowed - but
        the broker stays up, and if it accepts, the connection keeps working."""
        c = self.connected(proto)
        c.send(mb.packet(mb.PUBLISH, 0x08, mb.utf8(self.uid("t")) + (b"\x00" if proto == 5 else b"") + b"x"))
        c.send(mb.gen_pingreq())
        try:
            p = c.recv()
        except mb.ConnectionClosed:
            p = None
        if p is not None and p.type == mb.PINGRESP:
            pass  # accepted
        elif p is not None:
            self.assertEqual((proto, p.type, p.rc), (5, mb.DISCONNECT, MALFORMED), p)
        self.connected(proto).ping()

    @each_proto
    def test_publish_packet_id_zero(self, proto):
        """QoS>0 PUBLISH with Packet Identifier 0 [MQTT-2.3.1-1 (2.2.1-3 in 5.0)]: protocol error."""
        self.bad(proto, mb.gen_publish("a/b", b"x", qos=1, mid=0, proto=proto), PROTOCOL_ERROR, also=(MALFORMED,))

    @each_proto
    def test_publish_wildcard_topic(self, proto):
        """The Topic Name in a PUBLISH MUST NOT contain wildcards [MQTT-3.3.2-2]: v5 DISCONNECT 0x90
        (Topic Name invalid)."""
        for topic in ("a/+", "a/#", "+", "#"):
            with self.subTest(topic=topic):
                self.bad(proto, mb.gen_publish(topic, b"x", qos=1, mid=1, proto=proto), TOPIC_NAME_INVALID,
                         mosq=(PROTOCOL_ERROR,))

    @each_proto
    def test_publish_empty_topic_v311_or_no_alias(self, proto):
        """A zero-length Topic Name without Topic Alias is invalid [MQTT-4.7.3-1 (3.1.1)] / a Protocol
        Error (5.0 §3.3.2.1)."""
        self.bad(proto, mb.gen_publish("", b"x", qos=0, proto=proto), PROTOCOL_ERROR, also=(TOPIC_NAME_INVALID,))

    @each_proto
    def test_invalid_utf8_topic(self, proto):
        """Ill-formed UTF-8 in a Topic Name is a malformed packet [MQTT-1.5.3-1 (1.5.4-1)]."""
        for raw in (b"a/\xff", b"\xc3\x28", b"\xed\xa0\x80"):  # invalid byte, bad continuation, surrogate
            with self.subTest(topic=raw.hex()):
                self.bad(proto, mb.gen_publish(raw, b"x", proto=proto), MALFORMED, also=(TOPIC_NAME_INVALID,))

    @each_proto
    def test_null_character_in_topic(self, proto):
        """U+0000 in a UTF-8 string is malformed [MQTT-1.5.3-2 (1.5.4-2)]."""
        self.bad(proto, mb.gen_publish(b"a\x00b", b"x", proto=proto), MALFORMED, also=(TOPIC_NAME_INVALID,))

    @each_proto
    def test_invalid_utf8_subscribe_filter(self, proto):
        """Ill-formed UTF-8 in a Topic Filter is malformed [MQTT-1.5.3-1]."""
        self.bad(proto, mb.gen_subscribe(1, [(b"a/\xff", 0)], proto=proto), MALFORMED, also=(0x8F,))

    @each_proto
    def test_pubrel_bad_flags(self, proto):
        """PUBREL fixed header flags MUST be 0010 [MQTT-3.6.1-1]."""
        self.bad(proto, mb.packet(mb.PUBREL, 0, b"\x00\x01"), MALFORMED)

    @only_gridmq("answers a PINGREQ with reserved flag bits set instead of closing")
    @each_proto
    def test_pingreq_bad_flags(self, proto):
        """Reserved fixed header flags of PINGREQ MUST be 0 [MQTT-2.2.2-2 (2.1.3-1)]."""
        self.bad(proto, b"\xc1\x00", MALFORMED)

    @each_proto
    def test_reserved_packet_type_0(self, proto):
        """Packet type 0 is reserved (forbidden): malformed / protocol error."""
        self.bad(proto, b"\x00\x00", MALFORMED, also=(PROTOCOL_ERROR,))

    def test_auth_packet_in_v311(self):
        """AUTH (type 15) does not exist in 3.1.1: close."""
        self.bad(4, b"\xf0\x00", MALFORMED)

    @each_proto
    def test_connack_from_client(self, proto):
        """CONNACK is sent only by the server; from a client it is a protocol error: close."""
        self.bad(proto, mb.gen_connack(0, proto=proto), PROTOCOL_ERROR, also=(MALFORMED,))

    @only_gridmq("ignores SUBACK / UNSUBACK / PINGRESP sent by a client and keeps the connection")
    @each_proto
    def test_server_only_packets_from_client(self, proto):
        """SUBACK / UNSUBACK / PINGRESP from a client are protocol errors (server-to-client only,
        §2.1.2): close."""
        for data in (mb.gen_suback(1, [0], proto=proto),
                     mb.gen_unsuback(1, [0], proto=proto), mb.gen_pingresp()):
            with self.subTest(packet=data.hex()):
                self.bad(proto, data, PROTOCOL_ERROR, also=(MALFORMED,))

    @each_proto
    def test_remaining_length_five_bytes(self, proto):
        """A Remaining Length of more than 4 bytes is malformed (§1.5.5, §2.1.4)."""
        self.bad(proto, b"\x30\xff\xff\xff\xff\x7f", MALFORMED, also=(0x95,))

    @each_proto
    def test_string_longer_than_packet(self, proto):
        """A string length that runs past the Remaining Length is malformed (§1.5.4)."""
        self.bad(proto, b"\x30\x05\x00\x64abc", MALFORMED)

    @each_proto
    def test_publish_missing_packet_id(self, proto):
        """A QoS 1 PUBLISH too short to hold its Packet Identifier is malformed."""
        self.bad(proto, b"\x32\x04\x00\x02ab", MALFORMED)

    @each_proto
    def test_puback_too_short(self, proto):
        """A PUBACK with a 1-byte body is malformed."""
        self.bad(proto, b"\x40\x01\x00", MALFORMED)

    def test_v5_unknown_property(self):
        """An unknown property identifier is malformed (§2.2.2.2)."""
        body = mb.utf8("a/b") + b"\x02\x7f\x00" + b"x"
        self.bad(5, mb.packet(mb.PUBLISH, 0, body), MALFORMED)

    def test_v5_duplicate_property(self):
        """A property that may appear once appearing twice is a Protocol Error (§2.2.2.2)."""
        props = mb.encode_props([(mb.CONTENT_TYPE, "a"), (mb.CONTENT_TYPE, "b")])
        self.bad(5, mb.packet(mb.PUBLISH, 0, mb.utf8("a/b") + props + b"x"), PROTOCOL_ERROR, also=(MALFORMED,))

    def test_v5_property_length_past_packet(self):
        """A Property Length that runs past the packet is malformed."""
        self.bad(5, mb.packet(mb.PUBLISH, 0, mb.utf8("a/b") + b"\x20\x01"), MALFORMED)

    def test_v5_disconnect_bad_reason_code_props(self):
        """A DISCONNECT whose property length runs past the packet is malformed (no Will suppression
        question: the connection is closed either way)."""
        c = self.connected(5)
        c.send(b"\xe0\x02\x00\x05")
        c.expect_closed()
        self.connected(5).ping()

    @each_proto
    def test_truncated_packet_then_close(self, proto):
        """A client that sends half a packet and closes must not hurt the broker."""
        for data in (b"\x30", b"\x30\x80", b"\x32\x0a\x00\x03ab", mb.gen_connect("trunc", proto=proto)[:7]):
            with self.subTest(data=data.hex()):
                s = mb.tcp_connect(self.port)
                if data[0] != 0x10:
                    s.sendall(mb.gen_connect(self.uid(), proto=proto))
                    self.assertEqual(mb.read_packet(s)[0], mb.CONNACK)
                s.sendall(data)
                s.close()
        self.connected(proto).ping()

    @each_proto
    def test_random_garbage_never_crashes(self, proto):
        """40 fixed-seed random byte strings after CONNECT: the broker may close the connection or keep
        it, but stays up and serves a new client (contract: protocol errors never crash the broker)."""
        rng = random.Random(0x6D71 + proto)
        for i in range(40):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            s = mb.tcp_connect(self.port)
            s.sendall(mb.gen_connect(self.uid(), proto=proto))
            mb.read_packet(s)
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                mb.recv_closed(s, 5)
            except (OSError, AssertionError):
                pass
            s.close()
        self.connected(proto).ping()


if __name__ == "__main__":
    run_tests()
