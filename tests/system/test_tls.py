#!/usr/bin/python3
"""System: tls:// listeners with client certificates (mTLS), side by side with tcp://.

Certificates come from config/dev-certs.sh, run by the test into a temp dir (an openssl CA, meter,
hub and operator certificates, a second CA, an expired and a revoked certificate, a CRL). Clients:
Python's ssl module with raw MQTT bytes (mqttbytes), mosquitto_pub / mosquitto_sub and paho.

Refusals are checked as "no CONNACK, the connection ends with a TLS alert or EOF" (with TLS 1.3 the
client finishes its side of the handshake before the server has checked its certificate, so the
alert may only show on the first read)."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import mqttbytes as mb
from broker import Broker, is_mosquitto
from independent_clients import MOSQUITTO_PUB, MOSQUITTO_SUB, Paho
from mqtttest import SharedBrokerCase, run_tests, wait_until

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEV_CERTS = os.path.join(_REPO, "config", "dev-certs.sh")
TIMEOUT = 5.0


def make_certs(directory, meters=3):
    subprocess.run([DEV_CERTS, directory, str(meters)], check=True, capture_output=True, timeout=120)
    return directory


def openssl_field(cert, *options):
    """`openssl x509 -noout <options>` value, e.g. -serial -> 'ABC123'."""
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout"] + list(options), check=True,
                         capture_output=True, text=True).stdout.strip()
    return out.split("=", 1)[1]


def revoke(certs, name):
    """Revokes certs/<name>.pem with the dev CA and rewrites certs/ca.crl (atomically, by rename)."""
    cnf = os.path.join(certs, "ca-db", "openssl.cnf")
    subprocess.run(["openssl", "ca", "-config", cnf, "-revoke", name + ".pem"], cwd=certs, check=True,
                   capture_output=True)
    subprocess.run(["openssl", "ca", "-config", cnf, "-gencrl", "-out", "ca.crl.new"], cwd=certs, check=True,
                   capture_output=True)
    os.replace(os.path.join(certs, "ca.crl.new"), os.path.join(certs, "ca.crl"))


def tls_listener(certs, **extra):
    table = {"cert_file": os.path.join(certs, "server.pem"), "key_file": os.path.join(certs, "server.key"),
             "ca_file": os.path.join(certs, "ca.pem"), "crl_file": os.path.join(certs, "ca.crl")}
    table.update(extra)
    return table


class TlsClient:
    """One TLS connection speaking raw MQTT bytes. Contexts are cached per certificate so sessions can be
    resumed (Python only resumes a session within the context that made it)."""

    _contexts = {}

    def __init__(self, port, certs, name=None, session=None, max_version=None, timeout=TIMEOUT):
        key = (certs, name, max_version)
        ctx = TlsClient._contexts.get(key)
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
            if name:
                ctx.load_cert_chain(os.path.join(certs, name + ".pem"), os.path.join(certs, name + ".key"))
            if max_version:
                ctx.maximum_version = max_version
            TlsClient._contexts[key] = ctx
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(timeout)

    def send(self, data):
        self.sock.sendall(data)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:  # bounded by the socket timeout per recv and by n
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise mb.ConnectionClosed("connection closed (have %r)" % buf)
            buf += chunk
        return buf

    def read_packet(self, proto=4):
        first = self._exact(1)[0]
        mult, length = 1, 0
        for _ in range(4):
            b = self._exact(1)[0]
            length += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        body = self._exact(length) if length else b""
        return mb.parse(first >> 4, first & 0x0F, body, proto)

    def connect(self, client_id, proto=4):
        self.send(mb.gen_connect(client_id, proto=proto))
        p = self.read_packet(proto)
        if p.type != mb.CONNACK:
            raise AssertionError("expected CONNACK, got %s" % p.name)
        return p

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class TlsCase(SharedBrokerCase):
    """One certificate set and one broker (tcp + tls listeners) per class. These cases test the TLS
    transport, with any client id and topic: the listener is anonymous after the handshake (identity
    and ACLs are tested in test_identity*.py)."""

    listener_extra = {"auth": "anonymous"}

    @classmethod
    def setUpClass(cls):
        if is_mosquitto():
            raise unittest.SkipTest("gridmq tls listener configuration")
        cls.tmp = tempfile.mkdtemp(prefix="gridmq-tls-")
        cls.certs = make_certs(os.path.join(cls.tmp, "certs"))
        cls.broker = Broker(tls_listeners=[tls_listener(cls.certs, **cls.listener_extra)]).start()
        cls.tls_port = cls.broker.tls_ports[0]

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tls(self, name, port=None, **kw):
        c = TlsClient(port or self.tls_port, self.certs, name, **kw)
        self.closers.append(c.close)
        return c

    def assert_refused(self, name, port=None, proto=4, **kw):
        """A client with certificate `name` (None: no certificate) gets no CONNACK: the handshake fails or
        the connection ends before any MQTT byte. Returns the error text."""
        try:
            c = self.tls(name, port, **kw)
            c.send(mb.gen_connect("refused-%s" % name, proto=proto))
            p = c.read_packet(proto)
        except (socket.timeout, mb.Timeout):
            self.fail("certificate %s: no refusal within %.0fs (connection left open)" % (name, TIMEOUT))
        except (ssl.SSLError, mb.ConnectionClosed, ConnectionError) as e:
            return str(e)
        self.fail("certificate %s was admitted: got %s" % (name, p.name))

    def broker_log(self):
        return self.broker.log_text(since=self.log_start)


class Refusals(TlsCase):

    def test_no_certificate_is_refused(self):
        """require_client_cert (default true): a client without a certificate never gets a CONNACK."""
        err = self.assert_refused(None)
        wait_until(lambda: "did not return a certificate" in self.broker_log(), what="refusal logged")
        self.assertNotIn("CONNACK", err)

    def test_certificate_of_another_ca_is_refused(self):
        self.assert_refused("other-client")
        wait_until(lambda: "unable to get local issuer certificate" in self.broker_log(), what="refusal logged")

    def test_expired_certificate_is_refused(self):
        self.assert_refused("expired")
        wait_until(lambda: "certificate has expired" in self.broker_log(), what="refusal logged")

    def test_revoked_certificate_is_refused(self):
        """revoked.pem is in the CRL loaded at start."""
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.assert_refused("revoked", proto=proto)
        wait_until(lambda: "certificate revoked" in self.broker_log(), what="refusal logged")

    def test_plain_mqtt_on_the_tls_port_is_refused(self):
        """Plain MQTT bytes on the tls port get no CONNACK (the handshake fails on them)."""
        s = socket.create_connection(("127.0.0.1", self.tls_port), timeout=TIMEOUT)
        self.closers.append(s.close)
        s.sendall(mb.gen_connect(self.id()))
        data = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except ConnectionError:
                break
            if not chunk:
                break
            data += chunk
        self.assertFalse(data.startswith(b"\x20"), "a CONNACK came back: %r" % data)

    def test_clients_closing_right_after_the_handshake(self):
        """Clients that close as soon as their side of the handshake is done (the server may still be
        writing its session ticket to them): the broker stays up (no SIGPIPE) and keeps serving."""
        for i in range(30):
            TlsClient(self.tls_port, self.certs, "MTR0000002").close()
        c = self.tls("MTR0000002")
        self.assertEqual(c.connect("after-closers").rc, 0)
        self.assertTrue(self.broker.alive())

    def test_valid_meter_certificate_is_admitted(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                c = self.tls("MTR0000001")
                self.assertEqual(c.connect("meter-%d" % proto, proto).rc, 0)


class Clients(TlsCase):

    def sub(self, port, *args):
        p = subprocess.Popen([MOSQUITTO_SUB, "-h", "localhost", "-p", str(port), "-v"] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def close():
            if p.poll() is None:
                p.kill()
            p.wait(5)
            p.stdout.close()
            p.stderr.close()
        self.closers.append(close)
        return p

    def cert_args(self, name):
        return ["--cafile", os.path.join(self.certs, "ca.pem"), "--cert", os.path.join(self.certs, name + ".pem"),
                "--key", os.path.join(self.certs, name + ".key")]

    def test_mosquitto_clients_pub_sub(self):
        """mosquitto_sub (MTR0000001) and mosquitto_pub (MTR0000002) over TLS, MQTT 3.1.1 and 5.0, QoS 0-2."""
        for ver in ("mqttv311", "mqttv5"):
            for qos in (0, 1, 2):
                with self.subTest(version=ver, qos=qos):
                    topic = "mtr/v1/t1/MTR0000001/cmd/%s/%d" % (ver, qos)
                    s = self.sub(self.tls_port, "-V", ver, "-q", str(qos), "-t", topic, "-C", "1",
                                 *self.cert_args("MTR0000001"))
                    # mosquitto_sub says nothing once subscribed: publish until it prints (bounded).
                    line = None
                    for _ in range(50):
                        r = subprocess.run([MOSQUITTO_PUB, "-h", "localhost", "-p", str(self.tls_port), "-V", ver,
                                            "-q", str(qos), "-t", topic, "-m", "hello"]
                                           + self.cert_args("MTR0000002"), capture_output=True, timeout=10)
                        self.assertEqual(r.returncode, 0, r.stderr)
                        try:
                            s.wait(0.2)
                        except subprocess.TimeoutExpired:
                            continue
                        line = s.stdout.readline().strip()
                        break
                    self.assertEqual(line, topic + " hello", s.stderr.read() if s.poll() is not None else "")

    def test_mosquitto_pub_refused_without_valid_certificate(self):
        for name in ("expired", "revoked", "other-client"):
            with self.subTest(cert=name):
                r = subprocess.run([MOSQUITTO_PUB, "-h", "localhost", "-p", str(self.tls_port), "-t", "x", "-m", "x",
                                    "-q", "1"] + self.cert_args(name), capture_output=True, timeout=10, text=True)
                self.assertNotEqual(r.returncode, 0, "mosquitto_pub with %s succeeded" % name)

    def test_paho_over_tls(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                clients = []
                for name in ("HUB0001", "OPS0001"):
                    p = Paho(self.tls_port, "paho-%s-%d" % (name, proto), proto=proto)
                    p.c.tls_set(ca_certs=os.path.join(self.certs, "ca.pem"),
                                certfile=os.path.join(self.certs, name + ".pem"),
                                keyfile=os.path.join(self.certs, name + ".key"))
                    p.c.tls_insecure_set(False)
                    clients.append(p)
                    self.closers.append(p.disconnect)
                hub, ops = clients
                hub.connect()
                ops.connect()
                topic = "hub/v1/t1/HUB0001/state/%d" % proto
                hub.subscribe(topic, qos=1)
                ops.publish(topic, b"online", qos=1)
                m = hub.message()
                self.assertEqual((m.topic, m.payload), (topic, b"online"))

    def test_tcp_and_tls_side_by_side(self):
        """A plain tcp client and a TLS client on the same broker see each other's messages."""
        plain = mb.tcp_connect(self.broker.port)
        self.closers.append(plain.close)
        plain.sendall(mb.gen_connect("plain-side"))
        self.assertEqual(mb.read_packet(plain)[0], mb.CONNACK)
        plain.sendall(mb.gen_subscribe(1, [("side/#", 0)]))
        self.assertEqual(mb.read_packet(plain)[0], mb.SUBACK)

        t = self.tls("MTR0000003")
        t.connect("tls-side")
        t.send(mb.gen_subscribe(1, [("side/#", 0)]))
        self.assertEqual(t.read_packet().type, mb.SUBACK)

        t.send(mb.gen_publish("side/from-tls", b"a"))
        p = mb.parse(*mb.read_packet(plain))
        self.assertEqual((p.topic, p.payload), ("side/from-tls", b"a"))
        p = t.read_packet()  # its own message too (no no-local in 3.1.1)
        self.assertEqual((p.topic, p.payload), ("side/from-tls", b"a"))

        plain.sendall(mb.gen_publish("side/from-tcp", b"b"))
        p = t.read_packet()
        self.assertEqual((p.topic, p.payload), ("side/from-tcp", b"b"))

    def test_large_payload_over_tls(self):
        """A 1 MiB message crosses many TLS records both ways."""
        t = self.tls("MTR0000001")
        t.connect("large", 4)
        t.send(mb.gen_subscribe(1, [("large/x", 1)]))
        self.assertEqual(t.read_packet().type, mb.SUBACK)
        payload = os.urandom(1 << 20)
        t.send(mb.gen_publish("large/x", payload, qos=1, mid=7))
        got = {}
        for _ in range(2):  # PUBACK and the delivery, in either order
            p = t.read_packet()
            got[p.type] = p
        self.assertIn(mb.PUBACK, got)
        self.assertEqual(got[mb.PUBLISH].payload, payload)

    def test_certificate_info_reaches_the_broker(self):
        """The broker reads CN, OU, serial and SHA-256 fingerprint of the verified certificate."""
        cert = os.path.join(self.certs, "HUB0002.pem")
        serial = openssl_field(cert, "-serial").lower()
        fingerprint = openssl_field(cert, "-fingerprint", "-sha256").replace(":", "").lower()
        c = self.tls("HUB0002")
        c.connect("info")
        wait_until(lambda: "CN=HUB0002 OU=hub serial=%s sha256=%s" % (serial, fingerprint) in self.broker_log(),
                   what="certificate info logged")

    def test_session_resumption(self):
        """A reconnect with the session ticket of the last connection resumes (no full handshake)."""
        c = self.tls("MTR0000002")
        c.connect("resume-1")
        session = c.sock.session  # TLS 1.3: the ticket arrived before the CONNACK
        self.assertIsNotNone(session)
        c.close()
        c2 = self.tls("MTR0000002", session=session)
        self.assertEqual(c2.connect("resume-2").rc, 0)
        self.assertTrue(c2.sock.session_reused)

    def test_tls_1_2_client(self):
        c = self.tls("MTR0000001", max_version=ssl.TLSVersion.TLSv1_2)
        self.assertEqual(c.connect("tls12").rc, 0)
        self.assertEqual(c.sock.version(), "TLSv1.2")


