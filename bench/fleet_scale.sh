#!/usr/bin/env bash
# The fan-out at scale, against its floor (issue #21.3): `status` across 1, 100 and
# 1,000 targets that answer cheaply and in parallel, so that what is measured is us and
# not 20 Python daemons sharing 2 cores (bench/fleet.sh measures those, beside it).
# The targets are one process of many loopback ports (bench/fleet_fake.rs), each
# answering with the replies recorded here from a real supervisord of 10 processes,
# after DELAY_MS (default 5) that stands for the network: the floor of one target is
# that delay (plus a process start), and a fan-out at its floor costs about as much
# for 1,000 targets as for one. Rows: the medians (hyperfine), our CPU, our peak RSS
# (/usr/bin/time), and 1,000 targets of which 5% are frozen (they accept and never
# answer): every other target's answer must be the one it gives with none frozen, and
# the whole call must end within the deadline (timeout_s) plus 100 ms.
#   bench/fleet_scale.sh [BIN]    (default target/release/supervisord-mcp, built if missing)
#   DELAY_MS=5 RUNS=30 FAKE=path/to/fleet_fake bench/fleet_scale.sh
# The fleet files set `concurrency = 1024` (every target at once; the default, 32, is
# measured too, as a row). Writes bench/fleet_scale.json; exits 1 if a goal fails.
# Called by bench/compare.sh (section `fleet`). Stops what it started, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$PWD/target/release/supervisord-mcp}
[ -x "$BIN" ] || cargo build --release --quiet
FAKE=${FAKE:-}
if [ -z "$FAKE" ]; then
  cargo build --release --quiet --example fleet_fake
  FAKE=$PWD/target/release/examples/fleet_fake
fi
PY=$PWD/.venv/bin/python
DELAY=${DELAY_MS:-5}
RUNS=${RUNS:-30}
DEADLINE_S=1
N=1000
FROZEN=50
T=$(mktemp -d)
FAKE_PID=
stop_all() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && { wait "$FAKE_PID" 2>/dev/null || true; }
  [ -f "$T/d.pid" ] && scripts/stop-daemon.sh "$T/s.sock" "$T/d.pid" >/dev/null 2>&1
  rm -rf "$T"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
ulimit -n 8192
command -v hyperfine >/dev/null || { echo "fleet_scale.sh needs hyperfine: apt-get install hyperfine (bench/compare.sh installs it)" >&2; exit 2; }

# ---- the replies, recorded from a real supervisord of 10 processes ---------------------
{
  printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n'
  printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
  for i in 0 1 2 3 4 5 6 7 8 9; do printf '[program:p%s]\ncommand=sleep 100000\nstartsecs=0\n' "$i"; done
} > "$T/s.conf"
.venv/bin/supervisord -c "$T/s.conf" > "$T/d.out" 2>&1
for _ in $(seq 100); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
sleep 1
mkdir "$T/replies"
"$PY" - "$T/s.sock" "$T/replies" <<'PY'
import sys
sys.path.insert(0, "bench")
from benchlib import post
sock, out = sys.argv[1], sys.argv[2]
for m in ["getAPIVersion", "getSupervisorVersion", "getIdentification", "getState", "getPID", "getAllProcessInfo"]:
    body = f"<?xml version='1.0'?><methodCall><methodName>supervisor.{m}</methodName><params/></methodCall>"
    reply = post(sock, body).decode()
    value = reply.split("<param>", 1)[1].rsplit("</param>", 1)[0].strip()
    open(f"{out}/supervisor.{m}.xml", "w").write(value)
n = open(f"{out}/supervisor.getAllProcessInfo.xml").read().count("<name>name</name>")
assert n == 10, f"{n} processes recorded"
PY
scripts/stop-daemon.sh "$T/s.sock" "$T/d.pid" >/dev/null 2>&1
rm -f "$T/d.pid"

