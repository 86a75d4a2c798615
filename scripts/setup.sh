#!/usr/bin/env bash
# Installs what the demo and the tests need that Cargo does not: a real supervisord
# (PyPI `supervisor`, pinned) in ./.venv. Idempotent and quiet when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPERVISOR_VERSION=4.3.0
if [ ! -x .venv/bin/supervisord ] || ! .venv/bin/supervisord --version 2>/dev/null | grep -qx "$SUPERVISOR_VERSION"; then
  echo "setup: installing supervisor==$SUPERVISOR_VERSION into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "supervisor==$SUPERVISOR_VERSION"
fi
