#!/usr/bin/python3
"""System: the meter_validation plugin end to end, with the real broker, mTLS meter and hub
certificates (config/dev-certs.sh, via test_tls's helpers) and independent clients.

Meters and hubs publish over the tls:// listener (certificate principals: CN = id, OU = role):
raw MQTT bytes (mqttbytes) for exact reason codes, mosquitto_pub and paho. Subscribers sit on the
plain tcp:// listener (anonymous, everything allowed) and see what was routed.

Each case uses its own tenant, so every case starts with fresh per-meter state (state is kept per
tenant/meter)."""

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

# tests/lib (mqttbytes, broker, ...) comes with PYTHONPATH (CTest sets it); test_tls's certificate
# helpers are in tests/system.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "system"))

import mqttbytes as mb  # noqa: E402
from broker import Broker, is_mosquitto  # noqa: E402
from independent_clients import MOSQUITTO_PUB, Paho  # noqa: E402
from mqtttest import RawClient, SharedBrokerCase, run_tests, wait_until  # noqa: E402
from test_tls import TlsClient, make_certs, tls_listener  # noqa: E402

METERS = 6  # MTR0000001 .. MTR0000006
BINDINGS = "HUB0001: MTR0000002 MTR0000003\n"
# The metering ACL profile lets a meter publish only for itself and a hub only for bound meters, so
# the plugin's own identity checks are reached only with a wider policy (PermissiveAcl below).
PERMISSIVE_POLICY = "meter allow both mtr/#\nhub allow both mtr/#\n"
_tenant = itertools.count(1)
RC_PAYLOAD_FORMAT_INVALID = 0x99  # MQTT 5 §2.4 (mqttbytes has no name for it)


def ts(seconds=0):
    t = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def reading(meter, seq, wh, at=None, unit="Wh", v=1):
    return json.dumps({"v": v, "meter": meter, "seq": seq, "ts": at or ts(),
                       "regs": [{"obis": "1-0:1.8.0", "val": wh, "unit": unit},
                                {"obis": "1-0:3.8.0", "val": 1200, "unit": "varh"}], "q": "ok"},
                      separators=(",", ":"))


class MeterValidationCase(SharedBrokerCase):
    """One certificate set and one broker per class: tcp (subscribers) + tls (meters, hubs)."""

    plugin = {}
    auth = {}

    @classmethod
    def setUpClass(cls):
        if is_mosquitto():
            raise unittest.SkipTest("gridmq plugin")
        cls.tmp = tempfile.mkdtemp(prefix="gridmq-mv-")
        cls.certs = make_certs(os.path.join(cls.tmp, "certs"), meters=METERS)
        bindings = os.path.join(cls.tmp, "bindings.txt")
        with open(bindings, "w") as f:
            f.write(BINDINGS)
        auth = {"bindings_file": bindings}
        auth.update(cls.extra_auth())
        plugin = {"enabled": True, "max_payload_bytes": 2048, "log_interval_s": 0}
        plugin.update(cls.plugin)
        cls.broker = Broker(config_extra={"auth": auth, "plugins.meter_validation": plugin},
                            tls_listeners=[tls_listener(cls.certs)], log_level="info").start()
        cls.tls_port = cls.broker.tls_ports[0]

    @classmethod
    def extra_auth(cls):
        return {}

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.tenant = "t%d" % next(_tenant)

    # -- clients ---------------------------------------------------------------------------------
    def device(self, name, proto):
        """A meter or hub with its certificate, connected with its id as client id."""
        c = TlsClient(self.tls_port, self.certs, name)
        self.closers.append(c.close)
        c.connect(name, proto=proto)
        c.proto, c.mid = proto, 0
        return c

    def publish(self, c, topic, payload, qos=1):
        """Publishes and returns the PUBACK (QoS 1) or None (QoS 0)."""
        c.mid += 1
        c.send(mb.gen_publish(topic, payload, qos=qos, mid=c.mid if qos else None, proto=c.proto))
        if not qos:
            return None
        p = c.read_packet(c.proto)
        self.assertEqual(p.type, mb.PUBACK)
        self.assertEqual(p.mid, c.mid)
        return p

    def subscriber(self, filt, proto=5):
        s = RawClient(self.broker.port, proto)
        self.closers.append(s.close)
        s.connect("sub-%s-%d-%d" % (self.tenant, proto, next(_tenant)))
        s.subscribe(filt, qos=1)
        return s

    def topic(self, meter, kind="reading", tenant=None):
        return "mtr/v1/%s/%s/up/%s" % (tenant or self.tenant, meter, kind)

    def assert_rejected(self, ack, rc, reason):
        self.assertEqual(ack.rc, rc, ack.props.get(mb.REASON_STRING))
        self.assertTrue(ack.props.get(mb.REASON_STRING, "").startswith(reason + ":"),
                        ack.props.get(mb.REASON_STRING))

    def log(self):
        return self.broker.log_text(since=self.log_start)


