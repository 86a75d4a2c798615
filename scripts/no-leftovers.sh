#!/usr/bin/env bash
# Runs a command and fails if any process it started outlives it. Every process the
# command starts, however deep, inherits SUPERVISORD_MCP_RUN=<a fresh tag> in its
# environment (supervisord passes its own environment to its programs); after the
# command, a process still carrying the tag is a leftover: each is listed, ended, and
# the exit status is 1 (or the command's own, if that failed).
#   scripts/no-leftovers.sh cargo test
set -uo pipefail
tag="$$-$(date +%s%N)"
SUPERVISORD_MCP_RUN="$tag" "$@"
status=$?
tagged() {
  local e p
  for e in /proc/[0-9]*/environ; do
    grep -qzxF "SUPERVISORD_MCP_RUN=$tag" "$e" 2>/dev/null || continue
    p=${e#/proc/}
    echo "${p%/environ}"
  done
}
# A process may still be on its way out: give it 5 s.
for _ in $(seq 50); do
  left=$(tagged)
  [ -z "$left" ] && break
  sleep 0.1
done
if [ -n "$left" ]; then
  echo "no-leftovers: $(echo "$left" | wc -l) process(es) started by '$*' outlived it:" >&2
  for p in $left; do
    echo "  pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
  done
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null
  [ "$status" -eq 0 ] && status=1
else
  echo "no-leftovers: no process started by '$*' outlived it" >&2
fi
exit "$status"
