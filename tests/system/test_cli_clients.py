#!/usr/bin/python3
"""System: the Mosquitto command line clients (mosquitto_pub / mosquitto_sub, an independent MQTT
implementation) against the broker, for MQTT 3.1.1 and 5.0."""

import signal

from independent_clients import MosquittoSub, mosquitto_pub
from mqtttest import BrokerTestCase, RawClient, run_tests

VERSIONS = (("mqttv311", 4), ("mqttv5", 5))


class CliClients(BrokerTestCase):

    def setUp(self):
        super().setUp()
        self.subs = []

    def tearDown(self):
        for s in self.subs:
            s.close()
        super().tearDown()

    def sub(self, *args):
        s = MosquittoSub(self.port, *args)
        self.subs.append(s)
        return s

    def test_pub_sub_qos(self):
        """mosquitto_pub -> mosquitto_sub at QoS 0/1/2 (both sides at the same QoS), both versions."""
        for ver, proto in VERSIONS:
            for qos in (0, 1, 2):
                with self.subTest(version=ver, qos=qos):
                    topic = self.uid("t")
                    s = self.sub("-V", ver, "-q", str(qos), "-t", topic, "-t", topic + "/ready")
                    s.wait_ready(topic + "/ready", proto)
                    mosquitto_pub(self.port, "-V", ver, "-q", str(qos), "-t", topic, "-m", "hello %d" % qos)
                    self.assertEqual(s.readline(), "%s hello %d" % (topic, qos))
                    s.close()

    def test_cross_version(self):
        """A 3.1.1 publisher reaches a 5.0 subscriber and vice versa."""
        for (pver, _), (sver, sproto) in ((VERSIONS[0], VERSIONS[1]), (VERSIONS[1], VERSIONS[0])):
            with self.subTest(pub=pver, sub=sver):
                topic = self.uid("t")
                s = self.sub("-V", sver, "-q", "1", "-t", topic, "-t", topic + "/ready")
                s.wait_ready(topic + "/ready", sproto)
                mosquitto_pub(self.port, "-V", pver, "-q", "1", "-t", topic, "-m", "x-" + pver)
                self.assertEqual(s.readline(), "%s x-%s" % (topic, pver))

    def test_retained(self):
        """mosquitto_pub -r stores a retained message that a later mosquitto_sub receives (-C 1 exits)."""
        for ver, _ in VERSIONS:
            with self.subTest(version=ver):
                topic = self.uid("t")
                mosquitto_pub(self.port, "-V", ver, "-q", "1", "-r", "-t", topic, "-m", "kept-" + ver)
                s = self.sub("-V", ver, "-q", "1", "-C", "1", "-t", topic)
                self.assertEqual(s.readline(), "%s kept-%s" % (topic, ver))
                self.assertEqual(s.wait(5), 0)

    def test_will_of_killed_client(self):
        """A mosquitto_sub killed with SIGKILL (no DISCONNECT) has its Will published to others."""
        for ver, proto in VERSIONS:
            with self.subTest(version=ver):
                will_topic, topic = self.uid("will"), self.uid("t")
                watcher = RawClient(self.port, proto)
                self._clients.append(watcher)
                watcher.connect(self.uid("w"))
                watcher.subscribe(will_topic, qos=1)
                s = self.sub("-V", ver, "-t", topic, "-t", topic + "/ready", "--will-topic", will_topic,
                             "--will-payload", "died-" + ver, "--will-qos", "1")
                s.wait_ready(topic + "/ready", proto)
                s.kill(signal.SIGKILL)
                watcher.expect_publish(topic=will_topic, payload="died-" + ver, qos=1)

    def test_no_will_on_clean_exit(self):
        """mosquitto_sub -C 1 exits with DISCONNECT: its Will is not published."""
        for ver, proto in VERSIONS:
            with self.subTest(version=ver):
                will_topic, topic = self.uid("will"), self.uid("t")
                watcher = RawClient(self.port, proto)
                self._clients.append(watcher)
                watcher.connect(self.uid("w"))
                watcher.subscribe(will_topic, qos=1)
                mosquitto_pub(self.port, "-V", ver, "-r", "-q", "1", "-t", topic, "-m", "one")
                s = self.sub("-V", ver, "-C", "1", "-t", topic, "--will-topic", will_topic, "--will-payload", "x")
                self.assertEqual(s.readline(), topic + " one")
                self.assertEqual(s.wait(5), 0)
                mosquitto_pub(self.port, "-V", ver, "-q", "1", "-t", will_topic, "-m", "marker")
                watcher.expect_publish(topic=will_topic, payload="marker")

    def test_persistent_session(self):
        """mosquitto_sub -c -i ID: messages published while it is away (QoS 1) are delivered when it comes
        back with the same id."""
        for ver, proto in VERSIONS:
            with self.subTest(version=ver):
                cid, topic = self.uid("cid"), self.uid("t")
                s = self.sub("-V", ver, "-c", "-i", cid, "-q", "1", "-t", topic, "-t", topic + "/ready")
                s.wait_ready(topic + "/ready", proto)
                s.kill(signal.SIGTERM)  # clean exit; the persistent session stays
                mosquitto_pub(self.port, "-V", ver, "-q", "1", "-t", topic, "-m", "while-away")
                s2 = self.sub("-V", ver, "-c", "-i", cid, "-q", "1", "-t", topic, "-C", "1")
                self.assertEqual(s2.readline(), topic + " while-away")
                self.assertEqual(s2.wait(5), 0)
                # clean up the session: a clean connect with the same id
                mosquitto_pub(self.port, "-V", ver, "-i", cid, "-t", topic + "/x", "-m", "bye")

    def test_many_messages_in_order(self):
        """mosquitto_pub -l sends 200 lines at QoS 1; mosquitto_sub receives all of them in order."""
        for ver, proto in VERSIONS:
            with self.subTest(version=ver):
                import subprocess
                topic = self.uid("t")
                s = self.sub("-V", ver, "-q", "1", "-t", topic, "-t", topic + "/ready")
                s.wait_ready(topic + "/ready", proto)
                lines = "".join("line-%03d\n" % i for i in range(200)).encode()
                r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-V", ver, "-q", "1",
                                    "-t", topic, "-l"], input=lines, capture_output=True, timeout=20)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = [s.readline() for _ in range(200)]
                self.assertEqual(got, ["%s line-%03d" % (topic, i) for i in range(200)])


if __name__ == "__main__":
    run_tests()
