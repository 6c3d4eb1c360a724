#!/usr/bin/env python3
"""Writes the fuzz seed corpus: small valid MQTT packets, bytes written by hand (independent of
the gridmq encoder). Run once from anywhere; files land next to this script in corpus/."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(data)) + data


def packet(first, body):
    return bytes([first]) + varint(len(body)) + body


def props(*items):
    block = b"".join(items)
    return varint(len(block)) + block


SEEDS = {
    # CONNECT 3.1.1: clean session, keep alive 60, client "c1", user "u", password "p".
    "connect_v311": packet(0x10, s("MQTT") + bytes([4, 0xC2]) + struct.pack(">H", 60) + s("c1")
                           + s("u") + s("p")),
    # CONNECT 3.1.1 with will QoS 1 retained.
    "connect_v311_will": packet(0x10, s("MQTT") + bytes([4, 0x2E]) + struct.pack(">H", 10)
                                + s("c2") + s("w/t") + s(b"bye")),
    # CONNECT 5.0: session expiry 3600, receive max 20, user property, will with delay.
    "connect_v5": packet(0x10, s("MQTT") + bytes([5, 0xC6]) + struct.pack(">H", 30)
                         + props(b"\x11" + struct.pack(">I", 3600), b"\x21\x00\x14",
                                 b"\x26" + s("k") + s("v"))
                         + s("c3") + props(b"\x18\x00\x00\x00\x05", b"\x01\x01") + s("w")
                         + s(b"x") + s("user") + s(b"pw")),
    "connack_v311": packet(0x20, b"\x01\x00"),
    "connack_v5": packet(0x20, b"\x00\x00" + props(b"\x22\x00\x0a", b"\x24\x01",
                                                    b"\x12" + s("auto-1"))),
    "publish_qos0": packet(0x30, s("a/b") + b"hello"),
    "publish_qos1_v311": packet(0x32, s("meters/1/kwh") + b"\x00\x07" + b"42.0"),
    "publish_v5_alias": packet(0x3B, s("") + b"\x00\x08"
                               + props(b"\x23\x00\x01", b"\x0b\x05", b"\x03" + s("text/plain"),
                                       b"\x09" + s(b"\x01\x02"))
                               + b"payload"),
    "puback_v311": packet(0x40, b"\x00\x07"),
    "pubrec_v5_reason": packet(0x50, b"\x00\x07\x10"),
    "pubrel": packet(0x62, b"\x00\x07"),
    "pubcomp_v5_props": packet(0x70, b"\x00\x07\x92" + props(b"\x1f" + s("gone"))),
    "subscribe_v311": packet(0x82, b"\x00\x01" + s("a/+") + b"\x01" + s("b/#") + b"\x02"),
    "subscribe_v5": packet(0x82, b"\x00\x02" + props(b"\x0b\x07") + s("$share/g/x/#") + b"\x2a"
                           + s("y") + b"\x1d"),
    "suback_v311": packet(0x90, b"\x00\x01\x01\x02\x80"),
    "suback_v5": packet(0x90, b"\x00\x02" + props(b"\x1f" + s("r")) + b"\x00\x87\xa1"),
    "unsubscribe": packet(0xA2, b"\x00\x03" + s("a/+")),
    "unsubscribe_v5": packet(0xA2, b"\x00\x03" + props(b"\x26" + s("k") + s("v")) + s("a/+")),
    "unsuback_v311": packet(0xB0, b"\x00\x03"),
    "unsuback_v5": packet(0xB0, b"\x00\x03" + props() + b"\x00\x11"),
    "pingreq": packet(0xC0, b""),
    "pingresp": packet(0xD0, b""),
    "disconnect": packet(0xE0, b""),
    "disconnect_v5": packet(0xE0, b"\x04" + props(b"\x11\x00\x00\x00\x00")),
    "auth_v5": packet(0xF0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(b"\x00\x01"))),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
