#!/usr/bin/env python3
"""Latency of a state change to its MCP notification, with and without the journal
(issue 19.4).

Starts a real supervisord (unix socket and loopback HTTP) with one program,
`sleeper`, and for each mode serves `supervisord-mcp mcp` on stdio to a raw JSON-RPC
client (2025-11-25 session) subscribed to `supervisor://process/sleeper`:

  - poll:          no journal: the watch engine looks once a second;
  - journal-local: the journal installed (`events install`), read from its file on
                   this host (an fstat every 0.1 s);
  - journal-http:  the same daemon over HTTP with --no-host-access, as a remote one
                   would be: the journal followed on the daemon's /logtail stream.

Each change is a `stopProcess(sleeper, wait=false)` or `startProcess(sleeper,
wait=false)` sent over the unix socket at a random moment (supervisord changes the
state before it answers); its latency is from just before the call is sent to the
first `notifications/resources/updated` after it. After each notification the
client waits 1.5 s for stragglers (STOPPING -> STOPPED) before the next change.
Prints p50, p99 and max per mode, and the daemon's CPU (utime+stime from /proc) over
each mode's run.

Run: .venv/bin/python bench/journal_latency.py [--bin target/debug/supervisord-mcp] [--changes 40]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import post  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUPERVISORD = ROOT / ".venv/bin/supervisord"
TICK = os.sysconf("SC_CLK_TCK")


def call(method: str, *params: str | bool) -> str:
    args = "".join(
        f"<param><value><boolean>{int(p)}</boolean></value></param>" if isinstance(p, bool)
        else f"<param><value><string>{p}</string></value></param>"
        for p in params
    )
    return f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>{args}</params></methodCall>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


class Session:
    """`supervisord-mcp mcp` on stdio, subscribed to the sleeper; notification times."""

    def __init__(self, args: list[str]):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "journal_latency", "version": "0"}}})
        self.p.stdout.readline()
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.send({"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe",
                   "params": {"uri": "supervisor://process/sleeper"}})
        threading.Thread(target=self.read, daemon=True).start()

    def send(self, msg: dict) -> None:
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def read(self) -> None:
        for line in self.p.stdout:
            if b"notifications/resources/updated" in line:
                with self.lock:
                    self.times.append(time.monotonic())

    def first_after(self, t0: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                after = [t for t in self.times if t >= t0]
            if after:
                return after[0]
            time.sleep(0.002)
        return None

    def close(self) -> None:
        self.p.stdin.close()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()


def run_mode(name: str, args: list[str], sock: Path, daemon_pid: int, changes: int) -> dict:
    s = Session(args)
    time.sleep(3)  # subscribed, first look taken, the journal (if any) followed
    lat: list[float] = []
    c0, w0 = cpu(daemon_pid), time.monotonic()
    for i in range(changes):
        time.sleep(random.uniform(0.2, 1.2))
        method = "supervisor.stopProcess" if i % 2 == 0 else "supervisor.startProcess"
        t0 = time.monotonic()
        post(sock, call(method, "sleeper", False))
        got = s.first_after(t0, 5)
        if got is not None:
            lat.append(got - t0)
        time.sleep(1.5)
    c1, w1 = cpu(daemon_pid), time.monotonic()
    s.close()
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000)  # noqa: E731
    return {"mode": name, "changes": changes, "notified": len(lat), "p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "max_ms": round(lat[-1] * 1000) if lat else None,
            "daemon_cpu_pct": round(100 * (c1 - c0) / (w1 - w0), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "target/debug/supervisord-mcp"))
    ap.add_argument("--changes", type=int, default=40)
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="journal_latency_"))
    port = free_port()
    (d / "conf.d").mkdir()
    (d / "s.conf").write_text(
        f"[unix_http_server]\nfile=%(here)s/s.sock\n[inet_http_server]\nport=127.0.0.1:{port}\n"
        "[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nnodaemon=true\n"
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n"
        "[include]\nfiles=%(here)s/conf.d/*.conf\n"
        "[program:sleeper]\ncommand=sleep 100000\nstartsecs=0\nstdout_logfile=%(here)s/sleeper.log\n"
    )
    sock = d / "s.sock"
    daemon = subprocess.Popen([str(SUPERVISORD), "-c", str(d / "s.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if time.monotonic() > deadline:
                sys.exit("supervisord did not start")
            time.sleep(0.1)
        time.sleep(1)
        unix = [a.bin, "-s", f"unix://{sock}", "mcp"]
        http = [a.bin, "-s", f"http://127.0.0.1:{port}", "--no-host-access", "mcp"]
        results = [run_mode("poll", unix, sock, daemon.pid, a.changes)]
        subprocess.run([a.bin, "-s", f"unix://{sock}", "events", "install"], check=True, stdout=subprocess.DEVNULL)
        results.append(run_mode("journal-local", unix, sock, daemon.pid, a.changes))
        results.append(run_mode("journal-http", http, sock, daemon.pid, a.changes))
        for r in results:
            print(json.dumps(r))
    finally:
        daemon.terminate()
        daemon.wait(30)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
