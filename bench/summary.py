#!/usr/bin/env python3
"""The one table of bench/compare.sh (issue #21.5): every figure of its sections, each
beside the floor it is measured against (named), the ratio, and the goal when there is
one; with the machine, the load average and the date. Reads what the sections wrote
(bench/compare.json, bench/mcp_bench.json, bench/fleet.json, bench/fleet_scale.json),
prints the table as Markdown and writes it to bench/summary.md (docs/performance.md
quotes it). Exits 1 when a goal is missed.

  bench/summary.py ["LOAD AVERAGE"]
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys

SIZES = ["10", "310", "3000"]
SIZE_NAMES = {"10": "10", "310": "310", "3000": "3,000"}


def load(path: str):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def machine() -> str:
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1048576:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores ({model}), {mem} RAM, Linux {platform.release()}"


class Table:
    def __init__(self):
        self.rows: list[tuple] = []
        self.missed: list[str] = []

    def add(self, what: str, ours: float | None, floor_name: str, floor: float | None, unit: str = "ms",
            goal: str = "", ok: bool | None = None, ratio: float | None = None) -> None:
        if ours is None:
            return
        if ratio is None and floor:
            ratio = ours / floor
        if ok is False:
            self.missed.append(what)
        mark = "" if ok is None else (" ✓" if ok else " **missed**")
        self.rows.append((what, f"{ours:.2f} {unit}" if unit == "ms" else f"{ours:.1f} {unit}", floor_name,
                          "" if floor is None else f"{floor:.2f} {unit}" if unit == "ms" else f"{floor:.1f} {unit}",
                          "" if ratio is None else f"{ratio:.2f}×", goal + mark))

    def markdown(self) -> str:
        out = ["| figure | ours | floor: what | floor | ratio | goal |", "|---|---|---|---|---|---|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def calls(floor_calls: list[str]) -> str:
    """`getProcessInfo one, 2 log reads (4 KiB)`: a floor's XML-RPC calls, short."""
    reads = [c for c in floor_calls if c.startswith("read")]
    rest = [c for c in floor_calls if not c.startswith("read")]
    return ", ".join(rest + ([f"{len(reads)} log reads (4 KiB)"] if reads else []))


def per_process(t: Table, cj: dict) -> None:
    pp = cj.get("per_process") or {}
    for transport in ["unix", "http"]:
        for row in pp.get(transport, []):
            cmd = row["command"]
            goal = "≤ 1.5×" if cmd.startswith("diagnose") else ""
            for n in SIZES:
                if n not in row["ms"]:
                    continue
                ratio = row["ratio"][n]
                t.add(f"CLI `{cmd}`, {SIZE_NAMES[n]} processes, {transport}", row["ms"][n],
                      "curl: " + calls(row["floor_calls"]), row["floor_ms"][n], goal=goal,
                      ok=(ratio <= 1.5) if goal else None)
    for row in pp.get("mcp", []):
        label = row["tool call"]
        diag = label.startswith("diagnose")
        for n in SIZES:
            if n not in row["raw_ms"]:
                continue
            floor = row["floor_ms"][n]
            ok = row["ratio_raw"][n] <= 1.5 if diag else None
            t.add(f"MCP `{label}`, {SIZE_NAMES[n]} processes (raw JSON-RPC; SDK {row['sdk_ms'][n]:.2f} ms)",
                  row["raw_ms"][n], "the same XML-RPC calls, one persistent connection (Python)", floor,
                  goal="≤ 1.5×" if diag else "", ok=ok)


def status(t: Table, cj: dict) -> None:
    for key, n in [("status10", "10"), ("status310", "310")]:
        rows = cj.get(key) or []
        for transport in ["unix", "http"]:
            mine = [ms for c, ms in rows if c.split()[0].endswith("supervisord-mcp") and (" -s unix://" in c) == (transport == "unix")]
            curl = [ms for c, ms in rows if c.startswith("curl") and ("--unix-socket" in c) == (transport == "unix")]
            if mine and curl:
                t.add(f"CLI `status`, {n} processes, {transport}", mine[0], "curl: getAllProcessInfo", curl[0])


def mcp(t: Table, mj: dict) -> None:
    m = lambda k: mj[k]["median_ms"] if k in mj else None  # noqa: E731
    ours, floor = m("mcp_status_10_ms"), m("xmlrpc_status_multicall_ms")
    if ours is not None and floor is not None:
        above = ours - floor
        t.add("MCP `status`, 10 processes, above its floor (stdio, one session)", above,
              "the same system.multicall over the unix socket (Python, a connection per call)", floor,
              goal="< 1 ms", ok=above < 1.0, ratio=ours / floor)
    if "server_rss_kb" in mj:
        calls = mj.get("calls_before_rss", "")
        t.add(f"MCP server resident memory after {calls or 'the'} calls, 10 processes", mj["server_rss_kb"] / 1024, "",
              None, unit="MB", goal="< 15 MB", ok=mj["server_rss_kb"] / 1024 < 15)
    if "server_rss_310_kb" in mj:
        t.add("MCP server resident memory, 310 processes", mj["server_rss_310_kb"] / 1024, "", None, unit="MB")


def fleet(t: Table, fj: dict | None, sj: dict | None) -> None:
    if fj:
        s = fj["status_ms"]
        t.add("`status` across 20 real supervisords (bench/fleet.sh)", s["twenty"], "1 of them", s["one"])
        t.add("`status` across 21, one frozen (deadline 2 s)", s["twenty_one_one_frozen"], "the deadline", 2000.0)
    if sj:
        for r in sj["rows"]:
            goal = f"≤ {r['goal']:g}×" if r["goal"] else ""
            t.add(f"`{r['what']}` (fake targets, {sj['delay_ms']:g} ms delay)", r["ms"], r["floor"], r["floor_ms"],
                  goal=goal, ok=r["ok"] if r["goal"] else None)
        rss = sj["peak_rss_mb"]["1000"]
        t.add("peak RSS, `status` across 1,000 targets", rss, "", None, unit="MB", goal="< 64 MB", ok=rss < 64)
        f = sj["frozen"]
        t.add(f"`status` across 1,000 targets, 50 frozen ({f['other_answers_changed']} other answers changed)",
              f["ms"], "the deadline", sj["deadline_s"] * 1000, goal="≤ deadline + 100 ms, none changed",
              ok=f["ok"])


def main() -> int:
    load_avg = sys.argv[1] if len(sys.argv) > 1 else open("/proc/loadavg").read().split()[:3]
    if isinstance(load_avg, list):
        load_avg = ", ".join(load_avg)
    t = Table()
    cj = load("bench/compare.json") or {}
    status(t, cj)
    per_process(t, cj)
    mj = load("bench/mcp_bench.json")
    if mj:
        mcp(t, mj)
    fleet(t, load("bench/fleet.json"), load("bench/fleet_scale.json"))
    head = (f"bench/compare.sh, {datetime.date.today().isoformat()}; {machine()}; "
            f"load average at the end (1, 5, 15 min): {load_avg}")
    text = head + "\n\n" + t.markdown() + "\n"
    if t.missed:
        text += "\nGoals missed: " + "; ".join(t.missed) + "\n"
    print(text)
    with open("bench/summary.md", "w") as fh:
        fh.write(text)
    return 1 if t.missed else 0


if __name__ == "__main__":
    sys.exit(main())
