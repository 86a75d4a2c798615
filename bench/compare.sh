#!/usr/bin/env bash
# End-to-end comparison, one run, same daemon: supervisord-mcp against supervisorctl
# and the raw XML-RPC floor (curl POST of getAllProcessInfo), over the unix socket and
# HTTP, with 10 and with 300 programs; `logs --lines 20` on a 1 KiB and a 1 GiB log.
# Prints a table of medians and ratios and writes bench/compare.json; then runs
# bench/mcp_bench.py (MCP spawn, per-call latency, memory, tokens; bench/mcp_bench.json).
# With --with-peer, the Python supervisord-mcp (PyPI, with mcp<2 as its MCP server
# needs) is installed into .venv-peer and measured too (over HTTP: it has no unix
# socket support); it is also measured whenever .venv-peer exists.
# Installs what it needs (scripts/setup.sh --test, hyperfine from Debian's packages)
# and builds the release binary. Stops its daemon and every process it started on
# exit (scripts/stop-daemon.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
if [ "${1:-}" = "--with-peer" ] && [ ! -x .venv-peer/bin/supervisord-mcp ]; then
  python3 -m venv .venv-peer
  .venv-peer/bin/pip install --quiet --disable-pip-version-check supervisord-mcp 'mcp<2'
fi
PEER=$PWD/.venv-peer/bin/supervisord-mcp
if ! command -v hyperfine >/dev/null; then
  echo "compare.sh: installing hyperfine (Debian's package)" >&2
  { apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq hyperfine >/dev/null; }; } ||
    { echo "compare.sh needs hyperfine: apt-get install hyperfine" >&2; exit 2; }
fi
cargo build --release --quiet
BIN=$PWD/target/release/supervisord-mcp
CTL=$PWD/.venv/bin/supervisorctl
T=$(mktemp -d)
trap 'scripts/stop-daemon.sh "$T/s.sock" "$T/d.pid"; rm -rf "$T"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/conf.d"
{
  printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[inet_http_server]\nport=127.0.0.1:%s\n' "$PORT"
  printf '[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n'
  printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
  printf '[include]\nfiles=%%(here)s/conf.d/*.conf\n'
  for i in $(seq -w 0 9); do printf '[program:p%s]\ncommand=sleep 100000\nstdout_logfile=%%(here)s/p%s.log\n' "$i" "$i"; done
} > "$T/s.conf"
.venv/bin/supervisord -c "$T/s.conf" >"$T/supervisord.out" 2>&1
sleep 2
head -c 1024 /dev/urandom | base64 -w 100 | head -c 1024 > "$T/p00.log"; echo >> "$T/p00.log"
truncate -s 1G "$T/p01.log"; for i in $(seq 1 40); do echo "big log line $i" >> "$T/p01.log"; done
BODY='<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params/></methodCall>'
echo "$BODY" > "$T/body.xml"
U="-s unix://$T/s.sock"; H="-s http://127.0.0.1:$PORT"
run() { # label, then commands
  local label=$1; shift
  hyperfine -N -i --warmup 3 --runs 30 --export-json "$T/$label.json" "$@" >/dev/null 2>&1
}
P=()
PL=()
if [ -x "$PEER" ]; then
  P=("$PEER --server-url http://127.0.0.1:$PORT/RPC2 list-processes")
  PL=("$PEER --server-url http://127.0.0.1:$PORT/RPC2 logs p01 --lines 20")
fi
run status10 "$BIN $U status" "$CTL $U status" "curl -s --unix-socket $T/s.sock --data-binary @$T/body.xml http://localhost/RPC2" \
             "$BIN $H status" "$CTL $H status" "curl -s --data-binary @$T/body.xml http://127.0.0.1:$PORT/RPC2" "${P[@]}"
run logs "$BIN $U logs p00 --lines 20" "$CTL $U tail p00" "$BIN $U logs p01 --lines 20" "$CTL $U tail p01" "$BIN $H logs p01 --lines 20" "${PL[@]}"
for i in $(seq -w 0 299); do printf '[program:s%s]\ncommand=sleep 100000\nautostart=false\n' "$i"; done > "$T/conf.d/scale.conf"
"$BIN" $U update >/dev/null
run status310 "$BIN $U status" "$CTL $U status" "curl -s --unix-socket $T/s.sock --data-binary @$T/body.xml http://localhost/RPC2" \
              "$BIN $H status" "$CTL $H status" "curl -s --data-binary @$T/body.xml http://127.0.0.1:$PORT/RPC2" "${P[@]}"
python3 - "$T" <<'PY'
import json, sys, os
t = sys.argv[1]
def med(label):
    return [(r["command"], r["median"] * 1000) for r in json.load(open(os.path.join(t, label + ".json")))["results"]]
out = {}
print(f"{'what':<46} {'median ms':>10} {'ratio':>8}")
for label, title in [("status10", "status, 10 programs"), ("status310", "status, 310 programs"), ("logs", "logs --lines 20 / supervisorctl tail")]:
    rows = med(label)
    out[label] = rows
    print(f"-- {title}")
    base = rows[0][1]
    for cmd, ms in rows:
        short = cmd.replace(t, "$T").split("/")[-1][:44] if "curl" not in cmd else ("curl " + ("unix" if "unix-socket" in cmd else "http"))
        transport = "unix" if "unix" in cmd else "http"
        name = cmd.split()[0].split("/")[-1]
        if ".venv-peer" in cmd:
            name = "python-peer"
        print(f"   {name + ' ' + transport + ' ' + ' '.join(cmd.split()[3:]).replace(t, '$T')[:24]:<43} {ms:>10.2f} {ms / base:>7.1f}x")
json.dump(out, open("bench/compare.json", "w"), indent=2)
PY
echo
echo "MCP (bench/mcp_bench.py, its own daemon):"
if [ -x "$PEER" ]; then
  .venv/bin/python bench/mcp_bench.py --peer "$PEER" --json bench/mcp_bench.json
else
  .venv/bin/python bench/mcp_bench.py --json bench/mcp_bench.json
fi
