#!/usr/bin/env bash
# Builds the given services in release mode and runs each in the background, logging to
# .run/logs/<name>.log, waits until every one reports SERVING on gRPC health, then starts
# the front door: the storefront (UI and API docs) and Envoy, and waits for them too.
# A process already running the current build is left alone; one running an older build is
# restarted. Expects install.sh and services-up.sh to have run (`make run` does all three).
#
# Usage: run.sh SERVICE...        (the Makefile passes $(SERVICES))
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HEALTH_TIMEOUT=60 # seconds a process gets from its start to report ready
LOG_TAIL=40       # lines of a failed process's log to show
GATEWAY=127.0.0.1:8080
ENVOY_ADMIN=127.0.0.1:9901
STOREFRONT=127.0.0.1:8090

(($#)) || die "no services given (usage: run.sh SERVICE..., or run it through 'make run')"
services=("$@")
for svc in "${services[@]}"; do check_service "$svc"; done
[[ -x $GRPCURL ]] || die "$GRPCURL not found: run deploy/local/install.sh"
[[ -x $ENVOY ]] || die "$ENVOY not found: run deploy/local/install.sh"
mkdir -p "$LOG_DIR"

# --- Build -----------------------------------------------------------------------------
packages=(-p storefront -p plaza-proto)
for svc in "${services[@]}"; do packages+=(-p "$svc"); done
say "building (release): ${services[*]} storefront"
cargo build --release "${packages[@]}"
declare -A binary=() address=() args=()
for svc in "${services[@]}" storefront; do
    binary[$svc]="$RELEASE_DIR/$svc"
    [[ -x ${binary[$svc]} ]] || die "cargo built $svc but ${binary[$svc]} does not exist"
done
for svc in "${services[@]}"; do address[$svc]=$(service_address "$svc"); done
address[storefront]=$STOREFRONT
address[envoy]=$GATEWAY

# Access control: the stack's development signing key, its JWKS and ordering's service
# token, made once in .run/keys and kept, so tokens stay valid across restarts.
CUSTOMERS_BIN="${binary[customers]:-$RELEASE_DIR/customers}" bash "$PLAZA_ROOT/deploy/keys.sh" "$KEYS_DIR"
declare -A auth_env=()
for svc in "${services[@]}"; do
    auth_env[$svc]="$(env_prefix "$svc")__AUTH__JWKS_FILE=$KEYS_DIR/jwks.json"
done
auth_env[customers]+=" PLAZA_CUSTOMERS__AUTH__SIGNING_KEY_FILE=$KEYS_DIR/signing-key.pem"
auth_env[ordering]+=" PLAZA_ORDERING__AUTH__SERVICE_TOKEN=$(<"$KEYS_DIR/ordering-service.token")"

# Envoy's configuration: the routes of deploy/envoy/envoy.template.yaml with the local
# addresses, the descriptor set the transcoder reads and the JWKS it verifies tokens with.
"$RELEASE_DIR/plaza-descriptor-set" "$RUN_DIR/plaza.pb"
bash "$PLAZA_ROOT/deploy/envoy/render.sh" "$RUN_DIR/envoy.yaml" \
    LISTEN_PORT="${GATEWAY##*:}" ADMIN_ADDRESS="${ENVOY_ADMIN%:*}" ADMIN_PORT="${ENVOY_ADMIN##*:}" \
    DESCRIPTOR_SET="$RUN_DIR/plaza.pb" JWKS_FILE="$KEYS_DIR/jwks.json" \
    CUSTOMERS="$(service_address customers)" INVENTORY="$(service_address inventory)" \
    PAYMENTS="$(service_address payments)" ORDERING="$(service_address ordering)" \
    STOREFRONT="$STOREFRONT"
binary[envoy]=$ENVOY
# The setting that says where a process listens (the gRPC services: grpc.listen).
declare -A listen_key=([storefront]=__LISTEN)
# A second Envoy on the machine (the gateway tests) needs another base id.
args[envoy]="-c $RUN_DIR/envoy.yaml --base-id 1 --log-level warn"

# The browser UI the storefront serves (web/dist), rebuilt when its sources changed.
bash "$PLAZA_ROOT/deploy/local/web.sh" build

# --- Start and wait ----------------------------------------------------------------------
reserve_ports

# The build (or config) a process runs: restart it when this changes.
build_of() {
    case $1 in
    envoy) cat "$RUN_DIR/envoy.yaml" "$RUN_DIR/plaza.pb" "$KEYS_DIR/jwks.json" | cksum ;;
    *) binary_stamp "${binary[$1]}" ;;
    esac
}

