#!/usr/bin/python3
"""System: identities and access on the real broker, for MQTT 3.1.1 and 5.0.

Certificates come from config/dev-certs.sh, run by the test (meters MTR0000001..3, hubs HUB0001/2, an
operator), plus a certificate without a role OU signed by the same CA here. The tls:// listener maps
certificates to principals (auth "certificate", the default with require_client_cert); the tcp://
listener takes password logins (auth = "password") from a password file written with `gridmq passwd`.
Clients: raw MQTT bytes over Python's ssl module and over TCP (mqttbytes), mosquitto_pub/sub with
--cafile/--cert/--key, and paho with TLS."""

import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mqttbytes as mb  # noqa: E402
from broker import Broker, is_mosquitto  # noqa: E402
from independent_clients import MOSQUITTO_PUB, MOSQUITTO_SUB, Paho  # noqa: E402
from mqtttest import PROTOS, RawClient, SharedBrokerCase, each_proto, run_tests, wait_until  # noqa: E402
from test_tls import TlsClient, make_certs, tls_listener  # noqa: E402

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
METERING_ACL = os.path.join(_REPO, "config", "acl-metering.acl")
TIMEOUT = 5.0
FAILED_AUTH_DELAY_MS = 1000

# CONNACK codes: (MQTT 3.1.1, MQTT 5.0).
ID_REJECTED = {4: 0x02, 5: 0x85}
BAD_PASSWORD = {4: 0x04, 5: 0x86}
NOT_AUTHORIZED = {4: 0x05, 5: 0x87}
SUB_DENIED = {4: 0x80, 5: 0x87}


def gridmq_binary():
    return os.environ.get("GRIDMQ_BIN") or os.path.join(_REPO, "build", "bin", "gridmq")


def add_password(path, user, role, password):
    subprocess.run([gridmq_binary(), "passwd", path, user, role], input=(password + "\n").encode(),
                   check=True, capture_output=True, timeout=30)