class Tls13Only(TlsCase):
    listener_extra = {"auth": "anonymous", "min_tls_version": "1.3"}

    def test_tls_1_2_client_is_refused(self):
        self.assert_refused("MTR0000001", max_version=ssl.TLSVersion.TLSv1_2)
        c = self.tls("MTR0000001")
        self.assertEqual(c.connect("tls13").rc, 0)


class Revocation(TlsCase):
    """Certificates revoked while the broker runs: each case revokes its own certificate."""

    def wait_disconnected(self, c, proto):
        """The connected client is disconnected: v5 gets DISCONNECT 0x98 (Administrative action) first."""
        try:
            p = c.read_packet(proto)
        except (mb.ConnectionClosed, ssl.SSLError, ConnectionError):
            self.assertEqual(proto, 4, "a v5 client must get DISCONNECT before the close")
            return
        self.assertEqual(p.type, mb.DISCONNECT)
        self.assertEqual(p.rc, 0x98)
        with self.assertRaises((mb.ConnectionClosed, ssl.SSLError, ConnectionError)):
            c.read_packet(proto)

    def revoke_while_connected(self, name, reload):
        clients = []
        for proto in (4, 5):
            c = self.tls(name)
            self.assertEqual(c.connect("%s-%d" % (name, proto), proto).rc, 0)
            clients.append((c, proto))
        other = self.tls("HUB0001")
        other.connect("bystander-" + name)
        revoke(self.certs, name)
        reload()
        for c, proto in clients:
            self.wait_disconnected(c, proto)
        self.assert_refused(name)
        # Others stay connected.
        other.send(b"\xc0\x00")  # PINGREQ
        self.assertEqual(other.read_packet().type, mb.PINGRESP)
        wait_until(lambda: "disconnected: its certificate" in self.broker_log(), what="disconnect logged")

    def test_sighup_reloads_the_crl_and_disconnects_revoked_clients(self):
        # The file watcher would see the change too, within 2 s; SIGHUP acts at once.
        self.revoke_while_connected("MTR0000001", lambda: self.broker.proc.send_signal(signal.SIGHUP))
        self.assertIn("signal 1: reloading", self.broker_log())

    def test_changed_crl_file_is_reloaded_without_signal(self):
        """The CRL file's modification time is watched (every 2 s)."""
        self.revoke_while_connected("MTR0000002", lambda: None)

    def test_resumed_session_of_a_revoked_certificate_is_refused(self):
        c = self.tls("MTR0000003")
        c.connect("resume-revoked")
        session = c.sock.session
        c.close()
        revoke(self.certs, "MTR0000003")
        self.broker.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "CRL reloaded" in self.broker_log(), what="CRL reload")
        self.assert_refused("MTR0000003", session=session)


