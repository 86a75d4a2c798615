#!/usr/bin/env bash
# End-to-end comparison, one run, one daemon (10 processes, then 310, then 3,000).
#   bench/compare.sh [status] [per-process] [mcp] [fleet] [serve] [--with-peer]   (no section: all five)
# status: supervisord-mcp against supervisorctl and the raw XML-RPC floor (curl POST
#   of getAllProcessInfo), over the unix socket and HTTP, with 10 and with 310
#   processes; `logs --lines 20` on a 1 KiB and a 1 GiB log.
# per-process: `status one`, `start one` (running), `stop w:w_001` (stopped),
#   `pid one`, `diagnose one` (config cache warm; cold once) at 10, 310 and 3,000
#   processes, each against the floor of the XML-RPC calls a minimal client needs for
#   the same answer (curl, its start-up included, one process for all the calls), over
#   the unix socket and HTTP; and the MCP tools `status`, `control` start/stop,
#   `diagnose` in one long-lived session (bench/per_process_mcp.py, official Python
#   SDK) against the same calls over one persistent connection.
# mcp: bench/mcp_bench.py (MCP spawn, per-call latency, memory, tokens; its own
#   daemon; bench/mcp_bench.json).
# fleet: bench/fleet.sh (its own 21 daemons): `status` across 20 against one, with a
#   frozen one among them, and the tokens of `status --unhealthy` (bench/fleet.json);
#   bench/fleet_scale.sh: `status` across 1, 100 and 1,000 fake targets answering after
#   5 ms (one process, bench/fleet_fake.rs), 5% of them frozen (bench/fleet_scale.json).
# serve: bench/serve.sh (the dashboard's first view in Chromium, a scrape of 20
#   daemons, memory with 10 dashboards; bench/serve.json).
# At the end, bench/summary.py prints every figure in one table (each with its floor,
# ratio and goal, the machine, the load average and the date) into bench/summary.md.
# Prints tables of medians and ratios and writes bench/compare.json (the sections
# run replace theirs, the others are kept). With --with-peer, the Python
# supervisord-mcp (PyPI, with mcp<2 as its MCP server needs) is installed into
# .venv-peer and measured too (over HTTP: it has no unix socket support); it is also
# measured whenever .venv-peer exists.
# Installs what it needs (scripts/setup.sh --test, hyperfine from Debian's packages)
# and builds the release binary. Stops its daemon and every process it started on
# exit, however it ends (scripts/stop-daemon.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SECTIONS=" " WITH_PEER=
for a in "$@"; do
  case $a in
    status | per-process | mcp | fleet | serve) SECTIONS+="$a " ;;
    --with-peer) WITH_PEER=1 ;;
    *) echo "usage: bench/compare.sh [status] [per-process] [mcp] [fleet] [serve] [--with-peer]" >&2; exit 2 ;;
  esac
done
[ "$SECTIONS" = " " ] && SECTIONS=" status per-process mcp fleet serve "
want() { [[ $SECTIONS == *" $1 "* ]]; }
scripts/setup.sh --test
if [ -n "$WITH_PEER" ] && [ ! -x .venv-peer/bin/supervisord-mcp ]; then
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
PY=$PWD/.venv/bin/python
T=$(mktemp -d)
trap 'scripts/stop-daemon.sh "$T/s.sock" "$T/d.pid"; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# diagnose keeps the daemon's configuration in a cache file: this run's own.
export XDG_CACHE_HOME=$T/cache
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/conf.d"
# 10 processes: p00..p07, `one` (RUNNING, wrote 40 lines to each log) and the group
# `w` of one process, w:w_001 (STOPPED). The same names at every size.
{
  printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[inet_http_server]\nport=127.0.0.1:%s\n' "$PORT"
  printf '[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n'
  printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
  printf '[include]\nfiles=%%(here)s/conf.d/*.conf\n'
  for i in 00 01 02 03 04 05 06 07; do printf '[program:p%s]\ncommand=sleep 100000\nstdout_logfile=%%(here)s/p%s.log\n' "$i" "$i"; done
  printf '[program:one]\ncommand=sh -c '\''i=0; while [ $i -lt 40 ]; do echo "one: out line $i"; echo "one: err line $i" >&2; i=$((i+1)); done; exec sleep 100000'\''\n'
  printf 'stdout_logfile=%%(here)s/one.log\nstderr_logfile=%%(here)s/one.err\n'
  printf '[program:w]\ncommand=sleep 100000\nprocess_name=%%(program_name)s_%%(process_num)03d\nnumprocs=1\nnumprocs_start=1\nautostart=false\n'
} > "$T/s.conf"
.venv/bin/supervisord -c "$T/s.conf" >"$T/supervisord.out" 2>&1
sleep 2
U="-s unix://$T/s.sock"; H="-s http://127.0.0.1:$PORT"
CU="curl -s --unix-socket $T/s.sock"; CH="curl -s"
UU=http://localhost/RPC2; HU=http://127.0.0.1:$PORT/RPC2
run() { # label, then commands
  local label=$1; shift
  hyperfine -N -i --warmup 3 --runs 30 --export-json "$T/$label.json" "$@" >/dev/null 2>&1
}