def sign_client(certs, name, subject):
    """A client certificate signed by the dev CA with `subject` and no SAN (e.g. no role OU)."""
    key, csr, pem = (os.path.join(certs, name + ext) for ext in (".key", ".csr", ".pem"))
    ext = os.path.join(certs, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True, timeout=30)  # noqa: E731
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    run("openssl", "req", "-new", "-key", key, "-subj", subject, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(certs, "ca.pem"), "-CAkey",
        os.path.join(certs, "ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext, "-out", pem)


def base_policy():
    """The metering profile plus a command fan-out service that reads operator commands."""
    with open(METERING_ACL) as f:
        return f.read() + "service allow subscribe ops/#\n"


class TlsRawClient(RawClient):
    """RawClient (raw MQTT bytes, nothing automatic) over an mTLS connection with certificate `name`.
    The test side is a plain socket of a socketpair; one thread moves bytes between it and the TLS
    socket (so select() on the test side sees bytes that OpenSSL has already decrypted), and ends
    each side when the other ends."""

    def __init__(self, port, certs, name, proto=4, timeout=TIMEOUT):
        self.proto = proto
        self.timeout = timeout
        self.sent = []
        self.next_mid = 1
        self.backlog = []
        tls = TlsClient(port, certs, name, timeout=timeout).sock
        self.sock, inner = socket.socketpair()
        threading.Thread(target=self._pump, args=(tls, inner), daemon=True).start()

    @staticmethod
    def _pump(tls, inner):
        tls.settimeout(0.2)
        try:
            while True:
                if not tls.pending():
                    r, _, _ = select.select([tls, inner], [], [], 0.2)
                else:
                    r = [tls]
                if tls in r:
                    try:
                        data = tls.recv(65536)
                    except (socket.timeout, ssl.SSLWantReadError):
                        data = None
                    if data == b"":
                        break  # the broker closed
                    if data:
                        inner.sendall(data)
                if inner in r:
                    data = inner.recv(65536)
                    if not data:
                        break  # the test closed
                    tls.sendall(data)
        except OSError:
            pass
        finally:
            for s in (tls, inner):
                try:
                    s.close()
                except OSError:
                    pass


class IdentityCase(SharedBrokerCase):
    """One certificate set, password file, bindings and ACL policy file, and one broker per class."""

    bindings = "HUB0001: MTR0000001 MTR0000002\n"
    auth_extra = {}

    @classmethod
    def setUpClass(cls):
        if is_mosquitto():
            raise unittest.SkipTest("gridmq identity configuration")
        cls.tmp = tempfile.mkdtemp(prefix="gridmq-identity-")
        cls.certs = make_certs(os.path.join(cls.tmp, "certs"))
        sign_client(cls.certs, "NOROLE01", "/O=gridmq dev/CN=NOROLE01")
        cls.passwords = os.path.join(cls.tmp, "passwd")
        add_password(cls.passwords, "ops1", "operator", "right horse battery")
        add_password(cls.passwords, "svc1", "service", "service secret")
        cls.bindings_file = os.path.join(cls.tmp, "bindings")
        with open(cls.bindings_file, "w") as f:
            f.write(cls.bindings)
        cls.policy_file = os.path.join(cls.tmp, "policy.acl")
        with open(cls.policy_file, "w") as f:
            f.write(base_policy())
        auth = {"password_file": cls.passwords, "bindings_file": cls.bindings_file,
                "acl_policy_file": cls.policy_file, "failed_auth_delay_ms": FAILED_AUTH_DELAY_MS}
        auth.update(cls.auth_extra)
        # tls listener 0: client certificates required (auth "certificate" by default); listener 1:
        # optional (auth "certificate_or_password" by default).
        cls.broker = Broker(config_extra={"auth": auth}, tcp_listener={"auth": "password"},
                            tls_listeners=[tls_listener(cls.certs),
                                           tls_listener(cls.certs, require_client_cert=False)]).start()
        cls.tls_port = cls.broker.tls_ports[0]
        cls.optional_port = cls.broker.tls_ports[1]

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- clients ---------------------------------------------------------------------------------
    def cert_client(self, name, proto):
        c = TlsRawClient(self.tls_port, self.certs, name, proto)
        self.closers.append(c.close)
        return c

    def meter(self, name, proto, client_id=None):
        """A certificate client connected with its own id (or `client_id`)."""
        c = self.cert_client(name, proto)
        c.connect(name if client_id is None else client_id)
        return c

    def login(self, proto, user, password, client_id=None, expect_rc=0):
        c = RawClient(self.broker.port, proto)
        self.closers.append(c.close)
        c.connect(client_id or "%s-%d-%d" % (user, proto, len(self.closers)), expect_rc=expect_rc,
                  username=user, password=password.encode())
        return c

    def service(self, proto, filters):
        """A back-office service (password login) subscribed to `filters`."""
        s = self.login(proto, "svc1", "service secret")
        s.subscribe([(f, 1) for f in filters], expect_codes=[1] * len(filters))
        return s

    def cert_args(self, name):
        return ["--cafile", os.path.join(self.certs, "ca.pem"), "--cert", os.path.join(self.certs, name + ".pem"),
                "--key", os.path.join(self.certs, name + ".key")]

    def paho(self, name, proto, client_id=None):
        p = Paho(self.tls_port, client_id or name, proto=proto)
        p.c.tls_set(ca_certs=os.path.join(self.certs, "ca.pem"), certfile=os.path.join(self.certs, name + ".pem"),
                    keyfile=os.path.join(self.certs, name + ".key"))
        self.closers.append(lambda: p.disconnect())
        return p

    def assert_denied_publish(self, c, proto, topic, qos=1):
        """v5: PUBACK / PUBREC 0x87. 3.1.1: the flow completes as if accepted (the message is dropped)."""
        if proto == 5:
            c.publish(topic, b"x", qos=qos, expect_rc=0x87)
        else:
            c.publish(topic, b"x", qos=qos)
        c.ping()  # the connection stays up


class CertificatePrincipals(IdentityCase):
    @each_proto
    def test_meter_with_its_own_id_publishes_its_readings(self, proto):
        svc = self.service(proto, ["mtr/v1/+/MTR0000001/up/#"])
        m = self.meter("MTR0000001", proto)
        m.publish("mtr/v1/t1/MTR0000001/up/reading", b'{"seq":1}', qos=1, expect_rc=0)
        svc.expect_publish("mtr/v1/t1/MTR0000001/up/reading", b'{"seq":1}')

    @each_proto
    def test_client_id_other_than_the_certificate_id_is_refused(self, proto):
        for client_id in ("MTR0000002", "someone-else", ""):
            c = self.cert_client("MTR0000001", proto)
            ack = c.connect(client_id, expect_rc=ID_REJECTED[proto])
            self.assertFalse(ack.session_present)
            c.close()

    def test_client_id_mismatch_with_mosquitto_pub(self):
        for version in ("mqttv311", "mqttv5"):
            r = subprocess.run([MOSQUITTO_PUB, "-h", "localhost", "-p", str(self.tls_port), "-V", version,
                                "-i", "MTR0000002", "-t", "mtr/v1/t1/MTR0000002/up/reading", "-m", "x", "-q", "1"]
                               + self.cert_args("MTR0000001"), capture_output=True, timeout=10)
            self.assertNotEqual(r.returncode, 0, version)
            err = r.stderr.decode().lower()
            self.assertTrue("identifier" in err, "%s: %r" % (version, err))
            r = subprocess.run([MOSQUITTO_PUB, "-h", "localhost", "-p", str(self.tls_port), "-V", version,
                                "-i", "MTR0000001", "-t", "mtr/v1/t1/MTR0000001/up/reading", "-m", "x", "-q", "1"]
                               + self.cert_args("MTR0000001"), capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 0, "%s: %r" % (version, r.stderr))

    @each_proto
    def test_certificate_without_role_is_refused(self, proto):
        c = self.cert_client("NOROLE01", proto)
        c.connect("NOROLE01", expect_rc=NOT_AUTHORIZED[proto])
        # The same CA's meter certificate is admitted: it is the missing role that refused it.
        self.meter("MTR0000002", proto)

    @each_proto
    def test_meter_publishing_to_another_meters_topic_is_denied(self, proto):
        svc = self.service(proto, ["mtr/v1/+/MTR0000002/#"])
        m = self.meter("MTR0000001", proto)
        for qos in (1, 2):
            self.assert_denied_publish(m, proto, "mtr/v1/t1/MTR0000002/up/reading", qos)
        m.publish("mtr/v1/t1/MTR0000002/state", b"online", qos=0)
        # The real owner still gets through, and is the only message the service sees.
        owner = self.meter("MTR0000002", proto)
        owner.publish("mtr/v1/t1/MTR0000002/up/reading", b"own", qos=1, expect_rc=0)
        p = svc.expect_publish("mtr/v1/t1/MTR0000002/up/reading")
        self.assertEqual(p.payload, b"own")
        svc.expect_nothing(0.3)

    @each_proto
    def test_meter_publishing_to_ops_is_denied(self, proto):
        m = self.meter("MTR0000003", proto)
        self.assert_denied_publish(m, proto, "ops/v1/t1/grp/g1/cmd")
        self.assert_denied_publish(m, proto, "mtr/v1/t1/MTR0000003/cmd")  # only the broker commands
        m.publish("mtr/v1/t1/MTR0000003/cmd/ack", b"{}", qos=1, expect_rc="ok")

    @each_proto
    def test_meter_subscribes_to_its_own_commands_only(self, proto):
        m = self.meter("MTR0000001", proto)
        m.subscribe([("mtr/v1/t1/MTR0000002/cmd", 1)], expect_codes=[SUB_DENIED[proto]])
        m.subscribe([("mtr/v1/+/+/cmd", 1)], expect_codes=[SUB_DENIED[proto]])
        m.subscribe([("#", 0)], expect_codes=[SUB_DENIED[proto]])
        m.subscribe([("mtr/v1/t1/MTR0000001/cmd", 1)], expect_codes=[1])

    @each_proto
    def test_meter_will_on_another_meters_topic_is_refused(self, proto):
        c = self.cert_client("MTR0000001", proto)
        c.connect("MTR0000001", expect_rc=NOT_AUTHORIZED[proto], will_topic="mtr/v1/t1/MTR0000002/state",
                  will_payload=b"offline")
        c2 = self.cert_client("MTR0000001", proto)
        c2.connect("MTR0000001", will_topic="mtr/v1/t1/MTR0000001/state", will_payload=b"offline")

    @each_proto
    def test_hub_publishes_for_bound_meters_only(self, proto):
        svc = self.service(proto, ["mtr/v1/+/+/up/#"])
        hub = self.meter("HUB0001", proto)
        hub.publish("mtr/v1/t1/MTR0000002/up/reading", b"bound", qos=1, expect_rc=0)
        self.assertEqual(svc.expect_publish("mtr/v1/t1/MTR0000002/up/reading").payload, b"bound")
        self.assert_denied_publish(hub, proto, "mtr/v1/t1/MTR0000003/up/reading")
        hub.subscribe([("mtr/v1/t1/MTR0000001/cmd", 1)], expect_codes=[1])
        hub.subscribe([("mtr/v1/t1/MTR0000003/cmd", 1)], expect_codes=[SUB_DENIED[proto]])
        other = self.meter("HUB0002", proto)  # no meters bound
        self.assert_denied_publish(other, proto, "mtr/v1/t1/MTR0000001/up/reading")
        svc.expect_nothing(0.3)

    def test_mosquitto_sub_meter_and_paho_hub(self):
        """Independent clients: mosquitto_sub as meter MTR0000001 on its own topics (and refused on
        another meter's cmd), paho over TLS as HUB0001 publishing for it, in 3.1.1 and 5.0."""
        for proto, version in ((4, "mqttv311"), (5, "mqttv5")):
            with self.subTest(proto=proto):
                denied = subprocess.run(
                    [MOSQUITTO_SUB, "-h", "localhost", "-p", str(self.tls_port), "-V", version, "-i", "MTR0000001",
                     "-t", "mtr/v1/t1/MTR0000002/cmd", "-C", "1", "-W", "3"] + self.cert_args("MTR0000001"),
                    capture_output=True, timeout=10)
                # mosquitto_sub reports the refused SUBACK code (0x80 / 0x87) this way and exits.
                self.assertIn(b"All subscription requests were denied", denied.stderr)
                hub = self.paho("HUB0001", proto)
                hub.connect()
                svc = self.service(proto, ["mtr/v1/t1/MTR0000001/up/#"])
                hub.publish("mtr/v1/t1/MTR0000001/up/reading", b"via-hub", qos=1)
                self.assertEqual(svc.expect_publish("mtr/v1/t1/MTR0000001/up/reading").payload, b"via-hub")
                granted = hub.subscribe("mtr/v1/t1/MTR0000003/cmd", qos=1)
                code = granted[0].value if hasattr(granted[0], "value") else granted[0]
                self.assertEqual(code, SUB_DENIED[proto])
                hub.disconnect()

    def test_paho_meter_with_wrong_client_id_is_refused(self):
        for proto in PROTOS:
            with self.subTest(proto=proto):
                p = self.paho("MTR0000001", proto, client_id="not-my-id")
                with self.assertRaises(AssertionError) as ctx:
                    p.connect()
                text = str(ctx.exception).lower()
                self.assertTrue("identifier" in text if proto == 5 else text.endswith(" 2"), text)


class PasswordLogins(IdentityCase):
    @each_proto
    def test_operator_right_password_may_command(self, proto):
        svc = self.service(proto, ["ops/#"])
        op = self.login(proto, "ops1", "right horse battery")
        op.publish("ops/v1/t1/grp/g1/cmd", b'{"cmd":"limit"}', qos=1, expect_rc=0)
        self.assertEqual(svc.expect_publish("ops/v1/t1/grp/g1/cmd").payload, b'{"cmd":"limit"}')
        self.assert_denied_publish(op, proto, "mtr/v1/t1/MTR0000001/up/reading")

    @each_proto
    def test_wrong_password_and_unknown_user_are_refused_after_the_delay(self, proto):
        for user, password in (("ops1", "wrong horse"), ("nobody", "right horse battery")):
            started = time.monotonic()
            self.login(proto, user, password, expect_rc=BAD_PASSWORD[proto])
            self.assertGreaterEqual(time.monotonic() - started, FAILED_AUTH_DELAY_MS / 1000.0 * 0.95, user)

    @each_proto
    def test_missing_credentials_are_not_authorized(self, proto):
        c = RawClient(self.broker.port, proto)
        self.closers.append(c.close)
        c.connect("no-credentials-%d" % proto, expect_rc=NOT_AUTHORIZED[proto])

    @each_proto
    def test_failed_login_delay_does_not_stall_other_clients(self, proto):
        """While a wrong password waits out its delay, other clients connect, log in and publish: their
        acknowledgements arrive before the refusal does."""
        bad = RawClient(self.broker.port, proto)
        self.closers.append(bad.close)
        sent = time.monotonic()
        bad.send(mb.gen_connect("guesser-%d" % proto, proto=proto, username="ops1", password=b"guess"))
        time.sleep(0.2)  # the guess is being verified or already waiting out its delay
        m = self.meter("MTR0000001", proto)
        m.publish("mtr/v1/t1/MTR0000001/up/reading", b"x", qos=1, expect_rc="ok")
        op = self.login(proto, "ops1", "right horse battery")
        op.publish("ops/v1/t1/grp/g2/cmd", b"x", qos=1, expect_rc="ok")
        if time.monotonic() - sent < FAILED_AUTH_DELAY_MS / 1000.0:  # else too slow a machine to tell
            readable, _, _ = select.select([bad.sock], [], [], 0)
            self.assertEqual(readable, [], "the refusal came before the delay was over")
        # Only now the refusal.
        ack = bad.expect(mb.CONNACK, timeout=FAILED_AUTH_DELAY_MS / 1000.0 + TIMEOUT)
        self.assertEqual(ack.rc, BAD_PASSWORD[proto])

    @each_proto
    def test_packets_sent_before_the_connack_are_handled_after_it(self, proto):
        svc = self.service(proto, ["ops/v1/t1/grp/early/#"])
        c = RawClient(self.broker.port, proto)
        self.closers.append(c.close)
        c.send(mb.gen_connect("early-%d" % proto, proto=proto, username="ops1", password=b"right horse battery")
               + mb.gen_publish("ops/v1/t1/grp/early/cmd", b"early", qos=1, mid=7, proto=proto))
        c.expect(mb.CONNACK, rc=0)
        c.expect(mb.PUBACK, mid=7)
        self.assertEqual(svc.expect_publish("ops/v1/t1/grp/early/cmd").payload, b"early")

    def test_mosquitto_pub_with_password(self):
        for version in ("mqttv311", "mqttv5"):
            ok = subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.broker.port), "-V", version,
                                 "-u", "ops1", "-P", "right horse battery", "-t", "ops/v1/t1/grp/g1/cmd", "-m", "x",
                                 "-q", "1"], capture_output=True, timeout=10)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            bad = subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.broker.port), "-V", version,
                                  "-u", "ops1", "-P", "nope", "-t", "ops/v1/t1/grp/g1/cmd", "-m", "x", "-q", "1"],
                                 capture_output=True, timeout=10)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn(b"password", bad.stderr.lower())


