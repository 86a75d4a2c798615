#!/usr/bin/env bash
# Quick start: brings up a demo supervisord from supervisord.conf.example (unix socket
# ./run/supervisor.sock and http://127.0.0.1:9001) and shows supervisord-mcp talking to it.
# Stop the demo with: .venv/bin/supervisorctl -c supervisord.conf.example shutdown
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The first release build takes minutes: cargo shows its progress.
cargo build --release
BIN=target/release/supervisord-mcp
mkdir -p run/programs
if ! .venv/bin/supervisorctl -c supervisord.conf.example pid >/dev/null 2>&1; then
  .venv/bin/supervisord -c supervisord.conf.example
  # Wait until the autostart programs are RUNNING (idempotent start waits for it).
  "$BIN" -c supervisord.conf.example start ticker colors 'worker:*' >/dev/null
fi
run() { echo "\$ supervisord-mcp $*"; "$BIN" "$@" || true; echo; }
run -c supervisord.conf.example status
run -c supervisord.conf.example logs colors --lines 5
run -c supervisord.conf.example start crasher
run -s http://127.0.0.1:9001 restart web:*
echo "The binary is $BIN; the demo daemon keeps running (stop it: .venv/bin/supervisorctl -c supervisord.conf.example shutdown)."
