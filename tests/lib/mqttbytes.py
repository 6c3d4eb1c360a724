"""Independent MQTT 3.1.1 / 5.0 packet builder and parser for black-box tests.

Written from the OASIS specifications (MQTT 3.1.1 and MQTT 5.0), on purpose sharing no code with the
broker's codec (broker/protocol/): a bug common to an encoder and its decoder would otherwise go unseen.

Builders (gen_*) return the exact bytes of one packet. read_packet() reads one packet from a socket with
a deadline; parse() turns (type, flags, body) into a Packet with named fields for the packets a broker
sends (and a few it receives, so tests can also check what they built).
"""

import errno
import select
import socket
import struct
import time

# Control packet types (MQTT 5.0 §2.1.2).
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15
TYPE_NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
              8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
              14: "DISCONNECT", 15: "AUTH"}

# Property identifiers (MQTT 5.0 §2.2.2.2).
PAYLOAD_FORMAT_INDICATOR = 0x01
MESSAGE_EXPIRY_INTERVAL = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY_INTERVAL = 0x11
ASSIGNED_CLIENT_IDENTIFIER = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTHENTICATION_METHOD = 0x15
AUTHENTICATION_DATA = 0x16
REQUEST_PROBLEM_INFORMATION = 0x17
WILL_DELAY_INTERVAL = 0x18
REQUEST_RESPONSE_INFORMATION = 0x19
RESPONSE_INFORMATION = 0x1A
SERVER_REFERENCE = 0x1C
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
SHARED_SUBSCRIPTION_AVAILABLE = 0x2A

_BYTE, _U16, _U32, _VARINT, _UTF8, _BIN, _PAIR = "byte", "u16", "u32", "varint", "utf8", "bin", "pair"
PROPERTY_TYPES = {
    0x01: _BYTE, 0x02: _U32, 0x03: _UTF8, 0x08: _UTF8, 0x09: _BIN, 0x0B: _VARINT, 0x11: _U32, 0x12: _UTF8,
    0x13: _U16, 0x15: _UTF8, 0x16: _BIN, 0x17: _BYTE, 0x18: _U32, 0x19: _BYTE, 0x1A: _UTF8, 0x1C: _UTF8,
    0x1F: _UTF8, 0x21: _U16, 0x22: _U16, 0x23: _U16, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _U32,
    0x28: _BYTE, 0x29: _BYTE, 0x2A: _BYTE,
}
# Properties that may appear more than once in one packet (§3.3.2.3.4, §3.3.2.3.8).
REPEATABLE = {USER_PROPERTY, SUBSCRIPTION_IDENTIFIER}

# Reason codes used by the tests (MQTT 5.0 §2.4).
RC_SUCCESS = 0x00
RC_GRANTED_QOS1 = 0x01
RC_GRANTED_QOS2 = 0x02
RC_DISCONNECT_WITH_WILL = 0x04
RC_NO_MATCHING_SUBSCRIBERS = 0x10
RC_NO_SUBSCRIPTION_EXISTED = 0x11
RC_UNSPECIFIED = 0x80
RC_MALFORMED = 0x81
RC_PROTOCOL_ERROR = 0x82
RC_IMPLEMENTATION_SPECIFIC = 0x83
RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84
RC_CLIENT_ID_NOT_VALID = 0x85
RC_NOT_AUTHORIZED = 0x87
RC_KEEP_ALIVE_TIMEOUT = 0x8D
RC_SESSION_TAKEN_OVER = 0x8E
RC_TOPIC_FILTER_INVALID = 0x8F
RC_TOPIC_NAME_INVALID = 0x90
RC_PACKET_ID_IN_USE = 0x91
RC_PACKET_ID_NOT_FOUND = 0x92
RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93
RC_TOPIC_ALIAS_INVALID = 0x94
RC_PACKET_TOO_LARGE = 0x95
RC_QOS_NOT_SUPPORTED = 0x9B
RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E


class ProtocolViolation(Exception):
    """The bytes received are not a well-formed MQTT packet (a broker bug, or a test bug)."""


