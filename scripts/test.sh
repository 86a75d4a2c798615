#!/usr/bin/env bash
# The test suite: unit tests and integration tests against a real supervisord that
# the tests start themselves (installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test "$@"
