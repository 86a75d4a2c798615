#!/usr/bin/env python3
"""Tables of bench/compare.sh: reads the hyperfine and per_process_mcp.py JSON files
it left in its temp dir, prints medians and ratios, and updates bench/compare.json
(the sections measured replace theirs; the others are kept).

  bench/compare_report.py TEMPDIR "LOAD AVERAGE"
"""
from __future__ import annotations

import json
import os
import sys

SIZES = ["10", "310", "3000"]
# Issue #12.4's figures at 310 processes, before the work (ms); floor 9.9 ms.
ISSUE_310 = {"status one": 85.0, "start one": 122.2, "stop w:w_001": 81.6, "pid one": 76.2, "diagnose one": 474.2}
ISSUE_FLOOR = 9.9
# Per transport, the commands of per_process_section in compare.sh, in order, and
# the index of each one's floor among them.
COMMANDS = ["status one", "start one", "stop w:w_001", "pid one", "diagnose one"]
FLOOR_OF = {"status one": 5, "start one": 5, "stop w:w_001": 6, "pid one": 5, "diagnose one": 7}
FLOOR_CALLS = {5: ["getProcessInfo one"], 6: ["getProcessInfo w:w_001"],
               7: ["getProcessInfo one", "readProcessStderrLog one -4096", "readProcessStdoutLog one -4096"]}
PER_TRANSPORT = 8