start() {
    local name=$1 prefix log pid
    prefix=$(env_prefix "$name")
    log=$(log_file "$name")
    # Keep the previous run's log once, as <name>.log.1.
    [[ -f $log ]] && mv -f "$log" "$log.1"
    # setsid puts the process in its own session, so it outlives this shell and a Ctrl-C in
    # the terminal. It starts from a subshell that exits at once, so its parent is init from
    # the start: Envoy stops when the process that started it exits (this script, a moment
    # later), unless that process is gone before Envoy is up.
    # shellcheck disable=SC2086 # args[] and auth_env[] hold words to split
    (
        env "${prefix}${listen_key[$name]:-__GRPC__LISTEN}=${address[$name]}" ${auth_env[$name]:-} \
            "${prefix}__TELEMETRY__LOG_FORMAT=pretty" \
            NO_COLOR=1 \
            setsid nohup "${binary[$name]}" ${args[$name]:-} >"$log" 2>&1 </dev/null &
        printf '%s\n' "$!" >"$(pid_file "$name")"
    )
    pid=$(<"$(pid_file "$name")")
    build_of "$name" >"$(stamp_file "$name")"
    say "$name: started (pid $pid), logging to ${log#"$PLAZA_ROOT"/}"
}

# Whether a process is ready: gRPC health for the services, HTTP for the others.
ready() {
    case $1 in
    envoy) curl -sf -o /dev/null --max-time 2 "http://$ENVOY_ADMIN/ready" ;;
    storefront) curl -sf -o /dev/null --max-time 2 "http://${address[$1]}/healthz" ;;
    *)
        "$GRPCURL" -plaintext -connect-timeout 1 -max-time 2 \
            "${address[$1]}" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"status": *"SERVING"'
        ;;
    esac
}

fail() {
    local name=$1 log
    log=$(log_file "$name")
    say "$name: $2" >&2
    printf -- '----- last %s lines of %s -----\n' "$LOG_TAIL" "${log#"$PLAZA_ROOT"/}" >&2
    tail -n "$LOG_TAIL" "$log" >&2 || true
    printf -- '-----\n' >&2
    die "$name did not come up; 'make stop' stops whatever did"
}

# Starts each of the named processes (unless it runs the current build), then waits until
# every one is ready.
start_and_wait() {
    local name pid
    declare -A started_at=()
    for name in "$@"; do
        if pid=$(running_pid "$name"); then
            if [[ -f $(stamp_file "$name") && $(<"$(stamp_file "$name")") == "$(build_of "$name")" ]]; then
                say "$name: already running the current build (pid $pid); leaving it"
                started_at[$name]=$SECONDS
                continue
            fi
            say "$name: running an older build (pid $pid); restarting it"
            bash "$PLAZA_ROOT/deploy/local/stop.sh" "$name"
        fi
        start "$name"
        started_at[$name]=$SECONDS
    done
    for name in "$@"; do
        local deadline=$((started_at[$name] + HEALTH_TIMEOUT))
        while true; do
            # The process must be alive (and ours) as well as ready: another process could
            # be answering on the same address.
            running_pid "$name" >/dev/null || fail "$name" "exited before it was ready"
            if ready "$name"; then
                say "$name: ready on ${address[$name]}"
                break
            fi
            ((SECONDS < deadline)) ||
                fail "$name" "not ready on ${address[$name]} after ${HEALTH_TIMEOUT}s (still running, pid $(running_pid "$name" || echo '?'))"
            sleep 0.5
        done
    done
}

start_and_wait "${services[@]}"
start_and_wait storefront envoy

# --- Summary ---------------------------------------------------------------------------
echo
printf '%-12s %-8s %-20s %s\n' PROCESS PID ADDRESS LOG
for name in "${services[@]}" storefront envoy; do
    log=$(log_file "$name")
    printf '%-12s %-8s %-20s %s\n' "$name" "$(running_pid "$name")" "${address[$name]}" "${log#"$PLAZA_ROOT"/}"
done
cat <<TXT

UI    http://$GATEWAY/
API   http://$GATEWAY/api/v1/...   (for example: curl -s http://$GATEWAY/api/v1/catalog)
Docs  http://$GATEWAY/docs
gRPC  $GATEWAY                     (.venv/bin/grpcurl -plaintext -import-path proto -proto plaza/ordering/v1/ordering.proto $GATEWAY list)
Each service's gRPC port answers reflection: .venv/bin/grpcurl -plaintext ${address[${services[0]}]} list

Access: the catalog, registration and sign-in are open; everything else takes a token
(authorization: Bearer <token>). Customers get theirs by registering or signing in. An admin
token for the UI's admin sign-in and for curl or grpcurl (valid 12 h; make admin-token for another):
$(admin_token)

Stop: make stop
TXT