# ---- status and logs, against supervisorctl ------------------------------------------
head -c 1024 /dev/urandom | base64 -w 100 | head -c 1024 > "$T/p00.log"; echo >> "$T/p00.log"
truncate -s 1G "$T/p01.log"; for i in $(seq 1 40); do echo "big log line $i" >> "$T/p01.log"; done
BODY='<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params/></methodCall>'
echo "$BODY" > "$T/body.xml"
P=()
PL=()
if [ -x "$PEER" ]; then
  P=("$PEER --server-url http://127.0.0.1:$PORT/RPC2 list-processes")
  PL=("$PEER --server-url http://127.0.0.1:$PORT/RPC2 logs p01 --lines 20")
fi
status_section() { # label
  run "$1" "$BIN $U status" "$CTL $U status" "$CU --data-binary @$T/body.xml $UU" \
           "$BIN $H status" "$CTL $H status" "$CH --data-binary @$T/body.xml $HU" "${P[@]}"
}

# ---- per-process commands, against the floor of their own XML-RPC calls -------------
# The calls a minimal client makes for each answer (what our binary sends: the
# `system.multicall` of one getProcessInfo for status/start/stop/pid; diagnose reads
# each log's last 4 KiB with one negative-offset read, and getAllConfigInfo when its
# cache is cold).
xml() { # file, method, params as XML-RPC <param> elements
  printf '<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>%s</params></methodCall>' "$2" "$3" > "$T/$1.xml"
}
str() { printf '<param><value><string>%s</string></value></param>' "$1"; }
int() { printf '<param><value><int>%s</int></value></param>' "$1"; }
xml info_one supervisor.getProcessInfo "$(str one)"
xml info_w supervisor.getProcessInfo "$(str w:w_001)"
xml err_one supervisor.readProcessStderrLog "$(str one)$(int -4096)$(int 0)"
xml out_one supervisor.readProcessStdoutLog "$(str one)$(int -4096)$(int 0)"
xml config supervisor.getAllConfigInfo ""
floor() { # transport (U or H), then the bodies: one curl process, one request each,
  # on one connection (--next keeps it)
  local opts="-s --unix-socket $T/s.sock" url=$UU out="curl"
  [ "$1" = H ] && { opts="-s"; url=$HU; }
  shift
  for b in "$@"; do out+=" $opts --data-binary @$T/$b.xml -o /dev/null $url --next"; done
  echo "${out% --next}"
}
check() { # every command of a row must succeed before it is timed
  local cmd
  for cmd in "$@"; do
    # shellcheck disable=SC2086
    $cmd >/dev/null 2>"$T/check.err" || { echo "compare.sh: failed: $cmd" >&2; cat "$T/check.err" >&2; exit 1; }
  done
}
per_process_section() { # size
  local n=$1 t v cold_runs=10 cold_warmup=1
  [ "$n" = 3000 ] && { cold_runs=3; cold_warmup=0; } # getAllConfigInfo: ~20 s there
  local -a cmds=()
  for t in U H; do
    v=${!t}
    cmds+=("$BIN $v status one" "$BIN $v start one" "$BIN $v stop w:w_001" "$BIN $v pid one" "$BIN $v diagnose one"
           "$(floor $t info_one)" "$(floor $t info_w)" "$(floor $t info_one err_one out_one)")
  done
  # Cold cache with the default --rpc-timeout (10 s): does diagnose answer at all?
  rm -rf "$T/cache"
  if "$BIN" $U diagnose one >/dev/null 2>"$T/cold-default$n.err"; then echo ok > "$T/cold-default$n.txt"
  else tail -n 2 "$T/cold-default$n.err" | head -n 1 > "$T/cold-default$n.txt"; fi
  # The cache then holds this size's configuration (what a warm run reads), one
  # file per daemon address.
  rm -rf "$T/cache"
  "$BIN" $U --rpc-timeout 300 diagnose one >/dev/null
  "$BIN" $H --rpc-timeout 300 diagnose one >/dev/null
  check "${cmds[@]}"
  hyperfine -N -i --warmup 3 --runs 30 --export-json "$T/pp$n.json" "${cmds[@]}" >/dev/null 2>&1
  "$PY" bench/per_process_mcp.py --bin "$BIN" --sock "$T/s.sock" --json "$T/mcp$n.json"
  # Cold cache: every run reads getAllConfigInfo (unix socket; a long --rpc-timeout).
  hyperfine -N -i --warmup $cold_warmup --runs $cold_runs --prepare "rm -rf $T/cache" --export-json "$T/cold$n.json" \
    "$BIN $U --rpc-timeout 300 diagnose one" "$(floor U info_one config err_one out_one)" >/dev/null 2>&1
}

