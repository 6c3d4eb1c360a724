#!/usr/bin/python3
"""Quick TLS measurements against a running broker (gridmq or Mosquitto), from one Python process:

  idle:       opens N mTLS connections, each sends CONNECT and gets its CONNACK, then stay idle;
              prints the broker's RSS growth per connection (from /proc/<pid>/status).
  handshake:  N sequential full handshakes (each a new TLS connection with the client certificate,
              closed right after the handshake); prints handshakes/s. With --resume, every
              connection after the first resumes the previous session (session ticket).
  fleet:      N mTLS connections opened by --processes P forked client processes at once (each
              opens N/P one after the other: full handshake, CONNECT, CONNACK) and held idle;
              prints the handshake rate achieved (N / time from the first connect to the last
              CONNACK, over all processes) and the broker's RSS growth per connection, measured
              2 s after the last CONNACK. Client ids are fleet-<process>-<i>, so a broker that
              requires client id = certificate id needs that rule off for this run.

  tls_bench.py --port 8883 --pid 1234 --certs DIR [--n 2000] [--resume] {idle,handshake}
  tls_bench.py --port 8883 --pid 1234 --certs DIR --n 10000 --processes 4 fleet

Certificates from config/dev-certs.sh DIR (MTR0000001 is used). Loopback only; every loop is
bounded by N.
"""

import argparse
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import mqttbytes as mb  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def context(certs):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    ctx.load_cert_chain(os.path.join(certs, "MTR0000001.pem"), os.path.join(certs, "MTR0000001.key"))
    return ctx


def read_connack(s):
    data = b""
    while len(data) < 4:  # CONNACK of MQTT 3.1.1 is 4 bytes
        chunk = s.recv(4 - len(data))
        if not chunk:
            raise RuntimeError("closed before CONNACK")
        data += chunk
    if data[0] != 0x20:
        raise RuntimeError("not a CONNACK: %r" % data)


def idle(args):
    ctx = context(args.certs)
    before = rss_kib(args.pid)
    socks = []
    for i in range(args.n):
        raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(mb.gen_connect("idle-%06d" % i, keepalive=0))
        read_connack(s)
        socks.append(s)
    time.sleep(2.0)  # let the broker settle (freed handshake buffers)
    after = rss_kib(args.pid)
    print("connections=%d rss_before_kib=%d rss_after_kib=%d per_connection_bytes=%.0f"
          % (len(socks), before, after, (after - before) * 1024.0 / len(socks)))
    for s in socks:
        s.close()


def handshake(args):
    ctx = context(args.certs)
    session = None
    reused = 0
    started = time.monotonic()
    for _ in range(args.n):
        raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="localhost", session=session if args.resume else None)
        if args.resume:
            # TLS 1.3 tickets arrive after the handshake: one MQTT round trip collects it.
            s.sendall(mb.gen_connect("hs", keepalive=0))
            read_connack(s)
            reused += 1 if s.session_reused else 0
            session = s.session
        s.close()
    elapsed = time.monotonic() - started
    print("handshakes=%d seconds=%.2f per_second=%.0f%s"
          % (args.n, elapsed, args.n / elapsed, (" resumed=%d" % reused) if args.resume else ""))


def fleet_worker(args, index, count, report_fd, release_fd):
    """Child process: opens `count` connections, reports "ok failed t_first t_last", waits for the
    parent's release, then closes them."""
    ctx = context(args.certs)
    socks = []
    failed = 0
    t_first = time.monotonic()
    deadline = t_first + args.timeout
    for i in range(count):
        if time.monotonic() > deadline:
            failed += count - i
            break
        try:
            raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(mb.gen_connect("fleet-%d-%06d" % (index, i), keepalive=0))
            read_connack(s)
            socks.append(s)
        except (OSError, RuntimeError):
            failed += 1
    t_last = time.monotonic()
    os.write(report_fd, ("%d %d %.6f %.6f\n" % (len(socks), failed, t_first, t_last)).encode())
    os.read(release_fd, 1)  # bounded by the parent, which always releases
    for s in socks:
        s.close()


def fleet(args):
    before = rss_kib(args.pid)
    per = [args.n // args.processes + (1 if i < args.n % args.processes else 0) for i in range(args.processes)]
    report_r, report_w = os.pipe()
    release_r, release_w = os.pipe()
    children = []
    for index, count in enumerate(per):
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            os.close(release_w)
            try:
                fleet_worker(args, index, count, report_w, release_r)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(report_w)
    os.close(release_r)
    reports = []
    with os.fdopen(report_r) as r:
        for _ in children:
            line = r.readline()
            if not line:
                break
            reports.append(line.split())
    ok = sum(int(x[0]) for x in reports)
    failed = sum(int(x[1]) for x in reports)
    elapsed = max(float(x[3]) for x in reports) - min(float(x[2]) for x in reports)
    time.sleep(2.0)  # let the broker settle (freed handshake buffers)
    after = rss_kib(args.pid)
    os.write(release_w, b"x" * len(children))
    os.close(release_w)
    for pid in children:
        os.waitpid(pid, 0)
    print("connections=%d failed=%d processes=%d seconds=%.2f handshakes_per_second=%.0f "
          "rss_before_kib=%d rss_after_kib=%d per_connection_bytes=%.0f"
          % (ok, failed, args.processes, elapsed, ok / elapsed if elapsed > 0 else 0, before, after,
             (after - before) * 1024.0 / ok if ok else 0))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("idle", "handshake", "fleet"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int)
    p.add_argument("--certs", required=True)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--processes", type=int, default=4, help="fleet: client processes")
    p.add_argument("--timeout", type=float, default=120.0, help="fleet: max seconds to open them")
    args = p.parse_args()
    if args.mode in ("idle", "fleet") and not args.pid:
        p.error("%s needs --pid" % args.mode)
    if args.mode == "idle":
        idle(args)
    elif args.mode == "fleet":
        fleet(args)
    else:
        handshake(args)


if __name__ == "__main__":
    main()
