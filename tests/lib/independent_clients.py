"""Wrappers around independent MQTT clients for tests/system: the mosquitto_pub / mosquitto_sub command
line tools (subprocess) and paho-mqtt 1.6 (Debian python3-paho-mqtt, use /usr/bin/python3). Every wait
is bounded."""

import os
import queue
import select
import signal
import subprocess
import time

import mqttbytes as mb
from mqtttest import RawClient

MOSQUITTO_PUB = os.environ.get("MOSQUITTO_PUB", "mosquitto_pub")
MOSQUITTO_SUB = os.environ.get("MOSQUITTO_SUB", "mosquitto_sub")


def mosquitto_pub(port, *args, timeout=10):
    """Runs mosquitto_pub to completion; asserts exit code 0; returns stderr text."""
    r = subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port)] + list(args),
                       capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("mosquitto_pub %s failed (%d): %s" % (args, r.returncode, r.stderr.decode()))
    return r.stderr.decode()


class MosquittoSub:
    """mosquitto_sub in the background, printing '<topic> <payload>' lines (-v)."""

    def __init__(self, port, *args):
        self.port = port
        self.args = list(args)
        self.proc = subprocess.Popen([MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(port), "-v"] + self.args,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""

    def readline(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("mosquitto_sub %s: no line within %.1fs (have %r, stderr %r)"
                                     % (self.args, timeout, self.buf, self._stderr()))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError("mosquitto_sub %s exited (%s) before a line; stderr %r"
                                         % (self.args, self.proc.poll(), self._stderr()))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def wait_ready(self, ready_topic, proto=4, timeout=10.0):
        """mosquitto_sub gives no 'subscribed' signal: publish on ready_topic (which it must also be
        subscribed to) every 100 ms until it prints it. Bounded."""
        c = RawClient(self.port, proto)
        c.connect("ready-%d" % os.getpid() + ready_topic[-8:].replace("/", "_"))
        deadline = time.monotonic() + timeout
        try:
            while True:
                c.send(mb.gen_publish(ready_topic, b"ready", proto=proto))
                c.ping()
                try:
                    line = self.readline(0.1)
                except AssertionError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise
                    continue
                if line == ready_topic + " ready":
                    break
            # drain further ready copies already in flight
            c.disconnect()
        finally:
            c.close()
        end = time.monotonic() + 0.2
        while time.monotonic() < end:
            try:
                line = self.readline(end - time.monotonic())
            except AssertionError:
                break
            if line != ready_topic + " ready":
                self.buf = (line + "\n").encode() + self.buf
                break

    def _stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode("utf-8", "replace")

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def wait(self, timeout=10):
        return self.proc.wait(timeout)

    def close(self):
        self.kill()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Paho:
    """A paho-mqtt 1.6 client running its network loop in a thread; messages and acks go to queues."""

    def __init__(self, port, client_id, proto=5, clean=True, properties=None, will=None, keepalive=60):
        import paho.mqtt.client as mqtt
        from paho.mqtt.properties import Properties
        from paho.mqtt.packettypes import PacketTypes
        self.mqtt, self.Properties, self.PacketTypes = mqtt, Properties, PacketTypes
        self.v5 = proto == 5
        version = mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311
        if self.v5:
            self.c = mqtt.Client(client_id=client_id, protocol=version)
        else:
            self.c = mqtt.Client(client_id=client_id, protocol=version, clean_session=clean)
        self.messages = queue.Queue()
        self.events = queue.Queue()
        self.c.on_connect = lambda c, u, flags, rc, props=None: self.events.put(("connack", flags, rc, props))
        self.c.on_subscribe = lambda c, u, mid, granted, props=None: self.events.put(("suback", mid, granted))
        self.c.on_publish = lambda c, u, mid: self.events.put(("puback", mid))
        self.c.on_message = lambda c, u, msg: self.messages.put(msg)
        self.c.on_disconnect = lambda c, u, rc, props=None: self.events.put(("disconnect", rc))
        if will:
            self.c.will_set(**will)
        self.port, self.clean, self.properties, self.keepalive = port, clean, properties, keepalive

    def props(self, kind, **kw):
        p = self.Properties(getattr(self.PacketTypes, kind))
        for k, v in kw.items():
            setattr(p, k, v)
        return p

    def connect(self, timeout=5.0):
        kw = {}
        if self.v5:
            kw = {"clean_start": self.clean, "properties": self.properties}
        self.c.connect("127.0.0.1", self.port, keepalive=self.keepalive, **kw)
        self.c.loop_start()
        ev = self.event("connack", timeout)
        rc = ev[2]
        if (rc.value if hasattr(rc, "value") else rc) != 0:
            raise AssertionError("paho CONNACK rc %s" % rc)
        return ev

    def event(self, kind, timeout=5.0, **match):
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("paho: no %s event within %.1fs (saw %r)" % (kind, timeout, skipped))
                try:
                    ev = self.events.get(timeout=left)
                except queue.Empty:
                    continue
                if ev[0] == kind and all(ev[i] == v for i, v in match.items()):
                    return ev
                skipped.append(ev)
        finally:
            for ev in skipped:
                self.events.put(ev)

    def subscribe(self, topic, qos=1, properties=None, timeout=5.0):
        if self.v5:
            from paho.mqtt.subscribeoptions import SubscribeOptions
            rc, mid = self.c.subscribe(topic, options=SubscribeOptions(qos=qos), properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        if rc != 0:
            raise AssertionError("paho subscribe failed: %s" % rc)
        deadline = time.monotonic() + timeout
        while True:
            ev = self.event("suback", max(0.01, deadline - time.monotonic()))
            if ev[1] == mid:
                return ev[2]

    def publish(self, topic, payload, qos=1, retain=False, properties=None, timeout=5.0):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if qos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise AssertionError("paho publish %r not acknowledged within %.1fs" % (topic, timeout))
        return info

    def message(self, timeout=5.0):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("paho: no message within %.1fs" % timeout)

    def no_message(self, window=0.5):
        try:
            m = self.messages.get(timeout=window)
        except queue.Empty:
            return
        raise AssertionError("paho: unexpected message %s %r" % (m.topic, m.payload))

    def disconnect(self, properties=None):
        try:
            self.c.disconnect(properties=properties) if self.v5 else self.c.disconnect()
        finally:
            self.c.loop_stop()

    def kill(self):
        """Drop the TCP connection without DISCONNECT (the Will is published)."""
        sock = self.c.socket()
        self.c.loop_stop()
        if sock:
            import socket as _s
            try:
                sock.shutdown(_s.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
