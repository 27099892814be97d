#!/usr/bin/env bash
# Builds the given services in release mode and runs each in the background, logging to
# .run/logs/<svc>.log, then waits until every one reports SERVING on gRPC health.
# A service already running the current build is left alone; one running an older build is
# restarted. Expects install.sh and services-up.sh to have run (`make run` does all three).
#
# Usage: run.sh SERVICE...        (the Makefile passes $(SERVICES))
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HEALTH_TIMEOUT=60 # seconds a service gets from its start to report SERVING
LOG_TAIL=40       # lines of a failed service's log to show

(($#)) || die "no services given (usage: run.sh SERVICE..., or run it through 'make run')"
services=("$@")
for svc in "${services[@]}"; do check_service "$svc"; done
[[ -x $GRPCURL ]] || die "$GRPCURL not found: run deploy/local/install.sh"
mkdir -p "$LOG_DIR"

# --- Build -----------------------------------------------------------------------------
packages=()
for svc in "${services[@]}"; do packages+=(-p "$svc"); done
say "building (release): ${services[*]}"
cargo build --release "${packages[@]}"
declare -A binary=() address=()
for svc in "${services[@]}"; do
    binary[$svc]="$RELEASE_DIR/$svc"
    [[ -x ${binary[$svc]} ]] || die "cargo built $svc but ${binary[$svc]} does not exist"
    address[$svc]=$(service_address "$svc")
done

# --- Start -----------------------------------------------------------------------------
reserve_ports

start() {
    local svc=$1 prefix log pid
    prefix=$(env_prefix "$svc")
    log=$(log_file "$svc")
    # Keep the previous run's log once, as <svc>.log.1.
    [[ -f $log ]] && mv -f "$log" "$log.1"
    # setsid puts the service in its own session, so it outlives this shell and a Ctrl-C
    # in the terminal. A background child of a script is never a process group leader, so
    # setsid and nohup exec in place and $! is the service's own pid.
    env "${prefix}__GRPC__LISTEN=${address[$svc]}" \
        "${prefix}__TELEMETRY__LOG_FORMAT=pretty" \
        NO_COLOR=1 \
        setsid nohup "${binary[$svc]}" >"$log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$(pid_file "$svc")"
    binary_stamp "${binary[$svc]}" >"$(stamp_file "$svc")"
    say "$svc: started (pid $pid), logging to ${log#"$PLAZA_ROOT"/}"
}

declare -A started_at=()
for svc in "${services[@]}"; do
    if pid=$(running_pid "$svc"); then
        if [[ -f $(stamp_file "$svc") &&
            $(<"$(stamp_file "$svc")") == "$(binary_stamp "${binary[$svc]}")" ]]; then
            say "$svc: already running the current build (pid $pid); leaving it"
            started_at[$svc]=$SECONDS
            continue
        fi
        say "$svc: running an older build (pid $pid); restarting it"
        bash "$PLAZA_ROOT/deploy/local/stop.sh" "$svc"
    fi
    start "$svc"
    started_at[$svc]=$SECONDS
done

# --- Wait for SERVING ------------------------------------------------------------------
# grpcurl learns the health service through the server's reflection.
serving() {
    "$GRPCURL" -plaintext -connect-timeout 1 -max-time 2 \
        "$1" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"status": *"SERVING"'
}

fail() {
    local svc=$1 log
    log=$(log_file "$svc")
    say "$svc: $2" >&2
    printf -- '----- last %s lines of %s -----\n' "$LOG_TAIL" "${log#"$PLAZA_ROOT"/}" >&2
    tail -n "$LOG_TAIL" "$log" >&2 || true
    printf -- '-----\n' >&2
    die "$svc did not come up; 'make stop' stops whatever did"
}

for svc in "${services[@]}"; do
    deadline=$((started_at[$svc] + HEALTH_TIMEOUT))
    while true; do
        # The process must be alive (and ours) as well as healthy: another process could
        # be answering on the same address.
        running_pid "$svc" >/dev/null || fail "$svc" "exited before reporting SERVING"
        if serving "${address[$svc]}"; then
            say "$svc: SERVING on ${address[$svc]}"
            break
        fi
        ((SECONDS < deadline)) ||
            fail "$svc" "not SERVING on ${address[$svc]} after ${HEALTH_TIMEOUT}s (still running, pid $(running_pid "$svc" || echo '?'))"
        sleep 0.5
    done
done

# --- Summary ---------------------------------------------------------------------------
echo
printf '%-12s %-8s %-20s %s\n' SERVICE PID ADDRESS LOG
for svc in "${services[@]}"; do
    log=$(log_file "$svc")
    printf '%-12s %-8s %-20s %s\n' "$svc" "$(running_pid "$svc")" "${address[$svc]}" "${log#"$PLAZA_ROOT"/}"
done
echo
echo "Try:  .venv/bin/grpcurl -plaintext ${address[${services[0]}]} list"
echo "Stop: make stop"