class OptionalCertificate(IdentityCase):
    """auth = "certificate_or_password" (a tls listener without require_client_cert)."""

    @each_proto
    def test_certificate_or_password(self, proto):
        svc = self.service(proto, ["ops/v1/t1/grp/opt/#", "mtr/v1/t1/MTR0000001/up/#"])
        meter = TlsRawClient(self.optional_port, self.certs, "MTR0000001", proto)
        self.closers.append(meter.close)
        meter.connect("MTR0000001")
        meter.publish("mtr/v1/t1/MTR0000001/up/reading", b"m", qos=1, expect_rc=0)
        self.assert_denied_publish(meter, proto, "ops/v1/t1/grp/opt/cmd")  # a meter, not an operator
        self.assertEqual(svc.expect_publish("mtr/v1/t1/MTR0000001/up/reading").payload, b"m")
        op = TlsRawClient(self.optional_port, self.certs, None, proto)  # no certificate: password
        self.closers.append(op.close)
        op.connect("op-opt-%d" % proto, username="ops1", password=b"right horse battery")
        op.publish("ops/v1/t1/grp/opt/cmd", b"o", qos=1, expect_rc=0)
        self.assertEqual(svc.expect_publish("ops/v1/t1/grp/opt/cmd").payload, b"o")
        anon = TlsRawClient(self.optional_port, self.certs, None, proto)
        self.closers.append(anon.close)
        anon.connect("anon-opt-%d" % proto, expect_rc=NOT_AUTHORIZED[proto])
        wrong = TlsRawClient(self.optional_port, self.certs, None, proto)
        self.closers.append(wrong.close)
        wrong.connect("bad-opt-%d" % proto, expect_rc=BAD_PASSWORD[proto], username="ops1", password=b"x")


