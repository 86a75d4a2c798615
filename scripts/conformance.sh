#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server
# mode) against `supervisord-mcp mcp --http` on a temporary real supervisord. Installs
# Node 22 and the suite from npm into .conformance/. Every scenario must pass except
# those listed, with reasons, in tests/conformance-baseline.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
C=$PWD/.conformance
if [ ! -x "$C/node_modules/.bin/conformance" ]; then
  mkdir -p "$C"
  (cd "$C" && npm install --silent --no-audit --no-fund node@22 @modelcontextprotocol/conformance@0.1.16 >/dev/null)
fi
cargo build --quiet
T=$(mktemp -d)
MCP=""
cleanup() {
  if [ -n "$MCP" ]; then kill "$MCP" 2>/dev/null || true; wait "$MCP" 2>/dev/null || true; fi
  scripts/stop-daemon.sh "$T/s.sock" "$T/d.pid"
  rm -rf "$T"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[unix_http_server]\nfile=%%(here)s/s.sock\n[supervisord]\nlogfile=%%(here)s/d.log\npidfile=%%(here)s/d.pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n[program:sleeper]\ncommand=sleep 100000\n' > "$T/s.conf"
.venv/bin/supervisord -c "$T/s.conf" >"$T/supervisord.out" 2>&1
# The suite sends no bearer token: serve this throwaway loopback bridge without one.
target/debug/supervisord-mcp -s "unix://$T/s.sock" mcp --http "127.0.0.1:$PORT" --dangerously-serve-without-token 2>"$T/mcp.log" &
MCP=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break; sleep 0.1; done
# The suite's own summary ends in "Total: N passed, M failed", counting the scenarios
# that cannot apply as failures; keep it in a file and say what it means here.
OUT=target/conformance.log
status=0
PATH="$C/node_modules/.bin:$PATH" conformance server --url "http://127.0.0.1:$PORT/mcp" \
  --expected-failures tests/conformance-baseline.yml -o "$T/results" >"$OUT" 2>&1 || status=$?
ok=$(grep -c '^✓' "$OUT" || true)
if [ "$status" -eq 0 ]; then
  echo "conformance: every applicable scenario passes ($ok scenarios; those that cannot apply are listed with reasons in tests/conformance-baseline.yml; report: $OUT)"
else
  grep -E '^(✓|✗)|baseline|Baseline' "$OUT" | sed 's/passed/ok/; s/failed/not ok/' >&2
  echo "conformance: FAILED (see $OUT)" >&2
  exit 1
fi