# ---- the targets: FROZEN frozen ports, then N that answer after DELAY ms ----------------
"$FAKE" "$T/replies" "$T/ports" $((N + FROZEN)) "$DELAY" "$FROZEN" &
FAKE_PID=$!
for _ in $(seq 200); do [ -s "$T/ports" ] && break; sleep 0.05; done
[ -s "$T/ports" ] || { echo "fleet_scale.sh: the fake targets did not start" >&2; exit 1; }
mapfile -t PORTS < "$T/ports"
FROZEN_PORTS=("${PORTS[@]:0:FROZEN}")
LIVE=("${PORTS[@]:FROZEN}")
fleet() { # file, concurrency, then name=port pairs
  local f=$1 c=$2 pair
  shift 2
  { printf '[defaults]\ntimeout_s = %s\nconcurrency = %s\n' "$DEADLINE_S" "$c"
    for pair in "$@"; do printf '[targets.%s]\nurl = "http://127.0.0.1:%s"\n' "${pair%%=*}" "${pair#*=}"; done
  } > "$f"
}
pairs() { # how many live targets: t0000=PORT ...
  local i
  for ((i = 0; i < $1; i++)); do echo "t$(printf %04d "$i")=${LIVE[$i]}"; done
}
fleet "$T/f1.toml" 1024 $(pairs 1)
fleet "$T/f100.toml" 1024 $(pairs 100)
fleet "$T/f1000.toml" 1024 $(pairs $N)
fleet "$T/f1000c32.toml" 32 $(pairs $N)
# 1,000 targets, one in 20 frozen (5%), spread among them; and the same without them.
frozen_pairs=() healthy_pairs=()
j=0
for ((i = 0; i < N; i++)); do
  name=t$(printf %04d "$i")
  if ((i % 20 == 0)); then frozen_pairs+=("$name=${FROZEN_PORTS[$j]}"); j=$((j + 1))
  else healthy_pairs+=("$name=${LIVE[$i]}"); fi
done
fleet "$T/ffrozen.toml" 1024 "${frozen_pairs[@]}" "${healthy_pairs[@]}"
fleet "$T/fhealthy.toml" 1024 "${healthy_pairs[@]}"
# The floor of one target: curl of the same system.multicall our status sends.
"$PY" - "$T/body.xml" <<'PY'
import sys
calls = "".join(
    f"<value><struct><member><name>methodName</name><value><string>supervisor.{m}</string></value></member>"
    "<member><name>params</name><value><array><data></data></array></value></member></struct></value>"
    for m in ["getAPIVersion", "getSupervisorVersion", "getIdentification", "getState", "getPID", "getAllProcessInfo"])
open(sys.argv[1], "w").write("<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params><param>"
                             f"<value><array><data>{calls}</data></array></value></param></params></methodCall>")
PY
FLOOR="curl -s --data-binary @$T/body.xml -o /dev/null http://127.0.0.1:${LIVE[0]}/RPC2"

# Every target must answer (a method the recording lacks would show here), every one
# with its 10 processes.
for f in f1 f100 f1000 fhealthy; do
  "$BIN" --fleet "$T/$f.toml" -t all status --json > "$T/$f.json" || true
done
"$BIN" --fleet "$T/ffrozen.toml" -t all status --json > "$T/ffrozen.json" || true

hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$T/scale.json" \
  "$BIN --fleet $T/f1.toml -t all status" "$FLOOR" \
  "$BIN --fleet $T/f100.toml -t all status" \
  "$BIN --fleet $T/f1000.toml -t all status" >/dev/null 2>"$T/hf.err" || { cat "$T/hf.err" >&2; exit 1; }
hyperfine -N -i --warmup 1 --runs 10 --export-json "$T/c32.json" \
  "$BIN --fleet $T/f1000c32.toml -t all status" >/dev/null 2>&1
hyperfine -N -i --warmup 1 --runs 5 --export-json "$T/frozen.json" \
  "$BIN --fleet $T/ffrozen.toml -t all status" >/dev/null 2>&1
rss() { # fleet file: median of 3 peak RSS, KiB
  local k
  for k in 1 2 3; do
    { /usr/bin/time -f %M "$BIN" --fleet "$1" -t all status 2>&1 >/dev/null || true; } | tail -n 1
  done | sort -n | sed -n 2p
}
RSS1=$(rss "$T/f1.toml") RSS100=$(rss "$T/f100.toml") RSS1000=$(rss "$T/f1000.toml") RSSF=$(rss "$T/ffrozen.toml")
RSSC32=$(rss "$T/f1000c32.toml")
# The targets' own CPU for one call across 1,000 (they share the 2 cores with us):
# the fake's utime + stime over 10 calls, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$FAKE_PID/stat"; }
before=$(ticks)
for _ in $(seq 10); do "$BIN" --fleet "$T/f1000.toml" -t all status >/dev/null || true; done
FAKE_CPU_MS=$(( ($(ticks) - before) * 1000 / $(getconf CLK_TCK) / 10 ))

"$PY" - "$T" "$DELAY" "$DEADLINE_S" "$RSS1" "$RSS100" "$RSS1000" "$RSSF" "$RSSC32" "$(uptime | sed 's/.*load average: //')" "$FAKE_CPU_MS" <<'PY'
import json, os, sys
t, delay, deadline = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rss = [int(x) / 1024 for x in sys.argv[4:9]]
load = sys.argv[9]
fake_cpu = float(sys.argv[10])
res = lambda f: json.load(open(os.path.join(t, f)))["results"]
med = lambda r: r["median"] * 1000
cpu = lambda r: (r["user"] + r["system"]) * 1000
one, floor, hundred, thousand = res("scale.json")
c32, frozen = res("c32.json")[0], res("frozen.json")[0]