class Rules(MeterValidationCase):

    def test_valid_reading_is_routed(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.tenant = "t%d" % next(_tenant)
                sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
                m = self.device("MTR0000001", proto)
                payload = reading("MTR0000001", 1, 1000)
                ack = self.publish(m, self.topic("MTR0000001"), payload)
                self.assertEqual(ack.rc, 0)
                got = sub.expect_publish(self.topic("MTR0000001"))
                self.assertEqual(got.payload, payload.encode())

    def test_each_payload_rule_is_rejected_with_its_reason_v5(self):
        meter = "MTR0000001"
        good = json.loads(reading(meter, 1, 10))
        cases = [
            ("json_invalid", RC_PAYLOAD_FORMAT_INVALID, "{\"v\":1,", "reading"),
            ("schema_unknown", RC_PAYLOAD_FORMAT_INVALID, reading(meter, 1, 10, v=9), "reading"),
            ("field_missing", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps({k: v for k, v in good.items() if k != "regs"}), "reading"),
            ("unit_invalid", RC_PAYLOAD_FORMAT_INVALID, reading(meter, 1, 10, unit="kWh"), "reading"),
            ("obis_invalid", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps(dict(good, regs=[{"obis": "1.8.0", "val": 1, "unit": "Wh"}])), "reading"),
            ("field_invalid", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps(dict(good, regs=[{"obis": "1-0:1.8.0", "val": 1.5, "unit": "Wh"}])), "reading"),
            ("ts_future", RC_PAYLOAD_FORMAT_INVALID, reading(meter, 1, 10, at=ts(600)), "reading"),
            ("ts_too_old", RC_PAYLOAD_FORMAT_INVALID, reading(meter, 1, 10, at=ts(-41 * 86400)), "reading"),
            ("ts_invalid", RC_PAYLOAD_FORMAT_INVALID, reading(meter, 1, 10, at="yesterday"), "reading"),
            ("meter_mismatch", RC_PAYLOAD_FORMAT_INVALID, reading("MTR0000002", 1, 10), "reading"),
            ("payload_too_large", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps(dict(good, pad="x" * 3000)), "reading"),
            ("field_missing", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps({"v": 1, "seq": 1, "ts": ts(), "ch": 1, "count": 5}), "pulse"),
            ("field_invalid", RC_PAYLOAD_FORMAT_INVALID,
             json.dumps({"v": 1, "seq": 1, "ts": ts(), "type": "alien"}), "event"),
            ("topic_invalid", mb.RC_TOPIC_NAME_INVALID, reading(meter, 1, 10), "weather"),
        ]
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        m = self.device(meter, 5)
        for reason, rc, payload, kind in cases:
            with self.subTest(reason=reason, kind=kind):
                self.assert_rejected(self.publish(m, self.topic(meter, kind), payload), rc, reason)
        # Nothing was routed, and the accepted one after them still goes through (seq 1 unused).
        self.assertEqual(self.publish(m, self.topic(meter), reading(meter, 1, 10)).rc, 0)
        got = sub.expect_publish(self.topic(meter))
        self.assertIn(b'"seq":1', got.payload)
        wait_until(lambda: "reject meter 'MTR0000001': ts_future" in self.log(), what="log line")

    def test_every_kind_is_accepted(self):
        meter = "MTR0000005"
        payloads = {
            "reading": reading(meter, 1, 10, at=ts(-1800)),  # the same registers as the profile's
            "profile": json.dumps({"v": 1, "meter": meter, "seq": 2, "period_s": 900, "ts_conv": "end",
                                   "obis": ["1-0:1.8.0", "1-0:2.8.0"], "unit": ["Wh", "Wh"],
                                   "rows": [[ts(-900), 100, 5, 0], [ts(), 200, 5, 0]]}),
            "pulse": json.dumps({"v": 1, "meter": meter, "ch": 1, "seq": 3, "ts": ts(), "count": 1234567,
                                 "wh_per_pulse": 100, "boot": 17}),
            "inst": json.dumps({"v": 1, "meter": meter, "seq": 4, "ts": ts(), "u": [230.1, 229.8, 231.0],
                                "i": [5.21, 0.40, 1.10], "p": 1420, "q": -120, "f": 49.98}),
            "event": json.dumps({"v": 1, "meter": meter, "seq": 5, "ts": ts(), "type": "voltage_sag",
                                 "phase": 1, "val": 198.4, "dur_ms": 180, "ref": "1-0:32.32.0"}),
        }
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.tenant = "t%d" % next(_tenant)
                sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
                m = self.device(meter, proto)
                for kind, payload in payloads.items():
                    self.assertEqual(self.publish(m, self.topic(meter, kind), payload).rc, 0, kind)
                    self.assertEqual(sub.expect_publish(self.topic(meter, kind)).payload, payload.encode())

    def test_every_payload_rule_drops_in_311(self):
        """MQTT 3.1.1 cannot say no: each rejected message is acknowledged and never routed."""
        meter = "MTR0000005"
        bad = ["{\"v\":1,", reading(meter, 1, 10, v=9), reading(meter, 1, 10, unit="kWh"),
               reading(meter, 1, 10, at=ts(600)), reading(meter, 1, 10, at=ts(-41 * 86400)),
               reading("MTR0000002", 1, 10), json.dumps(dict(json.loads(reading(meter, 1, 10)), pad="x" * 3000))]
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant, proto=4)
        m = self.device(meter, 4)
        for payload in bad:
            self.publish(m, self.topic(meter), payload)
        self.publish(m, self.topic(meter, "weather"), reading(meter, 1, 10))
        self.publish(m, self.topic(meter), reading(meter, 1, 10))
        got = sub.expect_publish(self.topic(meter))
        self.assertEqual(json.loads(got.payload)["seq"], 1)
        sub.expect_nothing(0.3)

    def test_rejected_in_311_is_dropped_and_logged(self):
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant, proto=4)
        m = self.device("MTR0000001", 4)
        self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 1, 10, unit="kWh"))
        self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 2, 10))
        got = sub.expect_publish(self.topic("MTR0000001"))
        self.assertIn(b'"seq":2', got.payload)  # the rejected seq 1 never arrived
        wait_until(lambda: "reject meter 'MTR0000001': unit_invalid" in self.log(), what="log line")

    def test_the_acl_still_decides_first(self):
        """A meter publishing for another meter never reaches the plugin: the ACL says 0x87."""
        m = self.device("MTR0000001", 5)
        ack = self.publish(m, self.topic("MTR0000002"), reading("MTR0000002", 1, 10))
        self.assertEqual(ack.rc, mb.RC_NOT_AUTHORIZED)

    def test_duplicates_are_acknowledged_but_not_routed(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.tenant = "t%d" % next(_tenant)
                sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
                m = self.device("MTR0000001", proto)
                payload = reading("MTR0000001", 7, 1000)
                for _ in range(3):
                    ack = self.publish(m, self.topic("MTR0000001"), payload)
                    self.assertEqual(ack.rc, 0)  # v5: success, not "no matching subscribers"
                sub.expect_publish(self.topic("MTR0000001"))
                sub.expect_nothing(0.5)
        wait_until(lambda: "drop meter 'MTR0000001': duplicate" in self.log(), what="log line")

    def test_out_of_order_is_accepted_once(self):
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        m = self.device("MTR0000001", 5)
        for seq in (10, 12, 11, 11):
            payload = reading("MTR0000001", seq, 1000 + seq, at=ts(seq * 60 - 900))
            self.assertEqual(self.publish(m, self.topic("MTR0000001"), payload).rc, 0)
        seqs = [json.loads(sub.expect_publish(self.topic("MTR0000001")).payload)["seq"] for _ in range(3)]
        self.assertEqual(seqs, [10, 12, 11])
        sub.expect_nothing(0.5)

    def test_register_rollover_is_flagged_not_rejected(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.tenant = "t%d" % next(_tenant)
                sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
                m = self.device("MTR0000001", proto)
                self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 1, 99999000, at=ts(-900)))
                ack = self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 2, 500))
                self.assertEqual(ack.rc, 0)
                sub.expect_publish(self.topic("MTR0000001"))
                got = sub.expect_publish(self.topic("MTR0000001"))
                body = json.loads(got.payload)
                self.assertEqual(body["flags"], ["register_decrease"])
                self.assertEqual(body["epoch"], 1)
                self.assertIn(("gridmq-flags", "register_decrease"), got.props.user())

    def test_implausible_energy_is_quarantined(self):
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        quarantine = self.subscriber("quarantine/mtr/v1/%s/#" % self.tenant)
        m = self.device("MTR0000001", 5)
        self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 1, 1000, at=ts(-900)))
        # 43.5 kW allows about 10.9 kWh in 15 minutes; 50 kWh is not plausible.
        ack = self.publish(m, self.topic("MTR0000001"), reading("MTR0000001", 2, 51000))
        self.assertEqual(ack.rc, 0)
        sub.expect_publish(self.topic("MTR0000001"))
        sub.expect_nothing(0.3)
        q = quarantine.expect_publish("quarantine/" + self.topic("MTR0000001"))
        body = json.loads(q.payload)
        self.assertEqual(body["reason"], "implausible")
        self.assertEqual(body["msg"]["seq"], 2)
        self.assertIn(("gridmq-quarantine-reason", "implausible"), q.props.user())

    def test_hub_publishes_for_its_bound_meter(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.tenant = "t%d" % next(_tenant)
                sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
                hub = self.device("HUB0001", proto)
                ack = self.publish(hub, self.topic("MTR0000002"), reading("MTR0000002", 1, 10))
                self.assertEqual(ack.rc, 0)
                sub.expect_publish(self.topic("MTR0000002"))
                # The meter itself and its hub share the meter's seq state: a resend via the meter
                # of what the hub already delivered is a duplicate.
                m = self.device("MTR0000002", proto)
                self.assertEqual(self.publish(m, self.topic("MTR0000002"), reading("MTR0000002", 1, 10)).rc, 0)
                sub.expect_nothing(0.3)

    def test_state_topic_passes_after_identity_checks(self):
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        m = self.device("MTR0000001", 5)
        t = "mtr/v1/%s/MTR0000001/state" % self.tenant
        self.assertEqual(self.publish(m, t, "online").rc, 0)
        sub.expect_publish(t, b"online")

    def test_a_will_is_validated_when_it_is_published(self):
        """A meter's will on its own data topic is checked like its PUBLISHes, when the broker
        publishes it (the connection dropped without DISCONNECT), against the same per-meter
        state: a valid event is routed, a malformed one and a repeated seq are not."""
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        topic = self.topic("MTR0000006", "event")

        def event(seq):
            return json.dumps({"v": 1, "meter": "MTR0000006", "seq": seq, "ts": ts(), "type": "power_fail"})

        for proto, payload, routed in ((5, event(1), True), (4, "power lost", False), (5, event(1), False),
                                       (4, event(2), True)):
            with self.subTest(proto=proto, payload=payload):
                c = TlsClient(self.tls_port, self.certs, "MTR0000006")
                self.closers.append(c.close)
                c.send(mb.gen_connect("MTR0000006", proto=proto, will_topic=topic, will_payload=payload.encode(),
                                      will_qos=1))
                self.assertEqual(c.read_packet(proto).type, mb.CONNACK)
                c.close()  # no DISCONNECT: the will is due
                if routed:
                    self.assertEqual(sub.expect_publish(topic).payload, payload.encode())
                else:
                    sub.expect_nothing(0.5)
        wait_until(lambda: "reject meter 'MTR0000006': json_invalid" in self.log(), what="log line")

    def test_independent_clients_over_mtls(self):
        """mosquitto_pub (v5: reason codes in -d output) and paho with the meter certificate."""
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        cert = lambda n: ["--cafile", os.path.join(self.certs, "ca.pem"),  # noqa: E731
                          "--cert", os.path.join(self.certs, n + ".pem"),
                          "--key", os.path.join(self.certs, n + ".key")]
        base = [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.tls_port), "-i", "MTR0000003", "-q", "1",
                "-V", "mqttv5", "-d", "-t", self.topic("MTR0000003")] + cert("MTR0000003")
        ok = subprocess.run(base + ["-m", reading("MTR0000003", 1, 10)], capture_output=True, text=True, timeout=10)
        self.assertIn("received PUBACK (Mid: 1, RC:0)", ok.stdout + ok.stderr)
        bad = subprocess.run(base + ["-m", reading("MTR0000003", 2, 10, unit="kWh")], capture_output=True,
                             text=True, timeout=10)
        self.assertIn("RC:153", bad.stdout + bad.stderr)
        self.assertIn("unit_invalid", bad.stdout + bad.stderr)
        sub.expect_publish(self.topic("MTR0000003"))

        for proto in (4, 5):
            p = Paho(self.tls_port, "MTR0000003", proto=proto)
            p.c.tls_set(ca_certs=os.path.join(self.certs, "ca.pem"),
                        certfile=os.path.join(self.certs, "MTR0000003.pem"),
                        keyfile=os.path.join(self.certs, "MTR0000003.key"))
            p.connect()
            self.closers.append(p.disconnect)
            payload = reading("MTR0000003", 10 + proto, 20)
            p.publish(self.topic("MTR0000003"), payload, qos=1)
            self.assertEqual(sub.expect_publish(self.topic("MTR0000003")).payload, payload.encode())
            p.publish(self.topic("MTR0000003"), payload, qos=1)  # a duplicate: acknowledged, dropped
        sub.expect_nothing(0.3)