class Timeout(AssertionError):
    """No packet arrived before the deadline."""


class ConnectionClosed(AssertionError):
    """The peer closed the connection (EOF or reset) while a packet was expected."""


# ---------------------------------------------------------------------------------------------------
# Primitive encoders (MQTT 5.0 §1.5)

def varint(value):
    """Variable Byte Integer (§1.5.5): 7 bits per byte, continuation bit 0x80, at most 4 bytes."""
    if not 0 <= value <= 268435455:
        raise ValueError("varint out of range: %d" % value)
    out = bytearray()
    while True:
        byte = value % 128
        value //= 128
        if value:
            byte |= 0x80
        out.append(byte)
        if not value:
            return bytes(out)


def decode_varint(buf, off=0):
    """Returns (value, new_offset). Raises ProtocolViolation on a 5th byte or a truncated integer."""
    mult, value = 1, 0
    for i in range(4):
        if off + i >= len(buf):
            raise ProtocolViolation("truncated varint")
        b = buf[off + i]
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, off + i + 1
        mult *= 128
    raise ProtocolViolation("varint longer than 4 bytes")


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def utf8(s):
    """UTF-8 Encoded String (§1.5.4): 2-byte length then the bytes. Accepts str or raw bytes."""
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return u16(len(b)) + b


def binary(b):
    b = b.encode("utf-8") if isinstance(b, str) else bytes(b)
    return u16(len(b)) + b


def fixed_header(ptype, flags, remaining_length):
    return bytes([(ptype << 4) | (flags & 0x0F)]) + varint(remaining_length)


def packet(ptype, flags, body):
    return fixed_header(ptype, flags, len(body)) + body


# ---------------------------------------------------------------------------------------------------
# Properties (MQTT 5.0 §2.2.2)

def _prop_items(props):
    if props is None:
        return []
    if isinstance(props, dict):
        items = []
        for k, v in props.items():
            if k in REPEATABLE and isinstance(v, list):
                items.extend((k, x) for x in v)
            else:
                items.append((k, v))
        return items
    return list(props)


def encode_props(props):
    """props: dict {id: value} (a list value for repeatable ids) or a list of (id, value).

    Values: int for byte/u16/u32/varint, str/bytes for strings/binary, (k, v) for user properties.
    Returns the Property Length varint followed by the properties.
    """
    out = bytearray()
    for pid, val in _prop_items(props):
        kind = PROPERTY_TYPES[pid]
        out += varint(pid)
        if kind == _BYTE:
            out.append(val)
        elif kind == _U16:
            out += u16(val)
        elif kind == _U32:
            out += u32(val)
        elif kind == _VARINT:
            out += varint(val)
        elif kind == _UTF8:
            out += utf8(val)
        elif kind == _BIN:
            out += binary(val)
        else:
            out += utf8(val[0]) + utf8(val[1])
    return varint(len(out)) + bytes(out)


class Props(dict):
    """Decoded properties: id -> value; repeatable ids map to a list in order of appearance."""

    def user(self):
        return list(self.get(USER_PROPERTY, []))


def decode_props(buf, off=0):
    """Returns (Props, new_offset). Strings decode to str; binary data stays bytes."""
    length, off = decode_varint(buf, off)
    end = off + length
    if end > len(buf):
        raise ProtocolViolation("property length beyond packet")
    props = Props()
    while off < end:
        pid, off = decode_varint(buf, off)
        kind = PROPERTY_TYPES.get(pid)
        if kind is None:
            raise ProtocolViolation("unknown property id 0x%02x" % pid)
        if kind == _BYTE:
            val, off = buf[off], off + 1
        elif kind == _U16:
            val, off = struct.unpack_from("!H", buf, off)[0], off + 2
        elif kind == _U32:
            val, off = struct.unpack_from("!I", buf, off)[0], off + 4
        elif kind == _VARINT:
            val, off = decode_varint(buf, off)
        elif kind == _UTF8:
            val, off = _read_str(buf, off)
        elif kind == _BIN:
            val, off = _read_bin(buf, off)
        else:
            k, off = _read_str(buf, off)
            v, off = _read_str(buf, off)
            val = (k, v)
        if off > end:
            raise ProtocolViolation("property 0x%02x runs past property length" % pid)
        if pid in REPEATABLE:
            props.setdefault(pid, []).append(val)
        elif pid in props:
            raise ProtocolViolation("property 0x%02x repeated" % pid)
        else:
            props[pid] = val
    return props, end