def targets(name):
    doc = json.load(open(os.path.join(t, name + ".json")))
    return {x["target"]: x for x in doc["targets"]}

def bare(x):  # a target's answer, without its timing
    return {k: v for k, v in x.items() if k != "elapsed_ms"}

errors = []
for name, want in [("f1", 1), ("f100", 100), ("f1000", 1000), ("fhealthy", 950)]:
    ts = targets(name)
    bad = [n for n, x in ts.items() if not x["ok"] or len((x.get("result") or {}).get("processes", [])) != 10]
    if len(ts) != want or bad:
        errors.append(f"{name}: {len(ts)} targets, {len(bad)} without their 10 processes (first: {bad[:1]})")
healthy, with_frozen = targets("fhealthy"), targets("ffrozen")
changed = [n for n, x in healthy.items() if bare(with_frozen.get(n, {})) != bare(x)]
failed = sorted(n for n, x in with_frozen.items() if not x["ok"])
kinds = sorted({x["error"].get("kind", "?") for x in with_frozen.values() if not x["ok"]})

rows = [
    ("1 target", med(one), "curl of the same multicall, 1 fake target", med(floor), None),
    ("100 targets", med(hundred), "1 target", med(one), 1.5),
    ("1,000 targets", med(thousand), "1 target", med(one), 3.0),
    ("1,000 targets, default concurrency (32)", med(c32), "1 target", med(one), None),
]
print(f"fan-out at scale: fake targets answering after {delay:g} ms, 10 processes each, concurrency 1024")
print(f"{'status across':<42} {'median ms':>10} {'our CPU ms':>11} {'peak RSS MB':>12}   floor (ms), ratio, goal")
extra = {"1 target": (cpu(one), rss[0]), "100 targets": (cpu(hundred), rss[1]), "1,000 targets": (cpu(thousand), rss[2]),
         "1,000 targets, default concurrency (32)": (cpu(c32), rss[4])}
out_rows, goals = [], []
for label, ms, floor_name, floor_ms, goal in rows:
    c, r = extra[label]
    ratio = ms / floor_ms
    ok = goal is None or ratio <= goal
    rs = f"{r:>12.1f}" if r is not None else f"{'':>12}"
    print(f"{label:<42} {ms:>10.1f} {c:>11.1f} {rs}   {floor_name} {floor_ms:.1f}: {ratio:.2f}x"
          + (f" (goal <= {goal}x: {'ok' if ok else 'MISSED'})" if goal else ""))
    out_rows.append({"what": f"status across {label}", "ms": round(ms, 2), "cpu_ms": round(c, 2),
                     "peak_rss_mb": None if r is None else round(r, 1), "floor": floor_name,
                     "floor_ms": round(floor_ms, 2), "ratio": round(ratio, 2), "goal": goal, "ok": ok})
    if goal:
        goals.append(ok)
rss_ok = rss[2] < 64
goals.append(rss_ok)
print(f"peak RSS, 1,000 targets: {rss[2]:.1f} MB (goal < 64 MB: {'ok' if rss_ok else 'MISSED'})")
f_ms = med(frozen)
f_ok = f_ms <= deadline * 1000 + 100 and not changed and len(failed) == 50
goals.append(f_ok)
print(f"1,000 targets, 50 frozen (deadline {deadline:g} s): {f_ms:.0f} ms (goal <= {deadline * 1000 + 100:.0f} ms),"
      f" {len(failed)} failed ({', '.join(kinds)}), {len(changed)} other answers changed,"
      f" peak RSS {rss[3]:.1f} MB: {'ok' if f_ok else 'MISSED'}")
print(f"the 1,000 fake targets' own CPU for one call: {fake_cpu:.0f} ms, ours {cpu(thousand):.0f} ms; on the"
      f" same 2 cores the call cannot take less than about {(fake_cpu + cpu(thousand)) / 2:.0f} ms")
for e in errors:
    print("ERROR:", e)
out = {"delay_ms": delay, "deadline_s": deadline, "concurrency": 1024, "rows": out_rows,
       "peak_rss_mb": {"1": round(rss[0], 1), "100": round(rss[1], 1), "1000": round(rss[2], 1),
                       "1000_frozen": round(rss[3], 1), "1000_concurrency_32": round(rss[4], 1)},
       "frozen": {"targets": 1000, "frozen": 50, "ms": round(f_ms, 1), "failed": len(failed), "kinds": kinds,
                  "other_answers_changed": len(changed), "ok": f_ok},
       "fake_targets_cpu_ms_1000": fake_cpu,
       "errors": errors, "load_average_at_end": load, "all_goals_met": all(goals) and not errors}
json.dump(out, open("bench/fleet_scale.json", "w"), indent=2)
print(f"load average at the end (1, 5, 15 min): {load}")
sys.exit(0 if out["all_goals_met"] else 1)
PY