class PermissiveAcl(MeterValidationCase):
    """A wide ACL policy, so the plugin's own identity rules decide."""

    plugin = {"tenants": ["t-allowed"]}

    @classmethod
    def extra_auth(cls):
        path = os.path.join(cls.tmp, "policy.acl")
        with open(path, "w") as f:
            f.write(PERMISSIVE_POLICY)
        return {"acl_policy_file": path}

    def test_meter_id_must_be_the_principal(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                m = self.device("MTR0000001", proto)
                sub = self.subscriber("mtr/v1/t-allowed/#")
                ack = self.publish(m, self.topic("MTR0000002", tenant="t-allowed"), reading("MTR0000002", 1, 10))
                if proto == 5:
                    self.assert_rejected(ack, mb.RC_NOT_AUTHORIZED, "not_owner")
                sub.expect_nothing(0.3)

    def test_hub_must_be_bound(self):
        hub = self.device("HUB0002", 5)
        ack = self.publish(hub, self.topic("MTR0000002", tenant="t-allowed"), reading("MTR0000002", 1, 10))
        self.assert_rejected(ack, mb.RC_NOT_AUTHORIZED, "not_bound")

    def test_tenant_must_be_allowed(self):
        m = self.device("MTR0000001", 5)
        ack = self.publish(m, self.topic("MTR0000001", tenant="t-other"), reading("MTR0000001", 1, 10))
        self.assert_rejected(ack, mb.RC_NOT_AUTHORIZED, "tenant_not_allowed")
        ack = self.publish(m, self.topic("MTR0000001", tenant="t-allowed"), reading("MTR0000001", 1, 10))
        self.assertIn(ack.rc, (0, mb.RC_NO_MATCHING_SUBSCRIBERS))

    def test_meter_id_format(self):
        m = self.device("MTR0000001", 5)
        ack = self.publish(m, "mtr/v1/t-allowed/x!/up/reading", reading("x!", 1, 10))
        self.assert_rejected(ack, mb.RC_TOPIC_NAME_INVALID, "meter_id_invalid")


class QuarantineActions(MeterValidationCase):
    """ts_action and decrease_action set to quarantine; inst voltage/frequency bands."""

    plugin = {"ts_action": "quarantine", "decrease_action": "quarantine"}

    def check_quarantined(self, proto, kind, payloads, reason):
        self.tenant = "t%d" % next(_tenant)
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant, proto)
        q = self.subscriber("quarantine/mtr/v1/%s/#" % self.tenant, proto)
        m = self.device("MTR0000005", proto)
        for payload in payloads[:-1]:
            self.publish(m, self.topic("MTR0000005", kind), payload)
            sub.expect_publish(self.topic("MTR0000005", kind))
        ack = self.publish(m, self.topic("MTR0000005", kind), payloads[-1])
        if proto == 5:
            self.assertEqual(ack.rc, 0)  # accepted: routed to quarantine/... (which has a subscriber)
        body = json.loads(q.expect_publish("quarantine/" + self.topic("MTR0000005", kind)).payload)
        self.assertEqual(body["reason"], reason)
        self.assertEqual(body["msg"], json.loads(payloads[-1]))
        sub.expect_nothing(0.3)

    def test_timestamp_outside_the_window(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.check_quarantined(proto, "reading", [reading("MTR0000005", 1, 10, at=ts(3600))], "ts_future")

    def test_register_decrease(self):
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.check_quarantined(proto, "reading", [reading("MTR0000005", 1, 5000, at=ts(-900)),
                                                          reading("MTR0000005", 2, 10)], "register_decrease")

    def test_inst_voltage_out_of_band(self):
        inst = {"v": 1, "meter": "MTR0000005", "seq": 1, "ts": ts(), "u": [230.1, 150.0, 231.0], "f": 50.0}
        for proto in (4, 5):
            with self.subTest(proto=proto):
                self.check_quarantined(proto, "inst", [json.dumps(inst)], "out_of_range")


class Restart(MeterValidationCase):

    def test_restart_keeps_per_meter_state(self):
        """Per-meter seq and registers are committed with the message: after a crash (SIGKILL) the
        last acknowledged seq is still a duplicate and a register decrease is still flagged."""
        m = self.device("MTR0000004", 5)
        self.assertEqual(self.publish(m, self.topic("MTR0000004"), reading("MTR0000004", 41, 5000000, at=ts(-900))).rc,
                         mb.RC_NO_MATCHING_SUBSCRIBERS)
        m.close()
        self.broker.restart(crash=True)
        sub = self.subscriber("mtr/v1/%s/#" % self.tenant)
        m = self.device("MTR0000004", 5)
        self.assertEqual(self.publish(m, self.topic("MTR0000004"), reading("MTR0000004", 41, 5000000)).rc, 0)
        sub.expect_nothing(0.5)  # seq 41 was received before the crash
        self.publish(m, self.topic("MTR0000004"), reading("MTR0000004", 42, 100))
        got = json.loads(sub.expect_publish(self.topic("MTR0000004")).payload)
        self.assertEqual(got["flags"], ["register_decrease"])


class Reload(MeterValidationCase):

    def test_sighup_applies_a_changed_plugin_table(self):
        m = self.device("MTR0000006", 5)
        payload = reading("MTR0000006", 1, 10)
        self.assertIn(self.publish(m, self.topic("MTR0000006"), payload).rc, (0, mb.RC_NO_MATCHING_SUBSCRIBERS))
        path = os.path.join(self.broker.dir, "gridmq.toml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("max_payload_bytes = 2048", "max_payload_bytes = 100"))
        self.broker.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "signal 1: reloading" in self.log(), what="reload")
        deadline = time.monotonic() + 5
        while True:  # the reload runs on the signal thread: retry until the new cap holds
            ack = self.publish(m, self.topic("MTR0000006"), reading("MTR0000006", 2 + int(time.monotonic() * 1000) % 100000, 10))
            if ack.rc == RC_PAYLOAD_FORMAT_INVALID or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assert_rejected(ack, RC_PAYLOAD_FORMAT_INVALID, "payload_too_large")
        # A broken table is refused; the running settings stay.
        with open(path, "w") as f:
            f.write(text.replace("max_payload_bytes = 2048", "max_payload_bytes = 0"))
        self.broker.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "plugin reload: " in self.log() and "max_payload_bytes = 0" in self.log(),
                   what="reload refused")


class Misconfigured(unittest.TestCase):

    def test_bad_plugin_key_stops_the_start(self):
        if is_mosquitto():
            self.skipTest("gridmq plugin")
        for extra, expected in [
            ({"enabled": True, "max_payload_bytes": 0},
             "plugins.meter_validation.max_payload_bytes = 0: out of range"),
            ({"enabled": True, "max_payload_byte": 10},
             "did you mean 'plugins.meter_validation.max_payload_bytes'?"),
        ]:
            with self.subTest(extra=extra):
                b = Broker(config_extra={"plugins.meter_validation": extra})
                with self.assertRaises(RuntimeError) as ctx:
                    b.start()
                self.assertIn(expected, str(ctx.exception))
                self.assertRegex(str(ctx.exception), r"gridmq\.toml:\d+: ")


if __name__ == "__main__":
    run_tests()