class Limits(TlsCase):
    listener_extra = {"auth": "anonymous", "max_connection_rate": 5, "handshake_timeout_ms": 300}

    def test_max_connection_rate_refuses_excess_connections(self):
        """A burst of 30 connections within well under a second: about 5 are admitted (the bucket's
        burst), the rest are closed right after accept, before the handshake."""
        time.sleep(1.1)  # a full bucket
        admitted, refused = 0, 0
        started = time.monotonic()
        for i in range(30):
            try:
                c = self.tls("MTR0000001")
                c.connect("rate-%d" % i)
                admitted += 1
            except (ssl.SSLError, mb.ConnectionClosed, ConnectionError):
                refused += 1
        elapsed = time.monotonic() - started
        allowed = 5 + int(elapsed * 5) + 1
        self.assertGreaterEqual(admitted, 5)
        self.assertLessEqual(admitted, allowed, "elapsed %.2fs" % elapsed)
        self.assertEqual(admitted + refused, 30)
        wait_until(lambda: "refused by max_connection_rate 5/s" in self.broker_log(), what="refusal logged")
        # The plain tcp listener has no limit.
        for i in range(20):
            s = mb.tcp_connect(self.broker.port)
            self.closers.append(s.close)
            s.sendall(mb.gen_connect("tcp-rate-%d" % i))
            self.assertEqual(mb.read_packet(s)[0], mb.CONNACK)

    def test_stalled_handshake_times_out(self):
        """A client that opens the tls port and sends nothing is closed after handshake_timeout_ms
        (300 ms here; the check runs once a second)."""
        time.sleep(1.1)  # tokens for this connection
        s = socket.create_connection(("127.0.0.1", self.tls_port), timeout=5)
        self.closers.append(s.close)
        started = time.monotonic()
        try:
            data = s.recv(1)
        except ConnectionError:
            data = b""
        self.assertEqual(data, b"")
        self.assertLess(time.monotonic() - started, 3.0)
        wait_until(lambda: "TLS handshake timed out" in self.broker_log(), what="timeout logged")