def _read_bin(buf, off):
    if off + 2 > len(buf):
        raise ProtocolViolation("truncated length prefix")
    n = struct.unpack_from("!H", buf, off)[0]
    if off + 2 + n > len(buf):
        raise ProtocolViolation("truncated string/binary")
    return bytes(buf[off + 2:off + 2 + n]), off + 2 + n


def _read_str(buf, off):
    b, off = _read_bin(buf, off)
    try:
        return b.decode("utf-8"), off
    except UnicodeDecodeError:
        raise ProtocolViolation("invalid UTF-8 in string %r" % b)


# ---------------------------------------------------------------------------------------------------
# Packet builders

def gen_connect(client_id, proto=4, clean=True, keepalive=60, username=None, password=None,
                will_topic=None, will_payload=b"", will_qos=0, will_retain=False, will_props=None,
                props=None, proto_name="MQTT", reserved=False, flags=None):
    """CONNECT (3.1.1 §3.1, 5.0 §3.1). proto: protocol level byte (4 = 3.1.1, 5 = 5.0; others for
    negative tests). flags overrides the computed Connect Flags byte. props only for proto 5 (None -> an
    empty property list)."""
    f = 0
    if reserved:
        f |= 0x01
    if clean:
        f |= 0x02
    if will_topic is not None:
        f |= 0x04 | ((will_qos & 3) << 3) | (0x20 if will_retain else 0)
    if password is not None:
        f |= 0x40
    if username is not None:
        f |= 0x80
    if flags is not None:
        f = flags
    body = utf8(proto_name) + bytes([proto, f]) + u16(keepalive)
    if proto == 5:
        body += encode_props(props)
    body += utf8(client_id)
    if will_topic is not None:
        if proto == 5:
            body += encode_props(will_props)
        body += utf8(will_topic) + binary(will_payload)
    if username is not None:
        body += utf8(username)
    if password is not None:
        body += binary(password)
    return packet(CONNECT, 0, body)


def _rc_props_tail(proto, rc, props, always_rc=False):
    """Reason code + properties of v5 acks; omitted entirely when rc==0 and no props (§3.4.2.1)."""
    if proto != 5:
        return b""
    if props:
        return bytes([rc]) + encode_props(props)
    if rc != 0 or always_rc:
        return bytes([rc])
    return b""


def gen_connack(rc=0, session_present=False, proto=4, props=None):
    body = bytes([1 if session_present else 0, rc])
    if proto == 5:
        body += encode_props(props)
    return packet(CONNACK, 0, body)


def gen_publish(topic, payload=b"", qos=0, retain=False, dup=False, mid=None, proto=4, props=None):
    """PUBLISH (§3.3). topic may be str or raw bytes (for invalid-UTF-8 tests); mid required for QoS>0."""
    if isinstance(payload, str):
        payload = payload.encode()
    flags = (0x08 if dup else 0) | ((qos & 3) << 1) | (0x01 if retain else 0)
    body = utf8(topic)
    if qos > 0 or mid is not None:
        if mid is None:
            raise ValueError("QoS>0 PUBLISH needs a packet identifier")
        body += u16(mid)
    if proto == 5:
        body += encode_props(props)
    return packet(PUBLISH, flags, body + payload)


def gen_puback(mid, rc=0, proto=4, props=None):
    return packet(PUBACK, 0, u16(mid) + _rc_props_tail(proto, rc, props))


def gen_pubrec(mid, rc=0, proto=4, props=None):
    return packet(PUBREC, 0, u16(mid) + _rc_props_tail(proto, rc, props))