def load(t: str, name: str):
    path = os.path.join(t, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def medians(t: str, label: str) -> list[tuple[str, float]] | None:
    j = load(t, label)
    return None if j is None else [(r["command"], r["median"] * 1000) for r in j["results"]]


def fmt(ms: float | None, width: int = 7) -> str:
    return f"{ms:>{width}.1f}" if ms is not None else f"{'-':>{width}}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:>5.2f}x" if a is not None and b else f"{'-':>6}"


def short(cmd: str, t: str) -> str:
    """A command as stored: the temp dir as $T, the checkout as `.`."""
    return cmd.replace(t, "$T").replace(os.getcwd() + "/", "./")


def status_tables(t: str, out: dict) -> None:
    """The status/logs section, as before: each row against the first of its run."""
    shown = False
    for label, title in [("status10", "status, 10 processes"), ("status310", "status, 310 processes"),
                         ("logs", "logs --lines 20 / supervisorctl tail")]:
        rows = medians(t, label)
        if rows is None:
            continue
        if not shown:
            print(f"{'what':<46} {'median ms':>10} {'ratio':>8}")
            shown = True
        out[label] = [(short(cmd, t), round(ms, 2)) for cmd, ms in rows]
        print(f"-- {title}")
        base = rows[0][1]
        for cmd, ms in rows:
            transport = "unix" if "unix" in cmd else "http"
            name = "curl" if cmd.startswith("curl") else cmd.split()[0].split("/")[-1]
            if ".venv-peer" in cmd:
                name = "python-peer"
            what = "" if name == "curl" else " ".join(cmd.split()[3:]).replace(t, "$T")[:24]
            print(f"   {name + ' ' + transport + ' ' + what:<43} {ms:>10.2f} {ms / base:>7.1f}x")


def cli_rows(t: str, offset: int) -> list[dict]:
    runs = {n: medians(t, f"pp{n}") for n in SIZES}
    rows = []
    for k, cmd in enumerate(COMMANDS):
        row = {"command": cmd, "ms": {}, "floor_ms": {}, "ratio": {},
               "floor_calls": FLOOR_CALLS[FLOOR_OF[cmd]]}
        for n, r in runs.items():
            if r is None:
                continue
            ours, floor = r[offset + k][1], r[offset + FLOOR_OF[cmd]][1]
            row["ms"][n], row["floor_ms"][n] = round(ours, 2), round(floor, 2)
            row["ratio"][n] = round(ours / floor, 2)
        if cmd in ISSUE_310:
            row["issue_310_ms"] = ISSUE_310[cmd]
        rows.append(row)
    return rows


def print_cli(title: str, rows: list[dict], issue: bool) -> None:
    print(f"-- {title}")
    head = f"   {'command':<14}" + "".join(f"{n:>8}" for n in SIZES) + " | floor" + "".join(
        f"{n:>7}" for n in SIZES) + " | ratio" + "".join(f"{n:>7}" for n in SIZES)
    print(head + (" | issue @310 (ratio)" if issue else ""))
    for r in rows:
        line = f"   {r['command']:<14}" + "".join(fmt(r["ms"].get(n), 8) for n in SIZES) + " |      " + "".join(
            fmt(r["floor_ms"].get(n)) for n in SIZES) + " |      " + "".join(
            f"{ratio(r['ms'].get(n), r['floor_ms'].get(n)):>7}" for n in SIZES)
        if issue and "issue_310_ms" in r:
            line += f" | {r['issue_310_ms']:.1f} ({r['issue_310_ms'] / ISSUE_FLOOR:.1f}x)"
        print(line)


def per_process(t: str, out: dict) -> None:
    if all(load(t, f"pp{n}") is None for n in SIZES):
        return
    pp: dict = {"sizes": SIZES}
    print()
    print("Per-process commands: medians (ms) at 10 / 310 / 3,000 processes, hyperfine -N, 30 runs;")
    print("floor = one curl process making the XML-RPC calls a minimal client needs for the same")
    print(f"answer (its start-up included); ratio = ours / floor. Issue figures: at 310, floor {ISSUE_FLOOR} ms.")
    for name, offset in [("unix", 0), ("http", PER_TRANSPORT)]:
        rows = cli_rows(t, offset)
        pp[name] = rows
        print_cli(f"CLI over the {'unix socket' if name == 'unix' else 'HTTP'}", rows, name == "unix")
    cold = {}
    for n in SIZES:
        r = medians(t, f"cold{n}")
        if r:
            cold[n] = {"ms": round(r[0][1], 2), "floor_ms": round(r[1][1], 2), "ratio": round(r[0][1] / r[1][1], 2)}
        path = os.path.join(t, f"cold-default{n}.txt")
        if os.path.exists(path) and n in cold:
            cold[n]["default_rpc_timeout"] = open(path).read().strip().replace(t, "$T")
    if cold:
        pp["diagnose_cold_cache_unix"] = cold
        print("-- diagnose one, cold config cache (getAllConfigInfo read each run; unix; 10 runs, 3 at 3,000;")
        print("   --rpc-timeout 300); floor: curl of getProcessInfo, getAllConfigInfo and the two log reads")
        for n, c in cold.items():
            print(f"   {n:>5}: {c['ms']:.1f} ms, floor {c['floor_ms']:.1f} ms ({c['ratio']:.2f}x);"
                  f" with the default --rpc-timeout (10 s): {c.get('default_rpc_timeout', '-')}")
    mcp = {n: load(t, f"mcp{n}") for n in SIZES}
    if any(mcp.values()):
        labels = [r["label"] for r in next(m for m in mcp.values() if m)["rows"]]
        rows = []
        for label in labels:
            row = {"tool call": label, "sdk_ms": {}, "raw_ms": {}, "floor_ms": {}, "ratio_sdk": {}, "ratio_raw": {}}
            for n, m in mcp.items():
                if not m:
                    continue
                r = next(x for x in m["rows"] if x["label"] == label)
                row["floor_calls"] = r["floor_calls"]
                row["sdk_ms"][n], row["raw_ms"][n], row["floor_ms"][n] = r["sdk_ms"], r["raw_ms"], r["floor_ms"]
                row["ratio_sdk"][n] = round(r["sdk_ms"] / r["floor_ms"], 2)
                row["ratio_raw"][n] = round(r["raw_ms"] / r["floor_ms"], 2)
            rows.append(row)
        pp["mcp"] = rows
        print("-- MCP, one long-lived stdio session (bench/per_process_mcp.py), medians (ms) at 10 / 310 / 3,000;")
        print("   sdk = ClientSession.call_tool (official Python SDK), raw = one JSON-RPC line over the pipes,")
        print("   floor = the same XML-RPC calls on one persistent unix-socket connection (http.client), per call")
        print(f"   {'tool call':<34}" + " | sdk" + "".join(f"{n:>7}" for n in SIZES) + " | raw" + "".join(
            f"{n:>7}" for n in SIZES) + " | floor" + "".join(f"{n:>6}" for n in SIZES) + " | sdk/floor" + "".join(
            f"{n:>7}" for n in SIZES) + " | raw/floor" + "".join(f"{n:>7}" for n in SIZES))
        for r in rows:
            g = lambda k, n, w=7: fmt(r[k].get(n), w) if k.endswith("_ms") else f"{r[k].get(n, 0):>{w - 1}.2f}x"  # noqa: E731
            print(f"   {r['tool call']:<34} |    " + "".join(f"{r['sdk_ms'].get(n, 0):>7.2f}" for n in SIZES)
                  + " |    " + "".join(f"{r['raw_ms'].get(n, 0):>7.2f}" for n in SIZES)
                  + " |      " + "".join(f"{r['floor_ms'].get(n, 0):>6.2f}" for n in SIZES)
                  + " |          " + "".join(g("ratio_sdk", n) for n in SIZES)
                  + " |          " + "".join(g("ratio_raw", n) for n in SIZES))
    out["per_process"] = pp


def main() -> int:
    t, load_avg = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    path = "bench/compare.json"
    try:
        out = json.load(open(path))
        if not isinstance(out, dict):
            out = {}
    except (OSError, ValueError):
        out = {}
    status_tables(t, out)
    per_process(t, out)
    if load_avg:
        out["load_average_at_end"] = load_avg
        print(f"\nload average at the end (1, 5, 15 min, 2 cores): {load_avg}")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
