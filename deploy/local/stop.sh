#!/usr/bin/env bash
# Stops services started by run.sh: SIGTERM, up to STOP_TIMEOUT seconds to exit (the
# services drain for at most their 20 s shutdown grace), then SIGKILL. Removes their pid
# files. Safe to run when nothing runs.
#
# Usage: stop.sh             every service with a pid file under .run/
#        stop.sh SERVICE...  only these
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STOP_TIMEOUT=25

if (($#)); then
    services=("$@")
else
    services=()
    for file in "$RUN_DIR"/*.pid; do
        [[ -e $file ]] && services+=("$(basename "$file" .pid)")
    done
fi

forget() { rm -f "$(pid_file "$1")" "$(stamp_file "$1")"; }

# Ask every running service to stop first, then wait for all of them together.
declare -A pids=()
for svc in "${services[@]}"; do
    if pid=$(running_pid "$svc"); then
        say "$svc: sending SIGTERM to pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        pids[$svc]=$pid
    elif [[ -f $(pid_file "$svc") ]]; then
        say "$svc: not running (removing its stale pid file)"
        forget "$svc"
    elif (($#)); then
        say "$svc: not running"
    fi
done

if ((${#pids[@]} == 0)); then
    ((${#services[@]})) || say "nothing to stop"
    exit 0
fi

alive() { process_alive "$1"; }
gone() { ! process_alive "$1"; }
deadline=$((SECONDS + STOP_TIMEOUT))
for svc in "${services[@]}"; do
    [[ -n ${pids[$svc]:-} ]] || continue
    pid=${pids[$svc]}
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then
        say "$svc: still running after ${STOP_TIMEOUT}s; sending SIGKILL to pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 5 gone "$pid" || die "$svc: pid $pid survived SIGKILL"
        say "$svc: killed (pid $pid); its log may say why it hung: ${LOG_DIR#"$PLAZA_ROOT"/}/$svc.log"
    else
        say "$svc: stopped (pid $pid)"
    fi
    forget "$svc"
done
