#!/usr/bin/env python3
"""The resource watcher's load on the daemon (issue 12.3), before and after.

Starts a real supervisord with N running processes (`sleeper` and N-1 more from one
program with numprocs) for each N in --procs, then measures:

  - the daemon time of each call the watcher makes: `getAllProcessInfo` (the old
    watcher, every second; the new one, every 10 s or more while someone wants list
    changes) and a `system.multicall` with one `getProcessInfo` (the new watcher,
    every second, for one subscribed process): the daemon's CPU time (utime+stime
    from /proc) over --calls raw XML-RPC POSTs over the unix socket, less its idle
    rate, per call (CPU time, so other load on the machine barely changes it), and
    the median wall time of a call;
  - the daemon's CPU time (utime+stime from /proc) over --secs seconds: idle; while
    `getAllProcessInfo` is called once a second (the old watcher: a call, given up
    after 10 s as its client did, then a second's wait); and while the real
    `supervisord-mcp mcp` (--bin) serves a 2025-11-25 session subscribed to
    `supervisor://process/sleeper` (resources/subscribe over raw JSON-RPC on stdio;
    such a session also wants list changes, so this is the new watcher's worst case),
    measured after its first list poll: the steady state between two list polls
    (their cost, spread over `list_every_s`, is in `after_2025_ms_per_s`).

Per second, from the per-call CPU: before = one getAllProcessInfo; after, for a
2026-07-28 listen on one process = one probe; for a 2025-11-25 session = one probe
plus a getAllProcessInfo every list_every_s (10 s, or 20 times the call's wall
time, at most 300 s, as the watcher does; a call over the client's 10 s timeout
counts 10 s, and that share of the call's CPU).

Run: .venv/bin/python bench/watcher_load.py [--bin target/debug/supervisord-mcp]
     [--procs 310 3000] [--secs 30]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
TIMEOUT_MS = 10_000  # supervisord-mcp's default per-call timeout

ALL = "<?xml version='1.0'?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params/></methodCall>"
PROBE = (
    "<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>"
    "<value><struct><member><name>methodName</name><value><string>supervisor.getProcessInfo</string></value></member>"
    "<member><name>params</name><value><array><data><value><string>sleeper</string></value></data></array></value>"
    "</member></struct></value></data></array></value></param></params></methodCall>"
)


def call_cost(pid: int, sock: Path, body: str, n: int, idle_rate: float) -> tuple[float, float]:
    """The daemon's CPU ms per call (less its idle rate), and the median wall ms."""
    times = []
    cpu0, t0 = cpu_s(pid), time.monotonic()
    for _ in range(n):
        t = time.perf_counter()
        post(sock, body)
        times.append((time.perf_counter() - t) * 1000)
    used = cpu_s(pid) - cpu0 - idle_rate * (time.monotonic() - t0)
    return max(used, 0) * 1000 / n, statistics.median(times)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_during(pid: int, secs: float, work, settle: float = 1.5) -> float:
    """The daemon's CPU ms per second while `work(stop_event)` runs for `secs`,
    after `settle` seconds (the first look, the first list)."""
    stop = threading.Event()
    t = threading.Thread(target=work, args=(stop,), daemon=True)
    t.start()
    time.sleep(settle)
    before = cpu_s(pid)
    time.sleep(secs)
    used = cpu_s(pid) - before
    stop.set()
    t.join()
    return used * 1000 / secs


def idle(stop: threading.Event) -> None:
    stop.wait()


def old_watcher(sock: Path):
    def work(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                post(sock, ALL, TIMEOUT_MS / 1000)  # the old watcher's client gave up too
            except TimeoutError:
                pass
            stop.wait(1)

    return work


def new_watcher(binary: Path, sock: Path):
    def work(stop: threading.Event) -> None:
        p = subprocess.Popen(
            [str(binary), "-s", f"unix://{sock}", "mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert p.stdin and p.stdout

        def send(msg: dict) -> None:
            p.stdin.write((json.dumps(msg) + "\n").encode())
            p.stdin.flush()

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "watcher_load", "version": "0"}}})
        p.stdout.readline()
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe",
              "params": {"uri": "supervisor://process/sleeper"}})
        p.stdout.readline()
        stop.wait()
        p.stdin.close()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    return work


def start_daemon(d: Path, n: int) -> tuple[subprocess.Popen, Path]:
    sock = d / "s.sock"
    (d / "s.conf").write_text(
        "[unix_http_server]\nfile=%(here)s/s.sock\n"
        "[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nminfds=20000\nnodaemon=true\n"
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n"
        "[program:sleeper]\ncommand=sleep 100000\nstartsecs=0\nstdout_logfile=%(here)s/sleeper.log\n"
        f"[program:p]\ncommand=sleep 100000\nprocess_name=%(program_name)s_%(process_num)04d\nnumprocs={n - 1}\n"
        "startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
    )
    daemon = subprocess.Popen([str(SUPERVISORD), "-c", str(d / "s.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if post(sock, ALL).count(b"<string>RUNNING</string>") >= n:
                return daemon, sock
        except OSError:
            pass
        time.sleep(2)
    daemon.terminate()
    daemon.wait()
    sys.exit(f"supervisord did not run {n} processes within 600 s")


def measure(binary: Path, n: int, secs: float, calls: int) -> dict:
    d = Path(tempfile.mkdtemp(prefix="watcher_load_"))
    daemon, sock = start_daemon(d, n)
    try:
        idle_ms = cpu_during(daemon.pid, secs, idle)
        all_cpu, all_wall = call_cost(daemon.pid, sock, ALL, calls, idle_ms / 1000)
        probe_cpu, probe_wall = call_cost(daemon.pid, sock, PROBE, calls * 10, idle_ms / 1000)
        # The watcher's client gives up after 10 s (the default timeout), and so does
        # the daemon's work on the reply: a longer call costs the list poll 10 s of it.
        list_wall = min(all_wall, TIMEOUT_MS)
        list_cpu = all_cpu * list_wall / all_wall
        list_every = min(max(10.0, list_wall * 20 / 1000), 300.0)
        return {
            "processes": n,
            "getAllProcessInfo_cpu_ms": round(all_cpu, 2),
            "getAllProcessInfo_wall_ms": round(all_wall, 1),
            "probe_cpu_ms": round(probe_cpu, 2),
            "probe_wall_ms": round(probe_wall, 1),
            "list_every_s": round(list_every, 1),
            "before_ms_per_s": round(all_cpu, 2),
            "after_2025_ms_per_s": round(probe_cpu + list_cpu / list_every, 2),
            "after_2026_ms_per_s": round(probe_cpu, 2),
            "cpu_idle_ms_per_s": round(idle_ms, 2),
            "cpu_old_ms_per_s": round(cpu_during(daemon.pid, secs, old_watcher(sock)), 2),
            "cpu_new_ms_per_s": round(cpu_during(daemon.pid, secs, new_watcher(binary, sock), 2 * all_wall / 1000 + 3), 2),
        }
    finally:
        daemon.terminate()
        try:
            daemon.wait(120)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", type=Path, default=ROOT / "target/debug/supervisord-mcp")
    ap.add_argument("--procs", type=int, nargs="+", default=[310, 3000])
    ap.add_argument("--secs", type=float, default=30)
    ap.add_argument("--calls", type=int, default=20)
    a = ap.parse_args()
    rows = [measure(a.bin, n, a.secs, a.calls) for n in a.procs]
    keys = list(rows[0])
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(str(r[k]) for k in keys))


if __name__ == "__main__":
    main()