want status && { check "$BIN $U logs p00 --lines 20" "$BIN $U logs p01 --lines 20"; status_section status10; run logs "$BIN $U logs p00 --lines 20" "$CTL $U tail p00" \
  "$BIN $U logs p01 --lines 20" "$CTL $U tail p01" "$BIN $H logs p01 --lines 20" "${PL[@]}"; }
want per-process && per_process_section 10
for i in $(seq -w 0 299); do printf '[program:s%s]\ncommand=sleep 100000\nautostart=false\n' "$i"; done > "$T/conf.d/scale.conf"
"$BIN" $U update >/dev/null
want status && status_section status310
if want per-process; then
  per_process_section 310
  # 2,690 more: ten groups of 269 (a hand-written numprocs is not capped).
  for g in $(seq 0 9); do
    printf '[program:g%s]\ncommand=sleep 100000\nprocess_name=%%(program_name)s_%%(process_num)03d\nnumprocs=269\nautostart=false\n' "$g"
  done > "$T/conf.d/big.conf"
  "$BIN" $U update >/dev/null
  per_process_section 3000
fi
if want status || want per-process; then
  "$PY" bench/compare_report.py "$T" "$(uptime | sed 's/.*load average: //')"
fi
if want mcp; then
  echo
  echo "MCP (bench/mcp_bench.py, its own daemon):"
  if [ -x "$PEER" ]; then
    "$PY" bench/mcp_bench.py --peer "$PEER" --json bench/mcp_bench.json
  else
    "$PY" bench/mcp_bench.py --json bench/mcp_bench.json
  fi
fi
if want fleet; then
  echo
  echo "The fleet (bench/fleet.sh: 20 daemons against one, a frozen one, tokens of status --unhealthy):"
  bench/fleet.sh "$BIN"
  echo
  echo "The fan-out at scale (bench/fleet_scale.sh: 1, 100 and 1,000 fake targets, 5% frozen):"
  bench/fleet_scale.sh "$BIN" || echo "compare.sh: a goal of fleet_scale.sh was missed (see above)" >&2
fi
if want serve; then
  echo
  echo "serve (bench/serve.sh: first view of 50 x 20 in Chromium, a scrape of 20 daemons, memory):"
  bench/serve.sh "$BIN"
fi
echo
echo "Every figure (bench/summary.py, also in bench/summary.md):"
"$PY" bench/summary.py "$(uptime | sed 's/.*load average: //')" || true
