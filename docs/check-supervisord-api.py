#!/usr/bin/env python3
"""Checks, against a real supervisord, each daemon behaviour docs/supervisord-api.md
says this project relies on. Starts its own supervisord (from .venv: scripts/setup.sh)
in a temp dir, speaks raw HTTP and XML-RPC to its unix socket, prints one line per
claim (ok / DIFFERS), stops the daemon and every process it started, and exits 1 if
any claim differs.

  .venv/bin/python docs/check-supervisord-api.py
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GiB = 1 << 30
results: list[bool] = []


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def value(v) -> str:
    if isinstance(v, bool):
        return f"<boolean>{int(v)}</boolean>"
    if isinstance(v, int):
        return f"<int>{v}</int>"  # also past 2**31: the daemon parses it with int()
    if isinstance(v, list):
        return "<array><data>" + "".join(f"<value>{value(x)}</value>" for x in v) + "</data></array>"
    if isinstance(v, dict):
        return "<struct>" + "".join(f"<member><name>{k}</name><value>{value(x)}</value></member>" for k, x in v.items()) + "</struct>"
    if v.startswith("<"):  # a literal typed value
        return v
    return f"<string>{xmlrpc.client.escape(v)}</string>"


def raw_call(sock: str, method: str, *params) -> tuple[int, bytes]:
    body = (f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>"
            + "".join(f"<param><value>{value(p)}</value></param>" for p in params)
            + "</params></methodCall>").encode()
    c = UnixHTTP(sock)
    c.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def call(sock: str, method: str, *params):
    """The decoded result, or ('FAULT', code, string)."""
    status, data = raw_call(sock, method, *params)
    assert status == 200, (method, status, data[:200])
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as f:
        return ("FAULT", f.faultCode, f.faultString)


def claim(text: str, holds: bool, seen=None) -> None:
    results.append(bool(holds))
    print(f"{'ok     ' if holds else 'DIFFERS'} {text}" + ("" if holds else f"   (seen: {seen!r})"))


CONF = """[unix_http_server]
file=%(here)s/s.sock
[supervisord]
logfile=%(here)s/d.log
pidfile=%(here)s/d.pid
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface
[include]
files=%(here)s/conf.d/*.conf
[program:colors]
command=sh -c 'printf "\\033[31mred\\033[0m nul:\\000 cr:\\r end\\n"; exec sleep 100000'
stdout_logfile=%(here)s/colors.log
[program:utf8]
command=sh -c 'printf "\\303\\251t\\303\\251\\n"; exec sleep 100000'
stdout_logfile=%(here)s/utf8.log
[program:binary]
command=sh -c 'printf "a\\377b\\n"; exec sleep 100000'
stdout_logfile=%(here)s/binary.log
[program:grow]
command=sleep 100000
stdout_logfile=%(here)s/grow.log
[program:big]
command=sleep 100000
stdout_logfile=%(here)s/big.log
stdout_logfile_maxbytes=0
[program:slow]
command=sleep 100000
autostart=false
startsecs=2
[program:stubborn]
command=sh -c 'trap "" TERM; while true; do sleep 0.2; done'
autostart=false
startsecs=0
stopwaitsecs=2
"""


def checks(tmp: Path, sock: str) -> None:
    # Faults: HTTP 200 with a <fault>; NAME or NAME: detail.
    claim("a fault is HTTP 200, faultString 'BAD_NAME: nope'", call(sock, "supervisor.getProcessInfo", "nope") == ("FAULT", 10, "BAD_NAME: nope"))
    claim("getProcessInfo('grp:*') is BAD_NAME", call(sock, "supervisor.getProcessInfo", "grow:*")[:2] == ("FAULT", 10))
    # Control characters go out raw: not XML 1.0.
    status, data = raw_call(sock, "supervisor.readProcessStdoutLog", "colors", 0, 0)
    claim("ESC, NUL and CR are sent raw inside <string>", b"\x1b[31m" in data and b"\x00" in data and b"\r" in data, data[-120:])
    try:
        xmlrpc.client.loads(data)
        parsed = True
    except Exception:
        parsed = False
    claim("... so a conforming XML parser rejects the reply", not parsed)
    # Strict UTF-8: HTTP 500 for a window that splits a character, or a byte that is not UTF-8.
    claim("a read window that splits a character is HTTP 500", raw_call(sock, "supervisor.readProcessStdoutLog", "utf8", 1, 3)[0] == 500)
    claim("a whole-character window reads fine", call(sock, "supervisor.readProcessStdoutLog", "utf8", 0, 2) == "é")
    claim("a log with a non-UTF-8 byte is HTTP 500", raw_call(sock, "supervisor.readProcessStdoutLog", "binary", 0, 0)[0] == 500)
    claim("read(-N, 0) is the last N bytes", call(sock, "supervisor.readProcessStdoutLog", "utf8", -3, 0) == "é\n")
    claim("read(-N, L != 0) is BAD_ARGUMENTS", call(sock, "supervisor.readProcessStdoutLog", "utf8", -3, 1)[:2] == ("FAULT", 3))
    claim("read past the end is ''", call(sock, "supervisor.readProcessStdoutLog", "utf8", 100, 10) == "")
    # tailProcess*Log: [bytes, size, overflow]; not "what is new since offset".
    grow = tmp / "grow.log"
    grow.write_bytes(b"0123456789" * 10)
    t = call(sock, "supervisor.tailProcessStdoutLog", "grow", 0, 0)
    claim("tail(0, 0) is a size probe: ['', size, True]", t == ["", 100, True], t)
    with open(grow, "ab") as f:
        f.write(b"abcdefg")
    t = call(sock, "supervisor.tailProcessStdoutLog", "grow", 100, 50)
    claim("tail(old size, 50) after 7 new bytes gives the last 50 bytes, not the 7", t == [("0123456789" * 10 + "abcdefg")[-50:], 107, False], t)
    t = call(sock, "supervisor.tailProcessStdoutLog", "grow", 0, 10)
    claim("tail(0, 10) of a larger log: the last 10 bytes, overflow True", t == ["789abcdefg", 107, True], t)
    t = call(sock, "supervisor.tailProcessStdoutLog", "grow", 500, 10)
    claim("tail past the end (truncated log): ['', size, False]", t == ["", 107, False], t)
    # Over 2 GiB: tail cannot express the size; read with a large offset works.
    with open(tmp / "big.log", "r+b") as f:
        f.truncate(3 * GiB)
        f.seek(3 * GiB)
        f.write(b"the end\n")
    claim("tail of a log over 2 GiB is HTTP 500", raw_call(sock, "supervisor.tailProcessStdoutLog", "big", 0, 0)[0] == 500)
    claim("read at an offset over 2 GiB works", call(sock, "supervisor.readProcessStdoutLog", "big", 3 * GiB, 100) == "the end\n")
    # multicall: results unwrapped, faults as {faultCode, faultString} structs.
    m = call(sock, "system.multicall", [{"methodName": "supervisor.getAPIVersion", "params": []},
                                        {"methodName": "supervisor.getProcessInfo", "params": ["nope"]}])
    claim("multicall results are not wrapped in one-element arrays", m[0] == "3.0", m)
    claim("a multicall fault is a {faultCode, faultString} struct", m[1] == {"faultCode": 10, "faultString": "BAD_NAME: nope"}, m)
    # reloadConfig: nested one level deeper than documented; applies nothing.
    (tmp / "conf.d" / "extra.conf").write_text("[program:extra]\ncommand=sleep 100000\nautostart=false\n")
    r = call(sock, "supervisor.reloadConfig")
    claim("reloadConfig answers [[added, changed, removed]]", r == [[["extra"], [], []]], r)
    claim("... and applies nothing", call(sock, "supervisor.getProcessInfo", "extra")[:2] == ("FAULT", 10))
    claim("addProcessGroup applies one group", call(sock, "supervisor.addProcessGroup", "extra") is True)
    claim("addProcessGroup again is ALREADY_ADDED", call(sock, "supervisor.addProcessGroup", "extra")[:2] == ("FAULT", 90))
    # Deferred calls: the reply comes when the operation is done.
    t0 = time.monotonic()
    call(sock, "supervisor.startProcess", "slow", True)
    took = time.monotonic() - t0
    claim("startProcess(wait) answers after startsecs (2 s)", took >= 1.9, took)
    claim("startProcess on a running process is ALREADY_STARTED", call(sock, "supervisor.startProcess", "slow", True)[:2] == ("FAULT", 60))
    claim("removeProcessGroup of a running group is STILL_RUNNING", call(sock, "supervisor.removeProcessGroup", "slow")[:2] == ("FAULT", 91))
    claim("stopProcess(wait) returns true", call(sock, "supervisor.stopProcess", "slow", True) is True)
    claim("stopProcess on a stopped process is NOT_RUNNING", call(sock, "supervisor.stopProcess", "slow", True)[:2] == ("FAULT", 70))
    t0 = time.monotonic()
    call(sock, "supervisor.startProcess", "slow", "<boolean>true</boolean>")
    took = time.monotonic() - t0
    claim("<boolean>true</boolean> is false (only 1 is true): no wait", took < 1.5, took)
    call(sock, "supervisor.stopProcess", "slow", True)
    # A STOPPING process is not started: a fault with wait (an HTTP 500 when its pid
    # is already gone), and it ends STOPPED.
    call(sock, "supervisor.startProcess", "stubborn", True)
    time.sleep(0.5)  # its shell has set its trap
    call(sock, "supervisor.stopProcess", "stubborn", False)
    state = call(sock, "supervisor.getProcessInfo", "stubborn")["statename"]
    st, data = raw_call(sock, "supervisor.startProcess", "stubborn", True)
    refused = st == 500 or b"ABNORMAL_TERMINATION" in data
    time.sleep(2.5)  # stopwaitsecs=2, then SIGKILL
    after = call(sock, "supervisor.getProcessInfo", "stubborn")["statename"]
    claim("startProcess on a STOPPING process fails and does not start it", state == "STOPPING" and refused and after == "STOPPED", (state, st, after))
    # /logtail: HTTP/1.1 chunked, starting with the last 1024 bytes.
    grow.write_bytes(b"x" * 3000 + b"\n")
    c = UnixHTTP(sock)
    c.request("GET", "/logtail/grow/stdout")
    r = c.getresponse()
    chunked = r.getheader("Transfer-Encoding") == "chunked"
    c.sock.settimeout(5)
    first = r.read1(65536)
    c.close()
    claim("/logtail over HTTP/1.1 is chunked", chunked)
    claim("/logtail starts with the last 1024 bytes", len(first) == 1024, len(first))
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"GET /logtail/grow/stdout HTTP/1.0\r\n\r\n")
    s.settimeout(1.5)
    try:
        got = s.recv(65536)
    except socket.timeout:
        got = b""
    s.close()
    claim("/logtail over HTTP/1.0 sends nothing, not even headers, before 64 KiB", got == b"", got[:80])
    info = call(sock, "supervisor.getAllConfigInfo")
    claim("getAllConfigInfo has no autorestart field (4.3.0)", all("autorestart" not in c for c in info), sorted(info[0]))
    # Shutdown: every supervisor.* call is then SHUTDOWN_STATE.
    call(sock, "supervisor.shutdown")
    claim("after shutdown, supervisor.* calls are SHUTDOWN_STATE", call(sock, "supervisor.getState")[:2] == ("FAULT", 6))


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def started_by(sock: str) -> list[int]:
    marker = f"SUPERVISOR_SERVER_URL=unix://{sock}".encode()
    pids = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and marker in (p / "environ").read_bytes().split(b"\0"):
                pids.append(int(p.name))
        except OSError:
            pass
    return pids


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="check-supervisord-api-"))
    (tmp / "conf.d").mkdir()
    (tmp / "s.conf").write_text(CONF)
    sock = str(tmp / "s.sock")
    version = subprocess.run([str(ROOT / ".venv/bin/supervisord"), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"supervisord {version}")
    daemon = subprocess.Popen([str(ROOT / ".venv/bin/supervisord"), "-c", str(tmp / "s.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(1.5)  # the autostart programs have written their first line
        checks(tmp, sock)
    finally:
        daemon.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        for pid in started_by(sock):
            kill(pid)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        for pid in started_by(sock):
            kill(pid)
        subprocess.run(["rm", "-rf", str(tmp)])
    print(f"{results.count(True)} hold, {results.count(False)} differ")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
