#!/usr/bin/env bash
# `make chaos`: the chaos run (tests/load, plaza-chaos) against the stack `make run` starts,
# with the demo delays off: orders under load while it kills and restarts the services, NATS
# and Postgres, stops services with SIGTERM and runs replicas, then checks that nothing was lost
# or done twice. Starts the stack when it is not running (and stops it afterwards); refuses a
# running stack that has demo delays. Writes chaos-output/report.md. Extra arguments go to
# plaza-chaos (see CHAOS_ARGS in the Makefile; --quick is the short form for CI).
# plaza-chaos sets the shop up as an admin, with a token it signs with the stack's key, and
# starts its replicas with the stack's keys.
#
# It restarts the machine's NATS and Postgres: run it only where nothing else uses them.
#
# Usage: chaos.sh [SERVICE...] [-- PLAZA-CHAOS-ARGUMENT...]
#        chaos.sh --quick          (arguments starting with - go to plaza-chaos)
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

services=()
while (($#)) && [[ $1 != -* ]]; do
    services+=("$1")
    shift
done
[[ ${1:-} == -- ]] && shift
((${#services[@]})) || services=(customers inventory payments ordering)
for svc in customers inventory payments ordering; do
    [[ " ${services[*]} " == *" $svc "* ]] || die "the chaos run needs $svc in the stack"
done

refuse_demo_delays
bash "$PLAZA_ROOT/deploy/local/services-up.sh"
use_stack "${services[@]}"

say "building the load generator (release)"
cargo build --release --quiet -p plaza-load
# Its exit status is the run's: non-zero when any check failed.
PLAZA_SIGNING_KEY_FILE="$KEYS_DIR/signing-key.pem" \
    "$RELEASE_DIR/plaza-chaos" --out "$PLAZA_ROOT/chaos-output" "$@"
