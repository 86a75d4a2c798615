#!/usr/bin/env bash
# The test suite: unit tests, and integration tests against real supervisord daemons
# that the tests start themselves (scripts/setup.sh --test installs supervisord and
# the MCP Python SDK into .venv). Arguments go to `cargo test`. Fails, listing them,
# if any process the suite started outlives it (scripts/no-leftovers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# What the tests' servers cache (diagnose's copy of each daemon's configuration)
# goes to a scratch directory, not the user's ~/.cache.
export XDG_CACHE_HOME="$PWD/target/test-cache"
rm -rf "$XDG_CACHE_HOME"
mkdir -p "$XDG_CACHE_HOME"
# Most tests wait on daemons, not on the CPU: four at a time (not one per core)
# take the suite from about 8 to under 7 minutes on 2 cores. RUST_TEST_THREADS=N to change.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"
scripts/no-leftovers.sh cargo test "$@"
