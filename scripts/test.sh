#!/usr/bin/env bash
# The test suite: unit tests, and integration tests against real supervisord daemons
# that the tests start themselves (scripts/setup.sh --test installs supervisord and
# the MCP Python SDK into .venv). Arguments go to `cargo test`. Fails, listing them,
# if any process the suite started outlives it (scripts/no-leftovers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/no-leftovers.sh cargo test "$@"
