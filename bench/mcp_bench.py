#!/usr/bin/env python3
"""Figures for the MCP server (issue 3), measured against a real supervisord it starts.

Prints a table and writes JSON (--json). Measures, with raw JSON-RPC over the
server's stdio pipes (no SDK overhead):
  - spawn to the first tools/list answer (median of --spawns runs);
  - per-call latency of the main tools, beside the XML-RPC round trip of the same
    data over the same unix socket (the floor);
  - the server's resident memory after the calls;
  - tokens (o200k, tiktoken, through tests/py/tokens.py) of what the model sees:
    the tools/list, the status text for 10 and 310 processes, 20 log lines against
    the same 20 raw lines.
It stops its daemon and every process that daemon started before it exits.

Run: .venv/bin/python bench/mcp_bench.py [--bin target/release/supervisord-mcp]
(scripts/setup.sh --test installs what it needs; build with cargo build --release).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "py"))
from tokens import count as tokens  # noqa: E402
from benchlib import post, tool_text  # noqa: E402


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_daemon(tmp: Path, port: int) -> subprocess.Popen:
    progs = "".join(
        f"[program:p{i:02d}]\ncommand=sleep 100000\nstdout_logfile=%(here)s/p{i:02d}.log\nstderr_logfile=%(here)s/p{i:02d}.err\n\n"
        for i in range(9)
    ) + ("[program:crasher]\ncommand=sh -c 'echo \"crasher: fatal error, config missing\" >&2; exit 3'\n"
         "startretries=1\nstdout_logfile=%(here)s/crasher.log\nstderr_logfile=%(here)s/crasher.err\n\n")
    (tmp / "conf.d").mkdir()
    conf = tmp / "supervisord.conf"
    conf.write_text(
        f"[unix_http_server]\nfile=%(here)s/s.sock\n\n[inet_http_server]\nport=127.0.0.1:{port}\n\n"
        "[supervisord]\nlogfile=%(here)s/d.log\n"
        "pidfile=%(here)s/d.pid\nnodaemon=true\n\n[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n\n"
        "[include]\nfiles=%(here)s/conf.d/*.conf\n\n" + progs
    )
    sup = ROOT / ".venv" / "bin" / "supervisord"
    p = subprocess.Popen([str(sup), "-c", str(conf)], stdin=subprocess.DEVNULL,
                         stdout=open(tmp / "supervisord.out", "w"), stderr=subprocess.STDOUT)
    for _ in range(200):
        if (tmp / "s.sock").exists():
            break
        time.sleep(0.05)
    time.sleep(1.5)  # autostart programs reach RUNNING (startsecs=1)
    return p


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def started_by(sock: str) -> list[int]:
    """Every live process whose environment names the daemon's socket: supervisord sets
    SUPERVISOR_SERVER_URL for each program, and their children inherit it."""
    marker = f"SUPERVISOR_SERVER_URL=unix://{sock}".encode()
    found = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and marker in (p / "environ").read_bytes().split(b"\0"):
                found.append(int(p.name))
        except OSError:
            pass
    return found


def stop_daemon(daemon: subprocess.Popen, sock: str) -> None:
    """Stops the daemon and every process it started. supervisord's own shutdown stops
    one group per one-second tick (minutes with 310 groups), and a kill before it ends
    orphans the programs still running. Once it has taken the TERM in (a moment) it
    restarts nothing, so its programs are killed at once, then swept once more."""
    daemon.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    for pid in started_by(sock):
        kill(pid)
    try:
        daemon.wait(timeout=20)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
    for pid in started_by(sock):
        kill(pid)


def multicall_body(methods: list[str]) -> bytes:
    calls = "".join(
        f"<value><struct><member><name>methodName</name><value><string>{m}</string></value></member>"
        f"<member><name>params</name><value><array><data></data></array></value></member></struct></value>"
        for m in methods
    )
    return (f"<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params><param>"
            f"<value><array><data>{calls}</data></array></value></param></params></methodCall>").encode()


class Session:
    """An MCP session over the server's pipes, raw JSON-RPC."""

    def __init__(self, cmd: list[str]):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.id = 0
        self.calls = 0
        self.non_json_lines = 0

    def send(self, msg: dict) -> None:
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def request(self, method: str, params: dict | None = None) -> dict:
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params or {}})
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("server closed stdout")
            try:
                msg = json.loads(line)
            except ValueError:
                self.non_json_lines += 1  # the Python peer logs to stdout
                continue
            if msg.get("id") == self.id:
                return msg

    def initialize(self) -> dict:
        r = self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                        "clientInfo": {"name": "mcp_bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    def call(self, tool: str, args: dict) -> dict:
        self.calls += 1
        return self.request("tools/call", {"name": tool, "arguments": args})["result"]

    def rss_kb(self) -> tuple[int, int]:
        status = Path(f"/proc/{self.p.pid}/status").read_text()
        get = lambda k: int(next(l for l in status.splitlines() if l.startswith(k)).split()[1])
        return get("VmRSS:"), get("VmHWM:")

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait(timeout=10)


def timed(fn, n: int) -> dict:
    fn()
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 3), "min_ms": round(min(times), 3), "n": n}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "supervisord-mcp"))
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--spawns", type=int, default=20)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--peer", help="also measure the Python supervisord-mcp at this path (needs mcp<2)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mcp-bench-"))
    port = free_port()
    daemon = start_daemon(tmp, port)
    sock = str(tmp / "s.sock")
    cmd = [a.bin, "-s", f"unix://{sock}", "mcp"]
    fig: dict = {"binary": a.bin}
    try:
        # Spawn to first tools/list.
        spawn = []
        for _ in range(a.spawns):
            t = time.perf_counter()
            s = Session(cmd)
            s.initialize()
            tl = s.request("tools/list")
            spawn.append((time.perf_counter() - t) * 1000)
            s.close()
        fig["spawn_to_tools_list_ms"] = round(statistics.median(spawn), 2)
        tools_json = json.dumps(tl["result"], separators=(",", ":"))
        fig["tools_list_bytes"] = len(tools_json)
        fig["tools_list_tokens"] = tokens(tools_json)

        # A realistic log: 20 lines of a web server.
        raw20 = "".join(f"2026-11-21 06:12:{i:02d},123 INFO request {1000 + i} GET /api/items?page={i} served in {i % 7} ms\n"
                        for i in range(20))
        with open(tmp / "p00.log", "a") as f:
            f.write(raw20)

        s = Session(cmd)
        s.initialize()
        floor_status = multicall_body(["supervisor.getAPIVersion", "supervisor.getSupervisorVersion",
                                       "supervisor.getIdentification", "supervisor.getState", "supervisor.getPID",
                                       "supervisor.getAllProcessInfo"])
        fig["xmlrpc_status_multicall_ms"] = timed(lambda: post(sock, floor_status), a.calls)
        fig["mcp_status_10_ms"] = timed(lambda: s.call("status", {}), a.calls)
        fig["mcp_status_one_ms"] = timed(lambda: s.call("status", {"names": ["p00"]}), a.calls)
        fig["mcp_logs_20_ms"] = timed(lambda: s.call("logs", {"name": "p00", "lines": 20}), a.calls)
        fig["mcp_logs_cursor_ms"] = timed(lambda: s.call("logs", {"name": "p00", "cursor": 0, "lines": 5}), a.calls)
        fig["status_10_tokens"] = tokens(tool_text(s.call("status", {})))  # 9 programs + crasher = 10
        logs_text = tool_text(s.call("logs", {"name": "p00", "lines": 20}))
        fig["logs_20_tokens"] = tokens(logs_text)
        fig["raw_20_lines_tokens"] = tokens(raw20)
        diag = s.call("diagnose", {"name": "crasher"})
        fig["diagnose_crasher_tokens"] = tokens(tool_text(diag))
        fig["diagnose_crasher_text"] = tool_text(diag)
        fig["server_rss_kb"], fig["server_hwm_kb"] = s.rss_kb()
        fig["calls_before_rss"] = s.calls

        if a.peer:
            peer_cmd = [a.peer, "--server-url", f"http://127.0.0.1:{port}/RPC2", "mcp"]
            spawn = []
            for _ in range(5):
                t = time.perf_counter()
                ps = Session(peer_cmd)
                ps.initialize()
                ptl = ps.request("tools/list")
                spawn.append((time.perf_counter() - t) * 1000)
                ps.close()
            fig["peer_spawn_to_tools_list_ms"] = round(statistics.median(spawn), 1)
            fig["peer_tools_list_tokens"] = tokens(json.dumps(ptl["result"], separators=(",", ":")))
            ps = Session(peer_cmd)
            ps.initialize()
            fig["peer_list_10_ms"] = timed(lambda: ps.call("list_processes", {}), 20)
            fig["peer_status_one_ms"] = timed(lambda: ps.call("get_process_status", {"name": "p00"}), 20)
            fig["peer_logs_20_ms"] = timed(lambda: ps.call("get_logs", {"name": "p00", "lines": 20}), 20)
            fig["peer_list_10_tokens"] = tokens(tool_text(ps.call("list_processes", {})))
            fig["peer_rss_kb"], _ = ps.rss_kb()
            fig["peer_non_json_stdout_lines"] = ps.non_json_lines
            ps.close()

        # 300 more programs, added through the reload tool (as the baseline did with update).
        (tmp / "conf.d" / "scale.conf").write_text("".join(
            f"[program:scale_{i:03d}]\ncommand=sleep 100000\nautostart=false\n\n" for i in range(300)))
        s.call("reload", {})
        st = s.call("status", {})
        fig["status_310_total"] = st["structuredContent"]["total"]
        fig["status_310_tokens"] = tokens(tool_text(st))
        fig["mcp_status_310_ms"] = timed(lambda: s.call("status", {}), 20)
        fig["xmlrpc_status_310_multicall_ms"] = timed(lambda: post(sock, floor_status), 20)
        fig["status_310_stopped_filter_tokens"] = tokens(tool_text(s.call("status", {"state": ["FATAL", "BACKOFF"]})))
        fig["server_rss_310_kb"], fig["server_hwm_310_kb"] = s.rss_kb()
        s.close()
    finally:
        stop_daemon(daemon, sock)
        shutil.rmtree(tmp, ignore_errors=True)

    m = lambda k: fig[k]["median_ms"]
    rows = [
        ("spawn to first tools/list", f"{fig['spawn_to_tools_list_ms']} ms", "317 ms", "< 20 ms"),
        ("tools/list", f"{fig['tools_list_tokens']} tokens ({fig['tools_list_bytes']} B)", "446 tokens (9 tools)", "<= 2,000 (agent tools)"),
        ("status, 10 processes", f"{m('mcp_status_10_ms')} ms", "48 ms", "< 3 ms"),
        ("  XML-RPC floor (same multicall)", f"{m('xmlrpc_status_multicall_ms')} ms", "", ""),
        ("  above the floor", f"{m('mcp_status_10_ms') - m('xmlrpc_status_multicall_ms'):.3f} ms", "", "< 1 ms"),
        ("status, one process", f"{m('mcp_status_one_ms')} ms", "3.5 ms", ""),
        ("logs, 20 lines", f"{m('mcp_logs_20_ms')} ms", "3.5 ms (20 bytes)", ""),
        ("logs, cursor", f"{m('mcp_logs_cursor_ms')} ms", "n/a", ""),
        ("status text, 10 processes", f"{fig['status_10_tokens']} tokens", "240 tokens", "<= 120"),
        ("status text, 310 processes (default)", f"{fig['status_310_tokens']} tokens", "3,517 tokens", "<= 1,200"),
        ("status, 310, state filter FATAL/BACKOFF", f"{fig['status_310_stopped_filter_tokens']} tokens", "n/a", ""),
        ("status, 310 processes", f"{m('mcp_status_310_ms')} ms (floor {m('xmlrpc_status_310_multicall_ms')} ms)", "73 ms", ""),
        ("diagnose, program crashing on start", f"{fig['diagnose_crasher_tokens']} tokens, 1 call", "5 calls", "<= 400 tokens"),
        ("logs text, 20 lines", f"{fig['logs_20_tokens']} tokens (raw: {fig['raw_20_lines_tokens']})", "14 tokens (20 bytes)", "<= raw + 10%"),
        ("resident memory", f"{fig['server_rss_kb'] / 1024:.1f} MB (310 processes: {fig['server_rss_310_kb'] / 1024:.1f} MB)", "55 MB", "< 15 MB"),
    ]
    if a.peer:
        mp = lambda k: fig[k]["median_ms"]
        peer = {
            "spawn to first tools/list": f"{fig['peer_spawn_to_tools_list_ms']} ms",
            "tools/list": f"{fig['peer_tools_list_tokens']} tokens",
            "status, 10 processes": f"{mp('peer_list_10_ms')} ms (list_processes)",
            "status, one process": f"{mp('peer_status_one_ms')} ms",
            "logs, 20 lines": f"{mp('peer_logs_20_ms')} ms (20 bytes)",
            "status text, 10 processes": f"{fig['peer_list_10_tokens']} tokens",
            "resident memory": f"{fig['peer_rss_kb'] / 1024:.1f} MB",
        }
        rows = [(r[0], r[1], peer.get(r[0], r[2]) + (" (this run)" if r[0] in peer else ""), r[3]) for r in rows]
    w = max(len(r[0]) for r in rows)
    print(f"{'figure':<{w}}  {'supervisord-mcp':<42} {'Python peer':<36} target")
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:<42} {r[2]:<36} {r[3]}")
    if a.json:
        Path(a.json).write_text(json.dumps(fig, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
