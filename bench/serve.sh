#!/usr/bin/env bash
# The cost of `serve` (issue #20.6), three figures (bench/serve_bench.py measures):
# - view: the dashboard's first view of 50 targets x 20 processes in Chromium (Debian's
#   chromium and chromedriver, headless): Navigation Timing's load event (every row
#   rendered, the script run) and the live updates on; medians of RUNS fresh loads.
#   The 50 targets are one process of many loopback ports (bench/fleet_fake.rs)
#   answering replies recorded here from a real supervisord of 20 processes, after
#   DELAY_MS (default 5) that stands for the network.
# - scrape: one scrape of /metrics across 20 targets against the slowest one's
#   getAllProcessInfo asked alone (goal <= 1.5x), and against the 20 asked at once;
#   as served by default (from the background refresh, with the answers' age) and
#   with --metrics-refresh 0 (every scrape asks the targets):
#   20 fake targets (20 processes, DELAY_MS: the goal's row, what is measured is us),
#   then 20 real supervisords of 20 processes each (unix sockets; 20 Python daemons
#   sharing 2 cores with us: the 20-at-once floor is the fair one there).
# - memory: the server's RSS with 10 open dashboards (the page, then /events kept
#   open) and a scrape every second for SECONDS (default 30), on the 50-target fleet.
#   bench/serve.sh [BIN]    (default target/release/supervisord-mcp, built if missing)
#   RUNS=10 DELAY_MS=5 SECONDS_=30 FAKE=path/to/fleet_fake bench/serve.sh
# Writes bench/serve.json; exits 1 if a goal fails. Called by bench/compare.sh
# (section `serve`). Stops what it started (daemons, servers, chromedriver and its
# Chromium), however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$PWD/target/release/supervisord-mcp}
[ -x "$BIN" ] || cargo build --release --quiet
FAKE=${FAKE:-}
if [ -z "$FAKE" ]; then
  cargo build --release --quiet --example fleet_fake
  FAKE=$PWD/target/release/examples/fleet_fake