def gen_pubrel(mid, rc=0, proto=4, props=None):
    # PUBREL fixed header flags are 0010 (§3.6.1).
    return packet(PUBREL, 2, u16(mid) + _rc_props_tail(proto, rc, props))


def gen_pubcomp(mid, rc=0, proto=4, props=None):
    return packet(PUBCOMP, 0, u16(mid) + _rc_props_tail(proto, rc, props))


def sub_options(qos=0, no_local=False, retain_as_published=False, retain_handling=0):
    """SUBSCRIBE options byte (5.0 §3.8.3.1); for 3.1.1 only the QoS bits are meaningful."""
    return (qos & 3) | (0x04 if no_local else 0) | (0x08 if retain_as_published else 0) | ((retain_handling & 3) << 4)


def gen_subscribe(mid, topics, proto=4, props=None, flags=2):
    """topics: a filter string, or a list of (filter, options byte or qos). SUBSCRIBE flags must be 0010."""
    if isinstance(topics, (str, bytes)):
        topics = [(topics, 0)]
    body = u16(mid)
    if proto == 5:
        body += encode_props(props)
    for filt, opts in topics:
        body += utf8(filt) + bytes([opts])
    return packet(SUBSCRIBE, flags, body)


def gen_suback(mid, codes, proto=4, props=None):
    body = u16(mid)
    if proto == 5:
        body += encode_props(props)
    return packet(SUBACK, 0, body + bytes(codes))


def gen_unsubscribe(mid, topics, proto=4, props=None, flags=2):
    if isinstance(topics, (str, bytes)):
        topics = [topics]
    body = u16(mid)
    if proto == 5:
        body += encode_props(props)
    for filt in topics:
        body += utf8(filt)
    return packet(UNSUBSCRIBE, flags, body)


def gen_unsuback(mid, codes=(), proto=4, props=None):
    body = u16(mid)
    if proto == 5:
        body += encode_props(props) + bytes(codes)
    return packet(UNSUBACK, 0, body)


def gen_pingreq():
    return b"\xc0\x00"


def gen_pingresp():
    return b"\xd0\x00"


def gen_disconnect(rc=0, proto=4, props=None):
    if proto != 5:
        return b"\xe0\x00"
    if props:
        return packet(DISCONNECT, 0, bytes([rc]) + encode_props(props))
    if rc:
        return packet(DISCONNECT, 0, bytes([rc]))
    return b"\xe0\x00"


# ---------------------------------------------------------------------------------------------------
# Reading

def _recv_exact(sock, n, deadline, what):
    buf = bytearray()
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("timed out waiting for %s (have %d of %d bytes: %s)" % (what, len(buf), n, bytes(buf).hex()))
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        try:
            chunk = sock.recv(n - len(buf))
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ConnectionClosed("connection reset while reading %s: %s (partial %s)" % (what, e, bytes(buf).hex()))
        if not chunk:
            raise ConnectionClosed("connection closed while reading %s (partial %s)" % (what, bytes(buf).hex()))
        buf += chunk
    return bytes(buf)


def read_packet(sock, timeout=5.0):
    """Reads one whole packet. Returns (type, flags, body). Raises Timeout / ConnectionClosed."""
    deadline = time.monotonic() + timeout
    first = _recv_exact(sock, 1, deadline, "fixed header")
    mult, length = 1, 0
    for i in range(4):
        b = _recv_exact(sock, 1, deadline, "remaining length")[0]
        length += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    else:
        raise ProtocolViolation("remaining length varint longer than 4 bytes")
    body = _recv_exact(sock, length, deadline, "packet body (%d bytes)" % length) if length else b""
    return first[0] >> 4, first[0] & 0x0F, body


def raw_bytes(ptype, flags, body):
    """Re-encodes what read_packet returned, for messages and exact-byte comparisons."""
    return packet(ptype, flags, body)


