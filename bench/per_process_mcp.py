#!/usr/bin/env python3
"""Per-call latency of the per-process MCP tools, in one long-lived session, against
the floor of the same XML-RPC calls from the same Python process (issue #12.4).

For each row, three medians (ms):
  - sdk: `session.call_tool` with the official MCP Python SDK (`mcp` package), the
    server spawned as `BIN mcp -s unix://SOCK` over stdio (what an agent's client pays,
    the SDK's own JSON-RPC, pydantic and outputSchema checks included);
  - raw: the same call as one raw JSON-RPC line over the server's pipes (the server's
    own share: read, call the daemon, render, write);
  - floor: the XML-RPC call(s) a minimal client needs for the same answer, over one
    persistent HTTP/1.1 connection to the daemon's unix socket (http.client), each
    reply decoded (xmlrpc.client).

Run by bench/compare.sh (per-process section), against a daemon it started:
  .venv/bin/python bench/per_process_mcp.py --bin target/release/supervisord-mcp \\
      --sock /tmp/x/s.sock [--calls 200] [--json out.json]
Prints one JSON object (rows -> medians) on stdout, or writes it to --json.
It starts no daemon and leaves no process behind (the servers it spawns exit when
their stdin closes, and are killed if they do not).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import tool_text  # noqa: E402

# The tail window our diagnose reads from each log (its first window: 64 bytes a
# line, at least 4 KiB; stderr 10 lines, stdout 5): one negative-offset read each.
TAIL_WINDOW = 4096


def rows(running: str, stopped: str) -> list[dict]:
    """Each row: a label, the tool call, and the XML-RPC calls of its floor."""
    info = lambda n: ("supervisor.getProcessInfo", (n,))  # noqa: E731
    # The status tool's answer names the daemon too (version, identification, state,
    # pid): the same one system.multicall our server sends.
    daemon = ["getAPIVersion", "getSupervisorVersion", "getIdentification", "getState", "getPID"]
    status = [{"methodName": f"supervisor.{m}", "params": []} for m in daemon]
    status.append({"methodName": "supervisor.getProcessInfo", "params": [running]})
    return [
        {"label": f"status {running}", "tool": "status", "args": {"names": [running]},
         "floor": [("system.multicall", (status,))], "calls": 200},
        {"label": f"control start {running} (running)", "tool": "control",
         "args": {"action": "start", "names": [running]}, "floor": [info(running)], "calls": 200},
        {"label": f"control stop {stopped} (stopped)", "tool": "control",
         "args": {"action": "stop", "names": [stopped]}, "floor": [info(stopped)], "calls": 200},
        {"label": f"diagnose {running}", "tool": "diagnose", "args": {"name": running},
         "floor": [info(running),
                   ("supervisor.readProcessStderrLog", (running, -TAIL_WINDOW, 0)),
                   ("supervisor.readProcessStdoutLog", (running, -TAIL_WINDOW, 0))],
         "calls": 40},
    ]


def call_name(method: str, params: tuple) -> str:
    """`method(args)`, a multicall as the methods it holds."""
    if method == "system.multicall":
        return "system.multicall[" + ", ".join(call_name(c["methodName"], tuple(c["params"])) for c in params[0]) + "]"
    return method.removeprefix("supervisor.") + (f"({', '.join(map(str, params))})" if params else "")


def median_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 3)


class UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a unix socket, kept open between requests."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.unix_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.unix_path)
        self.sock = s


class Floor:
    """A minimal XML-RPC client on one persistent connection."""

    def __init__(self, sock: str):
        self.conn = UnixConnection(sock)
        self.reconnects = 0

    def call(self, method: str, params: tuple):
        body = xmlrpc.client.dumps(params, method).encode()
        self.conn.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{method}: HTTP {resp.status}")
        if resp.will_close:
            self.reconnects += 1
            self.conn.close()
        return xmlrpc.client.loads(data)[0][0]

    def close(self) -> None:
        self.conn.close()


def timed_median(once, warmup: int, calls: int) -> float:
    """The median of `calls` timed runs of `once` (ms), after `warmup` untimed ones."""
    for _ in range(warmup):
        once()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return median_ms(times)


def floor_medians(sock: str, table: list[dict], warmup: int) -> tuple[dict, int]:
    f = Floor(sock)
    out = {}
    try:
        for r in table:
            def once():
                for m, p in r["floor"]:
                    f.call(m, p)
            out[r["label"]] = timed_median(once, warmup, r["calls"])
    finally:
        f.close()
    return out, f.reconnects


def server_cmd(binary: str, sock: str) -> list[str]:
    return [binary, "mcp", "-s", f"unix://{sock}"]


def raw_medians(cmd: list[str], table: list[dict], warmup: int) -> dict:
    """Raw JSON-RPC lines over the server's pipes, one session."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    next_id = 0

    def request(method: str, params: dict) -> dict:
        nonlocal next_id
        next_id += 1
        p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}) + "\n").encode())
        p.stdin.flush()
        while True:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("the MCP server closed its stdout")
            msg = json.loads(line)
            if msg.get("id") == next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    out = {}
    try:
        request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "per_process_mcp", "version": "1"}})
        p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        p.stdin.flush()
        request("tools/list", {})
        for r in table:
            def once():
                res = request("tools/call", {"name": r["tool"], "arguments": r["args"]})
                if res.get("isError"):
                    raise RuntimeError(f"{r['label']}: {tool_text(res)[:300]}")
            out[r["label"]] = timed_median(once, warmup, r["calls"])
    finally:
        p.stdin.close()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return out


async def sdk_medians(cmd: list[str], table: list[dict], warmup: int) -> dict:
    """The official SDK's ClientSession over stdio, one session."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=dict(os.environ))
    out = {}
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await session.list_tools()  # the SDK then checks structuredContent too
                for r in table:
                    async def once():
                        res = await session.call_tool(r["tool"], r["args"])
                        if res.is_error:
                            text = "".join(getattr(c, "text", "") for c in res.content)
                            raise RuntimeError(f"{r['label']}: {text[:300]}")
                    for _ in range(warmup):
                        await once()
                    times = []
                    for _ in range(r["calls"]):
                        t = time.perf_counter()
                        await once()
                        times.append(time.perf_counter() - t)
                    out[r["label"]] = median_ms(times)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/supervisord-mcp")
    ap.add_argument("--sock", required=True, help="the daemon's unix socket")
    ap.add_argument("--running", default="one", help="a RUNNING process")
    ap.add_argument("--stopped", default="w:w_001", help="a STOPPED process")
    ap.add_argument("--calls", type=int, default=0, help="calls per row (default: 200, diagnose 40)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", help="write the figures here instead of stdout")
    a = ap.parse_args()
    table = rows(a.running, a.stopped)
    if a.calls:
        for r in table:
            r["calls"] = a.calls
    cmd = server_cmd(a.bin, a.sock)
    sdk = asyncio.run(sdk_medians(cmd, table, a.warmup))
    raw = raw_medians(cmd, table, a.warmup)
    floor, reconnects = floor_medians(a.sock, table, a.warmup)
    out = {
        "rows": [
            {"label": r["label"], "sdk_ms": sdk[r["label"]], "raw_ms": raw[r["label"]],
             "floor_ms": floor[r["label"]], "floor_calls": [call_name(m, p) for m, p in r["floor"]], "calls": r["calls"]}
            for r in table
        ],
        "floor_reconnects": reconnects,
    }
    text = json.dumps(out, indent=2)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
