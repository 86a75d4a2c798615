#!/usr/bin/env bash
# The fleet, measured (issue #13): `status` across 20 supervisords against `status` of
# one, same run (hyperfine medians), then with a 21st daemon frozen (SIGSTOP) among
# them (its deadline is the cost), and the tokens of `status --unhealthy` (CLI text
# and the MCP `status` tool's answer, o200k) for a healthy fleet and for one with 3
# FATAL processes and 2 targets that cannot be asked. Every daemon has 10 programs.
# Beside them: our own CPU time (user + sys, means) and 20 curls of getAllProcessInfo
# at once (the daemons' share when they share this machine's cores).
#   bench/fleet.sh [BIN]      (default: target/release/supervisord-mcp, built if missing)
# Called by bench/compare.sh (section `fleet`). Stops every daemon it started, and
# every process they started, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$PWD/target/release/supervisord-mcp}
[ -x "$BIN" ] || cargo build --release --quiet
PY=$PWD/.venv/bin/python
N=20
T=$(mktemp -d)
stop_all() {
  local d
  for d in "$T"/d*; do
    [ -d "$d" ] || continue
    kill -CONT "$(cat "$d/d.pid" 2>/dev/null)" 2>/dev/null || true
    scripts/stop-daemon.sh "$d/s.sock" "$d/d.pid" >/dev/null 2>&1 || true
  done
  rm -rf "$T"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start_daemon() { # dir
  local d=$1
  mkdir -p "$d"
  {
    printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n'
    printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
    for i in 0 1 2 3 4 5 6 7 8 9; do printf '[program:p%s]\ncommand=sleep 100000\nstartsecs=0\n' "$i"; done
    printf '[program:crasher]\ncommand=sh -c "exit 3"\nautostart=false\nstartsecs=1\nstartretries=0\n'
  } > "$d/s.conf"
  .venv/bin/supervisord -c "$d/s.conf" > "$d/out" 2>&1
}

for i in $(seq -w 1 $((N + 1))); do start_daemon "$T/d$i" & done
wait
for i in $(seq -w 1 $((N + 1))); do
  for _ in $(seq 100); do [ -S "$T/d$i/s.sock" ] && break; sleep 0.1; done
done
sleep 1
fleet_file() { # file, how many daemons, timeout_s
  { printf '[defaults]\ntimeout_s = %s\n' "$3"
    for i in $(seq -w 1 "$2"); do printf '[targets.host-%s]\nurl = "unix://%s/d%s/s.sock"\n' "$i" "$T" "$i"; done
  } > "$1"
}
fleet_file "$T/fleet20.toml" "$N" 5
fleet_file "$T/fleet21.toml" $((N + 1)) 2
kill -STOP "$(cat "$T/d$((N + 1))/d.pid")"

# The daemons' share: one getAllProcessInfo of each of the 20, all at once (curl).
printf '%s' '<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params/></methodCall>' > "$T/body.xml"
{ echo '#!/bin/sh'
  for i in $(seq -w 1 "$N"); do echo "curl -s --unix-socket $T/d$i/s.sock --data-binary @$T/body.xml http://localhost/RPC2 >/dev/null &"; done
  echo wait; } > "$T/curl20.sh"
chmod +x "$T/curl20.sh"
hyperfine -N -i --warmup 3 --runs 30 --export-json "$T/fleet.json" \
  "$BIN -s unix://$T/d01/s.sock status" \
  "$BIN --fleet $T/fleet20.toml -t all status" \
  "$T/curl20.sh" >/dev/null 2>&1
hyperfine -N -i --warmup 1 --runs 5 --export-json "$T/frozen.json" \
  "$BIN --fleet $T/fleet21.toml -t all status" >/dev/null 2>&1

tokens() { "$PY" -c 'import sys; sys.path.insert(0, "tests/py"); from tokens import count; print(count(sys.stdin.read()))'; }
mcp_unhealthy() { # fleet file: tokens of the MCP answer (text, structuredContent)
  "$PY" - "$BIN" "$1" <<'PY'
import asyncio, json, sys
sys.path.insert(0, "tests/py")
from tokens import count
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
async def main():
    p = StdioServerParameters(command=sys.argv[1], args=["--fleet", sys.argv[2], "mcp"])
    async with stdio_client(p) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            res = await s.call_tool("status", {"unhealthy": True})
            text = "".join(c.text for c in res.content if c.type == "text")
            sc = json.dumps(res.structured_content, separators=(",", ":"))
            print(count(text), count(sc))
asyncio.run(main())
PY
}
healthy_cli=$("$BIN" --fleet "$T/fleet20.toml" status --unhealthy | tokens)
read -r healthy_mcp_text healthy_mcp_sc < <(mcp_unhealthy "$T/fleet20.toml")
# 3 programs that will not start, 2 daemons gone.
for i in 03 07 11; do "$BIN" -s "unix://$T/d$i/s.sock" start crasher >/dev/null 2>&1 || true; done
for i in 19 20; do scripts/stop-daemon.sh "$T/d$i/s.sock" "$T/d$i/d.pid" >/dev/null 2>&1; done
sick_cli_text=$("$BIN" --fleet "$T/fleet20.toml" status --unhealthy || true)
sick_cli=$(printf '%s\n' "$sick_cli_text" | tokens)
read -r sick_mcp_text sick_mcp_sc < <(mcp_unhealthy "$T/fleet20.toml")

"$PY" - "$T" "$healthy_cli" "$healthy_mcp_text" "$healthy_mcp_sc" "$sick_cli" "$sick_mcp_text" "$sick_mcp_sc" <<'PY'
import json, os, sys
t = sys.argv[1]
hc, hmt, hms, sc, smt, sms = map(int, sys.argv[2:8])
res = lambda f: json.load(open(os.path.join(t, f)))["results"]
med = lambda f: [r["median"] * 1000 for r in res(f)]
cpu = [(r["user"] + r["system"]) * 1000 for r in res("fleet.json")]
one, twenty, curl20 = med("fleet.json")
frozen = med("frozen.json")[0]
print(f"{'status (10 programs per daemon)':<44} {'median ms':>10} {'ratio':>7} {'our CPU ms':>11}")
print(f"{'1 daemon':<44} {one:>10.1f} {1:>6.2f}x {cpu[0]:>11.1f}")
print(f"{'20 daemons (-t all)':<44} {twenty:>10.1f} {twenty / one:>6.2f}x {cpu[1]:>11.1f}")
print(f"{'21 daemons, one frozen (deadline 2 s)':<44} {frozen:>10.1f}")
print(f"{'20 curls of getAllProcessInfo at once':<44} {curl20:>10.1f}")
print()
print("status --unhealthy, o200k tokens       CLI text   MCP text   MCP structuredContent")
print(f"20 healthy daemons                     {hc:>8}   {hmt:>8}   {hms:>8}")
print(f"3 FATAL processes, 2 targets gone      {sc:>8}   {smt:>8}   {sms:>8}")
out = {"status_ms": {"one": one, "twenty": twenty, "twenty_one_one_frozen": frozen, "curl20": curl20},
       "status_cpu_ms": {"one": cpu[0], "twenty": cpu[1]},
       "unhealthy_tokens": {"healthy": {"cli": hc, "mcp_text": hmt, "mcp_structured": hms},
                            "three_fatal_two_gone": {"cli": sc, "mcp_text": smt, "mcp_structured": sms}}}
json.dump(out, open("bench/fleet.json", "w"), indent=2)
PY
echo
echo "status --unhealthy, 3 FATAL and 2 targets gone:"
printf '%s\n' "$sick_cli_text"
