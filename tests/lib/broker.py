"""Start the broker under test (gridmq, or Mosquitto for validating the tests) on a free loopback port.

    with Broker(config_extra={"mqtt": {"max_packet_size": 1000}}) as b:
        sock = socket.create_connection(("127.0.0.1", b.port))

Environment:
  GRIDMQ_BIN         path of the gridmq binary (default: <repo>/build/bin/gridmq).
  GRIDMQ_TARGET      "gridmq" (default), "mosquitto" (runs /usr/sbin/mosquitto with an equivalent
                     mosquitto.conf) or "external" (no process; GRIDMQ_PORT names a running broker; any
                     test that needs its own configuration is skipped).
  GRIDMQ_LOG_LEVEL   log level passed to gridmq (default "debug").
  GRIDMQ_KEEP_LOGS   if set, temp dirs (config, data, log) are not deleted.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

TARGET = os.environ.get("GRIDMQ_TARGET", "gridmq")
MOSQUITTO = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")
_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def is_mosquitto():
    return TARGET == "mosquitto"


def only_gridmq(reason):
    """Decorator: skip this case when validating against Mosquitto, with the reason written down
    (where Mosquitto 2.0.11 deviates from the spec or from gridmq's documented behaviour)."""
    return unittest.skipIf(is_mosquitto(), "mosquitto 2.0.11 deviates: " + reason)


def skip_if_mosquitto(testcase, reason):
    if is_mosquitto():
        testcase.skipTest("mosquitto 2.0.11 deviates: " + reason)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


DEFAULT_MQTT = {}


def _toml_value(v):
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Broker:
    """config_extra: {section: {key: value}} merged into the generated TOML (sections "mqtt", "broker",
    "storage", "auth"). acl: list of gridmq ACL lines (or one string), written to a file and referenced
    by [auth] acl_file. tls_listeners: a list of {key: value} tables, each written as one more
    [[listener]] with url tls://127.0.0.1:<free port> (keys such as cert_file, key_file, ca_file,
    crl_file, max_connection_rate); their ports are in self.tls_ports, in order. The plain tcp
    listener (self.port) stays first; tcp_listener: more keys for its [[listener]] table (e.g.
    {"auth": "password"})."""

    def __init__(self, config_extra=None, threads=2, acl=None, log_level=None, tls_listeners=None,
                 tcp_listener=None):
        self.config_extra = config_extra or {}
        self.threads = threads
        self.acl = acl
        self.log_level = log_level or os.environ.get("GRIDMQ_LOG_LEVEL", "debug")
        self.proc = None
        self.port = None
        self.dir = None
        self.log_path = None
        self._log = None
        self.target = TARGET
        self.tls_listeners = list(tls_listeners or [])
        self.tls_ports = []
        self.tcp_listener = dict(tcp_listener or {})

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout=10.0):
        try:
            return self._start(timeout)
        except BaseException:
            self.kill()
            if self._log:
                self._log.close()
                self._log = None
            if self.dir and not os.environ.get("GRIDMQ_KEEP_LOGS"):
                shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _start(self, timeout):
        if self.target == "external":
            if self.config_extra or self.acl or self.threads != 2 or self.tls_listeners:
                raise unittest.SkipTest("needs its own broker configuration (GRIDMQ_TARGET=external)")
            self.port = int(os.environ["GRIDMQ_PORT"])
            return self
        self.dir = tempfile.mkdtemp(prefix="gridmq-test-")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "broker.log")
        if self.target == "mosquitto":
            os.chmod(self.dir, 0o755)  # run as root, mosquitto drops to user 'mosquitto' before reading acl_file
            cmd = [MOSQUITTO, "-c", self._write_mosquitto_conf()]
        else:
            binary = os.environ.get("GRIDMQ_BIN") or os.path.join(_REPO, "build", "bin", "gridmq")
            if not os.path.exists(binary):
                raise RuntimeError("broker binary not found: %s (set GRIDMQ_BIN)" % binary)
            cmd = [binary, "--config", self._write_gridmq_toml(), "--log-level", self.log_level]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir)
        return self._wait_accepting(timeout)

    def restart(self, timeout=30.0, crash=True):
        """Ends the broker -- SIGKILL (a crash) by default, else SIGTERM -- and starts it again with
        the same command, port and data directory. Returns the start-up time in seconds."""
        cmd = self.proc.args
        if crash:
            self.kill()
        else:
            self.stop()
        self._log.write(b"\n--- restart ---\n")
        self._log.flush()
        started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir)
        self._wait_accepting(timeout)
        return time.monotonic() - started

    def _wait_accepting(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited with %s during startup:\n%s" % (self.proc.returncode, self.log_text()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("broker did not accept on port %d within %.0fs:\n%s" % (self.port, timeout, self.log_text()))
            time.sleep(0.02)
        return self

    def alive(self):
        return self.target == "external" or (self.proc is not None and self.proc.poll() is None)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends sig and waits (bounded). Returns the exit code; kills and returns None on timeout."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        self.stop()
        if self._log:
            self._log.close()
            self._log = None
        if self.dir and not os.environ.get("GRIDMQ_KEEP_LOGS"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, etype, evalue, tb):
        if etype is not None and not issubclass(etype, unittest.SkipTest):
            self.dump_log()
        self.close()
        return False

    # -- logs ------------------------------------------------------------------------------------
    def log_size(self):
        try:
            return os.path.getsize(self.log_path) if self.log_path else 0
        except OSError:
            return 0

    def log_text(self, since=0, limit=20000):
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                data = f.read()
        except OSError:
            return ""
        if len(data) > limit:
            data = b"...[truncated]...\n" + data[-limit:]
        return data.decode("utf-8", "replace")

    def dump_log(self, since=0):
        sys.stderr.write("----- broker (%s, port %s) log -----\n%s\n----- end of broker log -----\n"
                         % (self.target, self.port, self.log_text(since)))
        sys.stderr.flush()

    # -- configuration ---------------------------------------------------------------------------
    def _acl_lines(self):
        if self.acl is None:
            return None
        return self.acl.splitlines() if isinstance(self.acl, str) else list(self.acl)

    def _write_gridmq_toml(self):
        data_dir = os.path.join(self.dir, "data")
        os.makedirs(data_dir, exist_ok=True)
        sections = {
            "broker": {"threads": self.threads},
            "storage": {"data_dir": data_dir},
            "mqtt": dict(DEFAULT_MQTT),
            "auth": {},
        }
        acl = self._acl_lines()
        if acl is not None:
            path = os.path.join(self.dir, "acl.txt")
            with open(path, "w") as f:
                f.write("\n".join(acl) + "\n")
            sections["auth"]["acl_file"] = path
        for sec, kv in self.config_extra.items():
            sections.setdefault(sec, {}).update(kv)
        out = []
        for sec, kv in sections.items():
            if not kv:
                continue
            out.append("[%s]" % sec)
            out += ["%s = %s" % (k, _toml_value(v)) for k, v in kv.items()]
            out.append("")
        out += ["[[listener]]", 'url = "tcp://127.0.0.1:%d"' % self.port]
        out += ["%s = %s" % (k, _toml_value(v)) for k, v in self.tcp_listener.items()]
        out.append("")
        if not self.tls_ports:
            self.tls_ports = [free_port() for _ in self.tls_listeners]
        for port, table in zip(self.tls_ports, self.tls_listeners):
            out += ["[[listener]]", 'url = "tls://127.0.0.1:%d"' % port]
            out += ["%s = %s" % (k, _toml_value(v)) for k, v in table.items()]
            out.append("")
        path = os.path.join(self.dir, "gridmq.toml")
        with open(path, "w") as f:
            f.write("\n".join(out))
        return path

    _MOSQ_KEYS = {
        "max_packet_size": "max_packet_size",
        "max_inflight": "max_inflight_messages",
        "max_keepalive": "max_keepalive",
        "topic_alias_maximum": "max_topic_alias",
        "max_queued_messages": "max_queued_messages",
        "retain_available": "retain_available",
        "maximum_qos": "max_qos",
        # Mosquitto has no separate inbound receive maximum; max_inflight_messages is also what it
        # announces as Receive Maximum in the v5 CONNACK.
        "receive_maximum": "max_inflight_messages",
    }

    def _write_mosquitto_conf(self):
        if self.tls_listeners:
            raise unittest.SkipTest("gridmq tls listener settings have no mosquitto translation here")
        # Listener-level options (max_qos, max_topic_alias) must follow the listener line; global ones
        # may appear anywhere, so everything goes after it.
        lines = ["per_listener_settings false", "allow_anonymous true", "persistence false",
                 "log_dest stderr", "log_type all", "log_timestamp true", "max_queued_messages 10000",
                 "listener %d 127.0.0.1" % self.port]
        for key, val in self.config_extra.get("mqtt", {}).items():
            mk = self._MOSQ_KEYS.get(key)
            if mk is None:
                raise unittest.SkipTest("no mosquitto equivalent for [mqtt] %s" % key)
            if isinstance(val, bool):
                val = "true" if val else "false"
            lines.append("%s %s" % (mk, val))
        acl = self._acl_lines()
        if acl is not None:
            path = os.path.join(self.dir, "acl.conf")
            with open(path, "w") as f:
                f.write(translate_acl_to_mosquitto(acl))
            os.chmod(path, 0o644)
            lines.append("acl_file %s" % path)
        lines.append("")
        path = os.path.join(self.dir, "mosquitto.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return path


def translate_acl_to_mosquitto(lines):
    """gridmq rule '<allow|deny> <publish|subscribe|all> <client|*> <filter>' -> mosquitto 'pattern'.

    Only what Mosquitto can express: allow rules for every client ('*'; %c is the same in both), and
    deny rules that only restate the default (a trailing catch-all). Anything else raises SkipTest.
    Mosquitto's 'read' governs both SUBSCRIBE and delivery; gridmq's 'subscribe' governs SUBSCRIBE.
    """
    access = {"publish": "write", "subscribe": "read", "all": "readwrite"}
    out = []
    rules = [l.split() for l in lines if l.strip() and not l.strip().startswith("#")]
    for i, r in enumerate(rules):
        if len(r) != 4:
            raise ValueError("bad ACL line: %r" % r)
        verdict, what, client, filt = r
        if verdict == "deny":
            if all(x[0] == "deny" for x in rules[i:]):
                continue  # trailing denies == default deny
            raise unittest.SkipTest("mosquitto ACL cannot express first-match deny rule %r" % " ".join(r))
        if client != "*":
            raise unittest.SkipTest("mosquitto ACL cannot express per-client-id rule %r" % " ".join(r))
        out.append("pattern %s %s" % (access[what], filt))
    return "\n".join(out) + "\n"
