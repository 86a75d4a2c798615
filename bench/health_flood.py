#!/usr/bin/env python3
"""What a flood of unauthenticated `/health` requests costs the daemon behind the HTTP
bridge: starts a supervisord (10 programs) and `supervisord-mcp mcp --http`, then
CLIENTS keep-alive connections ask `GET /health` as fast as they can for SECS
seconds. Prints the daemon's CPU seconds over the flood, the requests answered, and
the median time of our `status` (straight to the daemon's socket) before and during.

  bench/health_flood.py [--bin target/debug/supervisord-mcp] [--clients 200] [--secs 12]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPERVISORD = ROOT / ".venv/bin/supervisord"
TICK = os.sysconf("SC_CLK_TCK")
TOKEN = secrets.token_hex(32)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, cond, secs: float = 30) -> None:
    deadline = time.monotonic() + secs
    while not cond():
        if time.monotonic() > deadline:
            sys.exit(f"health_flood: {what} not within {secs} s")
        time.sleep(0.05)


def start_daemon(d: Path) -> tuple[subprocess.Popen, Path]:
    sock = d / "s.sock"
    (d / "s.conf").write_text(
        "[unix_http_server]\nfile=%(here)s/s.sock\n"
        "[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nnodaemon=true\n"
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n"
        "[program:p]\ncommand=sleep 100000\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=10\n"
        "startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
    )
    daemon = subprocess.Popen([str(SUPERVISORD), "-c", str(d / "s.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for("supervisord's socket", sock.exists)
    return daemon, sock


def status_ms(binary: Path, sock: Path, n: int = 9) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([str(binary), "-s", f"unix://{sock}", "status"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


async def client(port: int, until: float, counts: list[int]) -> None:
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        while time.monotonic() < until:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            counts[0] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def flood(port: int, clients: int, secs: float) -> int:
    counts = [0]
    until = time.monotonic() + secs
    await asyncio.gather(*(client(port, until, counts) for _ in range(clients)))
    return counts[0]


def measure(binary: Path, clients: int, secs: float) -> dict:
    d = Path(tempfile.mkdtemp(prefix="health_flood_"))
    daemon, sock = start_daemon(d)
    port = free_port()
    env = dict(os.environ, SUPERVISORD_MCP_TOKEN=TOKEN, XDG_CACHE_HOME=str(d / "cache"))
    bridge = subprocess.Popen([str(binary), "-s", f"unix://{sock}", "mcp", "--http", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for("the bridge", up)
        idle_ms = status_ms(binary, sock)
        during: list[float] = []
        probe = threading.Thread(target=lambda: (time.sleep(secs / 3), during.append(status_ms(binary, sock))))
        before = cpu_s(daemon.pid)
        started = time.monotonic()
        probe.start()
        answered = asyncio.run(flood(port, clients, secs))
        probe.join()
        elapsed = time.monotonic() - started
        return {
            "clients": clients,
            "secs": round(elapsed, 1),
            "health_answers": answered,
            "daemon_cpu_s": round(cpu_s(daemon.pid) - before, 2),
            "status_ms_idle": round(idle_ms, 1),
            "status_ms_during": round(during[0], 1) if during else None,
        }
    finally:
        for p in (bridge, daemon):
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", type=Path, default=ROOT / "target/debug/supervisord-mcp")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--secs", type=float, default=12)
    a = ap.parse_args()
    if not SUPERVISORD.exists():
        sys.exit("health_flood: no supervisord in .venv: run scripts/setup.sh")
    row = measure(a.bin, a.clients, a.secs)
    print(" | ".join(row))
    print(" | ".join(str(v) for v in row.values()))


if __name__ == "__main__":
    main()
