# Shared settings and helpers of the deploy/local scripts. Source it; do not run it.
# shellcheck shell=bash
# The variables below are used by the scripts that source this file.
# shellcheck disable=SC2034

# The repository root, whatever directory the caller runs from.
PLAZA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PLAZA_ROOT" || exit 1

RUN_DIR="$PLAZA_ROOT/.run"      # pid files and build stamps of the running services
KEYS_DIR="$RUN_DIR/keys"        # the local stack's development signing key, JWKS and tokens
LOG_DIR="$RUN_DIR/logs"         # one log file per service
VENV="$PLAZA_ROOT/.venv"        # Python-packaged tools (grpcurl, later envoy)
GRPCURL="$VENV/bin/grpcurl"
ENVOY="$VENV/bin/envoy"
# Cargo puts its output here; a relative CARGO_TARGET_DIR is relative to the root, like cargo.
RELEASE_DIR="${CARGO_TARGET_DIR:-target}/release"

# Postgres (trust auth, superuser postgres) and NATS of the local machine.
PG_HOST=127.0.0.1
PG_PORT=5432
PG_SUPERUSER=postgres
PG_DATABASE=plaza
NATS_HOST=127.0.0.1
NATS_PORT=4222

# Prints a fresh admin token of the local stack (signed with its development key), for the
# admin sign-in of the UI and for REST and gRPC calls: `authorization: Bearer <token>`.
admin_token() {
    PLAZA_CUSTOMERS__AUTH__SIGNING_KEY_FILE="$KEYS_DIR/signing-key.pem" \
        "$RELEASE_DIR/customers" issue-admin-token "${1:-local-admin}"
}

# Prefixes every line with the script's name, so interleaved output stays readable.
say() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
warn() { say "warning: $*" >&2; }
die() {
    say "error: $*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

# True when something accepts TCP connections on host $1, port $2.
tcp_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Polls `$@` every half second until it succeeds (return 0) or $timeout seconds pass (1).
wait_until() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# Checks that $1 names a service crate of this workspace.
check_service() {
    [[ $1 =~ ^[a-z][a-z0-9_]*$ ]] || die "'$1' is not a valid service name"
    [[ -f services/$1/Cargo.toml ]] ||
        die "service '$1' is listed but services/$1/Cargo.toml does not exist"
}

# Prints the prefix of a service's settings variables: customers -> PLAZA_CUSTOMERS.
env_prefix() { printf 'PLAZA_%s' "${1^^}"; }

# Prints the gRPC address of service $1: PLAZA_<SVC>__GRPC__LISTEN when set, otherwise the
# `listen` key of the [grpc] section of the service's embedded defaults (one source of truth).
service_address() {
    local var
    var="$(env_prefix "$1")__GRPC__LISTEN"
    if [[ -n ${!var:-} ]]; then
        printf '%s\n' "${!var}"
        return
    fi
    local file="services/$1/config/default.toml" address
    [[ -f $file ]] || die "$file not found: cannot tell $1's gRPC address (or set $var)"
    address=$(awk '
        /^[[:space:]]*\[/ { in_grpc = ($0 ~ /^[[:space:]]*\[grpc\][[:space:]]*(#.*)?$/); next }
        in_grpc && /^[[:space:]]*listen[[:space:]]*=/ {
            sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit
        }' "$file")
    [[ $address =~ ^[^:]+:[1-9][0-9]*$ ]] ||
        die "no usable [grpc] listen address in $file (found '$address'); set $var"
    printf '%s\n' "$address"
}

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }
stamp_file() { printf '%s/%s.build\n' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log\n' "$LOG_DIR" "$1"; }

# True if process $1 exists and is not a zombie (an exited service whose parent is gone may
# linger as a zombie in containers whose init does not reap it, and kill -0 sees zombies).
process_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # drop "pid (comm) ": the state letter comes next
    [[ ${stat:0:1} != Z ]]
}

# Prints the pid of service $1 and succeeds if its pid file names a live process running
# that service's binary (the name check guards against a pid reused after a reboot).
running_pid() {
    local file pid comm
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    process_alive "$pid" || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    # The kernel truncates process names to 15 characters.
    [[ $comm == "${1:0:15}" ]] || return 1
    printf '%s\n' "$pid"
}

# Whether any process of the stack runs now (from this checkout's .run/ pid files).
stack_running() {
    local file
    for file in "$RUN_DIR"/*.pid; do
        [[ -e $file ]] && running_pid "$(basename "$file" .pid)" >/dev/null && return 0
    done
    return 1
}

# Makes sure the stack of the given services runs, as `make run` starts it: starts what is
# not running (and restarts what runs an older build). When nothing of it ran before, stops
# it again when the calling script exits, however it exits.
use_stack() {
    if ! stack_running; then
        trap 'say "stopping the stack this run started"; bash "$PLAZA_ROOT/deploy/local/stop.sh"' EXIT
    fi
    bash "$PLAZA_ROOT/deploy/local/run.sh" "$@"
}

# Refuses to measure a stack whose saga participants run with a demo delay (`make demo`):
# the delay would hold every order up for seconds.
refuse_demo_delays() {
    local svc pid
    for svc in payments inventory; do
        pid=$(running_pid "$svc") || continue
        if tr '\0' '\n' <"/proc/$pid/environ" | grep -q "^$(env_prefix "$svc")__SAGA__CONFIRM_DELAY=[^0]"; then
            die "$svc runs with a demo delay (make demo): 'make stop' first"
        fi
    done
}

# Identifies the build of a binary (modification time and size), to tell whether a running
# service still runs the binary that is on disk now.
binary_stamp() { stat -c '%Y %s' "$1"; }

# Plaza's fixed ports lie inside Linux's default ephemeral range (32768-60999), so an
# outgoing connection (a service's own NATS client, say) can be given one of them as its
# local port, and the service meant to listen there fails with "Address already in use".
# Reserving them keeps the kernel from handing them out. Needs root; without it, warns.
PLAZA_PORTS="50051-50054,8080,8090,9901"
reserve_ports() {
    local file=/proc/sys/net/ipv4/ip_local_reserved_ports current
    current=$(<"$file")
    [[ ,$current, == *,$PLAZA_PORTS,* ]] && return 0
    if ! printf '%s\n' "${current:+$current,}$PLAZA_PORTS" >"$file" 2>/dev/null; then
        warn "cannot reserve ports $PLAZA_PORTS (not root?); a busy port may stop a service"
    fi
}

# Runs `npm ci` in the npm package at $1 when its package-lock.json changed since the last
# install (a checksum kept in its node_modules), so repeated calls cost nothing.
npm_ci_if_changed() {
    local package=$1 label=$2 stamp wanted
    stamp="$package/node_modules/.plaza-lock.sha256"
    wanted=$(sha256sum <"$package/package-lock.json")
    if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
        say "$label: up to date"
    else
        say "installing $label (npm ci in ${package#"$PLAZA_ROOT"/})"
        npm ci --prefix "$package" --no-audit --no-fund --silent
        printf '%s\n' "$wanted" >"$stamp"
    fi
}
