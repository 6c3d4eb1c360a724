"""Test conventions for tests/protocol and tests/system.

Each test file is a script with unittest.TestCase classes; run_tests() (== unittest.main) exits non-zero
on any failure. A BrokerTestCase subclass gets one broker for the whole class (cls.broker), configured by
the class attributes broker_config / acl / threads; a case that needs a different configuration starts
its own with `with Broker(...) as b:`. Cases use unique client ids and topics (self.uid()), so they do
not interfere through the shared broker.

Rules every case follows: assert on exact fields (or exact bytes) of what was received; every wait has a
deadline (RawClient.expect*, recv_closed); absence of a message is checked against a marker message sent
after it (MQTT 4.6 ordering) or, where no marker is possible, a short bounded window plus a PING round trip.
"""

import os
import socket
import sys
import time
import unittest

import mqttbytes as mb
from broker import Broker, is_mosquitto, only_gridmq, skip_if_mosquitto  # noqa: F401 (re-exported)

__all__ = ["Broker", "BrokerTestCase", "RawClient", "each_proto", "is_mosquitto", "only_gridmq",
           "persistent", "run_tests", "skip_if_mosquitto", "wait_until", "PROTOS"]

PROTOS = (4, 5)
DEFAULT_TIMEOUT = float(os.environ.get("GRIDMQ_TEST_TIMEOUT", "5"))


