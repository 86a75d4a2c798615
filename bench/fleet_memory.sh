#!/usr/bin/env bash
# A fan-out's reply memory (issue #17, item 8): the maximum RSS (`/usr/bin/time -v`) of
# `BIN -t all status` against 20 hostile targets, each answering every request with a
# valid XML-RPC reply of 60 MB (a <string> of 60 MB), served by one local Python
# process on 20 loopback ports. Before the fan-out's shared budget each reply could
# hold 64 MiB, times the targets asked at once; after, the replies of one call hold at
# most 256 MiB together (`--fleet-memory`), and each target failing past its part is
# `too_large`. Each binary is run RUNS times; the table shows min/median/max RSS.
#   bench/fleet_memory.sh [BIN...]   (default: target/debug/supervisord-mcp; give the
#                                    binary before the change and after, to compare)
#   RUNS=5 MB=60 N=20 bench/fleet_memory.sh ...
# Everything stays under a temporary directory; the server is stopped however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- "$PWD/target/debug/supervisord-mcp"
PY=$PWD/.venv/bin/python
[ -x "$PY" ] || PY=$(command -v python3)
N=${N:-20}
MB=${MB:-60}
RUNS=${RUNS:-3}
T=$(mktemp -d)
SERVER=
stop_all() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$T"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The hostile targets: N listeners, each reply MB * 1,000,000 bytes in all.
"$PY" - "$N" "$MB" "$T/ports" <<'PY' &
import socket, sys, threading
n, mb, ports_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
start = b"<?xml version='1.0'?><methodResponse><params><param><value><string>"
end = b"</string></value></param></params></methodResponse>"
body = start + b"x" * (mb * 1_000_000 - len(start) - len(end)) + end
head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(body)
def serve(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        h, _, rest = data.partition(b"\r\n\r\n")
        length = next((int(l.split(b":")[1]) for l in h.lower().split(b"\r\n") if l.startswith(b"content-length:")), 0)
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return
            rest += chunk
        try:
            conn.sendall(head + body)
        except OSError:
            pass
def listen(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
ports = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    ports.append(s.getsockname()[1])
    threading.Thread(target=listen, args=(s,), daemon=True).start()
with open(ports_file + ".tmp", "w") as f:
    f.write("\n".join(map(str, ports)) + "\n")
import os
os.rename(ports_file + ".tmp", ports_file)
threading.Event().wait()
PY
SERVER=$!
for _ in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.1; done
[ -s "$T/ports" ] || { echo "the hostile server did not start" >&2; exit 1; }
{ printf '[defaults]\ntimeout_s = 60\n'
  i=0
  while read -r port; do
    i=$((i + 1))
    printf '[targets.hostile-%02d]\nurl = "http://127.0.0.1:%s"\n' "$i" "$port"
  done < "$T/ports"
} > "$T/fleet.toml"

printf '%-60s %10s %10s %10s  %s\n' "binary ($N targets x $MB MB)" "min MiB" "median" "max MiB" "kinds (last run)"
for bin in "$@"; do
  rss=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v "$bin" --fleet "$T/fleet.toml" -t all --rpc-timeout 60 status --json \
      > "$T/out.json" 2> "$T/time.txt" || true
    rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time.txt")")
  done
  kinds=$("$PY" -c 'import json,sys,collections
d=json.load(open(sys.argv[1]))
print(dict(collections.Counter(t.get("error",{}).get("kind","ok") for t in d["targets"])))' "$T/out.json" 2>/dev/null || echo "?")
  sorted=$(printf '%s\n' "${rss[@]}" | sort -n)
  min=$(echo "$sorted" | head -1)
  max=$(echo "$sorted" | tail -1)
  med=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-60s %10d %10d %10d  %s\n' "$bin" $((min / 1024)) $((med / 1024)) $((max / 1024)) "$kinds"
done
