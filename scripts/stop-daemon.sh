#!/usr/bin/env bash
# Stops a supervisord started by a script of this repo, and every process it started.
#   scripts/stop-daemon.sh SOCKET PIDFILE
# A stock shutdown stops one group per second and orphans whatever is left if it is
# cut short (each program leads its own process group). So: ask the daemon to shut
# down (from then on it restarts nothing), kill at once every process whose
# environment names its socket (supervisord sets SUPERVISOR_SERVER_URL for each
# program, and their children inherit it), wait up to 10 s for the daemon to exit
# (then SIGKILL it), and sweep once more.
set -uo pipefail
sock=$1 pidfile=$2
root=$(cd "$(dirname "$0")/.." && pwd)
pid=$(cat "$pidfile" 2>/dev/null || true)
# Only a pid that is still this supervisord (not one reused since).
grep -qF "supervisord" "/proc/$pid/cmdline" 2>/dev/null || pid=""
sweep() {
  local e p
  for e in /proc/[0-9]*/environ; do
    grep -qzxF "SUPERVISOR_SERVER_URL=unix://$sock" "$e" 2>/dev/null || continue
    p=${e#/proc/}
    kill -KILL "${p%/environ}" 2>/dev/null || true
  done
}
if ! "$root/.venv/bin/supervisorctl" -s "unix://$sock" shutdown >/dev/null 2>&1; then
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  sleep 0.5
fi
sweep
if [ -n "$pid" ]; then
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
fi
sweep
exit 0