class BadSettings(unittest.TestCase):
    """A tls listener that cannot load its files stops the start with a message naming the key."""

    def setUp(self):
        if is_mosquitto():
            self.skipTest("gridmq configuration")
        self.tmp = tempfile.mkdtemp(prefix="gridmq-tls-bad-")
        self.certs = make_certs(os.path.join(self.tmp, "certs"), meters=1)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_fails(self, table):
        b = Broker(tls_listeners=[table])
        with self.assertRaises(RuntimeError) as cm:
            b.start(timeout=5)
        return str(cm.exception)

    def test_missing_key_file_names_key(self):
        msg = self.start_fails(tls_listener(self.certs, key_file=os.path.join(self.tmp, "nope.key")))
        self.assertIn("listener.key_file", msg)
        self.assertIn("nope.key", msg)

    def test_key_of_another_certificate_is_refused(self):
        msg = self.start_fails(tls_listener(self.certs, key_file=os.path.join(self.certs, "ca.key")))
        self.assertIn("does not match listener.cert_file", msg)

    def test_bad_cipher_list_names_key(self):
        self.assertIn("listener.ciphers", self.start_fails(tls_listener(self.certs, ciphers="NOPE-CIPHER")))

    def test_missing_cert_file_key_names_line(self):
        table = tls_listener(self.certs)
        del table["cert_file"]
        msg = self.start_fails(table)
        self.assertRegex(msg, r"gridmq\.toml:\d+: listener\.cert_file is missing")


if __name__ == "__main__":
    run_tests()