class RawClient:
    """One TCP connection speaking raw MQTT bytes. Nothing is automatic: acks are sent by the test."""

    def __init__(self, port, proto=4, timeout=DEFAULT_TIMEOUT):
        self.proto = proto
        self.timeout = timeout
        self.sock = mb.tcp_connect(port, timeout)
        self.sent = []
        self.next_mid = 1
        self.backlog = []  # packets read while waiting for another one (e.g. PUBLISH before PUBREL)

    # -- raw I/O ---------------------------------------------------------------------------------
    def send(self, data):
        self.sent.append(data)
        self.sock.sendall(data)

    def try_send(self, data):
        """send() that tolerates the peer having closed already (for negative tests)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def recv(self, timeout=None):
        if self.backlog:
            return self.backlog.pop(0)
        t, f, body = mb.read_packet(self.sock, self.timeout if timeout is None else timeout)
        return mb.parse(t, f, body, self.proto)

    def expect(self, ptype, timeout=None, **fields):
        """Reads the next packet; asserts its type and any given fields (e.g. mid=3, rc=0)."""
        p = self.recv(timeout)
        if p.type != ptype:
            raise AssertionError("expected %s, got %r" % (mb.TYPE_NAMES[ptype], p))
        for k, v in fields.items():
            if getattr(p, k) != v:
                raise AssertionError("%s.%s: expected %r, got %r in %r" % (p.name, k, v, getattr(p, k), p))
        return p

    def expect_closed(self, timeout=None, disconnect_rc=None, mosq_rc=None):
        """Asserts the broker closes the connection within timeout. For v5, if disconnect_rc is given,
        asserts the broker first sent DISCONNECT with that reason code ([MQTT-4.13.1-1] / §4.13.2).
        For 3.1.1, asserts nothing at all was sent before the close (3.1.1 has no server DISCONNECT).
        mosq_rc: the (documented, deviating) code Mosquitto 2.0.11 sends instead, in mosquitto mode.
        Returns the packets received before the close."""
        if mosq_rc is not None and is_mosquitto():
            disconnect_rc = mosq_rc
        seen = mb.recv_closed(self.sock, self.timeout if timeout is None else timeout)
        pk = [mb.parse(t, f, b, self.proto) for t, f, b in seen]
        if self.proto == 5 and disconnect_rc is not None:
            discs = [p for p in pk if p.type == mb.DISCONNECT]
            # §4.13.1: the DISCONNECT before the close is a SHOULD. gridmq promises it; Mosquitto 2.0.11
            # often just closes, so in mosquitto mode only a wrong reason code fails.
            if not discs and is_mosquitto():
                return pk
            if not discs or discs[-1].rc != disconnect_rc:
                raise AssertionError("expected DISCONNECT 0x%02x before close, got %r" % (disconnect_rc, pk))
        if self.proto == 4 and disconnect_rc is not None:
            if any(p.type == mb.DISCONNECT for p in pk):
                raise AssertionError("3.1.1 server must not send DISCONNECT, got %r" % pk)
        return pk

    def expect_nothing(self, window=0.5):
        """Asserts no packet arrives within a short bounded window, then that the connection still
        answers PINGREQ with PINGRESP (so a missing packet is not hidden by a dead connection)."""
        try:
            p = self.recv(window)
        except mb.Timeout:
            p = None
        if p is not None:
            raise AssertionError("expected no packet, got %r" % p)
        self.ping()

    def ping(self, timeout=None):
        self.send(mb.gen_pingreq())
        p = self.recv(timeout)
        if p.type != mb.PINGRESP or p.body != b"":
            raise AssertionError("expected PINGRESP, got %r" % p)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- conveniences built on the raw packets ---------------------------------------------------
    def mid(self):
        m = self.next_mid
        self.next_mid = self.next_mid % 65535 + 1
        return m

    def connect(self, client_id, expect_rc=0, **kw):
        """Sends CONNECT, reads CONNACK; asserts its return/reason code. Returns the CONNACK."""
        self.send(mb.gen_connect(client_id, proto=self.proto, **kw))
        ack = self.expect(mb.CONNACK)
        if expect_rc is not None and ack.rc != expect_rc:
            raise AssertionError("CONNACK code: expected 0x%02x, got %r" % (expect_rc, ack))
        return ack

    def subscribe(self, topics, qos=0, props=None, expect_codes=None, mid=None):
        """topics: filter str or list of (filter, options). Returns SUBACK (mid checked)."""
        if isinstance(topics, str):
            topics = [(topics, qos)]
        mid = mid or self.mid()
        self.send(mb.gen_subscribe(mid, topics, proto=self.proto, props=props))
        ack = self.expect(mb.SUBACK, mid=mid)
        if expect_codes is not None and ack.codes != list(expect_codes):
            raise AssertionError("SUBACK codes: expected %r, got %r" % (list(expect_codes), ack))
        return ack

    def unsubscribe(self, topics, props=None):
        mid = self.mid()
        self.send(mb.gen_unsubscribe(mid, topics, proto=self.proto, props=props))
        return self.expect(mb.UNSUBACK, mid=mid)

    def publish(self, topic, payload=b"", qos=0, retain=False, props=None, mid=None, expect_rc="ok"):
        """Publishes and completes the flow as sender (PUBACK, or PUBREC->PUBREL->PUBCOMP). Other
        packets arriving meanwhile (e.g. the client's own message coming back) are kept for recv().
        Returns the final ack (None for QoS 0). expect_rc: "ok" = any success code (0x00, or v5 0x10
        'no matching subscribers'), a number = exactly that, None = no check."""
        if qos and mid is None:
            mid = self.mid()
        self.send(mb.gen_publish(topic, payload, qos=qos, retain=retain, mid=mid, proto=self.proto, props=props))
        if qos == 0:
            return None
        if qos == 1:
            ack = self.wait_for(mb.PUBACK, mid=mid)
        else:
            rec = self.wait_for(mb.PUBREC, mid=mid)
            if not _rc_ok(rec.rc, expect_rc):
                raise AssertionError("PUBREC code: expected %r, got %r" % (expect_rc, rec))
            if rec.rc >= 0x80:
                return rec
            self.send(mb.gen_pubrel(mid, proto=self.proto))
            ack = self.wait_for(mb.PUBCOMP, mid=mid)
        if not _rc_ok(ack.rc, expect_rc):
            raise AssertionError("%s code: expected %r, got %r" % (ack.name, expect_rc, ack))
        return ack

    def expect_publish(self, topic=None, payload=None, qos=None, retain=None, timeout=None, ack=True):
        """Reads the next packet, asserts PUBLISH with the given fields; if ack, completes the receiver
        side of the flow (PUBACK, or PUBREC -> expect PUBREL -> PUBCOMP)."""
        p = self.expect(mb.PUBLISH, timeout)
        for name, want in (("topic", topic), ("payload", payload), ("qos", qos), ("retain", retain)):
            if want is not None:
                if name == "payload" and isinstance(want, str):
                    want = want.encode()
                if getattr(p, name) != want:
                    raise AssertionError("PUBLISH.%s: expected %r, got %r" % (name, want, p))
        if ack:
            self.ack(p)
        return p

    def ack(self, p):
        if p.qos == 1:
            self.send(mb.gen_puback(p.mid, proto=self.proto))
        elif p.qos == 2:
            self.send(mb.gen_pubrec(p.mid, proto=self.proto))
            self.wait_for(mb.PUBREL, mid=p.mid)
            self.send(mb.gen_pubcomp(p.mid, proto=self.proto))

    def wait_for(self, ptype, timeout=None, max_skip=1000, **fields):
        """Reads until a packet of ptype with the given fields arrives; packets read on the way are kept
        (in order) for later recv() calls. Bounded by timeout and max_skip packets."""
        import time as _t
        deadline = _t.monotonic() + (self.timeout if timeout is None else timeout)
        kept = []
        try:
            for _ in range(max_skip):
                left = deadline - _t.monotonic()
                if left <= 0:
                    raise mb.Timeout("timed out waiting for %s %r (skipped %r)" % (mb.TYPE_NAMES[ptype], fields, kept))
                if self.backlog:
                    p = self.backlog.pop(0)
                else:
                    t, f, body = mb.read_packet(self.sock, left)
                    p = mb.parse(t, f, body, self.proto)
                if p.type == ptype and all(getattr(p, k, None) == v for k, v in fields.items()):
                    return p
                kept.append(p)
            raise AssertionError("no %s among %d packets" % (mb.TYPE_NAMES[ptype], max_skip))
        finally:
            self.backlog = kept + self.backlog

    def disconnect(self, rc=0, props=None, timeout=None):
        """Sends DISCONNECT, half-closes, and waits (bounded) for the server to close its side
        [MQTT-3.14.4-1/-2]. Waiting makes the DISCONNECT's effects (session expiry, Will removal) certain
        before the test reconnects: a multi-threaded broker may otherwise handle the next CONNECT (on
        another connection) before it reads this DISCONNECT."""
        self.send(mb.gen_disconnect(rc, proto=self.proto, props=props))
        try:
            self.sock.shutdown(socket.SHUT_WR)
            mb.recv_closed(self.sock, self.timeout if timeout is None else timeout)
        finally:
            self.close()


def _rc_ok(rc, expect_rc):
    if expect_rc is None:
        return True
    if expect_rc == "ok":
        return rc in (0x00, 0x10)
    return rc == expect_rc


class SharedBrokerCase(unittest.TestCase):
    """Base for test classes whose setUpClass starts their own `cls.broker` (TLS listeners,
    identities, plugins). Per case: `self.closers` run in reverse order at the end, a broker that
    died fails the case, and on failure the broker log written during the case is printed."""

    broker = None

    def setUp(self):
        self.closers = []
        self.log_start = self.broker.log_size()

    def tearDown(self):
        for c in reversed(self.closers):
            c()
        if not self.broker.alive():
            self.broker.dump_log()
            self.fail("broker died during this case")

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before and getattr(self, "log_start", None) is not None:
            self.broker.dump_log(since=self.log_start)
        return out


class BrokerTestCase(unittest.TestCase):
    """One broker per class; per case: unique ids, sockets closed at the end, broker liveness checked,
    and on failure the broker log written during the case is printed."""

    broker_config = None
    acl = None
    threads = 2
    broker = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config_extra=cls.broker_config, threads=cls.threads, acl=cls.acl).start()

    @classmethod
    def tearDownClass(cls):
        if cls.broker:
            cls.broker.close()

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        b = type(self).broker
        start = b.log_size() if b else 0
        out = super().run(result)
        if b and len(result.failures) + len(result.errors) > before and b.target != "external":
            sys.stderr.write("\n[%s] broker log during this case:\n" % self.id())
            b.dump_log(since=start)
        return out

    def setUp(self):
        self._clients = []
        self._seq = 0

    def tearDown(self):
        for c in self._clients:
            c.close()
        b = type(self).broker
        if b is not None and not b.alive():
            code = b.proc.returncode
            b.dump_log()
            type(self).broker = Broker(config_extra=self.broker_config, threads=self.threads, acl=self.acl).start()
            self.fail("broker died during this case (exit code %s)" % code)

    @property
    def port(self):
        return type(self).broker.port

    def uid(self, tag=""):
        """A client id / topic component unique to this case (and subTest proto if set)."""
        self._seq += 1
        name = self.id().split(".")[-1].replace("test_", "")[:30]
        return "%s-%s%d" % (name, tag, self._seq)

    def client(self, proto, port=None):
        c = RawClient(port or self.port, proto)
        self._clients.append(c)
        return c

    def connected(self, proto, client_id=None, port=None, **kw):
        """A RawClient that has completed CONNECT/CONNACK(0)."""
        c = self.client(proto, port)
        c.connect(client_id if client_id is not None else self.uid("c%d-" % proto), **kw)
        return c


def each_proto(fn):
    """Decorator: run the case body once per protocol level as subTests: fn(self, proto)."""
    def wrapper(self):
        for proto in PROTOS:
            with self.subTest(proto=proto):
                fn(self, proto)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def wait_until(predicate, timeout=5.0, interval=0.02, what="condition"):
    """Polls predicate() until true or the deadline; raises AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def run_tests():
    unittest.main(verbosity=int(os.environ.get("GRIDMQ_TEST_VERBOSITY", "2")))


def persistent(proto, expiry=300, props=None):
    """CONNECT keyword arguments for a session that outlives the connection: 3.1.1 CleanSession=0;
    5.0 Clean Start=0 with Session Expiry Interval `expiry` (0 would end the session at disconnect)."""
    if proto == 5:
        p = {mb.SESSION_EXPIRY_INTERVAL: expiry}
        p.update(props or {})
        return {"clean": False, "props": p}
    return {"clean": False}