class Packet:
    """A parsed packet. Always: type, flags, body, raw. Other attributes depend on the type."""

    def __init__(self, ptype, flags, body):
        self.type, self.flags, self.body = ptype, flags, body
        self.raw = packet(ptype, flags, body)
        self.props = Props()
        self.rc = 0

    @property
    def name(self):
        return TYPE_NAMES.get(self.type, "type%d" % self.type)

    def __repr__(self):
        fields = {k: v for k, v in self.__dict__.items() if k not in ("type", "flags", "body", "raw")}
        return "<%s flags=%x %s raw=%s>" % (self.name, self.flags, fields, self.raw.hex())


def parse(ptype, flags, body, proto=4):
    """Parses a packet body. proto decides whether properties / reason codes are present."""
    p = Packet(ptype, flags, body)
    v5 = proto == 5
    try:
        if ptype == CONNACK:
            p.session_present = bool(body[0] & 1)
            p.ack_flags = body[0]
            p.rc = body[1]
            if v5:
                p.props, end = decode_props(body, 2)
                if end != len(body):
                    raise ProtocolViolation("trailing bytes after CONNACK properties")
            elif len(body) != 2:
                raise ProtocolViolation("3.1.1 CONNACK remaining length must be 2")
        elif ptype == PUBLISH:
            p.dup, p.qos, p.retain = bool(flags & 8), (flags >> 1) & 3, bool(flags & 1)
            p.topic, off = _read_str(body, 0)
            p.mid = None
            if p.qos:
                p.mid, off = struct.unpack_from("!H", body, off)[0], off + 2
            if v5:
                p.props, off = decode_props(body, off)
            p.payload = bytes(body[off:])
        elif ptype in (PUBACK, PUBREC, PUBREL, PUBCOMP):
            p.mid = struct.unpack_from("!H", body, 0)[0]
            if v5 and len(body) > 2:
                p.rc = body[2]
                if len(body) > 3:
                    p.props, end = decode_props(body, 3)
                    if end != len(body):
                        raise ProtocolViolation("trailing bytes after ack properties")
            elif not v5 and len(body) != 2:
                raise ProtocolViolation("3.1.1 ack remaining length must be 2")
        elif ptype in (SUBACK, UNSUBACK):
            p.mid = struct.unpack_from("!H", body, 0)[0]
            off = 2
            if v5:
                p.props, off = decode_props(body, 2)
            p.codes = list(body[off:])
        elif ptype == DISCONNECT:
            if v5 and len(body) >= 1:
                p.rc = body[0]
                if len(body) > 1:
                    p.props, _ = decode_props(body, 1)
        elif ptype == SUBSCRIBE:
            p.mid = struct.unpack_from("!H", body, 0)[0]
            off = 2
            if v5:
                p.props, off = decode_props(body, 2)
            p.topics = []
            while off < len(body):
                t, off = _read_str(body, off)
                p.topics.append((t, body[off]))
                off += 1
        elif ptype == AUTH:
            if v5 and body:
                p.rc = body[0]
                if len(body) > 1:
                    p.props, _ = decode_props(body, 1)
    except (IndexError, struct.error) as e:
        raise ProtocolViolation("short %s body %s: %s" % (TYPE_NAMES.get(ptype), body.hex(), e))
    return p


def recv_closed(sock, timeout=5.0):
    """Waits for EOF/reset. Returns the list of packets received before the close (e.g. a v5
    DISCONNECT). Raises Timeout if the connection is still open at the deadline."""
    deadline = time.monotonic() + timeout
    seen = []
    buf = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("connection still open after %.1fs (received %s)" % (timeout, bytes(buf).hex()))
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                chunk = b""
            else:
                raise
        if not chunk:
            break
        buf += chunk
    off = 0
    while off < len(buf):
        t = buf[off]
        try:
            n, o2 = decode_varint(buf, off + 1)
        except ProtocolViolation:
            break
        if o2 + n > len(buf):
            break
        seen.append((t >> 4, t & 0xF, bytes(buf[o2:o2 + n])))
        off = o2 + n
    return seen


def tcp_connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