class DeniedPublishCloses(IdentityCase):
    auth_extra = {"close_on_denied_publish": True}

    def test_v311_connection_closes_on_a_denied_publish(self):
        op = self.login(4, "ops1", "right horse battery")
        op.send(mb.gen_publish("mtr/v1/t1/MTR0000001/up/reading", b"x", qos=1, mid=1, proto=4))
        pk = op.expect_closed()
        self.assertEqual([p for p in pk if p.type == mb.PUBACK], [])

    def test_v5_gets_0x87_and_stays_connected(self):
        op = self.login(5, "ops1", "right horse battery")
        op.publish("mtr/v1/t1/MTR0000001/up/reading", b"x", qos=1, expect_rc=0x87)
        op.ping()


class Reload(IdentityCase):
    """Each case restores the files it changes and reloads."""

    bindings = "HUB0001: MTR0000001\n"

    def sighup_and_wait(self, what):
        since = self.broker.log_size()
        self.broker.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: what in self.broker.log_text(since=since), what="log line %r" % what)
        return self.broker.log_text(since=since)

    def write(self, path, text):
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def restore(self):
        self.write(self.policy_file, base_policy())
        self.write(self.bindings_file, self.bindings)
        self.sighup_and_wait("reloaded password file")

    @each_proto
    def test_acl_policy_file_reload_on_sighup(self, proto):
        self.restore()  # the other protocol's run changed the files
        self.closers.append(self.restore)
        m = self.meter("MTR0000001", proto)
        self.assert_denied_publish(m, proto, "lab/MTR0000001/x")
        policy = base_policy()
        self.write(self.policy_file, policy + "meter allow publish lab/%id/#\n")
        self.sighup_and_wait("reloaded ACL policy")
        m.publish("lab/MTR0000001/x", b"x", qos=1, expect_rc="ok")
        self.assert_denied_publish(m, proto, "lab/MTR0000002/x")  # %id still applies

    @each_proto
    def test_bad_policy_file_keeps_the_old_rules(self, proto):
        self.restore()  # the other protocol's run changed the files
        self.closers.append(self.restore)
        m = self.meter("MTR0000001", proto)
        policy = base_policy()
        self.write(self.policy_file, policy + "meter allow publish lab/%id/#\nmeter allow bogus x\n")
        lines = policy.count("\n") + 2
        log = self.sighup_and_wait("reload failed")
        self.assertIn("%s:%d" % (self.policy_file, lines), log)
        self.assert_denied_publish(m, proto, "lab/MTR0000001/x")  # the new file was not taken
        m.publish("mtr/v1/t1/MTR0000001/up/reading", b"x", qos=1, expect_rc="ok")

    @each_proto
    def test_bindings_reload_on_sighup(self, proto):
        self.restore()  # the other protocol's run changed the files
        self.closers.append(self.restore)
        hub = self.meter("HUB0001", proto)
        self.assert_denied_publish(hub, proto, "mtr/v1/t1/MTR0000002/up/reading")
        self.write(self.bindings_file, "HUB0001: MTR0000001 MTR0000002\n")
        self.sighup_and_wait("reloaded bindings")
        hub.publish("mtr/v1/t1/MTR0000002/up/reading", b"x", qos=1, expect_rc="ok")
        self.write(self.bindings_file, "HUB0001: MTR0000001\nHUB0001 MTR0000003\n")  # line 2 is bad
        log = self.sighup_and_wait("reload failed")
        self.assertIn("%s:2" % self.bindings_file, log)
        hub.publish("mtr/v1/t1/MTR0000002/up/reading", b"x", qos=1, expect_rc="ok")  # old bindings stay

    def test_bindings_file_change_is_picked_up_without_a_signal(self):
        self.closers.append(self.restore)
        hub = self.meter("HUB0001", 5)
        hub.publish("mtr/v1/t1/MTR0000003/up/reading", b"x", qos=1, expect_rc=0x87)
        since = self.broker.log_size()
        self.write(self.bindings_file, "HUB0001: MTR0000001 MTR0000003 MTR0000002\n")
        wait_until(lambda: "reloaded bindings" in self.broker.log_text(since=since), timeout=8,
                   what="bindings reload")
        hub.publish("mtr/v1/t1/MTR0000003/up/reading", b"x", qos=1, expect_rc="ok")


class BadStartup(unittest.TestCase):
    def test_password_listener_without_password_file_does_not_start(self):
        if is_mosquitto():
            self.skipTest("gridmq configuration")
        b = Broker(tcp_listener={"auth": "password"})
        with self.assertRaises(RuntimeError) as ctx:
            b.start()
        self.assertIn("password_file", str(ctx.exception))


if __name__ == "__main__":
    run_tests()