fi
for b in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$b" ] || { echo "serve.sh needs $b: apt-get install -y --no-install-recommends chromium chromium-driver" >&2; exit 2; }
done
PY=$PWD/.venv/bin/python
RUNS=${RUNS:-10}
DELAY=${DELAY_MS:-5}
SECS=${SECONDS_:-30}
N=20
T=$(mktemp -d)
PIDS=()
stop_all() {
  local p d
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "$T"/d*; do
    [ -d "$d" ] && { scripts/stop-daemon.sh "$d/s.sock" "$d/d.pid" >/dev/null 2>&1 || true; }
  done
  rm -rf "$T"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
ulimit -n 8192
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_daemon() { # dir
  local d=$1 i
  mkdir -p "$d"
  {
    printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n'
    printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
    for i in $(seq -w 1 $N); do printf '[program:p%s]\ncommand=sleep 100000\nstartsecs=0\n' "$i"; done
  } > "$d/s.conf"
  .venv/bin/supervisord -c "$d/s.conf" > "$d/out" 2>&1
}
for i in $(seq -w 1 $N); do start_daemon "$T/d$i" & done
wait
for i in $(seq -w 1 $N); do
  for _ in $(seq 100); do [ -S "$T/d$i/s.sock" ] && break; sleep 0.1; done
  echo "$T/d$i/s.sock" >> "$T/real20"
done
sleep 1

# ---- the replies of a real daemon of 20 processes, for 50 fake targets ----------------
mkdir "$T/replies"
"$PY" - "$T/d01/s.sock" "$T/replies" "$N" <<'PY'
import sys
sys.path.insert(0, "bench")
from benchlib import post
sock, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for m in ["getAPIVersion", "getSupervisorVersion", "getIdentification", "getState", "getPID", "getAllProcessInfo"]:
    body = f"<?xml version='1.0'?><methodCall><methodName>supervisor.{m}</methodName><params/></methodCall>"
    reply = post(sock, body).decode()
    value = reply.split("<param>", 1)[1].rsplit("</param>", 1)[0].strip()
    open(f"{out}/supervisor.{m}.xml", "w").write(value)
got = open(f"{out}/supervisor.getAllProcessInfo.xml").read().count("<name>name</name>")
assert got == n, f"{got} processes recorded"
PY
"$FAKE" "$T/replies" "$T/ports" 50 "$DELAY" &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$T/ports" ] && break; sleep 0.05; done
[ -s "$T/ports" ] || { echo "serve.sh: the fake targets did not start" >&2; exit 1; }

# ---- the servers: 50 fake targets; 20 real daemons -------------------------------------
TOKEN=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
printf '[tokens.bench]\ntoken = "%s"\nscope = "read"\n' "$TOKEN" > "$T/tokens.toml"
chmod 600 "$T/tokens.toml"
i=0
{ printf '[defaults]\ntimeout_s = 5\n'
  while read -r p; do i=$((i + 1)); printf '[targets.fake-%02d]\nurl = "http://127.0.0.1:%s"\n' "$i" "$p"; done < "$T/ports"
} > "$T/fleet50.toml"
{ printf '[defaults]\ntimeout_s = 5\n'
  for i in $(seq -w 1 $N); do printf '[targets.host-%s]\nurl = "unix://%s/d%s/s.sock"\n' "$i" "$T" "$i"; done
} > "$T/fleet20.toml"
head -n $N "$T/ports" | sed 's|^|http://127.0.0.1:|' > "$T/fake20"
{ printf '[defaults]\ntimeout_s = 5\n'
  i=0; while read -r u; do i=$((i + 1)); printf '[targets.fake-%02d]\nurl = "%s"\n' "$i" "$u"; done < "$T/fake20"
} > "$T/fake20.toml"
serve() { # fleet file, port, then serve's own arguments
  mkdir -p "$T/home$2"
  XDG_CONFIG_HOME=$T/home$2 XDG_STATE_HOME=$T/home$2 XDG_CACHE_HOME=$T/home$2 \
    setsid "$BIN" --fleet "$1" serve --http "127.0.0.1:$2" --tokens-file "$T/tokens.toml" \
    --audit-log "$T/home$2/audit.jsonl" "${@:3}" > /dev/null 2> "$T/home$2/stderr" &
  PIDS+=($!)
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$2/health" && return; sleep 0.05; done
  echo "serve.sh: serve did not start: $(cat "$T/home$2/stderr")" >&2
  exit 1
}
P50=$(free_port)
serve "$T/fleet50.toml" "$P50"
SERVE50=${PIDS[-1]}
P20=$(free_port)
serve "$T/fleet20.toml" "$P20"
PF20=$(free_port)
serve "$T/fake20.toml" "$PF20"
PF20C=$(free_port)
serve "$T/fake20.toml" "$PF20C" --metrics-refresh 0
PD=$(free_port)
setsid /usr/bin/chromedriver --port="$PD" > /dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PD/status" && break; sleep 0.05; done

echo "view (50 targets x 20 processes, Chromium, $RUNS loads):" >&2
VIEW=$("$PY" bench/serve_bench.py view "http://127.0.0.1:$P50" "$TOKEN" "$PD" "$RUNS" "$T/profile")
echo "scrape (20 fake targets x 20 processes, $RUNS scrapes, the default refresh):" >&2
SCRAPE=$("$PY" bench/serve_bench.py scrape "http://127.0.0.1:$PF20" "$TOKEN" "$T/fake20" "$RUNS")
echo "scrape (the same, --metrics-refresh 0: every scrape asks the targets):" >&2
COLD=$("$PY" bench/serve_bench.py scrape "http://127.0.0.1:$PF20C" "$TOKEN" "$T/fake20" "$RUNS")
echo "scrape (20 supervisords x 20 processes, $RUNS scrapes):" >&2
REAL=$("$PY" bench/serve_bench.py scrape "http://127.0.0.1:$P20" "$TOKEN" "$T/real20" "$RUNS")
echo "memory (10 dashboards, a scrape a second, ${SECS} s, 50 targets):" >&2
MEM=$("$PY" bench/serve_bench.py memory "http://127.0.0.1:$P50" "$TOKEN" "$SERVE50" "$SECS")
LOAD=$(uptime | sed 's/.*load average: //')
"$PY" - "$VIEW" "$SCRAPE" "$REAL" "$MEM" "$COLD" "$LOAD" "$BIN" <<'PY'
import json, sys
view, scrape, real, mem, cold = (json.loads(a) for a in sys.argv[1:6])
out = {"view": view, "scrape_fake": scrape, "scrape_fake_every_scrape_asks": cold, "scrape_real": real,
       "memory": mem, "load_average": sys.argv[6], "binary": sys.argv[7]}
json.dump(out, open("bench/serve.json", "w"), indent=1)
goals = [
    ("first view of 50 x 20 in Chromium (load event, median)", f"{view['load_event_ms']:.0f} ms", view["load_event_ms"] < 1000 and view["rows"] == 1000, "< 1 s"),
    ("  ... live updates on (median)", f"{view['live_on_ms_at_most']:.0f} ms", True, ""),
    ("one scrape of 20 fake targets (median)", f"{scrape['scrape_ms']:.1f} ms = {scrape['ratio']:.2f}x the slowest getAllProcessInfo ({scrape['slowest_getAllProcessInfo_ms']:.1f} ms); answers {scrape['answer_age_s_median']:.1f} s old (at most {scrape['answer_age_s_max']:.1f})", scrape["ratio"] <= 1.5 and scrape["up"] == 20 and scrape["answer_age_s_max"] < 10, "<= 1.5x"),
    ("  ... --metrics-refresh 0 (each scrape asks)", f"{cold['scrape_ms']:.1f} ms = {cold['ratio']:.2f}x the slowest getAllProcessInfo ({cold['slowest_getAllProcessInfo_ms']:.1f} ms)", cold["up"] == 20, ""),
    ("one scrape of 20 supervisords (median)", f"{real['scrape_ms']:.1f} ms = {real['ratio']:.2f}x the slowest alone ({real['slowest_getAllProcessInfo_ms']:.1f} ms), {real['ratio_to_all_at_once']:.2f}x all 20 at once ({real['all_at_once_ms']:.1f} ms)", real["up"] == 20, ""),
    ("RSS, 10 dashboards + a scrape a second (peak)", f"{mem['hwm_mb']:.1f} MB (before {mem['rss_mb_before']:.1f}, last {mem['rss_mb_last']:.1f})", mem["hwm_mb"] < 64 and mem["streams_ok"] == 10, "< 64 MB"),
]
for what, fig, ok, goal in goals:
    print(f"{what:52} {fig:100} {goal:8} {'' if ok else 'MISSED'}")
sys.exit(0 if all(ok for _, _, ok, _ in goals) else 1)
PY
